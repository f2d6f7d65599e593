//! The activity log: an append-only, per-project ordered record of changes. Appending locks the
//! project's head row, so seq order within a project is commit order and every event names its
//! predecessor.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    db::schema::{activity_heads, activity_log},
    error::{internal, AppResult},
};

/// What happened. Stored as text; the GraphQL enum mirrors it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityKind {
    TaskCreated,
    TaskUpdated,
    TaskMoved,
    TaskDeleted,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    ProjectUpdated,
    ProjectArchived,
    PipelineCreated,
    PipelineUpdated,
    PipelineDeleted,
    PipelineNodeAdded,
    PipelineNodeUpdated,
    PipelineNodeRemoved,
    PipelineNodesConnected,
    PipelineNodesDisconnected,
    PipelineGraphSaved,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::TaskCreated => "TASK_CREATED",
            ActivityKind::TaskUpdated => "TASK_UPDATED",
            ActivityKind::TaskMoved => "TASK_MOVED",
            ActivityKind::TaskDeleted => "TASK_DELETED",
            ActivityKind::MemberAdded => "MEMBER_ADDED",
            ActivityKind::MemberRoleChanged => "MEMBER_ROLE_CHANGED",
            ActivityKind::MemberRemoved => "MEMBER_REMOVED",
            ActivityKind::ProjectUpdated => "PROJECT_UPDATED",
            ActivityKind::ProjectArchived => "PROJECT_ARCHIVED",
            ActivityKind::PipelineCreated => "PIPELINE_CREATED",
            ActivityKind::PipelineUpdated => "PIPELINE_UPDATED",
            ActivityKind::PipelineDeleted => "PIPELINE_DELETED",
            ActivityKind::PipelineNodeAdded => "PIPELINE_NODE_ADDED",
            ActivityKind::PipelineNodeUpdated => "PIPELINE_NODE_UPDATED",
            ActivityKind::PipelineNodeRemoved => "PIPELINE_NODE_REMOVED",
            ActivityKind::PipelineNodesConnected => "PIPELINE_NODES_CONNECTED",
            ActivityKind::PipelineNodesDisconnected => "PIPELINE_NODES_DISCONNECTED",
            ActivityKind::PipelineGraphSaved => "PIPELINE_GRAPH_SAVED",
        }
    }

    pub fn parse(stored: &str) -> Option<ActivityKind> {
        serde_json::from_value(serde_json::Value::String(stored.to_string())).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable)]
#[diesel(table_name = activity_log, check_for_backend(diesel::pg::Pg))]
pub struct ActivityEvent {
    pub seq: i64,
    pub prev_seq: i64,
    pub project_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    /// A snapshot of the affected object (and, for updates, the changed fields) at the time.
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

impl ActivityEvent {
    pub fn kind(&self) -> Option<ActivityKind> {
        ActivityKind::parse(&self.kind)
    }

    /// The kind, where an unknown one means the log holds a row this build cannot read.
    pub fn known_kind(&self) -> AppResult<ActivityKind> {
        self.kind()
            .ok_or_else(|| internal(anyhow::anyhow!("unknown activity kind {:?}", self.kind)))
    }
}

pub struct NewActivity {
    pub project_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub kind: ActivityKind,
    pub payload: serde_json::Value,
}

/// Creates the head row of a new project's log. Part of the project's creating transaction.
pub async fn start_log(connection: &mut AsyncPgConnection, project_id: Uuid) -> AppResult<()> {
    diesel::insert_into(activity_heads::table)
        .values(activity_heads::project_id.eq(project_id))
        .execute(connection)
        .await?;
    Ok(())
}

/// Locks the project's log for appending until the transaction ends, and returns its head.
/// Mutations call this first, so concurrent writers to one project queue up here.
pub async fn lock_log(connection: &mut AsyncPgConnection, project_id: Uuid) -> AppResult<i64> {
    Ok(activity_heads::table
        .find(project_id)
        .select(activity_heads::last_seq)
        .for_update()
        .first(connection)
        .await?)
}

/// Appends one event; the log must already be locked by this transaction (`lock_log`).
pub async fn append(
    connection: &mut AsyncPgConnection,
    activity: NewActivity,
) -> AppResult<ActivityEvent> {
    let prev_seq = lock_log(connection, activity.project_id).await?;
    let event: ActivityEvent = diesel::insert_into(activity_log::table)
        .values((
            activity_log::prev_seq.eq(prev_seq),
            activity_log::project_id.eq(activity.project_id),
            activity_log::actor_id.eq(activity.actor_id),
            activity_log::kind.eq(activity.kind.as_str()),
            activity_log::payload.eq(activity.payload),
        ))
        .returning(ActivityEvent::as_returning())
        .get_result(connection)
        .await?;
    diesel::update(activity_heads::table.find(activity.project_id))
        .set(activity_heads::last_seq.eq(event.seq))
        .execute(connection)
        .await?;
    Ok(event)
}

/// The newest seq of a project's log (0 when empty); `None` when the project does not exist.
pub async fn head(connection: &mut AsyncPgConnection, project_id: Uuid) -> AppResult<Option<i64>> {
    Ok(activity_heads::table
        .find(project_id)
        .select(activity_heads::last_seq)
        .first(connection)
        .await
        .optional()?)
}

/// Events after `after_seq`, oldest first, at most `limit`.
pub async fn events_after(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    after_seq: i64,
    through_seq: Option<i64>,
    limit: i64,
) -> AppResult<Vec<ActivityEvent>> {
    let mut query = activity_log::table
        .filter(activity_log::project_id.eq(project_id))
        .filter(activity_log::seq.gt(after_seq))
        .order(activity_log::seq.asc())
        .limit(limit)
        .select(ActivityEvent::as_select())
        .into_boxed();
    if let Some(through) = through_seq {
        query = query.filter(activity_log::seq.le(through));
    }
    Ok(query.load(connection).await?)
}

/// A page of the log, newest first, for `project.activity`; `limit + 1` rows to detect more.
pub async fn page_newest_first(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    before_seq: Option<i64>,
    limit: i64,
) -> AppResult<Vec<ActivityEvent>> {
    let mut query = activity_log::table
        .filter(activity_log::project_id.eq(project_id))
        .order(activity_log::seq.desc())
        .limit(limit + 1)
        .select(ActivityEvent::as_select())
        .into_boxed();
    if let Some(before) = before_seq {
        query = query.filter(activity_log::seq.lt(before));
    }
    Ok(query.load(connection).await?)
}
