//! Task queries. Takes a connection; knows nothing of GraphQL. Pages of tasks for many projects
//! come from one windowed statement, so a nested query costs one statement per level.

use diesel::{
    pg::Pg,
    prelude::*,
    sql_types::{Array, BigInt, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::authz::ProjectRole,
    db::schema::{project_members, projects, tasks},
    error::{conflict, AppResult},
    projects::model::Project,
    tasks::model::{NewTask, Task, TaskChanges, TaskStatus},
    users::store::escape_like,
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

/// Subtasks of several tasks in board order (the subtask loader).
pub async fn subtasks_of(
    connection: &mut AsyncPgConnection,
    parent_ids: &[Uuid],
) -> AppResult<Vec<Task>> {
    Ok(tasks::table
        .filter(tasks::parent_id.eq_any(parent_ids))
        .order((tasks::status.asc(), tasks::position.asc()))
        .select(Task::as_select())
        .load(connection)
        .await?)
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
    /// The SQL sort key. Must agree with `sort_key` below, which computes it in Rust for cursors.
    fn sql_key(self) -> &'static str {
        match self {
            TaskOrder::Position => {
                "((CASE status WHEN 'TODO' THEN '0' WHEN 'IN_PROGRESS' THEN '1' \
                 WHEN 'BLOCKED' THEN '2' ELSE '3' END) || position) COLLATE \"C\""
            }
            TaskOrder::CreatedAt => "(extract(epoch FROM created_at) * 1000000)::bigint",
            TaskOrder::UpdatedAt => "(extract(epoch FROM updated_at) * 1000000)::bigint",
            TaskOrder::DueAt => {
                "COALESCE((extract(epoch FROM due_at) * 1000000)::bigint, 9223372036854775807)"
            }
            TaskOrder::Priority => {
                "(CASE priority WHEN 'URGENT' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2 \
                 ELSE 3 END)::bigint"
            }
        }
    }

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
}

/// The first `query.fetch` matching tasks of each project, in one statement: a window function
/// numbers each project's rows and the outer query keeps the first ones.
pub async fn page_tasks(
    connection: &mut AsyncPgConnection,
    project_ids: &[Uuid],
    query: &TaskPageQuery,
) -> AppResult<Vec<Task>> {
    let key = query.order.sql_key();
    let mut conditions = vec!["project_id = ANY($1)".to_string()];
    let mut next_bind = 2;
    let mut placeholder = || {
        let current = next_bind;
        next_bind += 1;
        format!("${current}")
    };
    if query.filter.status.is_some() {
        conditions.push(format!("status = {}", placeholder()));
    }
    if query.filter.assignee_id.is_some() {
        conditions.push(format!("assignee_id = {}", placeholder()));
    }
    if query.filter.label.is_some() {
        conditions.push(format!("{} = ANY(labels)", placeholder()));
    }
    if query.filter.search.is_some() {
        let pattern = placeholder();
        conditions.push(format!(
            "(title ILIKE {pattern} OR description ILIKE {pattern})"
        ));
    }
    if let Some((sort_key, _)) = &query.after {
        let key_placeholder = placeholder();
        let id_placeholder = placeholder();
        let typed_key = match sort_key {
            SortKey::Text(_) => format!("{key_placeholder}::text COLLATE \"C\""),
            SortKey::Int(_) => format!("{key_placeholder}::bigint"),
        };
        conditions.push(format!("({key}, id) > ({typed_key}, {id_placeholder})"));
    }
    let limit = placeholder();
    let sql = format!(
        "SELECT * FROM (
             SELECT tasks.*, row_number() OVER (PARTITION BY project_id ORDER BY {key}, id) AS page_rank
             FROM tasks WHERE {}
         ) ranked
         WHERE page_rank <= {limit}
         ORDER BY project_id, page_rank",
        conditions.join(" AND ")
    );

    let mut statement = diesel::sql_query(sql)
        .into_boxed::<Pg>()
        .bind::<Array<SqlUuid>, _>(project_ids.to_vec());
    if let Some(status) = query.filter.status {
        statement = statement.bind::<Text, _>(status);
    }
    if let Some(assignee_id) = query.filter.assignee_id {
        statement = statement.bind::<SqlUuid, _>(assignee_id);
    }
    if let Some(label) = &query.filter.label {
        statement = statement.bind::<Text, _>(label.clone());
    }
    if let Some(search) = &query.filter.search {
        statement = statement.bind::<Text, _>(format!("%{}%", escape_like(search)));
    }
    if let Some((sort_key, id)) = &query.after {
        statement = match sort_key {
            SortKey::Text(text) => statement.bind::<Text, _>(text.clone()),
            SortKey::Int(number) => statement.bind::<BigInt, _>(*number),
        };
        statement = statement.bind::<SqlUuid, _>(*id);
    }
    statement = statement.bind::<BigInt, _>(query.fetch);
    Ok(statement.load(connection).await?)
}
