//! The GraphQL types of the pipeline canvas: `Pipeline`, `PipelineNode`, `PipelineLink`,
//! `PipelineComponent`, `PipelineEvent` and their enums.

use async_graphql::{connection::Connection, Context, InputObject, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{
    error::{internal, not_found, AppResult},
    graphql::{ids::encode_id, loaders::Loaders},
    pipelines::{
        engine::{self, Issue, IssueSeverity, ValidationStatus},
        loaders::PipelineGraphLoader,
        model::{
            PipelineConnection, PipelineNode, PipelineStatus, CONNECTION_TYPE, NODE_TYPE,
            PIPELINE_TYPE,
        },
        views::{ConnectionView, NodeView, PipelineEventView, PipelineView, RunView},
    },
    projects::{
        activity::{Activity, ActivityKind},
        loaders::ProjectLoader,
        views::ProjectNode,
    },
    users::{self, model::User},
};

use super::runs;

#[Object(name = "Pipeline")]
impl PipelineView {
    async fn id(&self) -> ID {
        encode_id(PIPELINE_TYPE, self.pipeline.id)
    }

    async fn project(&self, ctx: &Context<'_>) -> AppResult<ProjectNode> {
        let project = Loaders::get::<ProjectLoader>(ctx)
            .load_one(self.pipeline.project_id)
            .await?
            .ok_or_else(|| not_found("project"))?;
        Ok(ProjectNode {
            project,
            access: self.access,
        })
    }

    async fn name(&self) -> &str {
        &self.pipeline.name
    }

    async fn description(&self) -> &str {
        &self.pipeline.description
    }

    async fn status(&self) -> PipelineStatus {
        self.pipeline.status
    }

    async fn validation_status(&self) -> AppResult<ValidationStatusValue> {
        ValidationStatus::parse(&self.pipeline.validation_status)
            .map(ValidationStatusValue::from)
            .ok_or_else(|| internal(anyhow::anyhow!("stored validation status")))
    }

    /// What the last validation found (after every edit, or `validatePipeline`).
    async fn validation_issues(&self) -> AppResult<Vec<PipelineIssue>> {
        stored_issues(&self.pipeline.validation_issues)
    }

    /// Bumped by every edit; pass it as `expectedVersion` to refuse stale edits.
    async fn version(&self) -> i32 {
        self.pipeline.version
    }

    async fn nodes(&self, ctx: &Context<'_>) -> AppResult<Vec<NodeView>> {
        let (nodes, _) = self.graph(ctx).await?;
        Ok(nodes.into_iter().map(NodeView).collect())
    }

    async fn connections(&self, ctx: &Context<'_>) -> AppResult<Vec<ConnectionView>> {
        let (_, connections) = self.graph(ctx).await?;
        Ok(connections.into_iter().map(ConnectionView).collect())
    }

    /// Runs, newest first.
    async fn runs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Connection<String, RunView>> {
        runs::list_runs(ctx, self.pipeline.id, self.access, first, after).await
    }

    async fn created_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        users::loaders::user(ctx, self.pipeline.created_by).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.pipeline.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.pipeline.updated_at
    }
}

impl PipelineView {
    async fn graph(
        &self,
        ctx: &Context<'_>,
    ) -> AppResult<(Vec<PipelineNode>, Vec<PipelineConnection>)> {
        Ok(Loaders::get::<PipelineGraphLoader>(ctx)
            .load_one(self.pipeline.id)
            .await?
            .unwrap_or_default())
    }
}

/// `ValidationStatus` as GraphQL names it.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PipelineValidationStatus")]
pub enum ValidationStatusValue {
    Pending,
    Valid,
    Invalid,
    Warning,
}

