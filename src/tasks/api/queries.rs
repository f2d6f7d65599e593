//! The `task` query.

use async_graphql::{Context, Object, ID};

use crate::{
    auth::authz::{self, ProjectAccess, ProjectPermission, SignedIn},
    error::{not_found, AppResult},
    graphql::ids::decode_id,
    state::AppState,
    tasks::{
        store,
        views::{TaskNode, TASK_TYPE},
    },
};

#[derive(Default)]
pub struct TaskQuery;

#[Object]
impl TaskQuery {
    /// A task in a project the viewer belongs to (platform admins: any project). Signed-in
    /// callers only (`UNAUTHENTICATED`); a task the viewer may not see is `NOT_FOUND`.
    #[graphql(guard = "SignedIn")]
    async fn task(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The task's id, as returned in `Task.id`.")] id: ID,
    ) -> AppResult<TaskNode> {
        let viewer = authz::signed_in(ctx)?;
        let task_id = decode_id(TASK_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (task, _, role) =
            store::find_with_project_role(&mut connection, task_id, viewer.user_id())
                .await?
                .ok_or_else(|| not_found("task"))?;
        let access = ProjectAccess::for_viewer(viewer, role);
        access.require(ProjectPermission::ReadProject, "task")?;
        Ok(TaskNode { task, access })
    }
}
