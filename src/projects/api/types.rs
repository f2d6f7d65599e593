//! The GraphQL types of projects: `Project`, `ProjectMember`, `ProjectEvent` and `TaskCounts`.

use async_graphql::{
    connection::Connection, resolver_utils::enum_value, Context, Object, ScalarType, SimpleObject,
    Value, ID,
};
use chrono::{DateTime, Utc};

use crate::{
    auth::authz::{ProjectAccess, ProjectRole},
    error::{bad_input, not_found, AppResult},
    graphql::loaders::Loaders,
    graphql::{
        ids::encode_id,
        pagination::{connection_from_rows, page_size, PageCursor},
        plain::{Plain, PlainFields, PlainValue},
    },
    projects::{
        activity::{Activity, ActivityKind},
        loaders::{ActivityPage, ActivityPageLoader, MemberLoader},
        views::{MemberNode, ProjectEventNode, ProjectNode, PROJECT_TYPE},
    },
    tasks::{
        connection::TaskConnectionArgs,
        loaders::TaskCountLoader,
        model::TaskStatus,
        views::{BoardTask, TaskNode},
    },
    users::{self, loaders::UserLoader, model::User},
};

/// A shared workspace of tasks, pipelines and shared bookmarks, with members in roles
/// (VIEWER < EXECUTOR < EDITOR < ADMIN < OWNER). Visible to its members and platform admins.
#[Object(name = "Project")]
impl ProjectNode {
    /// Opaque global id; also accepted by `node(id:)`.
    pub async fn id(&self) -> ID {
        encode_id(PROJECT_TYPE, self.project.id)
    }

    /// 1 to 100 characters.
    async fn name(&self) -> &str {
        &self.project.name
    }

    /// Free text, at most 10,000 characters; empty when not set.
    async fn description(&self) -> &str {
        &self.project.description
    }

    /// Archived projects are read-only for tasks until unarchived.
    async fn archived(&self) -> bool {
        self.project.archived_at.is_some()
    }

    /// When the project was archived; null while active.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.project.archived_at
    }

    /// When the project was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.project.created_at
    }

    /// When the name, description or archived state last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.project.updated_at
    }

    /// Who created the project; null once that account is deleted.
    async fn created_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        users::loaders::user(ctx, self.project.created_by).await
    }

    /// The viewer's role here; null for platform admins who are not members.
    async fn viewer_role(&self) -> Option<ProjectRole> {
        match self.access {
            ProjectAccess::Member(role) => Some(role),
            _ => None,
        }
    }

    /// Members in the order they joined (not paginated: every member).
    #[graphql(complexity = "crate::limits::cost::unpaged_list(child_complexity)")]
    async fn members(&self, ctx: &Context<'_>) -> AppResult<Vec<Plain<MemberNode>>> {
        let members = Loaders::get::<MemberLoader>(ctx)
            .load_one(self.project.id)
            .await?
            .unwrap_or_default();
        Ok(members
            .into_iter()
            .map(|(member, user)| {
                Plain(MemberNode {
                    member,
                    user: Some(user),
                })
            })
            .collect())
    }

    /// The project's tasks, in board order unless `orderBy` says otherwise.
    #[graphql(complexity = "crate::limits::cost::page(first, child_complexity)")]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(
            desc = "Start after this `cursor` from an earlier page of the same order and filter."
        )]
        after: Option<String>,
        #[graphql(desc = "Only tasks matching every given condition; omitted: all tasks.")]
        filter: Option<crate::tasks::connection::TaskFilterInput>,
        #[graphql(desc = "Board order (POSITION) when omitted.")] order_by: Option<
            crate::tasks::store::TaskOrder,
        >,
    ) -> AppResult<Plain<Connection<PageCursor, BoardTask>>> {
        TaskConnectionArgs {
            first,
            after,
            filter,
            order_by: order_by.unwrap_or_default(),
        }
        .load(ctx, self.project.id, self.access)
        .await
        .map(Plain)
    }

    /// How many tasks are in each status (subtasks included).
    async fn task_counts(&self, ctx: &Context<'_>) -> AppResult<TaskCounts> {
        let counts = Loaders::get::<TaskCountLoader>(ctx)
            .load_one(self.project.id)
            .await?
            .unwrap_or_default();
        let count = |status| counts.0.get(&status).copied().unwrap_or(0);
        Ok(TaskCounts {
            todo: count(TaskStatus::Todo),
            in_progress: count(TaskStatus::InProgress),
            blocked: count(TaskStatus::Blocked),
            done: count(TaskStatus::Done),
            total: counts.0.values().sum(),
        })
    }

    /// Everything that happened in the project, newest first. Each event's `cursor` can be
    /// passed to `projectEvents(after:)` to follow on live from there.
    #[graphql(complexity = "crate::limits::cost::page(first, child_complexity)")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Older events than this event `cursor` (else `BAD_USER_INPUT`).")]
        after: Option<String>,
    ) -> AppResult<Connection<PageCursor, ProjectEventNode>> {
        let limit = page_size(first)?;
        let before_seq = after.as_deref().map(parse_event_cursor).transpose()?;
        let events = Loaders::get::<ActivityPageLoader>(ctx)
            .load_one((self.project.id, ActivityPage { before_seq, limit }))
            .await?
            .unwrap_or_default();
        let access = self.access;
        let nodes = events
            .into_iter()
            .map(|event| ProjectEventNode { event, access })
            .collect();
        Ok(connection_from_rows(
            nodes,
            limit,
            before_seq.is_some(),
            |node| node.event.seq.to_string(),
        ))
    }
}

