//! GraphQL surface of tasks: the `Task` type, the project task connection, and task mutations.
//! Mutations lock the project's activity log first, so concurrent edits of one project queue up
//! and a stale `expectedVersion` is detected reliably.

use std::sync::Arc;

use async_graphql::{connection::Connection, Context, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::{
        authz::{self, ProjectAccess, ProjectPermission, ProjectRole, SignedIn},
        viewer::AuthenticatedUser,
    },
    error::{bad_input, conflict, not_found, AppError, AppResult},
    events::log::{self, ActivityEvent, ActivityKind, NewActivity},
    graphql::{
        ids::{decode_id, encode_id},
        loaders::Loaders,
        pagination::{connection_from_rows, decode_cursor, page_size},
    },
    projects::{
        api::{begin_project_change, publish_all, ProjectNode, PROJECT_TYPE},
        model::Project,
        store as project_store,
    },
    state::AppState,
    tasks::{
        model::{
            normalize_labels, parse_description, parse_title, NewTask, Task, TaskChanges,
            TaskPriority, TaskStatus,
        },
        position::key_between,
        store::{self, TaskCursor, TaskFilter, TaskOrder, TaskPageQuery, TaskPrefetch},
    },
    users::{api::USER_TYPE, model::User},
};

pub const TASK_TYPE: &str = "Task";

/// A task as one viewer sees it.
#[derive(Clone)]
pub struct TaskNode {
    pub task: Task,
    pub access: ProjectAccess,
}

#[Object(name = "Task")]
impl TaskNode {
    pub async fn id(&self) -> ID {
        encode_id(TASK_TYPE, self.task.id)
    }

    async fn project(&self, ctx: &Context<'_>) -> AppResult<ProjectNode> {
        let project = Loaders::from_ctx(ctx)
            .projects
            .load_one(self.task.project_id)
            .await?
            .ok_or_else(|| not_found("project"))?;
        Ok(ProjectNode {
            project,
            access: self.access,
        })
    }

    async fn title(&self) -> &str {
        &self.task.title
    }

    /// Markdown.
    async fn description(&self) -> &str {
        &self.task.description
    }

    async fn status(&self) -> AppResult<TaskStatus> {
        TaskStatus::parse(&self.task.status)
            .ok_or_else(|| stored_value("status", &self.task.status))
    }

    async fn priority(&self) -> AppResult<TaskPriority> {
        TaskPriority::parse(&self.task.priority)
            .ok_or_else(|| stored_value("priority", &self.task.priority))
    }

    async fn assignee(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        Loaders::from_ctx(ctx).user(self.task.assignee_id).await
    }

    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.task.due_at
    }

    async fn labels(&self) -> &[String] {
        &self.task.labels
    }

    async fn parent(&self, ctx: &Context<'_>) -> AppResult<Option<TaskNode>> {
        let Some(parent_id) = self.task.parent_id else {
            return Ok(None);
        };
        let parent = Loaders::from_ctx(ctx).tasks.load_one(parent_id).await?;
        Ok(parent.map(|task| TaskNode {
            task,
            access: self.access,
        }))
    }

    /// Direct subtasks, in board order.
    #[graphql(complexity = "crate::limits::cost::unpaged_list(child_complexity)")]
    async fn subtasks(&self, ctx: &Context<'_>) -> AppResult<Vec<TaskNode>> {
        let subtasks = Loaders::from_ctx(ctx)
            .subtasks
            .load_one(self.task.id)
            .await?
            .unwrap_or_default();
        Ok(subtasks
            .into_iter()
            .map(|task| TaskNode {
                task,
                access: self.access,
            })
            .collect())
    }

    /// Opaque, sortable key of the task's place in its status column.
    async fn position(&self) -> &str {
        &self.task.position
    }

    /// Incremented by every change; pass it as `expectedVersion` to `updateTask`.
    async fn version(&self) -> i32 {
        self.task.version
    }

    async fn created_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        Loaders::from_ctx(ctx).user(self.task.created_by).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.task.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.task.updated_at
    }
}

fn stored_value(what: &str, value: &str) -> AppError {
    crate::error::internal(anyhow::anyhow!("unknown stored task {what} {value:?}"))
}

