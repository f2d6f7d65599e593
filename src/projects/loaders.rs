//! Batched project lookups: projects by id, members with their users, activity pages.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use crate::{
    db::DbPool,
    error::AppError,
    events::log::{self, ActivityEvent},
    graphql::loaders::{parents_by_page, RequestLoad},
    projects::{
        model::{Project, ProjectMember},
        store as project_store,
    },
    users::model::User,
};

pub struct ProjectLoader {
    pool: DbPool,
}

impl Loader<Uuid> for ProjectLoader {
    type Value = Project;
    type Error = AppError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Project>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let projects = project_store::find_by_ids(&mut connection, keys).await?;
        Ok(projects
            .into_iter()
            .map(|project| (project.id, project))
            .collect())
    }
}

impl RequestLoad for ProjectLoader {
    fn new(pool: DbPool) -> Self {
        ProjectLoader { pool }
    }
}

/// Members of a project with their users (one joined statement for every project asked).
pub struct MemberLoader {
    pool: DbPool,
}

impl Loader<Uuid> for MemberLoader {
    type Value = Vec<(ProjectMember, User)>;
    type Error = AppError;

    async fn load(&self, project_ids: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let mut connection = self.pool.get().await?;
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

impl RequestLoad for MemberLoader {
    fn new(pool: DbPool) -> Self {
        MemberLoader { pool }
    }
}

/// Which page of a project's activity: older than `before_seq` (none: the newest), `limit` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActivityPage {
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// One page of a project's activity, newest first, with one event more than the page when there
/// are more; keys asking the same page of different projects share a statement, so
/// `projects { activity }` is one statement for the listed projects, not one per project.
pub struct ActivityPageLoader {
    pool: DbPool,
}

impl Loader<(Uuid, ActivityPage)> for ActivityPageLoader {
    type Value = Vec<Arc<ActivityEvent>>;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(Uuid, ActivityPage)],
    ) -> Result<HashMap<(Uuid, ActivityPage), Self::Value>, Self::Error> {
        let mut connection = self.pool.get().await?;
        let mut pages: HashMap<_, Self::Value> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (page, project_ids) in parents_by_page(keys) {
            let events =
                log::pages_newest_first(&mut connection, &project_ids, page.before_seq, page.limit)
                    .await?;
            for event in events {
                if let Some(events) = pages.get_mut(&(event.project_id, page)) {
                    events.push(Arc::new(event));
                }
            }
        }
        for events in pages.values_mut() {
            events.sort_unstable_by_key(|event| std::cmp::Reverse(event.seq));
        }
        Ok(pages)
    }
}

impl RequestLoad for ActivityPageLoader {
    fn new(pool: DbPool) -> Self {
        ActivityPageLoader { pool }
    }
}
