//! Per-request dataloaders: every "belongs to" edge batches its lookups into one statement, so a
//! nested query costs a number of statements bounded by its depth, not by its row count.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    db::{DbPool, PooledConnection},
    error::{AppError, AppResult},
    projects::{
        model::{Project, ProjectMember},
        store as project_store,
    },
    tasks::{
        model::{Task, TaskStatus},
        store::{self as task_store, TaskPageQuery},
    },
    users::{model::User, store as user_store},
};

type LoadError = AppError;

async fn connection(pool: &DbPool) -> Result<PooledConnection<'_>, LoadError> {
    Ok(pool.get().await?)
}

pub struct UserLoader {
    pool: DbPool,
}

impl Loader<Uuid> for UserLoader {
    type Value = User;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, User>, Self::Error> {
        let mut connection = connection(&self.pool).await?;
        let users = user_store::find_by_ids(&mut connection, keys).await?;
        Ok(users.into_iter().map(|user| (user.id, user)).collect())
    }
}

pub struct ProjectLoader {
    pool: DbPool,
}

impl Loader<Uuid> for ProjectLoader {
    type Value = Project;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Project>, Self::Error> {
        let mut connection = connection(&self.pool).await?;
        let projects = project_store::find_by_ids(&mut connection, keys).await?;
        Ok(projects
            .into_iter()
            .map(|project| (project.id, project))
            .collect())
    }
}

pub struct TaskLoader {
    pool: DbPool,
}

impl Loader<Uuid> for TaskLoader {
    type Value = Task;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Task>, Self::Error> {
        let mut connection = connection(&self.pool).await?;
        let tasks = task_store::find_by_ids(&mut connection, keys).await?;
        Ok(tasks.into_iter().map(|task| (task.id, task)).collect())
    }
}

/// Members of a project with their users (one joined statement for every project asked).
pub struct MemberLoader {
    pool: DbPool,
}

impl Loader<Uuid> for MemberLoader {
    type Value = Vec<(ProjectMember, User)>;
    type Error = LoadError;

    async fn load(&self, project_ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut connection = connection(&self.pool).await?;
        let rows = project_store::members_with_users(&mut connection, project_ids).await?;
        let mut grouped: HashMap<Uuid, Self::Value> =
            project_ids.iter().map(|id| (*id, Vec::new())).collect();
        for (member, user) in rows {
            grouped
                .entry(member.project_id)
                .or_default()
                .push((member, user));
        }
        Ok(grouped)
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
/// statement. Assignees and subtasks, when the query reads them, come in the same batch: left
/// to their own loaders, a large page that resolves slower than the batching window would split
/// them into several batches, and the statement count would grow with the data.
pub struct TaskPageLoader {
    pool: DbPool,
}

impl Loader<(Uuid, Arc<TaskPageQuery>)> for TaskPageLoader {
    type Value = TaskPage;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(Uuid, Arc<TaskPageQuery>)],
    ) -> Result<HashMap<(Uuid, Arc<TaskPageQuery>), TaskPage>, Self::Error> {
        let mut by_query: HashMap<Arc<TaskPageQuery>, Vec<Uuid>> = HashMap::new();
        for (project_id, query) in keys {
            by_query.entry(query.clone()).or_default().push(*project_id);
        }
        let mut connection = connection(&self.pool).await?;
        let mut pages: HashMap<(Uuid, Arc<TaskPageQuery>), TaskPage> = HashMap::new();
        for (query, project_ids) in by_query {
            let tasks = task_store::page_tasks(&mut connection, &project_ids, &query).await?;
            for project_id in &project_ids {
                pages.insert((*project_id, query.clone()), TaskPage::default());
            }
            for task in tasks {
                if let Some(page) = pages.get_mut(&(task.project_id, query.clone())) {
                    page.tasks.push(task);
                }
            }
        }
        let prefetch = keys
            .first()
            .map(|(_, query)| query.prefetch)
            .unwrap_or_default();
        if prefetch.assignees {
            attach_assignees(&mut connection, &mut pages).await?;
        }
        if prefetch.subtasks {
            attach_subtasks(&mut connection, &mut pages).await?;
        }
        Ok(pages)
    }
}

