//! Batched project lookups: projects by id and members with their users.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use crate::{
    db::DbPool,
    error::AppError,
    graphql::loaders::RequestLoad,
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
