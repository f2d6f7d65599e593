//! A project's task connection (`project.tasks`): its arguments, resolved through the page
//! loader so that the same page of many projects is one statement.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    connection::Connection, Context, InputObject, InputType, Lookahead, SelectionField, ID,
};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    auth::authz::ProjectAccess,
    error::AppResult,
    graphql::{
        ids::decode_id,
        loaders::Loaders,
        pagination::{connection_from_rows, decode_cursor, page_size, PageCursor},
    },
    tasks::{
        loaders::{read_pages, SubtaskLoader, TaskPageLoader},
        model::{normalize_labels, TaskStatus},
        store::{TaskColumns, TaskCursor, TaskFilter, TaskOrder, TaskPageQuery, TaskPrefetch},
        views::{BoardTask, TaskNode},
    },
    users::{
        loaders::UserLoader,
        model::{User, USER_TYPE},
    },
};

/// Which tasks `project.tasks` lists; every given condition must hold.
#[derive(InputObject, Default)]
pub struct TaskFilterInput {
    /// Only tasks in this status.
    status: Option<TaskStatus>,
    /// Only tasks assigned to this user (a `User` id, else `BAD_USER_INPUT`).
    assignee_id: Option<ID>,
    /// Only tasks with this label, normalized like task labels (lower case, hyphens for spaces,
    /// at most 50 characters).
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
    /// The arguments of a `tasks` field seen ahead from a parent list's resolver (variables
    /// applied); `None` when one does not parse, which the field's own resolver then reports.
    pub fn from_selection(field: &SelectionField<'_>) -> Option<Self> {
        let arguments = field.arguments().ok()?;
        let argument = |name: &str| {
            arguments
                .iter()
                .find(|(argument, _)| argument.as_str() == name)
                .map(|(_, value)| value.clone())
        };
        Some(TaskConnectionArgs {
            first: InputType::parse(argument("first")).ok()?,
            after: InputType::parse(argument("after")).ok()?,
            filter: InputType::parse(argument("filter")).ok()?,
            order_by: Option::<TaskOrder>::parse(argument("orderBy"))
                .ok()?
                .unwrap_or_default(),
        })
    }

    /// The page statement these arguments ask for, reading `connection` (the `tasks` field's
    /// selection: its `edges.node` and `nodes`) for what to read and prefetch with it; and the
    /// page size.
    pub fn page_query(&self, connection: Lookahead<'_>) -> AppResult<(i64, Arc<TaskPageQuery>)> {
        let limit = page_size(self.first)?;
        let after: Option<TaskCursor> = self
            .after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        let filter = self.filter.as_ref();
        let filter = TaskFilter {
            status: filter.and_then(|filter| filter.status),
            assignee_id: filter
                .and_then(|filter| filter.assignee_id.as_ref())
                .map(|id| decode_id(USER_TYPE, "filter.assigneeId", id))
                .transpose()?,
            label: filter
                .and_then(|filter| filter.label.clone())
                .map(|label| normalize_labels("filter.label", &[label]))
                .transpose()?
                .and_then(|labels| labels.into_iter().next()),
            search: filter
                .and_then(|filter| filter.search.clone())
                .filter(|text| !text.trim().is_empty()),
        };
        let query = TaskPageQuery {
            filter,
            order: self.order_by,
            after,
            fetch: limit + 1,
            prefetch: TaskPrefetch {
                assignees: reads(&connection, "assignee"),
                subtasks: reads(&connection, "subtasks"),
                columns: read_columns(&connection, self.order_by),
            },
        };
        Ok((limit, Arc::new(query)))
    }

