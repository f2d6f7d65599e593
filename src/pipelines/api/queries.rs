//! The pipeline queries: the component catalogue, one pipeline, a project's pipelines.

use async_graphql::{connection::Connection, Context, Object, ID};

use crate::{
    auth::{
        authz::{self, SignedIn},
        project_roles,
    },
    error::AppResult,
    graphql::{
        ids::decode_id,
        pagination::{connection_from_rows, decode_cursor, page_size, PageCursor},
    },
    pipelines::{engine, model::PIPELINE_TYPE, store, views::PipelineView},
    projects::views::PROJECT_TYPE,
    state::AppState,
};

use super::types::ComponentView;

#[derive(Default)]
pub struct PipelineQuery;

#[Object]
impl PipelineQuery {
    /// Every component a pipeline can use, as a canvas palette lists them. Needs no sign-in.
    async fn pipeline_components(&self) -> Vec<ComponentView> {
        engine::components().iter().map(ComponentView).collect()
    }

    /// A pipeline in a project the viewer belongs to (platform admins: any project).
    /// Signed-in callers only (`UNAUTHENTICATED`); a pipeline the viewer may not see is
    /// `NOT_FOUND`.
    #[graphql(guard = "SignedIn")]
    async fn pipeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline's id, as returned in `Pipeline.id`.")] id: ID,
    ) -> AppResult<PipelineView> {
        let viewer = authz::signed_in(ctx)?;
        let pipeline_id = decode_id(PIPELINE_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        PipelineView::load(&mut connection, viewer, pipeline_id).await
    }

    /// A project's pipelines, oldest first. `NOT_FOUND` for a project the viewer is not in.
    #[graphql(guard = "SignedIn")]
    async fn pipelines(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project whose pipelines to list.")] project_id: ID,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page.")] after: Option<String>,
    ) -> AppResult<Connection<PageCursor, PipelineView>> {
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let limit = page_size(first)?;
        let after_position: Option<store::PipelineCursor> = after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let access = project_roles::standing(&mut connection, viewer, project_id)
            .await?
            .access;
        let rows =
            store::list_pipelines(&mut connection, project_id, after_position, limit).await?;
        let views = rows
            .into_iter()
            .map(|pipeline| PipelineView { pipeline, access })
            .collect();
        Ok(connection_from_rows(
            views,
            limit,
            after_position.is_some(),
            |view| (view.pipeline.created_at, view.pipeline.id),
        ))
    }
}