#[derive(InputObject, Default)]
pub struct TaskFilterInput {
    status: Option<TaskStatus>,
    assignee_id: Option<ID>,
    label: Option<String>,
    /// Matches title or description, case-insensitively.
    search: Option<String>,
}

/// The arguments of `project.tasks`, resolved through the page loader so that the same page of
/// many projects is one statement.
pub struct TaskConnectionArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub filter: Option<TaskFilterInput>,
    pub order_by: TaskOrder,
}

impl TaskConnectionArgs {
    pub async fn load(
        self,
        ctx: &Context<'_>,
        project_id: Uuid,
        access: ProjectAccess,
    ) -> AppResult<Connection<String, TaskNode>> {
        let limit = page_size(self.first)?;
        let after: Option<TaskCursor> = self
            .after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        let filter = self.filter.unwrap_or_default();
        let filter = TaskFilter {
            status: filter.status,
            assignee_id: filter
                .assignee_id
                .as_ref()
                .map(|id| decode_id(USER_TYPE, "filter.assigneeId", id))
                .transpose()?,
            label: filter
                .label
                .map(|label| normalize_labels("filter.label", &[label]))
                .transpose()?
                .and_then(|labels| labels.into_iter().next()),
            search: filter.search.filter(|text| !text.trim().is_empty()),
        };
        let has_previous = after.is_some();
        let node = ctx.look_ahead().field("edges").field("node");
        let query = Arc::new(TaskPageQuery {
            filter,
            order: self.order_by,
            after,
            fetch: limit + 1,
            prefetch: TaskPrefetch {
                assignees: node.field("assignee").exists(),
                subtasks: node.field("subtasks").exists(),
            },
        });
        let loaders = Loaders::from_ctx(ctx);
        let page = loaders
            .task_pages
            .load_one((project_id, query))
            .await?
            .unwrap_or_default();
        loaders
            .users
            .feed_many(page.assignees.into_iter().map(|user| (user.id, user)))
            .await;
        loaders.subtasks.feed_many(page.subtasks).await;
        let order = self.order_by;
        let nodes = page
            .tasks
            .into_iter()
            .map(|task| TaskNode { task, access })
            .collect();
        Ok(connection_from_rows(
            nodes,
            limit,
            has_previous,
            |node: &TaskNode| (order.sort_key(&node.task), node.task.id),
        ))
    }
}

#[derive(InputObject)]
pub struct CreateTaskInput {
    project_id: ID,
    /// 1 to 200 characters.
    title: String,
    /// Markdown, at most 10,000 characters.
    #[graphql(default)]
    description: String,
    #[graphql(default_with = "TaskStatus::Todo")]
    status: TaskStatus,
    #[graphql(default_with = "TaskPriority::Medium")]
    priority: TaskPriority,
    /// Must be a member of the project.
    assignee_id: Option<ID>,
    due_at: Option<DateTime<Utc>>,
    /// At most 20; normalized to lower case with hyphens for spaces.
    #[graphql(default)]
    labels: Vec<String>,
    /// Makes this a subtask of a task in the same project.
    parent_id: Option<ID>,
}

/// Fields to change; omitted fields stay, `null` clears the nullable ones.
#[derive(InputObject, Default)]
pub struct TaskChangesInput {
    title: Option<String>,
    description: Option<String>,
    /// Changing the status moves the task to the end of its new column.
    status: Option<TaskStatus>,
    priority: Option<TaskPriority>,
    assignee_id: MaybeUndefined<ID>,
    due_at: MaybeUndefined<DateTime<Utc>>,
    labels: Option<Vec<String>>,
    parent_id: MaybeUndefined<ID>,
}

fn viewer<'a>(ctx: &Context<'a>) -> AppResult<&'a AuthenticatedUser> {
    authz::require_user(authz::viewer(ctx))
}

fn refuse_if_archived(project: &Project) -> AppResult<()> {
    if project.archived_at.is_some() {
        return Err(conflict(
            "the project is archived; unarchive it to change its tasks",
        ));
    }
    Ok(())
}

async fn require_member(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    match project_store::lock_member(connection, project_id, user_id).await? {
        Some(_) => Ok(()),
        None => Err(bad_input(
            "assigneeId",
            "the assignee must be a member of the project",
        )),
    }
}

