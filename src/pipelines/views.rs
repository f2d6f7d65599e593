//! What one viewer sees of pipelines and runs: rows paired with the viewer's access to their
//! project. The GraphQL types are in `pipelines::api`.

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
    pipelines::{
        model::{Pipeline, PipelineConnection, PipelineNode, PipelineRun},
        queue, store,
    },
};

/// A pipeline as one viewer sees it.
#[derive(Clone)]
pub struct PipelineView {
    pub pipeline: Pipeline,
    pub access: ProjectAccess,
}

impl PipelineView {
    /// The pipeline and the viewer's access to it; `NOT_FOUND` for non-members.
    pub async fn load(
        connection: &mut AsyncPgConnection,
        viewer: &AuthenticatedUser,
        pipeline_id: Uuid,
    ) -> AppResult<PipelineView> {
        let (pipeline, role) = store::find_with_role(connection, pipeline_id, viewer.user_id())
            .await?
            .ok_or_else(|| not_found("pipeline"))?;
        let access = ProjectAccess::for_viewer(viewer, role);
        access.require(ProjectPermission::ReadProject, "pipeline")?;
        Ok(PipelineView { pipeline, access })
    }
}

#[derive(Clone)]
pub struct NodeView(pub PipelineNode);

#[derive(Clone)]
pub struct ConnectionView(pub PipelineConnection);

/// One edit of a pipeline, as collaborators' canvases receive it.
#[derive(Clone)]
pub struct PipelineEventView {
    pub event: Arc<ActivityEvent>,
    pub access: ProjectAccess,
}

/// A run as one viewer sees it.
#[derive(Clone)]
pub struct RunView {
    pub run: PipelineRun,
    pub access: ProjectAccess,
}

impl RunView {
    /// The run and the viewer's access to its project; `NOT_FOUND` for non-members.
    pub async fn load(
        connection: &mut AsyncPgConnection,
        viewer: &AuthenticatedUser,
        run_id: Uuid,
    ) -> AppResult<RunView> {
        let (run, role) = queue::find_with_role(connection, run_id, viewer.user_id())
            .await?
            .ok_or_else(|| not_found("run"))?;
        let access = ProjectAccess::for_viewer(viewer, role);
        access.require(ProjectPermission::ReadProject, "run")?;
        Ok(RunView { run, access })
    }
}
