//! What one viewer sees of a project, a membership and an activity entry: rows paired with the
//! viewer's access. Other features return and embed these; their GraphQL types are in
//! `projects::api`.

use std::sync::Arc;

use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    auth::{
        authz::{ProjectAccess, ProjectPermission},
        viewer::AuthenticatedUser,
    },
    error::{not_found, AppResult},
    events::ActivityEvent,
    projects::{
        model::{Project, ProjectMember},
        store,
    },
    users::model::User,
};

pub const PROJECT_TYPE: &str = "Project";

/// A project as one viewer sees it: the row plus what that viewer may do there.
#[derive(Clone)]
pub struct ProjectNode {
    pub project: Project,
    pub access: ProjectAccess,
}

impl ProjectNode {
    /// The project as `viewer` sees it, or `NOT_FOUND` when they may not see it.
    pub async fn load(
        connection: &mut AsyncPgConnection,
        viewer: &AuthenticatedUser,
        project_id: Uuid,
    ) -> AppResult<ProjectNode> {
        let (project, role) = store::find_with_role(connection, project_id, viewer.user_id())
            .await?
            .ok_or_else(|| not_found("project"))?;
        let access = ProjectAccess::for_viewer(viewer, role);
        access.require(ProjectPermission::ReadProject, "project")?;
        Ok(ProjectNode { project, access })
    }
}

/// A membership: who, with which role, since when.
#[derive(Clone)]
pub struct MemberNode {
    pub member: ProjectMember,
    /// Known when loaded together; otherwise fetched through the user loader.
    pub user: Option<User>,
}

/// One entry of a project's activity: what happened, who did it, when, and the affected object
/// as it was right after the change.
#[derive(Clone)]
pub struct ProjectEventNode {
    pub event: Arc<ActivityEvent>,
    pub access: ProjectAccess,
}