    pub async fn load(
        self,
        ctx: &Context<'_>,
        project_id: Uuid,
        access: ProjectAccess,
    ) -> AppResult<Connection<PageCursor, BoardTask>> {
        let (limit, query) = self.page_query(ctx.look_ahead())?;
        let has_previous = query.after.is_some();
        let order = query.order;
        let page = Loaders::get::<TaskPageLoader>(ctx)
            .load_one((project_id, query))
            .await?
            .unwrap_or_default();
        // A page has few distinct assignees: each is shared by its tasks, and handed to the
        // loader for the subtasks' and any other resolver's `assignee`.
        let assignees: HashMap<Uuid, Arc<User>> = page
            .assignees
            .into_iter()
            .map(|user| (user.id, Arc::new(user)))
            .collect();
        Loaders::get::<UserLoader>(ctx)
            .feed_many(assignees.iter().map(|(id, user)| (*id, User::clone(user))))
            .await;
        Loaders::get::<SubtaskLoader>(ctx)
            .feed_many(page.subtasks)
            .await;
        let nodes = page
            .tasks
            .into_iter()
            .map(|task| BoardTask {
                assignee: task.assignee_id.and_then(|id| assignees.get(&id).cloned()),
                node: TaskNode { task, access },
            })
            .collect();
        Ok(connection_from_rows(
            nodes,
            limit,
            has_previous,
            |board: &BoardTask| (order.sort_key(&board.node.task), board.node.task.id),
        ))
    }
}

/// Whether a task connection's tasks (`edges.node` or `nodes`) are asked for `field`.
fn reads(connection: &Lookahead<'_>, field: &str) -> bool {
    connection
        .field("edges")
        .field("node")
        .field(field)
        .exists()
        || connection.field("nodes").field(field).exists()
}

/// The columns a task connection's selection reads of its tasks, by the `Task` fields that
/// show them; `id`, `project`, `parent` and `subtasks` need only the columns every page reads.
fn read_columns(connection: &Lookahead<'_>, order: TaskOrder) -> TaskColumns {
    [
        ("title", TaskColumns::TITLE),
        ("description", TaskColumns::DESCRIPTION),
        ("status", TaskColumns::STATUS),
        ("priority", TaskColumns::PRIORITY),
        ("assignee", TaskColumns::ASSIGNEE),
        ("dueAt", TaskColumns::DUE_AT),
        ("labels", TaskColumns::LABELS),
        ("position", TaskColumns::POSITION),
        ("version", TaskColumns::VERSION),
        ("createdBy", TaskColumns::CREATED_BY),
        ("createdAt", TaskColumns::CREATED_AT),
        ("updatedAt", TaskColumns::UPDATED_AT),
    ]
    .into_iter()
    .filter(|(field, _)| reads(connection, field))
    .fold(TaskColumns::of_order(order), |columns, (_, column)| {
        columns.with(column)
    })
}

/// Reads, in one statement per distinct page, the `tasks` pages that a list of projects'
/// selection (`edges.node`) asks for, and hands them to the page loader: the projects' own
/// `tasks` resolvers then find them there instead of depending on the loader's batching
/// window, which a busy host misses (100 projects came out as ~33 statements).
pub async fn prefetch_pages(
    ctx: &Context<'_>,
    connection: &mut AsyncPgConnection,
    project_node: Lookahead<'_>,
    project_ids: &[Uuid],
) -> AppResult<()> {
    if project_ids.is_empty() {
        return Ok(());
    }
    let mut queries: Vec<Arc<TaskPageQuery>> = Vec::new();
    for field in project_node.field("tasks").selection_fields() {
        let Some(arguments) = TaskConnectionArgs::from_selection(&field) else {
            continue;
        };
        if let Ok((_, query)) = arguments.page_query(Lookahead::from(field)) {
            if !queries.contains(&query) {
                queries.push(query);
            }
        }
    }
    let loader = Loaders::get::<TaskPageLoader>(ctx);
    for query in queries {
        let pages = read_pages(connection, project_ids, &query).await?;
        loader
            .feed_many(
                pages
                    .into_iter()
                    .map(|(project_id, page)| ((project_id, query.clone()), page)),
            )
            .await;
    }
    Ok(())
}
