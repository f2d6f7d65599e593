//! Edits of a pipeline's graph: nodes and connections one at a time, the whole graph at once,
//! and validation on demand.

use std::collections::{HashMap, HashSet};

use async_graphql::{Context, Object, ID};
use chrono::Utc;
use uuid::Uuid;

use crate::{
    auth::authz::{self, SignedIn},
    error::{bad_input, internal, not_found, AppResult},
    graphql::ids::decode_id,
    pipelines::{
        model::{
            parse_coordinate, parse_label, NodeChanges, Pipeline, PipelineChanges,
            PipelineConnection, PipelineNode, NODE_TYPE, PIPELINE_TYPE,
        },
        store,
        views::PipelineView,
    },
    projects::activity::{
        Activity, PipelineGraphSaved, PipelineNodeChanged, PipelineNodeRemoved, PipelineWireChanged,
    },
    state::AppState,
    work::ProjectChange,
};

use super::{
    edit::{
        check_node_count, check_port, edit_payload, edit_pipeline, finish_edit, graph_nodes,
        new_node, node_config, resolve_port, revalidate,
    },
    inputs::{
        AddPipelineNodeInput, ConnectPipelineNodesInput, PipelineGraphConnectionInput,
        PipelineGraphNodeInput, PipelinePortInput, RemovePipelineNodeInput,
        UpdatePipelineNodeInput,
    },
    types::PipelineEditPayload,
};

#[derive(Default)]
pub struct PipelineGraphMutation;