impl From<ValidationStatus> for ValidationStatusValue {
    fn from(status: ValidationStatus) -> Self {
        match status {
            ValidationStatus::Pending => ValidationStatusValue::Pending,
            ValidationStatus::Valid => ValidationStatusValue::Valid,
            ValidationStatus::Invalid => ValidationStatusValue::Invalid,
            ValidationStatus::Warning => ValidationStatusValue::Warning,
        }
    }
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PipelineIssueSeverity")]
pub enum IssueSeverityValue {
    Error,
    Warning,
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PipelineComponentKind")]
pub enum ComponentKindValue {
    Source,
    Transform,
    Sink,
    Validation,
}

impl From<engine::ComponentKind> for ComponentKindValue {
    fn from(kind: engine::ComponentKind) -> Self {
        match kind {
            engine::ComponentKind::Source => ComponentKindValue::Source,
            engine::ComponentKind::Transform => ComponentKindValue::Transform,
            engine::ComponentKind::Sink => ComponentKindValue::Sink,
            engine::ComponentKind::Validation => ComponentKindValue::Validation,
        }
    }
}

/// One validation finding. `path` is a JSON pointer into the node (`/config/aggregates/0/op`,
/// `/inputs/left`) or into the graph (`/connections/2`).
#[derive(SimpleObject, Clone)]
pub struct PipelineIssue {
    severity: IssueSeverityValue,
    /// Stable: NO_SOURCE, NO_SINK, CYCLE, REQUIRED_INPUT_UNCONNECTED, INPUT_CONNECTED_TWICE,
    /// UNKNOWN_COMPONENT, UNKNOWN_NODE, UNKNOWN_PORT, DUPLICATE_CONNECTION, INVALID_CONFIG,
    /// INVALID_EXPRESSION, SCHEMA_MISMATCH, UNREACHABLE_NODE.
    code: String,
    message: String,
    node_id: Option<ID>,
    path: Option<String>,
}

impl From<Issue> for PipelineIssue {
    fn from(issue: Issue) -> Self {
        PipelineIssue {
            severity: match issue.severity {
                IssueSeverity::Error => IssueSeverityValue::Error,
                IssueSeverity::Warning => IssueSeverityValue::Warning,
            },
            code: issue.code,
            message: issue.message,
            node_id: issue.node_id.map(ID),
            path: issue.path,
        }
    }
}

pub fn stored_issues(stored: &Value) -> AppResult<Vec<PipelineIssue>> {
    let issues: Vec<Issue> = serde_json::from_value(stored.clone())
        .map_err(|error| internal(anyhow::anyhow!("stored validation issues: {error}")))?;
    Ok(issues.into_iter().map(PipelineIssue::from).collect())
}

#[derive(SimpleObject, Clone, Copy)]
#[graphql(name = "PipelinePosition")]
pub struct Position {
    x: f64,
    y: f64,
}

#[derive(InputObject, Clone, Copy)]
#[graphql(name = "PipelinePositionInput")]
pub struct PositionInput {
    pub(crate) x: f64,
    pub(crate) y: f64,
}

#[Object(name = "PipelineNode")]
impl NodeView {
    async fn id(&self) -> ID {
        encode_id(NODE_TYPE, self.0.id)
    }

    async fn component(&self) -> &str {
        &self.0.component
    }

    /// From the component; null if the component is no longer in the catalogue.
    async fn kind(&self) -> Option<ComponentKindValue> {
        engine::component(&self.0.component).map(|component| component.kind.into())
    }

    async fn label(&self) -> &str {
        &self.0.label
    }

    async fn position(&self) -> Position {
        Position {
            x: self.0.position_x,
            y: self.0.position_y,
        }
    }

    async fn config(&self) -> Json<Value> {
        Json(self.0.config.clone())
    }
}

#[derive(SimpleObject, Clone)]
pub struct PipelinePort {
    node_id: ID,
    port: String,
}

/// A connection between two ports, named so as not to clash with the Relay `PipelineConnection`.
#[Object(name = "PipelineLink")]
impl ConnectionView {
    async fn id(&self) -> ID {
        encode_id(CONNECTION_TYPE, self.0.id)
    }

    async fn from(&self) -> PipelinePort {
        PipelinePort {
            node_id: encode_id(NODE_TYPE, self.0.from_node_id),
            port: self.0.from_port.clone(),
        }
    }