type Pages = HashMap<(Uuid, Arc<TaskPageQuery>), TaskPage>;

async fn attach_assignees(
    connection: &mut AsyncPgConnection,
    pages: &mut Pages,
) -> Result<(), LoadError> {
    let mut assignee_ids: Vec<Uuid> = pages
        .values()
        .flat_map(|page| page.tasks.iter().filter_map(|task| task.assignee_id))
        .collect();
    assignee_ids.sort_unstable();
    assignee_ids.dedup();
    if assignee_ids.is_empty() {
        return Ok(());
    }
    let users: HashMap<Uuid, User> = user_store::find_by_ids(connection, &assignee_ids)
        .await?
        .into_iter()
        .map(|user| (user.id, user))
        .collect();
    for page in pages.values_mut() {
        let mut ids: Vec<Uuid> = page
            .tasks
            .iter()
            .filter_map(|task| task.assignee_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        page.assignees = ids.iter().filter_map(|id| users.get(id).cloned()).collect();
    }
    Ok(())
}

async fn attach_subtasks(
    connection: &mut AsyncPgConnection,
    pages: &mut Pages,
) -> Result<(), LoadError> {
    let parent_ids: Vec<Uuid> = pages
        .values()
        .flat_map(|page| page.tasks.iter().map(|task| task.id))
        .collect();
    if parent_ids.is_empty() {
        return Ok(());
    }
    let mut by_parent: HashMap<Uuid, Vec<Task>> = HashMap::new();
    for subtask in task_store::subtasks_of(connection, &parent_ids).await? {
        if let Some(parent_id) = subtask.parent_id {
            by_parent.entry(parent_id).or_default().push(subtask);
        }
    }
    for page in pages.values_mut() {
        page.subtasks = page
            .tasks
            .iter()
            .map(|task| (task.id, by_parent.remove(&task.id).unwrap_or_default()))
            .collect();
    }
    Ok(())
}

/// Subtasks of a task, in board order.
pub struct SubtaskLoader {
    pool: DbPool,
}

impl Loader<Uuid> for SubtaskLoader {
    type Value = Vec<Task>;
    type Error = LoadError;

    async fn load(&self, parent_ids: &[Uuid]) -> Result<HashMap<Uuid, Vec<Task>>, Self::Error> {
        let mut connection = connection(&self.pool).await?;
        let tasks = task_store::subtasks_of(&mut connection, parent_ids).await?;
        let mut grouped: HashMap<Uuid, Vec<Task>> =
            parent_ids.iter().map(|id| (*id, Vec::new())).collect();
        for task in tasks {
            if let Some(parent_id) = task.parent_id {
                grouped.entry(parent_id).or_default().push(task);
            }
        }
        Ok(grouped)
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
    type Error = LoadError;

    async fn load(&self, project_ids: &[Uuid]) -> Result<HashMap<Uuid, StatusCounts>, Self::Error> {
        let mut connection = connection(&self.pool).await?;
        let rows = task_store::counts_by_status(&mut connection, project_ids).await?;
        let mut counts: HashMap<Uuid, StatusCounts> = project_ids
            .iter()
            .map(|id| (*id, StatusCounts::default()))
            .collect();
        for (project_id, status, count) in rows {
            if let (Some(entry), Some(status)) =
                (counts.get_mut(&project_id), TaskStatus::parse(&status))
            {
                entry.0.insert(status, count);
            }
        }
        Ok(counts)
    }
}

/// A loader that remembers what it loaded for the rest of the request.
type RequestLoader<T> = DataLoader<T, HashMapCache>;

fn request_loader<T: Send + Sync + 'static>(loader: T) -> RequestLoader<T> {
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default())
}

pub struct PipelineLoader {
    pool: DbPool,
}

impl Loader<Uuid> for PipelineLoader {
    type Value = crate::pipelines::model::Pipeline;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut connection = connection(&self.pool).await?;
        let pipelines = crate::pipelines::store::find_by_ids(&mut connection, ids).await?;
        Ok(pipelines
            .into_iter()
            .map(|pipeline| (pipeline.id, pipeline))
            .collect())
    }
}

/// Nodes and connections of a pipeline: two statements for every pipeline asked.
pub struct PipelineGraphLoader {
    pool: DbPool,
}

