//! Task mutations: create, update, move and delete. Each says what it changes and which
//! activity it records; the unit of work locks the project, checks the role and publishes.

use async_graphql::{Context, MaybeUndefined, Object, ID};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    auth::{
        authz::{self, ProjectAccess, ProjectPermission, SignedIn},
        viewer::AuthenticatedUser,
    },
    error::{bad_input, conflict, not_found, AppResult},
    graphql::ids::decode_id,
    projects::{
        activity::{Activity, TaskSnapshot},
        store as project_store,
        views::PROJECT_TYPE,
    },
    state::AppState,
    tasks::{
        model::{
            normalize_labels, parse_description, parse_title, NewTask, Task, TaskChanges,
            TaskStatus,
        },
        position::key_between,
        store,
        views::{TaskNode, TASK_TYPE},
    },
    users::model::USER_TYPE,
    work::{self, Actor, ProjectChange},
};

use super::inputs::{CreateTaskInput, TaskChangesInput};

#[derive(Default)]
pub struct TaskMutation;

#[Object]
impl TaskMutation {
    /// Creates a task at the end of its status column (EDITOR and above). Errors:
    /// `UNAUTHENTICATED`; `NOT_FOUND` for a project the viewer is not in; `FORBIDDEN` below
    /// EDITOR; `BAD_USER_INPUT` for invalid fields, an assignee who is not a member or a parent
    /// in another project; `CONFLICT` while the project is archived.
    #[graphql(guard = "SignedIn")]
    async fn create_task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task to create.")] input: CreateTaskInput,
    ) -> AppResult<TaskNode> {
        let viewer = authz::signed_in(ctx)?;
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
        let created_by = Some(viewer.user_id());
        let actor = Actor::Viewer(viewer, ProjectPermission::CreateTask);
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            refuse_if_archived(change)?;
            if let Some(assignee_id) = assignee_id {
                require_member(&mut change.db, project_id, assignee_id).await?;
            }
            if let Some(parent_id) = parent_id {
                require_parent_in_project(&mut change.db, project_id, parent_id).await?;
            }
            let position = end_of_column(&mut change.db, project_id, input.status).await?;
            let task = store::insert_task(
                &mut change.db,
                NewTask {
                    id: Uuid::now_v7(),
                    project_id,
                    parent_id,
                    title,
                    description,
                    status: input.status,
                    priority: input.priority,
                    assignee_id,
                    due_at: input.due_at,
                    labels,
                    position,
                    created_by,
                },
            )
            .await?;
            change.record(Activity::TaskCreated(snapshot(&task, Vec::new())))?;
            Ok(node(change, task))
        })
        .await
    }

    /// Changes a task if it is still at `expectedVersion`; otherwise `CONFLICT` with
    /// `extensions.currentVersion` (EDITOR and above). Also `CONFLICT` while the project is
    /// archived; `NOT_FOUND`, `FORBIDDEN` and `BAD_USER_INPUT` as for `createTask`. A change
    /// that sets every field to what it already holds changes nothing and records no event.
    #[graphql(guard = "SignedIn")]
    async fn update_task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task to change.")] id: ID,
        #[graphql(desc = "The `version` the caller last read.")] expected_version: i32,
        #[graphql(desc = "The fields to change.")] changes: TaskChangesInput,
    ) -> AppResult<TaskNode> {
        let viewer = authz::signed_in(ctx)?;
        let task_id = decode_id(TASK_TYPE, "id", &id)?;
        let requested = parse_task_changes(changes)?;
        let (project_id, actor) =
            task_change_actor(ctx, viewer, task_id, ProjectPermission::UpdateTask).await?;
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            let task = lock_task_for_change(change, task_id).await?;
            if task.version != expected_version {
                return Err(store::stale_version(task.version));
            }
            let mut changes = requested.without_noops(&task);
            if let Some(Some(assignee_id)) = changes.assignee_id {
                require_member(&mut change.db, task.project_id, assignee_id).await?;
            }
            if let Some(Some(parent_id)) = changes.parent_id {
                require_parent_in_project(&mut change.db, task.project_id, parent_id).await?;
                if store::is_ancestor_or_self(&mut change.db, task.id, parent_id).await? {
                    return Err(bad_input("parentId", "a task cannot be its own ancestor"));
                }
            }
            if let Some(status) = changes.status {
                changes.position =
                    Some(end_of_column(&mut change.db, task.project_id, status).await?);
            }
            let changed = changes.changed_fields();
            if changed.is_empty() {
                return Ok(node(change, task));
            }
            let task =
                store::update_if_version(&mut change.db, &task, expected_version, &changes).await?;
            change.record(Activity::TaskUpdated(snapshot(&task, changed)))?;
            Ok(node(change, task))
        })
        .await
    }

    /// Moves a task into `status`, right after the task `after` or right before the task
    /// `before` (in that column), or to the column's end when neither is given. Only the moved
    /// task is rewritten (EDITOR and above). `BAD_USER_INPUT` when both anchors are given or an
    /// anchor is not another task of the same project in `status`; `CONFLICT` while the
    /// project is archived.
    #[graphql(guard = "SignedIn")]
    async fn move_task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task to move.")] id: ID,
        #[graphql(desc = "The column to move it into (may be its current one).")]
        status: TaskStatus,
        #[graphql(desc = "Place it right after this task; not together with `before`.")]
        after: Option<ID>,
        #[graphql(desc = "Place it right before this task; not together with `after`.")]
        before: Option<ID>,
    ) -> AppResult<TaskNode> {
        let viewer = authz::signed_in(ctx)?;
        let task_id = decode_id(TASK_TYPE, "id", &id)?;
        let anchor = match (&after, &before) {
            (Some(_), Some(_)) => {
                return Err(bad_input("before", "give `after` or `before`, not both"))
            }
            (Some(after), None) => Some((decode_id(TASK_TYPE, "after", after)?, false, "after")),
            (None, Some(before)) => Some((decode_id(TASK_TYPE, "before", before)?, true, "before")),
            (None, None) => None,
        };
        let (project_id, actor) =
            task_change_actor(ctx, viewer, task_id, ProjectPermission::UpdateTask).await?;
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            let task = lock_task_for_change(change, task_id).await?;
            let position = match anchor {
                None => end_of_column(&mut change.db, task.project_id, status).await?,
                Some((anchor_id, before_anchor, field)) => {
                    let anchor_task = store::lock_task(&mut change.db, anchor_id)
                        .await?
                        .filter(|anchor| {
                            anchor.project_id == task.project_id
                                && anchor.status == status
                                && anchor.id != task.id
                        })
                        .ok_or_else(|| {
                            bad_input(
                                field,
                                "must be another task in the same project and target status",
                            )
                        })?;
                    let (lower, upper) = store::neighbour_positions(
                        &mut change.db,
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
                status: (task.status != status).then_some(status),
                position: Some(position),
                ..TaskChanges::default()
            };
            let changed = changes.changed_fields();
            let version = task.version;
            let task = store::update_if_version(&mut change.db, &task, version, &changes).await?;
            change.record(Activity::TaskMoved(snapshot(&task, changed)))?;
            Ok(node(change, task))
        })
        .await
    }

    /// Deletes a task and its subtasks (EDITOR and above), recording a TASK_DELETED event for
    /// each; returns true. `NOT_FOUND` for a task the viewer cannot see; `CONFLICT` while the
    /// project is archived.
    #[graphql(guard = "SignedIn")]
    async fn delete_task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task to delete.")] id: ID,
    ) -> AppResult<bool> {
        let viewer = authz::signed_in(ctx)?;
        let task_id = decode_id(TASK_TYPE, "id", &id)?;
        let (project_id, actor) =
            task_change_actor(ctx, viewer, task_id, ProjectPermission::DeleteTask).await?;
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            lock_task_for_change(change, task_id).await?;
            let deleted = store::delete_subtree(&mut change.db, task_id).await?;
            for task in deleted.iter().rev() {
                change.record(Activity::TaskDeleted(snapshot(task, Vec::new())))?;
            }
            Ok(true)
        })
        .await
    }
}

