//! The `project` and `projects` queries.

use async_graphql::{connection::Connection, Context, Object, ID};

use crate::{
    auth::authz::{self, ProjectAccess, SignedIn},
    error::AppResult,
    graphql::{
        ids::decode_id,
        loaders::Loaders,
        pagination::{connection_from_rows, decode_cursor, page_size, PageCursor},
    },
    projects::{
        loaders::MemberLoader,
        store::{self, ProjectCursor, ProjectFilter},
        views::{ProjectNode, PROJECT_TYPE},
    },
    state::AppState,
    tasks::connection::prefetch_pages,
};

use super::inputs::ProjectFilterInput;

#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
    /// A project the viewer belongs to (platform admins: any project). Signed-in callers only
    /// (`UNAUTHENTICATED`); a project the viewer may not see is `NOT_FOUND`, as if it did not
    /// exist; an id of another type is `BAD_USER_INPUT`.
    #[graphql(guard = "SignedIn")]
    async fn project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project's id, as returned in `Project.id`.")] id: ID,
    ) -> AppResult<ProjectNode> {
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        ProjectNode::load(&mut connection, viewer, project_id).await
    }

    /// The projects the viewer belongs to, oldest first (platform admins see every project).
    /// Signed-in callers only (`UNAUTHENTICATED`); a bad `first` or `after` is `BAD_USER_INPUT`.
    #[graphql(
        guard = "SignedIn",
        complexity = "crate::limits::cost::page(first, child_complexity)"
    )]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(
            desc = "Start after this `cursor` from an earlier page's edge or `pageInfo.endCursor`."
        )]
        after: Option<String>,
        #[graphql(desc = "Narrow the list; omitted: every project the viewer can see.")]
        filter: Option<ProjectFilterInput>,
    ) -> AppResult<Connection<PageCursor, ProjectNode>> {
        let viewer = authz::signed_in(ctx)?;
        let limit = page_size(first)?;
        let after_position: Option<ProjectCursor> = after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        let filter = filter.unwrap_or_default();
        let look_ahead = ctx.look_ahead();
        let project_node = look_ahead.field("edges").field("node");
        let with_members = project_node.field("members").exists();
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let mut rows = store::list_projects(
            &mut connection,
            viewer.user_id(),
            viewer.is_platform_admin(),
            &ProjectFilter {
                archived: filter.archived,
                search: filter.search.as_deref(),
            },
            after_position,
            limit,
            with_members,
        )
        .await?;
        let project_ids: Vec<_> = rows.iter().map(|row| row.project.id).collect();
        prefetch_pages(ctx, &mut connection, project_node, &project_ids).await?;
        drop(connection);
        let members: Vec<_> = rows
            .iter_mut()
            .filter_map(|row| Some((row.project.id, row.members.take()?)))
            .collect();
        Loaders::get::<MemberLoader>(ctx).feed_many(members).await;
        let nodes = rows
            .into_iter()
            .map(|row| ProjectNode {
                access: ProjectAccess::for_viewer(viewer, row.role),
                project: row.project,
            })
            .collect();
        Ok(connection_from_rows(
            nodes,
            limit,
            after_position.is_some(),
            |node| (node.project.created_at, node.project.id),
        ))
    }
}