pub type PipelineGraph = (
    Vec<crate::pipelines::model::PipelineNode>,
    Vec<crate::pipelines::model::PipelineConnection>,
);

impl Loader<Uuid> for PipelineGraphLoader {
    type Value = PipelineGraph;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, PipelineGraph>, Self::Error> {
        use crate::pipelines::store as pipeline_store;
        let mut connection = connection(&self.pool).await?;
        let mut graphs: HashMap<Uuid, PipelineGraph> =
            ids.iter().map(|id| (*id, Default::default())).collect();
        for node in pipeline_store::nodes_of(&mut connection, ids).await? {
            graphs.entry(node.pipeline_id).or_default().0.push(node);
        }
        for wire in pipeline_store::connections_of(&mut connection, ids).await? {
            graphs.entry(wire.pipeline_id).or_default().1.push(wire);
        }
        Ok(graphs)
    }
}

/// The dataloaders of one request (or WebSocket connection), built on first use: most
/// subscribers of a busy socket never need one, and seven idle loaders per socket add up.
pub struct Loaders {
    pool: DbPool,
    cached: bool,
    /// Boxed: an unbuilt set then costs a pointer, not the set's full size.
    set: OnceLock<Box<LoaderSet>>,
}

/// The loaders themselves; fresh per request so nothing is cached across viewers.
impl LoaderSet {
    /// The user an optional reference points at: the many "who did this" edges.
    pub async fn user(&self, id: Option<Uuid>) -> AppResult<Option<User>> {
        match id {
            Some(id) => self.users.load_one(id).await,
            None => Ok(None),
        }
    }
}

pub struct LoaderSet {
    pub users: RequestLoader<UserLoader>,
    pub projects: RequestLoader<ProjectLoader>,
    pub tasks: RequestLoader<TaskLoader>,
    pub members: RequestLoader<MemberLoader>,
    pub task_pages: RequestLoader<TaskPageLoader>,
    pub subtasks: RequestLoader<SubtaskLoader>,
    pub task_counts: RequestLoader<TaskCountLoader>,
    pub pipeline_graphs: RequestLoader<PipelineGraphLoader>,
    pub pipelines: RequestLoader<PipelineLoader>,
}

impl Loaders {
    pub fn new(pool: &DbPool) -> Self {
        Loaders {
            pool: pool.clone(),
            cached: true,
            set: OnceLock::new(),
        }
    }

    /// Loaders that batch but never cache, for long-lived WebSocket connections, where cached
    /// rows would go stale.
    pub fn without_cache(pool: &DbPool) -> Self {
        Loaders {
            cached: false,
            ..Self::new(pool)
        }
    }

    pub fn from_ctx<'a>(ctx: &async_graphql::Context<'a>) -> &'a LoaderSet {
        ctx.data_unchecked::<Loaders>().set()
    }

    fn set(&self) -> &LoaderSet {
        self.set.get_or_init(|| {
            let pool = &self.pool;
            let set = Box::new(LoaderSet {
                users: request_loader(UserLoader { pool: pool.clone() }),
                projects: request_loader(ProjectLoader { pool: pool.clone() }),
                tasks: request_loader(TaskLoader { pool: pool.clone() }),
                members: request_loader(MemberLoader { pool: pool.clone() }),
                task_pages: request_loader(TaskPageLoader { pool: pool.clone() }),
                subtasks: request_loader(SubtaskLoader { pool: pool.clone() }),
                task_counts: request_loader(TaskCountLoader { pool: pool.clone() }),
                pipeline_graphs: request_loader(PipelineGraphLoader { pool: pool.clone() }),
                pipelines: request_loader(PipelineLoader { pool: pool.clone() }),
            });
            if !self.cached {
                set.users.enable_all_cache(false);
                set.projects.enable_all_cache(false);
                set.tasks.enable_all_cache(false);
                set.members.enable_all_cache(false);
                set.task_pages.enable_all_cache(false);
                set.subtasks.enable_all_cache(false);
                set.task_counts.enable_all_cache(false);
                set.pipeline_graphs.enable_all_cache(false);
                set.pipelines.enable_all_cache(false);
            }
            set
        })
    }
}