fn node(change: &ProjectChange, task: Task) -> TaskNode {
    TaskNode {
        task,
        access: change.access,
    }
}

fn snapshot(task: &Task, changed: Vec<&str>) -> TaskSnapshot {
    TaskSnapshot {
        task: task.clone(),
        changed_fields: changed.into_iter().map(String::from).collect(),
        pipeline_run_id: None,
    }
}

/// The project a task belongs to, and the viewer acting on it there. Read before the change
/// opens, so the project can be locked before the task itself is read under lock. Non-members
/// get `NOT_FOUND` for the task, as if it did not exist.
async fn task_change_actor<'a>(
    ctx: &Context<'_>,
    viewer: &'a AuthenticatedUser,
    task_id: Uuid,
    permission: ProjectPermission,
) -> AppResult<(Uuid, Actor<'a>)> {
    let mut connection = AppState::from_ctx(ctx).pool.get().await?;
    let (task, _, role) = store::find_with_project_role(&mut connection, task_id, viewer.user_id())
        .await?
        .ok_or_else(|| not_found("task"))?;
    ProjectAccess::for_viewer(viewer, role).require(ProjectPermission::ReadProject, "task")?;
    Ok((task.project_id, Actor::Viewer(viewer, permission)))
}

/// The task, locked, once the project is known to be active; `NOT_FOUND` if it moved away.
async fn lock_task_for_change(change: &mut ProjectChange, task_id: Uuid) -> AppResult<Task> {
    refuse_if_archived(change)?;
    store::lock_task(&mut change.db, task_id)
        .await?
        .filter(|task| task.project_id == change.project_id)
        .ok_or_else(|| not_found("task"))
}

fn refuse_if_archived(change: &ProjectChange) -> AppResult<()> {
    if change.archived {
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

async fn end_of_column(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    status: TaskStatus,
) -> AppResult<String> {
    let (last, _) = store::neighbour_positions(connection, project_id, status, None, None).await?;
    Ok(key_between(last.as_deref(), None))
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
        status: input.status,
        priority: input.priority,
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
