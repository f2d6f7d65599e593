//! The path every pipeline edit takes inside the unit of work: the pipeline is locked and its
//! `expectedVersion` checked; after the change its version is bumped, the graph re-validated,
//! and the edit recorded as the project's activity. Also the checks edits share.

use std::{collections::HashMap, future::Future};

use async_graphql::{Context, Json};
use chrono::Utc;
use diesel_async::AsyncPgConnection;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{
    auth::{
        authz::{self, ProjectAccess, ProjectPermission},
        viewer::AuthenticatedUser,
    },
    config::PipelineSettings,
    error::{bad_input, not_found, AppError, AppResult},
    graphql::ids::decode_id,
    pipelines::{
        engine,
        model::{
            engine_graph, parse_component, parse_coordinate, parse_label, Pipeline,
            PipelineChanges, PipelineConnection, PipelineNode, NODE_TYPE,
        },
        store,
        views::{ConnectionView, NodeView, PipelineView},
    },
    projects::activity::{Activity, PipelineSnapshot},
    state::AppState,
    work::{self, Actor, ProjectChange},
};

use super::{
    inputs::{PipelineGraphNodeInput, PipelinePortInput},
    types::{PipelineEditPayload, PositionInput},
};

/// `AsyncFnOnce(change, pipeline)` whose future is `Send` for every borrow of the change (the
/// device `work::ChangeFn` explains).
pub(super) trait EditFn<'c, R>:
    AsyncFnOnce(&'c mut ProjectChange, Pipeline) -> AppResult<R>
    + FnOnce(&'c mut ProjectChange, Pipeline) -> <Self as EditFn<'c, R>>::Fut
{
    type Fut: Future<Output = AppResult<R>>;
}

impl<'c, F, Fut, R> EditFn<'c, R> for F
where
    F: AsyncFnOnce(&'c mut ProjectChange, Pipeline) -> AppResult<R>
        + FnOnce(&'c mut ProjectChange, Pipeline) -> Fut,
    Fut: Future<Output = AppResult<R>>,
{
    type Fut = Fut;
}

/// Runs `edit` on the pipeline through the unit of work, with the pipeline locked and at
/// `expected_version`; `edit` finishes with `finish_edit`, which records the activity.
pub(super) async fn edit_pipeline<R, F>(
    ctx: &Context<'_>,
    pipeline_id: Uuid,
    expected_version: Option<i32>,
    edit: F,
) -> AppResult<R>
where
    for<'c> F: EditFn<'c, R, Fut: Send> + Send,
    R: Send,
{
    let viewer = authz::signed_in(ctx)?;
    let (project_id, actor) = pipeline_editor(ctx, viewer, pipeline_id).await?;
    work::run_in_project(
        AppState::from_ctx(ctx),
        actor,
        project_id,
        async move |change| {
            let pipeline = lock_for_edit(change, pipeline_id, expected_version).await?;
            edit(change, pipeline).await
        },
    )
    .await
}

/// The project of the pipeline being edited and the viewer editing it, read before the change
/// opens so the project's log can be locked first. Non-members get `NOT_FOUND`.
pub(super) async fn pipeline_editor<'a>(
    ctx: &Context<'_>,
    viewer: &'a AuthenticatedUser,
    pipeline_id: Uuid,
) -> AppResult<(Uuid, Actor<'a>)> {
    let mut connection = AppState::from_ctx(ctx).pool.get().await?;
    let view = PipelineView::load(&mut connection, viewer, pipeline_id).await?;
    Ok((
        view.pipeline.project_id,
        Actor::Viewer(viewer, ProjectPermission::EditPipeline),
    ))
}

/// Locks the pipeline for the edit and checks `expected_version`.
pub(super) async fn lock_for_edit(
    change: &mut ProjectChange,
    pipeline_id: Uuid,
    expected_version: Option<i32>,
) -> AppResult<Pipeline> {
    let pipeline = store::lock_pipeline(&mut change.db, pipeline_id)
        .await?
        .filter(|pipeline| pipeline.project_id == change.project_id)
        .ok_or_else(|| not_found("pipeline"))?;
    store::check_version(&pipeline, expected_version)?;
    Ok(pipeline)
}

/// Closes an edit: bumps the version, re-validates, and records the activity `describe` makes
/// of the pipeline after it.
pub(super) async fn finish_edit(
    change: &mut ProjectChange,
    pipeline: &Pipeline,
    changes: &PipelineChanges,
    describe: impl FnOnce(PipelineSnapshot) -> Activity,
) -> AppResult<Pipeline> {
    store::bump_version(&mut change.db, pipeline.id, changes).await?;
    let pipeline = revalidate(&mut change.db, pipeline.id).await?;
    change.record(describe(PipelineSnapshot::of(&pipeline)))?;
    Ok(pipeline)
}

/// Validates the stored graph and saves the result on the pipeline.
pub(super) async fn revalidate(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
) -> AppResult<Pipeline> {
    let nodes = store::nodes_of(connection, &[pipeline_id]).await?;
    let connections = store::connections_of(connection, &[pipeline_id]).await?;
    let report = engine::validate(&engine_graph(&nodes, &connections));
    store::save_validation(connection, pipeline_id, &report).await
}

pub(super) fn node_config(config: Option<Json<Value>>) -> AppResult<Value> {
    let config = config.map_or_else(|| json!({}), |Json(config)| config);
    if !config.is_object() {
        return Err(bad_input("config", "must be a JSON object"));
    }
    Ok(config)
}

pub(super) fn check_node_count(settings: &PipelineSettings, count: usize) -> AppResult<()> {
    if count > settings.max_nodes {
        return Err(bad_input(
            "nodes",
            format!("a pipeline holds at most {} nodes", settings.max_nodes),
        ));
    }
    Ok(())
}

pub(super) fn new_node(
    pipeline_id: Uuid,
    component: &str,
    label: &str,
    position: Option<PositionInput>,
    config: Option<Json<Value>>,
) -> AppResult<PipelineNode> {
    let component = parse_component("component", component)?;
    let position = position.unwrap_or(PositionInput { x: 0.0, y: 0.0 });
    Ok(PipelineNode {
        id: Uuid::now_v7(),
        pipeline_id,
        component: component.name.to_string(),
        label: parse_label("label", label)?,
        position_x: parse_coordinate("position.x", position.x)?,
        position_y: parse_coordinate("position.y", position.y)?,
        config: node_config(config)?,
        created_at: Utc::now(),
    })
}

pub(super) fn edit_payload(
    pipeline: Pipeline,
    access: ProjectAccess,
    node: Option<PipelineNode>,
    connection: Option<PipelineConnection>,
) -> PipelineEditPayload {
    PipelineEditPayload {
        pipeline: PipelineView { pipeline, access },
        node: node.map(NodeView),
        connection: connection.map(ConnectionView),
    }
}

/// Decodes a port's node id and checks that the node is in the pipeline and has the port.
pub(super) fn resolve_port(
    nodes: &HashMap<Uuid, &PipelineNode>,
    port: &PipelinePortInput,
    field: &str,
    output: bool,
) -> AppResult<(Uuid, String)> {
    let node_id = decode_id(NODE_TYPE, &format!("{field}.nodeId"), &port.node_id)?;
    let node = nodes
        .get(&node_id)
        .ok_or_else(|| bad_input(&format!("{field}.nodeId"), "is not a node of this pipeline"))?;
    check_port(node, &port.port, field, output)?;
    Ok((node_id, port.port.clone()))
}

pub(super) fn check_port(
    node: &PipelineNode,
    port: &str,
    field: &str,
    output: bool,
) -> AppResult<()> {
    let Some(component) = engine::component(&node.component) else {
        return Ok(());
    };
    let exists = if output {
        component.output(port).is_some()
    } else {
        component.input(port).is_some()
    };
    if exists {
        return Ok(());
    }
    let side = if output { "output" } else { "input" };
    Err(bad_input(
        &format!("{field}.port"),
        format!("{} has no {side} port `{port}`", component.name),
    ))
}

pub(super) type GraphNodes = (Vec<PipelineNode>, Vec<PipelineNode>, HashMap<String, Uuid>);

/// Splits a saved graph's nodes into kept (keyed by an existing id) and new ones.
pub(super) fn graph_nodes(
    pipeline_id: Uuid,
    existing: &[Uuid],
    nodes: Vec<PipelineGraphNodeInput>,
) -> AppResult<GraphNodes> {
    let mut kept = Vec::new();
    let mut added = Vec::new();
    let mut by_key = HashMap::new();
    for (position, input) in nodes.into_iter().enumerate() {
        let mut node = new_node(
            pipeline_id,
            &input.component,
            &input.label,
            input.position,
            input.config,
        )
        .map_err(|error| match error {
            AppError::BadUserInput {
                field,
                message,
                details,
            } => AppError::BadUserInput {
                field: field.map(|field| format!("nodes.{position}.{field}")),
                message,
                details,
            },
            other => other,
        })?;
        let existing_id = decode_id(NODE_TYPE, "key", &input.key)
            .ok()
            .filter(|id| existing.contains(id));
        if by_key.contains_key(input.key.as_str()) {
            return Err(bad_input(
                &format!("nodes.{position}.key"),
                "is used by an earlier node",
            ));
        }
        match existing_id {
            Some(id) => {
                node.id = id;
                by_key.insert(input.key.0, id);
                kept.push(node);
            }
            None => {
                by_key.insert(input.key.0, node.id);
                added.push(node);
            }
        }
    }
    Ok((kept, added, by_key))
}