async fn require_parent_in_project(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    parent_id: Uuid,
) -> AppResult<()> {
    match store::lock_task(connection, parent_id).await? {
        Some(parent) if parent.project_id == project_id => Ok(()),
        _ => Err(bad_input(
            "parentId",
            "the parent must be a task in the same project",
        )),
    }
}

/// The project a task belongs to, for locking before the task itself is read under lock.
/// Non-members get `NOT_FOUND` for the task, as if it did not exist.
async fn project_of_task(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    task_id: Uuid,
) -> AppResult<Uuid> {
    let (task, _, role) = store::find_with_project_role(connection, task_id, viewer.user_id())
        .await?
        .ok_or_else(|| not_found("task"))?;
    let access = ProjectAccess::for_viewer(viewer, role.as_deref().and_then(ProjectRole::parse));
    access.require(ProjectPermission::ReadProject, "task")?;
    Ok(task.project_id)
}

/// Opens a task mutation: locks the project's log, checks `permission` and that the project is
/// active, then locks and returns the task.
async fn begin_task_change(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    task_id: Uuid,
    permission: ProjectPermission,
) -> AppResult<(Task, ProjectAccess)> {
    let project_id = project_of_task(connection, viewer, task_id).await?;
    let (project, access) =
        begin_project_change(connection, viewer, project_id, permission).await?;
    refuse_if_archived(&project)?;
    let task = store::lock_task(connection, task_id)
        .await?
        .filter(|task| task.project_id == project_id)
        .ok_or_else(|| not_found("task"))?;
    Ok((task, access))
}

async fn end_of_column(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    status: TaskStatus,
) -> AppResult<String> {
    let (last, _) = store::neighbour_positions(connection, project_id, status, None, None).await?;
    Ok(key_between(last.as_deref(), None))
}

fn task_activity(kind: ActivityKind, actor: Uuid, task: &Task, changed: &[&str]) -> NewActivity {
    NewActivity {
        project_id: task.project_id,
        actor_id: Some(actor),
        kind,
        payload: json!({ "task": task, "changedFields": changed }),
    }
}

#[derive(Default)]
pub struct TaskQuery;