#[Object]
impl PipelineGraphMutation {
    /// Adds a node from the catalogue (EDITOR and above). Its config may be incomplete: the
    /// pipeline's validation says what is missing.
    /// `BAD_USER_INPUT` for an unknown component or past the node limit (200 by default).
    #[graphql(guard = "SignedIn")]
    async fn add_pipeline_node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The node to add.")] input: AddPipelineNodeInput,
    ) -> AppResult<PipelineEditPayload> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &input.pipeline_id)?;
        let node = new_node(
            pipeline_id,
            &input.component,
            &input.label,
            input.position,
            input.config,
        )?;
        let settings = &AppState::from_ctx(ctx).settings.pipelines;
        edit_pipeline(
            ctx,
            pipeline_id,
            input.expected_version,
            async |change, pipeline| {
                let count = store::count_nodes(&mut change.db, pipeline_id).await? as usize;
                check_node_count(settings, count + 1)?;
                let node = store::insert_nodes(&mut change.db, &[node])
                    .await?
                    .pop()
                    .ok_or_else(|| internal(anyhow::anyhow!("insert returned no node")))?;
                finish_node_edit(change, &pipeline, node, Activity::PipelineNodeAdded).await
            },
        )
        .await
    }

    /// Changes a node's label, position or config (EDITOR and above). A stale
    /// `expectedVersion` is `CONFLICT`.
    #[graphql(guard = "SignedIn")]
    async fn update_pipeline_node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The node and the fields to change.")] input: UpdatePipelineNodeInput,
    ) -> AppResult<PipelineEditPayload> {
        let node_id = decode_id(NODE_TYPE, "nodeId", &input.node_id)?;
        let changes = NodeChanges {
            label: input
                .label
                .as_deref()
                .map(|label| parse_label("label", label))
                .transpose()?,
            position_x: input
                .position
                .map(|position| parse_coordinate("position.x", position.x))
                .transpose()?,
            position_y: input
                .position
                .map(|position| parse_coordinate("position.y", position.y))
                .transpose()?,
            config: input
                .config
                .map(|config| node_config(Some(config)))
                .transpose()?,
        };
        let pipeline_id = pipeline_of_node(ctx, node_id).await?;
        edit_pipeline(
            ctx,
            pipeline_id,
            input.expected_version,
            async |change, pipeline| {
                let node = store::find_node(&mut change.db, pipeline_id, node_id)
                    .await?
                    .ok_or_else(|| not_found("node"))?;
                let node = if changes.is_empty() {
                    node
                } else {
                    store::update_node(&mut change.db, node_id, &changes).await?
                };
                finish_node_edit(change, &pipeline, node, Activity::PipelineNodeUpdated).await
            },
        )
        .await
    }

    /// Removes a node and its connections (EDITOR and above). A stale `expectedVersion` is
    /// `CONFLICT`.
    #[graphql(guard = "SignedIn")]
    async fn remove_pipeline_node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The node to remove.")] input: RemovePipelineNodeInput,
    ) -> AppResult<PipelineView> {
        let node_id = decode_id(NODE_TYPE, "nodeId", &input.node_id)?;
        let pipeline_id = pipeline_of_node(ctx, node_id).await?;
        edit_pipeline(
            ctx,
            pipeline_id,
            input.expected_version,
            async |change, pipeline| {
                store::find_node(&mut change.db, pipeline_id, node_id)
                    .await?
                    .ok_or_else(|| not_found("node"))?;
                let removed = store::delete_node(&mut change.db, pipeline_id, node_id).await?;
                let removed_connection_ids = removed.iter().map(|wire| wire.id).collect();
                let pipeline =
                    finish_edit(change, &pipeline, &PipelineChanges::default(), |after| {
                        Activity::PipelineNodeRemoved(PipelineNodeRemoved {
                            after,
                            removed_node_id: node_id,
                            removed_connection_ids,
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

    /// Connects an output port to an input port of nodes in the same pipeline (EDITOR and
    /// above). The same two ports cannot be connected twice (`CONFLICT`).
    #[graphql(guard = "SignedIn")]
    async fn connect_pipeline_nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The two ports to connect.")] input: ConnectPipelineNodesInput,
    ) -> AppResult<PipelineEditPayload> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &input.pipeline_id)?;
        edit_pipeline(
            ctx,
            pipeline_id,
            input.expected_version,
            async |change, pipeline| {
                let nodes = store::nodes_of(&mut change.db, &[pipeline_id]).await?;
                let by_id: HashMap<Uuid, &PipelineNode> =
                    nodes.iter().map(|node| (node.id, node)).collect();
                let (from_node, from_port) = resolve_port(&by_id, &input.from, "from", true)?;
                let (to_node, to_port) = resolve_port(&by_id, &input.to, "to", false)?;
                let wire = store::insert_connections(
                    &mut change.db,
                    &[PipelineConnection {
                        id: Uuid::now_v7(),
                        pipeline_id,
                        from_node_id: from_node,
                        from_port,
                        to_node_id: to_node,
                        to_port,
                        created_at: Utc::now(),
                    }],
                )
                .await?
                .pop()
                .ok_or_else(|| internal(anyhow::anyhow!("insert returned no connection")))?;
                finish_wire_edit(change, &pipeline, wire, Activity::PipelineNodesConnected).await
            },
        )
        .await
    }

    /// Removes the connection between two ports (EDITOR and above).
    #[graphql(guard = "SignedIn")]
    async fn disconnect_pipeline_nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The two connected ports.")] input: ConnectPipelineNodesInput,
    ) -> AppResult<PipelineEditPayload> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &input.pipeline_id)?;
        let from_node = decode_id(NODE_TYPE, "from.nodeId", &input.from.node_id)?;
        let to_node = decode_id(NODE_TYPE, "to.nodeId", &input.to.node_id)?;
        edit_pipeline(
            ctx,
            pipeline_id,
            input.expected_version,
            async |change, pipeline| {
                let wire = store::delete_connection(
                    &mut change.db,
                    pipeline_id,
                    (from_node, &input.from.port),
                    (to_node, &input.to.port),
                )
                .await?
                .ok_or_else(|| not_found("connection"))?;
                finish_wire_edit(change, &pipeline, wire, Activity::PipelineNodesDisconnected).await
            },
        )
        .await
    }

    /// Replaces the whole graph atomically, if the pipeline is still at `expectedVersion`
    /// (EDITOR and above). Nodes keyed by an existing node id keep that id. `CONFLICT` with
    /// `extensions.currentVersion` when stale; `BAD_USER_INPUT` past the node limit (200 by
    /// default) or for unknown components and keys.
    #[graphql(guard = "SignedIn")]
    async fn save_pipeline_graph(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline whose graph to replace.")] pipeline_id: ID,
        #[graphql(desc = "The `version` the caller last read.")] expected_version: i32,
        #[graphql(desc = "All nodes; absent ones are removed.")] nodes: Vec<PipelineGraphNodeInput>,
        #[graphql(desc = "Every link of the new graph, naming nodes by their `key`.")]
        connections: Vec<PipelineGraphConnectionInput>,
    ) -> AppResult<PipelineView> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &pipeline_id)?;
        let settings = &AppState::from_ctx(ctx).settings.pipelines;
        check_node_count(settings, nodes.len())?;
        let expected_version = Some(expected_version);
        edit_pipeline(
            ctx,
            pipeline_id,
            expected_version,
            async |change, pipeline| {
                let existing: Vec<Uuid> = store::nodes_of(&mut change.db, &[pipeline_id])
                    .await?
                    .into_iter()
                    .map(|node| node.id)
                    .collect();
                let (kept, added, by_key) = graph_nodes(pipeline_id, &existing, nodes)?;
                let all: HashMap<Uuid, &PipelineNode> = kept
                    .iter()
                    .chain(&added)
                    .map(|node| (node.id, node))
                    .collect();
                let wires = graph_wires(pipeline_id, &connections, &by_key, &all)?;
                store::replace_graph(&mut change.db, pipeline_id, &kept, &added, &wires).await?;
                let nodes = store::nodes_of(&mut change.db, &[pipeline_id]).await?;
                let pipeline =
                    finish_edit(change, &pipeline, &PipelineChanges::default(), |after| {
                        Activity::PipelineGraphSaved(PipelineGraphSaved {
                            after,
                            nodes,
                            connections: wires,
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

    /// Validates the pipeline now and stores the result (anyone who can read it).
    #[graphql(guard = "SignedIn")]
    async fn validate_pipeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline to validate.")] id: ID,
    ) -> AppResult<PipelineView> {
        let viewer = authz::signed_in(ctx)?;
        let pipeline_id = decode_id(PIPELINE_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let access = PipelineView::load(&mut connection, viewer, pipeline_id)
            .await?
            .access;
        let pipeline = revalidate(&mut connection, pipeline_id).await?;
        Ok(PipelineView { pipeline, access })
    }
}

/// The pipeline a node belongs to, read before the edit opens.
async fn pipeline_of_node(ctx: &Context<'_>, node_id: Uuid) -> AppResult<Uuid> {
    let mut connection = AppState::from_ctx(ctx).pool.get().await?;
    store::pipeline_of_node(&mut connection, node_id)
        .await?
        .ok_or_else(|| not_found("node"))
}

/// The connections of a saved graph, with nodes named by their keys.
fn graph_wires(
    pipeline_id: Uuid,
    connections: &[PipelineGraphConnectionInput],
    by_key: &HashMap<String, Uuid>,
    nodes: &HashMap<Uuid, &PipelineNode>,
) -> AppResult<Vec<PipelineConnection>> {
    let mut wires = Vec::with_capacity(connections.len());
    let mut seen = HashSet::new();
    for (position, wire) in connections.iter().enumerate() {
        let field = format!("connections.{position}");
        let end =
            |port: &PipelinePortInput, side: &str, output: bool| -> AppResult<(Uuid, String)> {
                let id = *by_key.get(port.node_id.as_str()).ok_or_else(|| {
                    bad_input(
                        &format!("{field}.{side}.nodeId"),
                        "names no node of this graph",
                    )
                })?;
                check_port(nodes[&id], &port.port, &format!("{field}.{side}"), output)?;
                Ok((id, port.port.clone()))
            };
        let (from_node, from_port) = end(&wire.from, "from", true)?;
        let (to_node, to_port) = end(&wire.to, "to", false)?;
        if !seen.insert((from_node, from_port.clone(), to_node, to_port.clone())) {
            return Err(bad_input(
                &field,
                "connects the same two ports as an earlier connection",
            ));
        }
        wires.push(PipelineConnection {
            id: Uuid::now_v7(),
            pipeline_id,
            from_node_id: from_node,
            from_port,
            to_node_id: to_node,
            to_port,
            created_at: Utc::now(),
        });
    }
    Ok(wires)
}

/// Closes a node edit: records `variant` with the node and answers with the edit payload.
async fn finish_node_edit(
    change: &mut ProjectChange,
    pipeline: &Pipeline,
    node: PipelineNode,
    variant: fn(PipelineNodeChanged) -> Activity,
) -> AppResult<PipelineEditPayload> {
    let recorded = node.clone();
    let pipeline = finish_edit(change, pipeline, &PipelineChanges::default(), |after| {
        variant(PipelineNodeChanged {
            after,
            node: recorded,
        })
    })
    .await?;
    Ok(edit_payload(pipeline, change.access, Some(node), None))
}

/// Closes a connection edit: records `variant` with the connection and answers with the edit
/// payload.
async fn finish_wire_edit(
    change: &mut ProjectChange,
    pipeline: &Pipeline,
    wire: PipelineConnection,
    variant: fn(PipelineWireChanged) -> Activity,
) -> AppResult<PipelineEditPayload> {
    let recorded = wire.clone();
    let pipeline = finish_edit(change, pipeline, &PipelineChanges::default(), |after| {
        variant(PipelineWireChanged {
            after,
            connection: recorded,
        })
    })
    .await?;
    Ok(edit_payload(pipeline, change.access, None, Some(wire)))
}
