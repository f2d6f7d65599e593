//! Input objects of the pipeline edits.

use async_graphql::{InputObject, Json, ID};
use serde_json::Value;

use crate::pipelines::model::PipelineStatus;

use super::types::PositionInput;

#[derive(InputObject)]
pub struct CreatePipelineInput {
    pub(crate) project_id: ID,
    pub(crate) name: String,
    #[graphql(default)]
    pub(crate) description: String,
}

#[derive(InputObject)]
pub struct UpdatePipelineInput {
    pub(crate) id: ID,
    pub(crate) expected_version: Option<i32>,
    pub(crate) name: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) status: Option<PipelineStatus>,
}

#[derive(InputObject)]
pub struct AddPipelineNodeInput {
    pub(crate) pipeline_id: ID,
    pub(crate) expected_version: Option<i32>,
    pub(crate) component: String,
    #[graphql(default)]
    pub(crate) label: String,
    pub(crate) position: Option<PositionInput>,
    pub(crate) config: Option<Json<Value>>,
}

#[derive(InputObject)]
pub struct UpdatePipelineNodeInput {
    pub(crate) node_id: ID,
    pub(crate) expected_version: Option<i32>,
    pub(crate) label: Option<String>,
    pub(crate) position: Option<PositionInput>,
    /// Replaces the whole config.
    pub(crate) config: Option<Json<Value>>,
}

#[derive(InputObject)]
pub struct RemovePipelineNodeInput {
    pub(crate) node_id: ID,
    pub(crate) expected_version: Option<i32>,
}

#[derive(InputObject, Clone)]
pub struct PipelinePortInput {
    pub(crate) node_id: ID,
    pub(crate) port: String,
}

#[derive(InputObject)]
pub struct ConnectPipelineNodesInput {
    pub(crate) pipeline_id: ID,
    pub(crate) expected_version: Option<i32>,
    pub(crate) from: PipelinePortInput,
    pub(crate) to: PipelinePortInput,
}

/// A node of a whole graph saved at once. `key` is the node's id to keep an existing node, or
/// any other string for a new one; connections name nodes by key.
#[derive(InputObject)]
pub struct PipelineGraphNodeInput {
    pub(crate) key: ID,
    pub(crate) component: String,
    #[graphql(default)]
    pub(crate) label: String,
    pub(crate) position: Option<PositionInput>,
    pub(crate) config: Option<Json<Value>>,
}

#[derive(InputObject)]
pub struct PipelineGraphConnectionInput {
    pub(crate) from: PipelinePortInput,
    pub(crate) to: PipelinePortInput,
}