#[Object]
impl TaskQuery {
    #[graphql(guard = "SignedIn")]
    async fn task(&self, ctx: &Context<'_>, id: ID) -> AppResult<TaskNode> {
        let viewer = viewer(ctx)?;
        let task_id = decode_id(TASK_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (task, _, role) =
            store::find_with_project_role(&mut connection, task_id, viewer.user_id())
                .await?
                .ok_or_else(|| not_found("task"))?;
        let access =
            ProjectAccess::for_viewer(viewer, role.as_deref().and_then(ProjectRole::parse));
        access.require(ProjectPermission::ReadProject, "task")?;
        Ok(TaskNode { task, access })
    }
}

#[derive(Default)]
pub struct TaskMutation;

#[Object]
impl TaskMutation {
    /// Creates a task at the end of its status column (EDITOR and above).
    #[graphql(guard = "SignedIn")]
    async fn create_task(&self, ctx: &Context<'_>, input: CreateTaskInput) -> AppResult<TaskNode> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &input.project_id)?;
        let title = parse_title("title", &input.title)?;
        let description = parse_description("description", &input.description)?;
        let labels = normalize_labels("labels", &input.labels)?;
        let assignee_id = input
            .assignee_id
            .as_ref()
            .map(|id| decode_id(USER_TYPE, "assigneeId", id))
            .transpose()?;
        let parent_id = input
            .parent_id
            .as_ref()
            .map(|id| decode_id(TASK_TYPE, "parentId", id))
            .transpose()?;
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let mut connection = state.pool.get().await?;
        let (node, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (project, access) = begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::CreateTask,
                )
                .await?;
                refuse_if_archived(&project)?;
                if let Some(assignee_id) = assignee_id {
                    require_member(connection, project_id, assignee_id).await?;
                }
                if let Some(parent_id) = parent_id {
                    require_parent_in_project(connection, project_id, parent_id).await?;
                }
                let position = end_of_column(connection, project_id, input.status).await?;
                let task = store::insert_task(
                    connection,
                    NewTask {
                        id: Uuid::now_v7(),
                        project_id,
                        parent_id,
                        title,
                        description,
                        status: input.status.as_str().to_string(),
                        priority: input.priority.as_str().to_string(),
                        assignee_id,
                        due_at: input.due_at,
                        labels,
                        position,
                        created_by: Some(actor),
                    },
                )
                .await?;
                let event = log::append(
                    connection,
                    task_activity(ActivityKind::TaskCreated, actor, &task, &[]),
                )
                .await?;
                Ok((TaskNode { task, access }, event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(node)
    }

    /// Changes a task if it is still at `expectedVersion`; otherwise `CONFLICT` with
    /// `extensions.currentVersion` (EDITOR and above).
    #[graphql(guard = "SignedIn")]
    async fn update_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        changes: TaskChangesInput,
    ) -> AppResult<TaskNode> {
        let viewer = viewer(ctx)?;
        let task_id = decode_id(TASK_TYPE, "id", &id)?;
        let requested = parse_task_changes(changes)?;
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let mut connection = state.pool.get().await?;
        let (node, events) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (task, access) =
                    begin_task_change(connection, viewer, task_id, ProjectPermission::UpdateTask)
                        .await?;
                if task.version != expected_version {
                    return Err(store::stale_version(task.version));
                }
                let mut changes = requested.without_noops(&task);
                if let Some(Some(assignee_id)) = changes.assignee_id {
                    require_member(connection, task.project_id, assignee_id).await?;
                }
                if let Some(Some(parent_id)) = changes.parent_id {
                    require_parent_in_project(connection, task.project_id, parent_id).await?;
                    if store::is_ancestor_or_self(connection, task.id, parent_id).await? {
                        return Err(bad_input("parentId", "a task cannot be its own ancestor"));
                    }
                }
                if let Some(status) = changes.status.as_deref().and_then(TaskStatus::parse) {
                    changes.position =
                        Some(end_of_column(connection, task.project_id, status).await?);
                }
                let changed = changes.changed_fields();
                if changed.is_empty() {
                    return Ok((TaskNode { task, access }, Vec::new()));
                }
                let task =
                    store::update_if_version(connection, &task, expected_version, &changes).await?;
                let event = log::append(
                    connection,
                    task_activity(ActivityKind::TaskUpdated, actor, &task, &changed),
                )
                .await?;
                Ok((TaskNode { task, access }, vec![event]))
            })
            .await?;
        publish_all(state, events);
        Ok(node)
    }

