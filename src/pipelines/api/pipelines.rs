//! Pipeline-level edits: create, update, delete.

use async_graphql::{Context, Object, ID};
use uuid::Uuid;

use crate::{
    auth::authz::{self, ProjectPermission, SignedIn},
    error::AppResult,
    graphql::ids::decode_id,
    limits::{self, NamedLimit},
    pipelines::{
        model::{
            parse_pipeline_description, parse_pipeline_name, NewPipeline, PipelineChanges,
            PIPELINE_TYPE,
        },
        store,
        views::PipelineView,
    },
    projects::{
        activity::{Activity, PipelineFieldsChanged, PipelineRemoved, PipelineSnapshot},
        views::PROJECT_TYPE,
    },
    state::AppState,
    work::{self, Actor},
};

use super::{
    edit::{edit_pipeline, finish_edit, revalidate},
    inputs::{CreatePipelineInput, UpdatePipelineInput},
};

#[derive(Default)]
pub struct PipelineMutation;

#[Object]
impl PipelineMutation {
    /// Creates an empty DRAFT pipeline in a project (EDITOR and above, else `FORBIDDEN`;
    /// `NOT_FOUND` for non-members). `RATE_LIMITED` past 10 an hour per user
    /// (`PIPELINE_CREATE_LIMIT_PER_HOUR`); `BAD_USER_INPUT` for an invalid name or description.
    #[graphql(guard = "SignedIn")]
    async fn create_pipeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new pipeline.")] input: CreatePipelineInput,
    ) -> AppResult<PipelineView> {
        let project_id = decode_id(PROJECT_TYPE, "projectId", &input.project_id)?;
        let name = parse_pipeline_name("name", &input.name)?;
        let description = parse_pipeline_description("description", &input.description)?;
        let viewer = authz::signed_in(ctx)?;
        let state = AppState::from_ctx(ctx);
        // The hourly limit waits on Redis: it is spent before the change locks the project, and
        // only by someone who may create pipelines there (re-checked under the lock).
        work::standing(state, viewer, project_id, ProjectPermission::EditPipeline).await?;
        limits::check(ctx, NamedLimit::PipelineCreate).await?;
        let created_by = Some(viewer.user_id());
        let actor = Actor::Viewer(viewer, ProjectPermission::EditPipeline);
        work::run_in_project(state, actor, project_id, async |change| {
            let pipeline = store::insert_pipeline(
                &mut change.db,
                NewPipeline {
                    id: Uuid::now_v7(),
                    project_id,
                    name,
                    description,
                    created_by,
                },
            )
            .await?;
            let pipeline = revalidate(&mut change.db, pipeline.id).await?;
            change.record(Activity::PipelineCreated(PipelineSnapshot::of(&pipeline)))?;
            Ok(PipelineView {
                pipeline,
                access: change.access,
            })
        })
        .await
    }

    /// Renames, re-describes or changes the status of a pipeline (EDITOR and above, else
    /// `FORBIDDEN`). A stale `expectedVersion` is `CONFLICT` with `extensions.currentVersion`.
    #[graphql(guard = "SignedIn")]
    async fn update_pipeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline and the fields to change.")] input: UpdatePipelineInput,
    ) -> AppResult<PipelineView> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "id", &input.id)?;
        let changes = PipelineChanges {
            name: input
                .name
                .as_deref()
                .map(|name| parse_pipeline_name("name", name))
                .transpose()?,
            description: input
                .description
                .as_deref()
                .map(|text| parse_pipeline_description("description", text))
                .transpose()?,
            status: input.status,
        };
        edit_pipeline(
            ctx,
            pipeline_id,
            input.expected_version,
            async |change, pipeline| {
                let changed_fields = changes
                    .changed_fields()
                    .into_iter()
                    .map(String::from)
                    .collect();
                let pipeline = finish_edit(change, &pipeline, &changes, |after| {
                    Activity::PipelineUpdated(PipelineFieldsChanged {
                        after,
                        changed_fields,
                    })
                })
                .await?;
                Ok(PipelineView {
                    pipeline,
                    access: change.access,
                })
            },
        )
        .await
    }

    /// Deletes a pipeline with its runs (EDITOR and above, else `FORBIDDEN`); returns true. Its
    /// `pipelineEvents` streams end.
    #[graphql(guard = "SignedIn")]
    async fn delete_pipeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline to delete.")] id: ID,
        #[graphql(
            desc = "When given and not the current `version`: `CONFLICT` with `extensions.currentVersion`."
        )]
        expected_version: Option<i32>,
    ) -> AppResult<bool> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "id", &id)?;
        edit_pipeline(
            ctx,
            pipeline_id,
            expected_version,
            async |change, pipeline| {
                store::delete_pipeline(&mut change.db, pipeline_id).await?;
                change.record(Activity::PipelineDeleted(PipelineRemoved {
                    pipeline_id,
                    version: pipeline.version + 1,
                }))?;
                Ok(true)
            },
        )
        .await
    }
}