/// A project's tasks counted by status.
#[derive(SimpleObject)]
pub struct TaskCounts {
    /// Tasks in TODO.
    todo: i64,
    /// Tasks in IN_PROGRESS.
    in_progress: i64,
    /// Tasks in BLOCKED.
    blocked: i64,
    /// Tasks in DONE.
    done: i64,
    /// All tasks of the project, whatever their status.
    total: i64,
}

/// A user's membership in a project.
#[Object(name = "ProjectMember")]
impl MemberNode {
    /// The member.
    async fn user(&self, ctx: &Context<'_>) -> AppResult<User> {
        if let Some(user) = &self.user {
            return Ok(user.clone());
        }
        Loaders::get::<UserLoader>(ctx)
            .load_one(self.member.user_id)
            .await?
            .ok_or_else(|| not_found("user"))
    }

    /// What the member may do in the project.
    async fn role(&self) -> ProjectRole {
        self.member.role
    }

    /// When the member was added (the owner: when the project was created).
    async fn joined_at(&self) -> DateTime<Utc> {
        self.member.created_at
    }
}

/// Every field; the user only when it came with the membership (else its loader).
impl PlainFields for MemberNode {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        Some(match name {
            "user" => PlainValue::Object(self.user.as_ref()?),
            "role" => PlainValue::Value(enum_value(self.member.role)),
            "joinedAt" => PlainValue::Value(self.member.created_at.to_value()),
            _ => return None,
        })
    }
}

/// One entry of a project's activity log: who changed what, and the object after the change.
/// Exactly one of `task`, `member` and `project` is set, according to `kind` (none for
/// pipeline events).
#[Object(name = "ProjectEvent")]
impl ProjectEventNode {
    /// Opaque position in the project's activity; pass to `projectEvents(after:)` to resume.
    async fn cursor(&self) -> String {
        self.event.seq.to_string()
    }

    /// What happened.
    async fn kind(&self) -> AppResult<ActivityKind> {
        Ok(self.activity()?.kind())
    }

    /// Who made the change; null once that account is deleted.
    async fn actor(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        users::loaders::user(ctx, self.event.actor_id).await
    }

    /// When the change was committed.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.occurred_at
    }

    /// The task after the change (for task events; as it was when deleted for TASK_DELETED).
    async fn task(&self) -> AppResult<Option<Plain<TaskNode>>> {
        Ok(self.activity()?.task().map(|task| {
            Plain(TaskNode {
                task: task.clone(),
                access: self.access,
            })
        }))
    }

    /// The membership after the change (for member events; the removed one for MEMBER_REMOVED).
    async fn member(&self) -> AppResult<Option<MemberNode>> {
        Ok(self.activity()?.member().map(|member| MemberNode {
            member: member.clone(),
            user: None,
        }))
    }

    /// The project after the change (for project events).
    async fn project(&self) -> AppResult<Option<ProjectNode>> {
        Ok(self.activity()?.project().map(|project| ProjectNode {
            project: project.clone(),
            access: self.access,
        }))
    }

    /// For updates: the fields that changed, by their GraphQL names.
    async fn changed_fields(&self) -> AppResult<Vec<String>> {
        Ok(self.activity()?.changed_fields().to_vec())
    }
}

/// An event's fields as the event holds them: a live board's thousands of subscribers each get
/// it in one synchronous pass. `actor` (a loader), `project` and a member's `user` go through
/// their resolvers; an event whose activity does not decode answers only `cursor` and
/// `occurredAt` here, so its resolvers report the error.
impl PlainFields for ProjectEventNode {
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>> {
        let event = &self.event;
        match name {
            "cursor" => return Some(PlainValue::Value(Value::String(event.seq.to_string()))),
            "occurredAt" => return Some(PlainValue::Value(event.occurred_at.to_value())),
            _ => {}
        }
        let activity = self.activity().ok()?;
        Some(match name {
            "kind" => PlainValue::Value(enum_value(activity.kind())),
            "changedFields" => PlainValue::Value(Value::List(
                activity
                    .changed_fields()
                    .iter()
                    .map(|field| Value::String(field.clone()))
                    .collect(),
            )),
            "task" => match activity.task() {
                Some(task) => PlainValue::Owned(Box::new(TaskNode {
                    task: task.clone(),
                    access: self.access,
                })),
                None => PlainValue::Value(Value::Null),
            },
            "member" => match activity.member() {
                Some(member) => PlainValue::Owned(Box::new(MemberNode {
                    member: member.clone(),
                    user: None,
                })),
                None => PlainValue::Value(Value::Null),
            },
            _ => return None,
        })
    }
}

impl ProjectEventNode {
    fn activity(&self) -> AppResult<&Activity> {
        Activity::of(&self.event)
    }
}

pub(super) fn parse_event_cursor(cursor: &str) -> AppResult<i64> {
    cursor
        .parse::<i64>()
        .ok()
        .filter(|seq| *seq >= 0)
        .ok_or_else(|| bad_input("after", "is not a cursor returned by this API"))
}
