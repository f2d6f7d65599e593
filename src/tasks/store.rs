//! Task queries. Takes a connection; knows nothing of GraphQL. Pages of tasks for many projects
//! are built in `tasks::pages`; the orders and page requests they read are defined here.

use std::cmp::Ordering;

use diesel::{prelude::*, sql_types::Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::authz::ProjectRole,
    db::{
        schema::{project_members, projects, tasks},
        statement::{Bind, Statement},
    },
    error::{conflict, AppResult},
    projects::model::Project,
    tasks::model::{NewTask, Task, TaskChanges, TaskStatus},
};

pub async fn insert_task(connection: &mut AsyncPgConnection, task: NewTask) -> AppResult<Task> {
    Ok(diesel::insert_into(tasks::table)
        .values(task)
        .returning(Task::as_returning())
        .get_result(connection)
        .await?)
}

pub async fn find_by_ids(connection: &mut AsyncPgConnection, ids: &[Uuid]) -> AppResult<Vec<Task>> {
    Ok(tasks::table
        .filter(tasks::id.eq_any(ids))
        .select(Task::as_select())
        .load(connection)
        .await?)
}

/// The task, its project and the user's role there (None when not a member), in one statement.
pub async fn find_with_project_role(
    connection: &mut AsyncPgConnection,
    task_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<(Task, Project, Option<ProjectRole>)>> {
    Ok(tasks::table
        .inner_join(projects::table)
        .left_join(
            project_members::table.on(project_members::project_id
                .eq(tasks::project_id)
                .and(project_members::user_id.eq(user_id))),
        )
        .filter(tasks::id.eq(task_id))
        .select((
            Task::as_select(),
            Project::as_select(),
            project_members::role.nullable(),
        ))
        .first(connection)
        .await
        .optional()?)
}

/// The task, locked until the transaction ends.
pub async fn lock_task(
    connection: &mut AsyncPgConnection,
    task_id: Uuid,
) -> AppResult<Option<Task>> {
    Ok(tasks::table
        .find(task_id)
        .select(Task::as_select())
        .for_update()
        .first(connection)
        .await
        .optional()?)
}

/// Applies `changes` if the task is still at `expected_version`, bumping the version.
/// A stale version is a `CONFLICT` carrying the current one.
pub async fn update_if_version(
    connection: &mut AsyncPgConnection,
    task: &Task,
    expected_version: i32,
    changes: &TaskChanges,
) -> AppResult<Task> {
    if task.version != expected_version {
        return Err(stale_version(task.version));
    }
    Ok(diesel::update(tasks::table.find(task.id))
        .set((changes.clone(), tasks::version.eq(tasks::version + 1)))
        .returning(Task::as_returning())
        .get_result(connection)
        .await?)
}

pub fn stale_version(current: i32) -> crate::error::AppError {
    let mut error = conflict(format!(
        "the task was changed by someone else; it is now at version {current}"
    ));
    if let crate::error::AppError::Conflict { details, .. } = &mut error {
        details.push(("currentVersion", async_graphql::Value::from(current)));
    }
    error
}

/// Positions of the neighbours a task moved into `status` would sit between: the key right
/// after `anchor` (or before it when `before_anchor`), or the column's last key when no anchor.
pub async fn neighbour_positions(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    status: TaskStatus,
    anchor: Option<(&str, bool)>,
    excluding: Option<Uuid>,
) -> AppResult<(Option<String>, Option<String>)> {
    let column = tasks::table
        .filter(tasks::project_id.eq(project_id))
        .filter(tasks::status.eq(status))
        .filter(tasks::id.ne(excluding.unwrap_or_else(Uuid::nil)))
        .select(tasks::position);
    match anchor {
        None => {
            let last = column
                .order(tasks::position.desc())
                .first::<String>(connection)
                .await
                .optional()?;
            Ok((last, None))
        }
        Some((anchor, false)) => {
            let next = column
                .filter(tasks::position.gt(anchor))
                .order(tasks::position.asc())
                .first::<String>(connection)
                .await
                .optional()?;
            Ok((Some(anchor.to_string()), next))
        }
        Some((anchor, true)) => {
            let previous = column
                .filter(tasks::position.lt(anchor))
                .order(tasks::position.desc())
                .first::<String>(connection)
                .await
                .optional()?;
            Ok((previous, Some(anchor.to_string())))
        }
    }
}

#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    found: bool,
}

