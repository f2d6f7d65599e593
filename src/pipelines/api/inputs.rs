//! Input objects of the pipeline edits.

use async_graphql::{InputObject, Json, ID};
use serde_json::Value;

use crate::pipelines::model::PipelineStatus;

use super::types::PositionInput;

/// A new, empty DRAFT pipeline.
#[derive(InputObject)]
pub struct CreatePipelineInput {
    /// The project to create it in; needs EDITOR or above there.
    pub(crate) project_id: ID,
    /// 1 to 200 characters after trimming, no control characters.
    pub(crate) name: String,
    /// At most 4,000 characters; empty by default.
    #[graphql(default)]
    pub(crate) description: String,
}

/// Changes to a pipeline's name, description or status; omitted fields stay.
#[derive(InputObject)]
pub struct UpdatePipelineInput {
    /// The pipeline to change.
    pub(crate) id: ID,
    /// The pipeline's `version` the caller last read; when given and stale, `CONFLICT` with
    /// `extensions.currentVersion`. Omitted: no check.
    pub(crate) expected_version: Option<i32>,
    /// 1 to 200 characters after trimming, no control characters.
    pub(crate) name: Option<String>,
    /// At most 4,000 characters; an empty string clears it.
    pub(crate) description: Option<String>,
    /// The new lifecycle status; ARCHIVED pipelines cannot be run.
    pub(crate) status: Option<PipelineStatus>,
}

/// A node to add to a pipeline's graph.
#[derive(InputObject)]
pub struct AddPipelineNodeInput {
    /// The pipeline to add it to.
    pub(crate) pipeline_id: ID,
    /// The pipeline's `version` the caller last read; when given and stale, `CONFLICT` with
    /// `extensions.currentVersion`. Omitted: no check.
    pub(crate) expected_version: Option<i32>,
    /// A `PipelineComponent.name` from `pipelineComponents` (else `BAD_USER_INPUT` listing the
    /// known ones).
    pub(crate) component: String,
    /// At most 200 characters; empty by default.
    #[graphql(default)]
    pub(crate) label: String,
    /// Where it sits on the canvas; (0, 0) by default.
    pub(crate) position: Option<PositionInput>,
    /// A JSON object following the component's `configSchema`; `{}` by default. It may be
    /// incomplete: validation reports what is missing.
    pub(crate) config: Option<Json<Value>>,
}

/// Changes to one node; omitted fields stay.
#[derive(InputObject)]
pub struct UpdatePipelineNodeInput {
    /// The node to change.
    pub(crate) node_id: ID,
    /// The pipeline's `version` the caller last read; when given and stale, `CONFLICT` with
    /// `extensions.currentVersion`. Omitted: no check.
    pub(crate) expected_version: Option<i32>,
    /// At most 200 characters.
    pub(crate) label: Option<String>,
    /// The new place on the canvas.
    pub(crate) position: Option<PositionInput>,
    /// Replaces the whole config.
    pub(crate) config: Option<Json<Value>>,
}

/// The node to remove, with its connections.
#[derive(InputObject)]
pub struct RemovePipelineNodeInput {
    /// The node to remove.
    pub(crate) node_id: ID,
    /// The pipeline's `version` the caller last read; when given and stale, `CONFLICT` with
    /// `extensions.currentVersion`. Omitted: no check.
    pub(crate) expected_version: Option<i32>,
}

/// One port of one node.
#[derive(InputObject, Clone)]
pub struct PipelinePortInput {
    /// The node: its `PipelineNode.id` (in `savePipelineGraph`: its `key`).
    pub(crate) node_id: ID,
    /// A port name from the component's `inputs` or `outputs`.
    pub(crate) port: String,
}

/// Two ports to connect or disconnect: an output port to an input port.
#[derive(InputObject)]
pub struct ConnectPipelineNodesInput {
    /// The pipeline both nodes belong to.
    pub(crate) pipeline_id: ID,
    /// The pipeline's `version` the caller last read; when given and stale, `CONFLICT` with
    /// `extensions.currentVersion`. Omitted: no check.
    pub(crate) expected_version: Option<i32>,
    /// The output port rows come from.
    pub(crate) from: PipelinePortInput,
    /// The input port rows go to.
    pub(crate) to: PipelinePortInput,
}

/// A node of a whole graph saved at once. `key` is the node's id to keep an existing node, or
/// any other string for a new one; connections name nodes by key.
#[derive(InputObject)]
pub struct PipelineGraphNodeInput {
    /// An existing node's id to keep that node, or any other string for a new node.
    pub(crate) key: ID,
    /// A `PipelineComponent.name` from `pipelineComponents`.
    pub(crate) component: String,
    /// At most 200 characters; empty by default.
    #[graphql(default)]
    pub(crate) label: String,
    /// Where it sits on the canvas; (0, 0) by default.
    pub(crate) position: Option<PositionInput>,
    /// A JSON object following the component's `configSchema`; `{}` by default.
    pub(crate) config: Option<Json<Value>>,
}

/// A connection of a whole graph saved at once, naming nodes by their `key`.
#[derive(InputObject)]
pub struct PipelineGraphConnectionInput {
    /// The output port rows come from.
    pub(crate) from: PipelinePortInput,
    /// The input port rows go to.
    pub(crate) to: PipelinePortInput,
}