    async fn to(&self) -> PipelinePort {
        PipelinePort {
            node_id: encode_id(NODE_TYPE, self.0.to_node_id),
            port: self.0.to_port.clone(),
        }
    }
}

/// A component of the catalogue, as a canvas palette shows it.
pub struct ComponentView(pub(crate) &'static engine::Component);

#[Object(name = "PipelineComponent")]
impl ComponentView {
    async fn name(&self) -> &str {
        self.0.name
    }

    async fn kind(&self) -> ComponentKindValue {
        self.0.kind.into()
    }

    async fn description(&self) -> &str {
        self.0.description
    }

    async fn inputs(&self) -> Vec<ComponentPort> {
        self.0.inputs.iter().map(ComponentPort::from).collect()
    }

    async fn outputs(&self) -> Vec<ComponentPort> {
        self.0.outputs.iter().map(ComponentPort::from).collect()
    }

    /// JSON Schema of the node's `config`.
    async fn config_schema(&self) -> Json<Value> {
        Json(self.0.config_schema.clone())
    }
}

#[derive(SimpleObject)]
#[graphql(name = "PipelineComponentPort")]
pub struct ComponentPort {
    name: String,
    required: bool,
    description: String,
    /// JSON Schema of one row on this port.
    row_schema: Json<Value>,
}

impl From<&engine::PortSpec> for ComponentPort {
    fn from(port: &engine::PortSpec) -> Self {
        ComponentPort {
            name: port.name.to_string(),
            required: port.required,
            description: port.description.to_string(),
            row_schema: Json(port.row_schema.clone()),
        }
    }
}

/// What a node or connection edit returns: the pipeline at its new version and the object.
#[derive(SimpleObject)]
pub struct PipelineEditPayload {
    pub(crate) pipeline: PipelineView,
    pub(crate) node: Option<NodeView>,
    pub(crate) connection: Option<ConnectionView>,
}

#[Object(name = "PipelineEvent")]
impl PipelineEventView {
    /// Pass to `pipelineEvents(after:)` to resume after this event.
    async fn cursor(&self) -> String {
        self.event.seq.to_string()
    }

    async fn kind(&self) -> AppResult<ActivityKind> {
        Ok(self.activity()?.kind())
    }

    async fn actor(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        users::loaders::user(ctx, self.event.actor_id).await
    }

    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.occurred_at
    }

    /// The pipeline's version right after this edit.
    async fn version(&self) -> AppResult<Option<i64>> {
        Ok(self.activity()?.pipeline_version().map(i64::from))
    }

    /// The pipeline row after the edit (its `nodes` and `connections` are read live).
    async fn pipeline(&self) -> AppResult<Option<PipelineView>> {
        Ok(self.activity()?.pipeline().map(|pipeline| PipelineView {
            pipeline: pipeline.clone(),
            access: self.access,
        }))
    }

    /// The node added or updated (PIPELINE_NODE_ADDED / _UPDATED).
    async fn node(&self) -> AppResult<Option<NodeView>> {
        Ok(match self.activity()? {
            Activity::PipelineNodeAdded(change) | Activity::PipelineNodeUpdated(change) => {
                Some(NodeView(change.node.clone()))
            }
            _ => None,
        })
    }

    /// The connection made or removed (PIPELINE_NODES_CONNECTED / _DISCONNECTED).
    async fn connection(&self) -> AppResult<Option<ConnectionView>> {
        Ok(match self.activity()? {
            Activity::PipelineNodesConnected(change)
            | Activity::PipelineNodesDisconnected(change) => {
                Some(ConnectionView(change.connection.clone()))
            }
            _ => None,
        })
    }

    /// The node removed (PIPELINE_NODE_REMOVED).
    async fn removed_node_id(&self) -> AppResult<Option<ID>> {
        Ok(match self.activity()? {
            Activity::PipelineNodeRemoved(change) => {
                Some(encode_id(NODE_TYPE, change.removed_node_id))
            }
            _ => None,
        })
    }

    /// Connections that went with a removed node.
    async fn removed_connection_ids(&self) -> AppResult<Vec<ID>> {
        Ok(match self.activity()? {
            Activity::PipelineNodeRemoved(change) => change
                .removed_connection_ids
                .iter()
                .map(|id| encode_id(CONNECTION_TYPE, *id))
                .collect(),
            _ => Vec::new(),
        })
    }

    /// The whole graph after PIPELINE_GRAPH_SAVED.
    async fn nodes(&self) -> AppResult<Option<Vec<NodeView>>> {
        Ok(match self.activity()? {
            Activity::PipelineGraphSaved(saved) => {
                Some(saved.nodes.iter().cloned().map(NodeView).collect())
            }
            _ => None,
        })
    }

    async fn connections(&self) -> AppResult<Option<Vec<ConnectionView>>> {
        Ok(match self.activity()? {
            Activity::PipelineGraphSaved(saved) => Some(
                saved
                    .connections
                    .iter()
                    .cloned()
                    .map(ConnectionView)
                    .collect(),
            ),
            _ => None,
        })
    }

    /// For PIPELINE_UPDATED: the fields that changed.
    async fn changed_fields(&self) -> AppResult<Vec<String>> {
        Ok(match self.activity()? {
            Activity::PipelineUpdated(update) => update.changed_fields.clone(),
            _ => Vec::new(),
        })
    }
}

impl PipelineEventView {
    fn activity(&self) -> AppResult<&Activity> {
        Activity::of(&self.event)
    }
}
