//! The activity log: an append-only, per-project ordered record of changes. Appending locks the
//! project's head row, so seq order within a project is commit order and every event names its
//! predecessor.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::{
    any::Any,
    sync::{Arc, OnceLock},
};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    db::{
        schema::{activity_heads, activity_log},
        statement::{Bind, Statement},
    },
    error::{internal, not_found, AppResult},
};

/// One committed entry of a project's log. The kind and payload are stored as the feature's
/// typed activity wrote them; features read them back through that type (`typed`), which is
/// decoded at most once per event however many subscribers read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityEvent {
    pub seq: i64,
    pub prev_seq: i64,
    pub project_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
    #[serde(skip)]
    typed: TypedActivity,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = activity_log, check_for_backend(diesel::pg::Pg))]
struct ActivityRow {
    seq: i64,
    prev_seq: i64,
    project_id: Uuid,
    actor_id: Option<Uuid>,
    kind: String,
    payload: serde_json::Value,
    occurred_at: DateTime<Utc>,
}

impl From<ActivityRow> for ActivityEvent {
    fn from(row: ActivityRow) -> Self {
        ActivityEvent {
            seq: row.seq,
            prev_seq: row.prev_seq,
            project_id: row.project_id,
            actor_id: row.actor_id,
            kind: row.kind,
            payload: row.payload,
            occurred_at: row.occurred_at,
            typed: TypedActivity::default(),
        }
    }
}

/// The decoded activity of an event, shared by every reader of the same event.
#[derive(Debug, Clone, Default)]
struct TypedActivity(OnceLock<Arc<dyn Any + Send + Sync>>);

impl PartialEq for TypedActivity {
    /// A cache, not part of the event's value.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl ActivityEvent {
    /// The event's activity as type `T`, decoded by `decode` the first time it is asked for.
    pub fn typed<T: Send + Sync + 'static>(
        &self,
        decode: impl FnOnce(&ActivityEvent) -> AppResult<T>,
    ) -> AppResult<&T> {
        if self.typed.0.get().is_none() {
            let decoded = decode(self)?;
            let _ = self.typed.0.set(Arc::new(decoded));
        }
        self.typed
            .0
            .get()
            .and_then(|typed| typed.downcast_ref::<T>())
            .ok_or_else(|| {
                internal(anyhow::anyhow!(
                    "activity {} was decoded as another type",
                    self.seq
                ))
            })
    }

    /// Keeps the typed activity the event was written from, so the writing instance never
    /// decodes its own events.
    pub fn remember_typed(&self, typed: Arc<dyn Any + Send + Sync>) {
        let _ = self.typed.0.set(typed);
    }
}

/// An entry to append: the stored form of a feature's typed activity.
pub struct NewActivity {
    pub project_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub kind: String,
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

/// Locks the project's log for appending until the transaction ends, and returns its head;
/// `None` when the project does not exist. The unit of work calls this first, so concurrent
/// writers to one project queue up here.
pub async fn lock_log(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
) -> AppResult<Option<i64>> {
    Ok(activity_heads::table
        .find(project_id)
        .select(activity_heads::last_seq)
        .for_update()
        .first(connection)
        .await
        .optional()?)
}

/// Appends one event; the log must already be locked by this transaction (`lock_log`).
pub async fn append(
    connection: &mut AsyncPgConnection,
    activity: NewActivity,
) -> AppResult<ActivityEvent> {
    let prev_seq = lock_log(connection, activity.project_id)
        .await?
        .ok_or_else(|| not_found("project"))?;
    let event: ActivityEvent = diesel::insert_into(activity_log::table)
        .values((
            activity_log::prev_seq.eq(prev_seq),
            activity_log::project_id.eq(activity.project_id),
            activity_log::actor_id.eq(activity.actor_id),
            activity_log::kind.eq(activity.kind),
            activity_log::payload.eq(activity.payload),
        ))
        .returning(ActivityRow::as_returning())
        .get_result::<ActivityRow>(connection)
        .await?
        .into();
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

/// The heads of several projects' logs in one statement; projects that do not exist are absent.
pub async fn heads(
    connection: &mut AsyncPgConnection,
    project_ids: &[Uuid],
) -> AppResult<Vec<(Uuid, i64)>> {
    Ok(activity_heads::table
        .filter(activity_heads::project_id.eq_any(project_ids))
        .select((activity_heads::project_id, activity_heads::last_seq))
        .load(connection)
        .await?)
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
        .select(ActivityRow::as_select())
        .into_boxed();
    if let Some(through) = through_seq {
        query = query.filter(activity_log::seq.le(through));
    }
    Ok(rows_into_events(query.load(connection).await?))
}

/// A page of each of many projects' activity, newest first (`limit` events and one more when
/// there are more, older than `before_seq` when given), in one statement: per project a backward
/// range scan of `(project_id, seq)` limited to the page, so the work follows the pages, not
/// the logs' lengths. The events come projects interleaved, each project's newest first.
pub async fn pages_newest_first(
    connection: &mut AsyncPgConnection,
    project_ids: &[Uuid],
    before_seq: Option<i64>,
    limit: i64,
) -> AppResult<Vec<ActivityEvent>> {
    use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    let rows: Vec<ActivityRow> = pages_statement(project_ids, before_seq, limit)
        .with_row_types::<(
            BigInt,
            BigInt,
            SqlUuid,
            Nullable<SqlUuid>,
            Text,
            Jsonb,
            Timestamptz,
        )>()
        .load(connection)
        .await?;
    Ok(rows_into_events(rows))
}

/// The plan of the statement `pages_newest_first` runs.
pub async fn explain_pages_newest_first(
    connection: &mut AsyncPgConnection,
    project_ids: &[Uuid],
    before_seq: Option<i64>,
    limit: i64,
) -> AppResult<serde_json::Value> {
    Ok(pages_statement(project_ids, before_seq, limit)
        .explain_analyze(connection)
        .await?)
}

fn pages_statement(project_ids: &[Uuid], before_seq: Option<i64>, limit: i64) -> Statement {
    let mut statement = Statement::new();
    statement
        .sql(
            "SELECT e.seq, e.prev_seq, e.project_id, e.actor_id, e.kind, e.payload, \
             e.occurred_at FROM unnest(",
        )
        .bind(Bind::Uuids(project_ids.to_vec()))
        .sql("::uuid[]) AS p(id) CROSS JOIN LATERAL (SELECT * FROM activity_log WHERE project_id = p.id");
    if let Some(before) = before_seq {
        statement.sql(" AND seq < ").bind(Bind::BigInt(before));
    }
    statement
        .sql(" ORDER BY seq DESC LIMIT ")
        .bind(Bind::BigInt(limit + 1))
        .sql(") e");
    statement
}

fn rows_into_events(rows: Vec<ActivityRow>) -> Vec<ActivityEvent> {
    rows.into_iter().map(ActivityEvent::from).collect()
}