/// Would making `new_parent` the parent of `task_id` create a cycle? True when `task_id` is
/// `new_parent` itself or one of its ancestors.
pub async fn is_ancestor_or_self(
    connection: &mut AsyncPgConnection,
    task_id: Uuid,
    new_parent: Uuid,
) -> AppResult<bool> {
    let found: Found = diesel::sql_query(
        "WITH RECURSIVE ancestors(id, parent_id) AS (
             SELECT id, parent_id FROM tasks WHERE id = $1
             UNION
             SELECT t.id, t.parent_id FROM tasks t JOIN ancestors a ON t.id = a.parent_id
         )
         SELECT EXISTS(SELECT 1 FROM ancestors WHERE id = $2) AS found",
    )
    .bind::<SqlUuid, _>(new_parent)
    .bind::<SqlUuid, _>(task_id)
    .get_result(connection)
    .await?;
    Ok(found.found)
}

/// Deletes a task and all its subtasks; returns them, parents before children.
pub async fn delete_subtree(
    connection: &mut AsyncPgConnection,
    task_id: Uuid,
) -> AppResult<Vec<Task>> {
    let doomed: Vec<Task> = diesel::sql_query(
        "WITH RECURSIVE subtree AS (
             SELECT tasks.*, 0 AS depth FROM tasks WHERE id = $1
             UNION ALL
             SELECT t.*, s.depth + 1 FROM tasks t JOIN subtree s ON t.parent_id = s.id
         )
         SELECT * FROM subtree ORDER BY depth, id",
    )
    .bind::<SqlUuid, _>(task_id)
    .load(connection)
    .await?;
    diesel::delete(tasks::table.find(task_id))
        .execute(connection)
        .await?;
    Ok(doomed)
}

/// Subtasks of several tasks in board order (the subtask loader): each parent's from its own
/// range of the subtask index, so none is sorted. Rows come grouped by parent.
pub async fn subtasks_of(
    connection: &mut AsyncPgConnection,
    parent_ids: &[Uuid],
) -> AppResult<Vec<Task>> {
    let mut statement = Statement::new();
    statement
        .sql("SELECT s.* FROM unnest(")
        .bind(Bind::Uuids(parent_ids.to_vec()))
        .sql(
            "::uuid[]) AS p(id) CROSS JOIN LATERAL (SELECT tasks.* FROM tasks \
             WHERE parent_id = p.id ORDER BY status_rank, position, id) s",
        );
    Ok(statement.load(connection).await?)
}

/// (project, status, count) for several projects (the task-count loader).
pub async fn counts_by_status(
    connection: &mut AsyncPgConnection,
    project_ids: &[Uuid],
) -> AppResult<Vec<(Uuid, TaskStatus, i64)>> {
    Ok(tasks::table
        .filter(tasks::project_id.eq_any(project_ids))
        .group_by((tasks::project_id, tasks::status))
        .select((tasks::project_id, tasks::status, diesel::dsl::count_star()))
        .load(connection)
        .await?)
}

/// Orders a task list can be read in; ties are broken by id, so every order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum, Default)]
pub enum TaskOrder {
    /// Board order: by status column (TODO, IN_PROGRESS, BLOCKED, DONE), then position.
    #[default]
    Position,
    /// Oldest first.
    CreatedAt,
    /// Least recently changed first.
    UpdatedAt,
    /// Soonest due first; tasks without a due date last.
    DueAt,
    /// Most urgent first.
    Priority,
}

/// A task's place in one order: the sort key (text or integer) and the id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortKey {
    Text(String),
    Int(i64),
}

pub type TaskCursor = (SortKey, Uuid);

impl TaskOrder {
    /// A task's place in this order, as cursors carry it. Must agree with the order of the
    /// index columns the page statement reads (`tasks::pages`).
    pub fn sort_key(self, task: &Task) -> SortKey {
        match self {
            TaskOrder::Position => {
                let rank = task.status.column_rank();
                SortKey::Text(format!("{rank}{}", task.position))
            }
            TaskOrder::CreatedAt => SortKey::Int(task.created_at.timestamp_micros()),
            TaskOrder::UpdatedAt => SortKey::Int(task.updated_at.timestamp_micros()),
            TaskOrder::DueAt => {
                SortKey::Int(task.due_at.map_or(i64::MAX, |due| due.timestamp_micros()))
            }
            TaskOrder::Priority => SortKey::Int(task.priority.urgency_rank()),
        }
    }

