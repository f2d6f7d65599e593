//! The page statement of `project.tasks`: one page of tasks for each of many projects, and, when
//! the query reads them, the assignees and subtasks of those pages, in one statement. Each
//! project's page is an index range scan in the order's own index (`LATERAL (… ORDER BY <key>
//! LIMIT n)`, keyset after the cursor) and each task's subtasks one in the subtask index, so the
//! work follows the page, never the size of the project. Knows nothing of GraphQL.

use chrono::{DateTime, Utc};
use diesel::{
    sql_types::{Array, Bool, Int4, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid},
    Queryable,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    db::statement::{Bind, Statement},
    error::{bad_input, AppResult},
    tasks::{
        model::Task,
        store::{SortKey, TaskColumns, TaskOrder, TaskPageQuery},
    },
    users::{model::User, store::escape_like},
};

/// What one page statement returns: every project's page in its order (projects interleaved),
/// the subtasks of those tasks (each parent's in board order) and the users they are assigned to.
#[derive(Debug, Default)]
pub struct PageRows {
    pub tasks: Vec<Task>,
    pub subtasks: Vec<Task>,
    pub assignees: Vec<User>,
}

/// The first `query.fetch` tasks of each project after the cursor, with what the query prefetches.
pub async fn load_pages(
    connection: &mut AsyncPgConnection,
    project_ids: &[Uuid],
    query: &TaskPageQuery,
) -> AppResult<PageRows> {
    let rows: Vec<PageRow> = page_statement(project_ids, query)?
        .with_row_types::<PageRowTypes>()
        .load(connection)
        .await?;
    let mut pages = PageRows::default();
    for row in rows {
        if let Some(user) = row.assignee(&row.task) {
            pages.assignees.push(user);
        }
        match row.part {
            PAGE => pages.tasks.push(row.task),
            _ => pages.subtasks.push(row.task),
        }
    }
    pages.assignees.sort_unstable_by_key(|user| user.id);
    pages.assignees.dedup_by_key(|user| user.id);
    Ok(pages)
}

/// `EXPLAIN (ANALYZE, FORMAT JSON)` of the very statement `load_pages` runs: how tests (and an
/// operator chasing a slow board) see that each page is an index range scan.
pub async fn explain_pages(
    connection: &mut AsyncPgConnection,
    project_ids: &[Uuid],
    query: &TaskPageQuery,
) -> AppResult<serde_json::Value> {
    Ok(page_statement(project_ids, query)?
        .explain_analyze(connection)
        .await?)
}

const PAGE: i16 = 0;

/// A row of the page statement, read by position: the columns of `select_list`, in order.
#[derive(Queryable)]
struct PageRow {
    task: Task,
    /// `PAGE` for a row of a project's page, otherwise a subtask of one.
    part: i16,
    assignee_email: Option<String>,
    assignee_password_hash: Option<String>,
    assignee_display_name: Option<String>,
    assignee_is_admin: Option<bool>,
    assignee_created_at: Option<DateTime<Utc>>,
    assignee_updated_at: Option<DateTime<Utc>>,
}

/// The SQL types of `PageRow`'s columns: a task's (`TASK_COLUMNS`), the part, the assignee's.
type PageRowTypes = (
    (
        SqlUuid,
        SqlUuid,
        Nullable<SqlUuid>,
        Text,
        Text,
        Text,
        Text,
        Nullable<SqlUuid>,
        Nullable<Timestamptz>,
        Array<Text>,
        Text,
        Int4,
        Nullable<SqlUuid>,
        Timestamptz,
        Timestamptz,
    ),
    SmallInt,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Bool>,
    Nullable<Timestamptz>,
    Nullable<Timestamptz>,
);

