//! Where a viewer stands in a project, read from the membership table: the one lookup behind
//! every project permission check, shared by queries, the unit of work and subscription streams.
//! It reads; it decides nothing (that is `authz`).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    auth::{
        authz::{ProjectAccess, ProjectPermission, ProjectRole},
        viewer::AuthenticatedUser,
    },
    db::schema::{project_members, projects},
    error::{not_found, AppResult},
};

/// The viewer's access to one project, and whether the project is archived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectStanding {
    pub access: ProjectAccess,
    pub archived: bool,
}

/// The viewer's standing in the project, or `NOT_FOUND` when the project does not exist or the
/// viewer may not see it (non-members learn nothing).
pub async fn standing(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    project_id: Uuid,
) -> AppResult<ProjectStanding> {
    let (archived_at, role): (Option<chrono::DateTime<chrono::Utc>>, Option<ProjectRole>) =
        projects::table
            .left_join(
                project_members::table.on(project_members::project_id
                    .eq(projects::id)
                    .and(project_members::user_id.eq(viewer.user_id()))),
            )
            .filter(projects::id.eq(project_id))
            .select((projects::archived_at, project_members::role.nullable()))
            .first(connection)
            .await
            .optional()?
            .ok_or_else(|| not_found("project"))?;
    let access = ProjectAccess::for_viewer(viewer, role);
    access.require(ProjectPermission::ReadProject, "project")?;
    Ok(ProjectStanding {
        access,
        archived: archived_at.is_some(),
    })
}

/// The role `user_id` holds in the project, if they are a member.
pub async fn role_of(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<ProjectRole>> {
    Ok(project_members::table
        .find((project_id, user_id))
        .select(project_members::role)
        .first(connection)
        .await
        .optional()?)
}

/// Whether the project is archived (false when it does not exist).
pub async fn is_archived(connection: &mut AsyncPgConnection, project_id: Uuid) -> AppResult<bool> {
    Ok(projects::table
        .find(project_id)
        .select(projects::archived_at.is_not_null())
        .first(connection)
        .await
        .optional()?
        .unwrap_or(false))
}