    /// The order itself, as PostgreSQL sorts the index columns (text in byte order, uuids by
    /// their bytes), ties broken by id. Pages are put in this order after they are read, so the
    /// join plan PostgreSQL picks for the rows around a page cannot reorder it.
    pub fn compare(self, a: &Task, b: &Task) -> Ordering {
        let by_key = match self {
            TaskOrder::Position => board_order(a, b),
            TaskOrder::CreatedAt => a.created_at.cmp(&b.created_at),
            TaskOrder::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            TaskOrder::DueAt => match (a.due_at, b.due_at) {
                (Some(a), Some(b)) => a.cmp(&b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            TaskOrder::Priority => a.priority.urgency_rank().cmp(&b.priority.urgency_rank()),
        };
        by_key.then_with(|| a.id.cmp(&b.id))
    }
}

/// Board order without the id: status column, then position in it.
pub fn board_order(a: &Task, b: &Task) -> Ordering {
    (a.status.board_rank(), a.position.as_bytes())
        .cmp(&(b.status.board_rank(), b.position.as_bytes()))
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    pub assignee_id: Option<Uuid>,
    pub label: Option<String>,
    pub search: Option<String>,
}

/// One page request, shared by every project it is asked for in a nested query.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskPageQuery {
    pub filter: TaskFilter,
    pub order: TaskOrder,
    pub after: Option<TaskCursor>,
    /// Rows to fetch per project: the page size plus one, to tell whether more exist.
    pub fetch: i64,
    /// What the query will read of each task, fetched with the page in the same batch.
    pub prefetch: TaskPrefetch,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TaskPrefetch {
    pub assignees: bool,
    pub subtasks: bool,
    /// The columns of the page's own tasks that the query reads (their subtasks are read whole:
    /// they go to the subtask loader, which any other field of the request may ask).
    pub columns: TaskColumns,
}

/// A set of a task's columns beyond the ones every page reads (id, project, parent and the
/// order's key). A page's other columns come back empty: reading, materializing and sending
/// a board's descriptions, labels and timestamps cost PostgreSQL more than the page itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TaskColumns(u16);

impl TaskColumns {
    pub const TITLE: TaskColumns = TaskColumns(1);
    pub const DESCRIPTION: TaskColumns = TaskColumns(1 << 1);
    pub const STATUS: TaskColumns = TaskColumns(1 << 2);
    pub const PRIORITY: TaskColumns = TaskColumns(1 << 3);
    pub const ASSIGNEE: TaskColumns = TaskColumns(1 << 4);
    pub const DUE_AT: TaskColumns = TaskColumns(1 << 5);
    pub const LABELS: TaskColumns = TaskColumns(1 << 6);
    pub const POSITION: TaskColumns = TaskColumns(1 << 7);
    pub const VERSION: TaskColumns = TaskColumns(1 << 8);
    pub const CREATED_BY: TaskColumns = TaskColumns(1 << 9);
    pub const CREATED_AT: TaskColumns = TaskColumns(1 << 10);
    pub const UPDATED_AT: TaskColumns = TaskColumns(1 << 11);
    pub const ALL: TaskColumns = TaskColumns((1 << 12) - 1);

    pub fn with(self, other: TaskColumns) -> TaskColumns {
        TaskColumns(self.0 | other.0)
    }

    pub fn contains(self, other: TaskColumns) -> bool {
        self.0 & other.0 == other.0
    }

    /// The columns an order sorts and builds cursors by.
    pub fn of_order(order: TaskOrder) -> TaskColumns {
        match order {
            TaskOrder::Position => TaskColumns::STATUS.with(TaskColumns::POSITION),
            TaskOrder::CreatedAt => TaskColumns::CREATED_AT,
            TaskOrder::UpdatedAt => TaskColumns::UPDATED_AT,
            TaskOrder::DueAt => TaskColumns::DUE_AT,
            TaskOrder::Priority => TaskColumns::PRIORITY,
        }
    }
}

/// Every column, for a page whose reader is not known.
impl Default for TaskColumns {
    fn default() -> Self {
        TaskColumns::ALL
    }
}