/// A task's columns in the order of `Task`'s fields (and `PageRowTypes`): each column's name,
/// the set that reads it (`None`: every page reads it) and the value standing in for it when
/// the query does not read it (of the column's type, and a valid value of the field).
const TASK_COLUMNS: [(&str, Option<TaskColumns>, &str); 15] = [
    ("id", None, ""),
    ("project_id", None, ""),
    ("parent_id", None, ""),
    ("title", Some(TaskColumns::TITLE), "''::text"),
    ("description", Some(TaskColumns::DESCRIPTION), "''::text"),
    ("status", Some(TaskColumns::STATUS), "'TODO'::text"),
    ("priority", Some(TaskColumns::PRIORITY), "'MEDIUM'::text"),
    ("assignee_id", Some(TaskColumns::ASSIGNEE), "NULL::uuid"),
    ("due_at", Some(TaskColumns::DUE_AT), "NULL::timestamptz"),
    ("labels", Some(TaskColumns::LABELS), "'{}'::text[]"),
    ("position", Some(TaskColumns::POSITION), "''::text"),
    ("version", Some(TaskColumns::VERSION), "0"),
    ("created_by", Some(TaskColumns::CREATED_BY), "NULL::uuid"),
    (
        "created_at",
        Some(TaskColumns::CREATED_AT),
        "'epoch'::timestamptz",
    ),
    (
        "updated_at",
        Some(TaskColumns::UPDATED_AT),
        "'epoch'::timestamptz",
    ),
];

fn reads(columns: TaskColumns, column: Option<TaskColumns>) -> bool {
    column.is_none_or(|column| columns.contains(column))
}

