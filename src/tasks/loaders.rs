//! Batched task lookups: tasks by id, one page of a project's tasks (with what the query reads
//! of them), subtasks and status counts.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    db::DbPool,
    error::{AppError, AppResult},
    graphql::loaders::{parents_by_page, RequestLoad},
    tasks::{
        model::{Task, TaskStatus},
        pages as task_pages,
        store::{self as task_store, TaskOrder, TaskPageQuery},
    },
    users::model::User,
};

pub struct TaskLoader {
    pool: DbPool,
}

impl Loader<Uuid> for TaskLoader {
    type Value = Task;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Task>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let tasks = task_store::find_by_ids(&mut connection, keys).await?;
        Ok(tasks.into_iter().map(|task| (task.id, task)).collect())
    }
}

impl RequestLoad for TaskLoader {
    fn new(pool: DbPool) -> Self {
        TaskLoader { pool }
    }
}

/// A page of one project's tasks, with what the query reads of them (when prefetched).
#[derive(Debug, Clone, Default)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    pub assignees: Vec<User>,
    /// Subtasks by parent, with an entry (maybe empty) for every task of the page.
    pub subtasks: Vec<(Uuid, Vec<Task>)>,
}

/// One page of a project's tasks; keys asking the same page of different projects share a
/// statement. Assignees and subtasks, when the query reads them, come in that same statement
/// (`tasks::pages`): left to their own loaders, they would cost a statement each, and a large
/// page that resolves slower than the batching window would split them into several batches.
pub struct TaskPageLoader {
    pool: DbPool,
}

impl Loader<(Uuid, Arc<TaskPageQuery>)> for TaskPageLoader {
    type Value = TaskPage;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(Uuid, Arc<TaskPageQuery>)],
    ) -> Result<HashMap<(Uuid, Arc<TaskPageQuery>), TaskPage>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let mut pages = HashMap::with_capacity(keys.len());
        for (query, project_ids) in parents_by_page(keys) {
            for (project_id, page) in read_pages(&mut connection, &project_ids, &query).await? {
                pages.insert((project_id, query.clone()), page);
            }
        }
        Ok(pages)
    }
}

/// One page of `query` for each project, in one statement.
pub async fn read_pages(
    connection: &mut AsyncPgConnection,
    project_ids: &[Uuid],
    query: &TaskPageQuery,
) -> AppResult<HashMap<Uuid, TaskPage>> {
    let rows = task_pages::load_pages(connection, project_ids, query).await?;
    Ok(split_by_project(project_ids, rows, query))
}

/// Deals the rows of one page statement out to the projects they belong to.
fn split_by_project(
    project_ids: &[Uuid],
    rows: task_pages::PageRows,
    query: &TaskPageQuery,
) -> HashMap<Uuid, TaskPage> {
    let mut pages: HashMap<Uuid, TaskPage> = project_ids
        .iter()
        .map(|id| (*id, TaskPage::default()))
        .collect();
    for task in rows.tasks {
        if let Some(page) = pages.get_mut(&task.project_id) {
            page.tasks.push(task);
        }
    }
    let users: HashMap<Uuid, User> = rows
        .assignees
        .into_iter()
        .map(|user| (user.id, user))
        .collect();
    let mut by_parent: HashMap<Uuid, Vec<Task>> = HashMap::new();
    for subtask in rows.subtasks {
        if let Some(parent_id) = subtask.parent_id {
            by_parent.entry(parent_id).or_default().push(subtask);
        }
    }
    for subtasks in by_parent.values_mut() {
        subtasks.sort_by(|a, b| TaskOrder::Position.compare(a, b));
    }
    for page in pages.values_mut() {
        page.tasks.sort_by(|a, b| query.order.compare(a, b));
        if query.prefetch.subtasks {
            page.subtasks = page
                .tasks
                .iter()
                .map(|task| (task.id, by_parent.remove(&task.id).unwrap_or_default()))
                .collect();
        }
        if query.prefetch.assignees {
            let subtasks = page.subtasks.iter().flat_map(|(_, subtasks)| subtasks);
            let mut ids: Vec<Uuid> = page
                .tasks
                .iter()
                .chain(subtasks)
                .filter_map(|task| task.assignee_id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            page.assignees = ids.iter().filter_map(|id| users.get(id).cloned()).collect();
        }
    }
    pages
}

impl RequestLoad for TaskPageLoader {
    fn new(pool: DbPool) -> Self {
        TaskPageLoader { pool }
    }
}

/// Subtasks of a task, in board order.
pub struct SubtaskLoader {
    pool: DbPool,
}

impl Loader<Uuid> for SubtaskLoader {
    type Value = Vec<Task>;
    type Error = AppError;

    async fn load(&self, parent_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Task>>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let tasks = task_store::subtasks_of(&mut connection, parent_ids).await?;
        let mut grouped: HashMap<Uuid, Vec<Task>> =
            parent_ids.iter().map(|id| (*id, Vec::new())).collect();
        for task in tasks {
            if let Some(parent_id) = task.parent_id {
                grouped.entry(parent_id).or_default().push(task);
            }
        }
        for subtasks in grouped.values_mut() {
            subtasks.sort_by(|a, b| TaskOrder::Position.compare(a, b));
        }
        Ok(grouped)
    }
}

impl RequestLoad for SubtaskLoader {
    fn new(pool: DbPool) -> Self {
        SubtaskLoader { pool }
    }
}

/// How many tasks a project has in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts(pub HashMap<TaskStatus, i64>);

pub struct TaskCountLoader {
    pool: DbPool,
}

impl Loader<Uuid> for TaskCountLoader {
    type Value = StatusCounts;
    type Error = AppError;

    async fn load(&self, project_ids: &[Uuid]) -> Result<HashMap<Uuid, StatusCounts>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let rows = task_store::counts_by_status(&mut connection, project_ids).await?;
        let mut counts: HashMap<Uuid, StatusCounts> = project_ids
            .iter()
            .map(|id| (*id, StatusCounts::default()))
            .collect();
        for (project_id, status, count) in rows {
            if let Some(entry) = counts.get_mut(&project_id) {
                entry.0.insert(status, count);
            }
        }
        Ok(counts)
    }
}

impl RequestLoad for TaskCountLoader {
    fn new(pool: DbPool) -> Self {
        TaskCountLoader { pool }
    }
}
