//! The Relay `Node` interface: any object with a global id can be fetched again by it, if the
//! viewer may see it. Objects the viewer may not see resolve to null, exactly like missing ones.

use async_graphql::{Context, Interface, Object, ID};

use crate::{
    auth::authz::{self, ProjectAccess, ProjectPermission, ProjectRole},
    error::AppResult,
    graphql::ids::decode_any_id,
    projects::{
        store as project_store,
        views::{ProjectNode, PROJECT_TYPE},
    },
    state::AppState,
    tasks::{
        store as task_store,
        views::{TaskNode, TASK_TYPE},
    },
    users::{
        model::{User, USER_TYPE},
        store as user_store,
    },
};

/// Any object with a global id, fetchable again through `node(id:)`.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "Opaque global id, naming the object's type; pass it to `node(id:)`."
))]
pub enum Node {
    User(User),
    Project(ProjectNode),
    Task(TaskNode),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist or is not visible.
    /// Signed-in callers only (`UNAUTHENTICATED`); a malformed id is `BAD_USER_INPUT`.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id of a `User`, `Project` or `Task`.")] id: ID,
    ) -> AppResult<Option<Node>> {
        let viewer = authz::signed_in(ctx)?;
        let (type_name, uuid) = decode_any_id("id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let role_of = |role: Option<ProjectRole>| ProjectAccess::for_viewer(viewer, role);
        let node = match type_name.as_str() {
            USER_TYPE => {
                let visible = viewer.user_id() == uuid
                    || viewer.is_platform_admin()
                    || user_store::share_a_project(&mut connection, viewer.user_id(), uuid).await?;
                if visible {
                    user_store::find_by_id(&mut connection, uuid)
                        .await?
                        .map(Node::User)
                } else {
                    None
                }
            }
            PROJECT_TYPE => project_store::find_with_role(&mut connection, uuid, viewer.user_id())
                .await?
                .map(|(project, role)| (project, role_of(role)))
                .filter(|(_, access)| access.allows(ProjectPermission::ReadProject))
                .map(|(project, access)| Node::Project(ProjectNode { project, access })),
            TASK_TYPE => {
                task_store::find_with_project_role(&mut connection, uuid, viewer.user_id())
                    .await?
                    .map(|(task, _, role)| (task, role_of(role)))
                    .filter(|(_, access)| access.allows(ProjectPermission::ReadProject))
                    .map(|(task, access)| Node::Task(TaskNode { task, access }))
            }
            _ => None,
        };
        Ok(node)
    }
}