/// The columns of `table` that `columns` reads, for the page's CTE.
fn read_columns(table: &str, columns: TaskColumns) -> String {
    TASK_COLUMNS
        .iter()
        .filter(|(_, set, _)| reads(columns, *set))
        .map(|(column, _, _)| format!("{table}.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every column of a task from `table`, the ones `columns` does not read as their stand-ins.
fn page_columns(table: &str, columns: TaskColumns) -> String {
    TASK_COLUMNS
        .map(|(column, set, stand_in)| {
            if reads(columns, set) {
                format!("{table}.{column}")
            } else {
                format!("{stand_in} AS {column}")
            }
        })
        .join(", ")
}

impl PageRow {
    fn assignee(&self, task: &Task) -> Option<User> {
        Some(User {
            id: task.assignee_id?,
            email: self.assignee_email.clone()?,
            password_hash: self.assignee_password_hash.clone()?,
            display_name: self.assignee_display_name.clone()?,
            is_admin: self.assignee_is_admin?,
            created_at: self.assignee_created_at?,
            updated_at: self.assignee_updated_at?,
        })
    }
}

const ASSIGNEE_COLUMNS: &str =
    "u.email AS assignee_email, u.password_hash AS assignee_password_hash, \
     u.display_name AS assignee_display_name, u.is_admin AS assignee_is_admin, \
     u.created_at AS assignee_created_at, u.updated_at AS assignee_updated_at";
const NO_ASSIGNEE_COLUMNS: &str =
    "NULL::text AS assignee_email, NULL::text AS assignee_password_hash, \
     NULL::text AS assignee_display_name, NULL::bool AS assignee_is_admin, \
     NULL::timestamptz AS assignee_created_at, NULL::timestamptz AS assignee_updated_at";

/// The columns of an order's index after `project_id`, which is also its `ORDER BY`.
fn order_columns(order: TaskOrder) -> &'static str {
    match order {
        TaskOrder::Position => "status_rank, position, id",
        TaskOrder::CreatedAt => "created_at, id",
        TaskOrder::UpdatedAt => "updated_at, id",
        TaskOrder::DueAt => "COALESCE(due_at, 'infinity'::timestamptz), id",
        TaskOrder::Priority => "priority_rank, id",
    }
}

/// A cursor's position as the values of the order's index columns.
enum After {
    Board(i16, String, Uuid),
    Time(DateTime<Utc>, Uuid),
    /// A due date; none: among the tasks without one.
    Due(Option<DateTime<Utc>>, Uuid),
    Rank(i16, Uuid),
}

fn not_a_cursor() -> crate::error::AppError {
    bad_input("after", "is not a cursor returned by this API")
}

fn micros(value: i64) -> AppResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(value).ok_or_else(not_a_cursor)
}

impl After {
    fn parse(order: TaskOrder, key: &SortKey, id: Uuid) -> AppResult<After> {
        Ok(match (order, key) {
            (TaskOrder::Position, SortKey::Text(text)) => {
                let mut chars = text.chars();
                let rank = chars
                    .next()
                    .and_then(|rank| rank.to_digit(10))
                    .ok_or_else(not_a_cursor)?;
                After::Board(rank as i16, chars.as_str().to_string(), id)
            }
            (TaskOrder::CreatedAt | TaskOrder::UpdatedAt, SortKey::Int(value)) => {
                After::Time(micros(*value)?, id)
            }
            (TaskOrder::DueAt, SortKey::Int(i64::MAX)) => After::Due(None, id),
            (TaskOrder::DueAt, SortKey::Int(value)) => After::Due(Some(micros(*value)?), id),
            (TaskOrder::Priority, SortKey::Int(value)) => {
                After::Rank(i16::try_from(*value).map_err(|_| not_a_cursor())?, id)
            }
            _ => return Err(not_a_cursor()),
        })
    }
}

/// Builds the statement. Its text depends only on the order, which filters are set, whether
/// there is a cursor and what is prefetched, so each variant is prepared once per connection.
fn page_statement(project_ids: &[Uuid], query: &TaskPageQuery) -> AppResult<Statement> {
    let after = query
        .after
        .as_ref()
        .map(|(key, id)| After::parse(query.order, key, *id))
        .transpose()?;
    let columns = order_columns(query.order);
    let mut statement = Statement::new();
    statement
        .sql(&format!(
            "WITH page AS MATERIALIZED (SELECT {} FROM unnest(",
            read_columns("t", query.prefetch.columns)
        ))
        .bind(Bind::Uuids(project_ids.to_vec()))
        .sql("::uuid[]) AS p(id) CROSS JOIN LATERAL (SELECT tasks.* FROM tasks WHERE project_id = p.id");
    match query.filter.status {
        // In board order a status filter narrows the index range itself.
        Some(status) if query.order == TaskOrder::Position => {
            statement
                .sql(" AND status_rank = ")
                .bind(Bind::SmallInt(status.board_rank()));
        }
        Some(status) => {
            statement
                .sql(" AND status = ")
                .bind(Bind::Name(status.stored_name()));
        }
        None => {}
    }
    if let Some(assignee_id) = query.filter.assignee_id {
        statement
            .sql(" AND assignee_id = ")
            .bind(Bind::Uuid(assignee_id));
    }
    if let Some(label) = &query.filter.label {
        statement
            .sql(" AND ")
            .bind(Bind::Text(label.clone()))
            .sql(" = ANY(labels)");
    }
    if let Some(search) = &query.filter.search {
        let pattern = format!("%{}%", escape_like(search));
        statement
            .sql(" AND (title ILIKE ")
            .bind(Bind::Text(pattern.clone()))
            .sql(" OR description ILIKE ")
            .bind(Bind::Text(pattern))
            .sql(")");
    }
    if let Some(after) = after {
        statement.sql(&format!(" AND ({columns}) > ("));
        match after {
            After::Board(rank, position, id) => statement
                .bind(Bind::SmallInt(rank))
                .sql(", ")
                .bind(Bind::Text(position))
                .sql(", ")
                .bind(Bind::Uuid(id)),
            After::Time(at, id) => statement
                .bind(Bind::Time(at))
                .sql(", ")
                .bind(Bind::Uuid(id)),
            After::Due(due, id) => statement
                .sql("COALESCE(")
                .bind(Bind::MaybeTime(due))
                .sql(", 'infinity'::timestamptz), ")
                .bind(Bind::Uuid(id)),
            After::Rank(rank, id) => statement
                .bind(Bind::SmallInt(rank))
                .sql(", ")
                .bind(Bind::Uuid(id)),
        };
        statement.sql(")");
    }
    statement
        .sql(&format!(" ORDER BY {columns} LIMIT "))
        .bind(Bind::BigInt(query.fetch))
        .sql(") t) ");
    let (assignee_columns, assignee_join, subtask_assignee_join) = if query.prefetch.assignees {
        (
            ASSIGNEE_COLUMNS,
            " LEFT JOIN users u ON u.id = page.assignee_id",
            " LEFT JOIN users u ON u.id = s.assignee_id",
        )
    } else {
        (NO_ASSIGNEE_COLUMNS, "", "")
    };
    statement.sql(&format!(
        "SELECT {}, {PAGE}::smallint AS part, {assignee_columns} FROM page{assignee_join}",
        page_columns("page", query.prefetch.columns)
    ));
    if query.prefetch.subtasks {
        statement.sql(&format!(
            " UNION ALL SELECT {}, 1::smallint AS part, {assignee_columns} \
             FROM page CROSS JOIN LATERAL (SELECT tasks.* FROM tasks WHERE parent_id = page.id \
             ORDER BY status_rank, position, id) s{subtask_assignee_join}",
            page_columns("s", TaskColumns::ALL)
        ));
    }
    Ok(statement)
}