    /// Moves a task into `status`, right after the task `after` or right before the task
    /// `before` (in that column), or to the column's end when neither is given. Only the moved
    /// task is rewritten (EDITOR and above).
    #[graphql(guard = "SignedIn")]
    async fn move_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: TaskStatus,
        after: Option<ID>,
        before: Option<ID>,
    ) -> AppResult<TaskNode> {
        let viewer = viewer(ctx)?;
        let task_id = decode_id(TASK_TYPE, "id", &id)?;
        let anchor = match (&after, &before) {
            (Some(_), Some(_)) => {
                return Err(bad_input("before", "give `after` or `before`, not both"))
            }
            (Some(after), None) => Some((decode_id(TASK_TYPE, "after", after)?, false, "after")),
            (None, Some(before)) => Some((decode_id(TASK_TYPE, "before", before)?, true, "before")),
            (None, None) => None,
        };
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let mut connection = state.pool.get().await?;
        let (node, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (task, access) =
                    begin_task_change(connection, viewer, task_id, ProjectPermission::UpdateTask)
                        .await?;
                let position = match anchor {
                    None => end_of_column(connection, task.project_id, status).await?,
                    Some((anchor_id, before_anchor, field)) => {
                        let anchor_task = store::lock_task(connection, anchor_id)
                            .await?
                            .filter(|anchor| {
                                anchor.project_id == task.project_id
                                    && anchor.status == status.as_str()
                                    && anchor.id != task.id
                            })
                            .ok_or_else(|| {
                                bad_input(
                                    field,
                                    "must be another task in the same project and target status",
                                )
                            })?;
                        let (lower, upper) = store::neighbour_positions(
                            connection,
                            task.project_id,
                            status,
                            Some((&anchor_task.position, before_anchor)),
                            Some(task.id),
                        )
                        .await?;
                        key_between(lower.as_deref(), upper.as_deref())
                    }
                };
                let changes = TaskChanges {
                    status: (task.status != status.as_str()).then(|| status.as_str().to_string()),
                    position: Some(position),
                    ..TaskChanges::default()
                };
                let changed = changes.changed_fields();
                let version = task.version;
                let task = store::update_if_version(connection, &task, version, &changes).await?;
                let event = log::append(
                    connection,
                    task_activity(ActivityKind::TaskMoved, actor, &task, &changed),
                )
                .await?;
                Ok((TaskNode { task, access }, event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(node)
    }

    /// Deletes a task and its subtasks (EDITOR and above).
    #[graphql(guard = "SignedIn")]
    async fn delete_task(&self, ctx: &Context<'_>, id: ID) -> AppResult<bool> {
        let viewer = viewer(ctx)?;
        let task_id = decode_id(TASK_TYPE, "id", &id)?;
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let mut connection = state.pool.get().await?;
        let events: Vec<ActivityEvent> = connection
            .transaction::<_, AppError, _>(async |connection| {
                begin_task_change(connection, viewer, task_id, ProjectPermission::DeleteTask)
                    .await?;
                let deleted = store::delete_subtree(connection, task_id).await?;
                let mut events = Vec::with_capacity(deleted.len());
                for task in deleted.iter().rev() {
                    events.push(
                        log::append(
                            connection,
                            task_activity(ActivityKind::TaskDeleted, actor, task, &[]),
                        )
                        .await?,
                    );
                }
                Ok(events)
            })
            .await?;
        publish_all(state, events);
        Ok(true)
    }
}

/// Validated changes, before they are compared with the task.
struct RequestedChanges(TaskChanges);

fn parse_task_changes(input: TaskChangesInput) -> AppResult<RequestedChanges> {
    let optional_id = |value: MaybeUndefined<ID>,
                       type_name: &str,
                       field: &str|
     -> AppResult<Option<Option<Uuid>>> {
        match value {
            MaybeUndefined::Undefined => Ok(None),
            MaybeUndefined::Null => Ok(Some(None)),
            MaybeUndefined::Value(id) => Ok(Some(Some(decode_id(type_name, field, &id)?))),
        }
    };
    Ok(RequestedChanges(TaskChanges {
        title: input
            .title
            .as_deref()
            .map(|title| parse_title("changes.title", title))
            .transpose()?,
        description: input
            .description
            .as_deref()
            .map(|text| parse_description("changes.description", text))
            .transpose()?,
        status: input.status.map(|status| status.as_str().to_string()),
        priority: input.priority.map(|priority| priority.as_str().to_string()),
        assignee_id: optional_id(input.assignee_id, USER_TYPE, "changes.assigneeId")?,
        due_at: match input.due_at {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(due) => Some(Some(due)),
        },
        labels: input
            .labels
            .map(|labels| normalize_labels("changes.labels", &labels))
            .transpose()?,
        parent_id: optional_id(input.parent_id, TASK_TYPE, "changes.parentId")?,
        position: None,
    }))
}

impl RequestedChanges {
    /// Drops fields that already hold the requested value, so `changedFields` tells the truth.
    fn without_noops(&self, task: &Task) -> TaskChanges {
        let requested = &self.0;
        fn differs<T: PartialEq + Clone>(requested: &Option<T>, current: &T) -> Option<T> {
            requested
                .as_ref()
                .filter(|value| *value != current)
                .cloned()
        }
        TaskChanges {
            title: differs(&requested.title, &task.title),
            description: differs(&requested.description, &task.description),
            status: differs(&requested.status, &task.status),
            priority: differs(&requested.priority, &task.priority),
            assignee_id: differs(&requested.assignee_id, &task.assignee_id),
            due_at: differs(&requested.due_at, &task.due_at),
            labels: differs(&requested.labels, &task.labels),
            parent_id: differs(&requested.parent_id, &task.parent_id),
            position: None,
        }
    }
}
