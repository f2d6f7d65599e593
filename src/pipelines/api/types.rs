//! The GraphQL types of the pipeline canvas: `Pipeline`, `PipelineNode`, `PipelineLink`,
//! `PipelineComponent`, `PipelineEvent` and their enums.

use async_graphql::{connection::Connection, Context, InputObject, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{
    error::{internal, not_found, AppResult},
    graphql::{ids::encode_id, loaders::Loaders, pagination::PageCursor},
    pipelines::{
        engine::{self, Issue, IssueSeverity},
        loaders::PipelineGraphLoader,
        model::{
            PipelineConnection, PipelineNode, PipelineStatus, ValidationStatusValue,
            CONNECTION_TYPE, NODE_TYPE, PIPELINE_TYPE,
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

/// A data pipeline of a project: a graph of component nodes whose ports are linked, validated
/// after every edit and run by workers. Visible to the project's members; edited by EDITOR and
/// above, run by EXECUTOR and above.
#[Object(name = "Pipeline")]
impl PipelineView {
    /// Opaque global id; also accepted by `node(id:)`.
    async fn id(&self) -> ID {
        encode_id(PIPELINE_TYPE, self.pipeline.id)
    }

    /// The project the pipeline belongs to.
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

    /// 1 to 200 characters.
    async fn name(&self) -> &str {
        &self.pipeline.name
    }

    /// At most 4,000 characters; empty when not set.
    async fn description(&self) -> &str {
        &self.pipeline.description
    }

    /// Its lifecycle status; ARCHIVED pipelines cannot be run.
    async fn status(&self) -> PipelineStatus {
        self.pipeline.status
    }

    /// The verdict of the last validation; INVALID pipelines cannot be run.
    async fn validation_status(&self) -> ValidationStatusValue {
        self.pipeline.validation_status
    }

    /// What the last validation found (after every edit, or `validatePipeline`).
    async fn validation_issues(&self) -> AppResult<Vec<PipelineIssue>> {
        stored_issues(&self.pipeline.validation_issues)
    }

    /// Bumped by every edit; pass it as `expectedVersion` to refuse stale edits.
    async fn version(&self) -> i32 {
        self.pipeline.version
    }

    /// Every node of the graph (at most 200 by default, `PIPELINE_MAX_NODES`).
    async fn nodes(&self, ctx: &Context<'_>) -> AppResult<Vec<NodeView>> {
        let (nodes, _) = self.graph(ctx).await?;
        Ok(nodes.into_iter().map(NodeView).collect())
    }

    /// Every link between two ports of the graph.
    async fn connections(&self, ctx: &Context<'_>) -> AppResult<Vec<ConnectionView>> {
        let (_, connections) = self.graph(ctx).await?;
        Ok(connections.into_iter().map(ConnectionView).collect())
    }

    /// Runs, newest first.
    async fn runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page.")] after: Option<String>,
    ) -> AppResult<Connection<PageCursor, RunView>> {
        runs::list_runs(ctx, self.pipeline.id, self.access, first, after).await
    }

    /// Who created the pipeline; null once that account is deleted.
    async fn created_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        users::loaders::user(ctx, self.pipeline.created_by).await
    }

    /// When the pipeline was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.pipeline.created_at
    }

    /// When the pipeline or its graph last changed.
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

/// How serious a validation issue is.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PipelineIssueSeverity")]
pub enum IssueSeverityValue {
    /// The pipeline cannot run until it is fixed.
    Error,
    /// Worth a look; the pipeline can still run.
    Warning,
}

/// The role a component plays in a graph.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PipelineComponentKind")]
pub enum ComponentKindValue {
    /// Produces rows; has no inputs.
    Source,
    /// Turns input rows into output rows.
    Transform,
    /// Consumes rows: stores them as run output or acts on them.
    Sink,
    /// Checks rows against required fields and types; invalid rows are dropped or routed to
    /// their own output.
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
    /// ERROR blocks runs; WARNING does not.
    severity: IssueSeverityValue,
    /// Stable: NO_SOURCE, NO_SINK, CYCLE, REQUIRED_INPUT_UNCONNECTED, INPUT_CONNECTED_TWICE,
    /// UNKNOWN_COMPONENT, UNKNOWN_NODE, UNKNOWN_PORT, DUPLICATE_CONNECTION, INVALID_CONFIG,
    /// INVALID_EXPRESSION, SCHEMA_MISMATCH, UNREACHABLE_NODE.
    code: String,
    /// Human-readable explanation, in English; may change between releases.
    message: String,
    /// The node the issue is about; null for graph-wide issues (NO_SOURCE, CYCLE, ...).
    node_id: Option<ID>,
    /// JSON pointer to the offending part; null when the whole node or graph is meant.
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

/// A node's place on the canvas, in canvas units.
#[derive(SimpleObject, Clone, Copy)]
#[graphql(name = "PipelinePosition")]
pub struct Position {
    /// Horizontal coordinate.
    x: f64,
    /// Vertical coordinate.
    y: f64,
}

/// A place on the canvas: each coordinate finite and between -10,000,000 and 10,000,000
/// (else `BAD_USER_INPUT`).
#[derive(InputObject, Clone, Copy)]
#[graphql(name = "PipelinePositionInput")]
pub struct PositionInput {
    /// Horizontal coordinate.
    pub(crate) x: f64,
    /// Vertical coordinate.
    pub(crate) y: f64,
}

/// One step of a pipeline: an instance of a catalogue component with its config.
#[Object(name = "PipelineNode")]
impl NodeView {
    /// Opaque id; issues, run results and ports name the node by it.
    async fn id(&self) -> ID {
        encode_id(NODE_TYPE, self.0.id)
    }

    /// The component's `name` in `pipelineComponents`.
    async fn component(&self) -> &str {
        &self.0.component
    }

    /// From the component; null if the component is no longer in the catalogue.
    async fn kind(&self) -> Option<ComponentKindValue> {
        engine::component(&self.0.component).map(|component| component.kind.into())
    }

    /// Free text shown on the canvas, at most 200 characters; may be empty.
    async fn label(&self) -> &str {
        &self.0.label
    }

    /// Where it sits on the canvas.
    async fn position(&self) -> Position {
        Position {
            x: self.0.position_x,
            y: self.0.position_y,
        }
    }

    /// A JSON object, meant to follow the component's `configSchema` (validation reports
    /// where it does not).
    async fn config(&self) -> Json<Value> {
        Json(self.0.config.clone())
    }
}

/// One port of one node.
#[derive(SimpleObject, Clone)]
pub struct PipelinePort {
    /// The node's `PipelineNode.id`.
    node_id: ID,
    /// The port's name among the component's `inputs` or `outputs`.
    port: String,
}

/// A connection between two ports, named so as not to clash with the Relay `PipelineConnection`.
#[Object(name = "PipelineLink")]
impl ConnectionView {
    /// Opaque id of the link.
    async fn id(&self) -> ID {
        encode_id(CONNECTION_TYPE, self.0.id)
    }

    /// The output port rows come from.
    async fn from(&self) -> PipelinePort {
        PipelinePort {
            node_id: encode_id(NODE_TYPE, self.0.from_node_id),
            port: self.0.from_port.clone(),
        }
    }

    /// The input port rows go to.
    async fn to(&self) -> PipelinePort {
        PipelinePort {
            node_id: encode_id(NODE_TYPE, self.0.to_node_id),
            port: self.0.to_port.clone(),
        }
    }
}

pub struct ComponentView(pub(crate) &'static engine::Component);

/// A component of the catalogue, as a canvas palette shows it: what a pipeline node can be.
#[Object(name = "PipelineComponent")]
impl ComponentView {
    /// Stable name, used as `component` when adding a node.
    async fn name(&self) -> &str {
        self.0.name
    }

    /// The role it plays in a graph.
    async fn kind(&self) -> ComponentKindValue {
        self.0.kind.into()
    }

    /// What it does, in English.
    async fn description(&self) -> &str {
        self.0.description
    }

    /// The ports it reads rows from; empty for sources.
    async fn inputs(&self) -> Vec<ComponentPort> {
        self.0.inputs.iter().map(ComponentPort::from).collect()
    }

    /// The ports it writes rows to; empty for sinks.
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
/// An input or output port of a component.
pub struct ComponentPort {
    /// The port's name, as `PipelinePortInput.port` names it.
    name: String,
    /// For inputs: whether validation requires a connection to it (REQUIRED_INPUT_UNCONNECTED).
    required: bool,
    /// What flows through it, in English.
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
    /// The pipeline after the edit, with its new `version` and validation.
    pub(crate) pipeline: PipelineView,
    /// The node added or changed; null for connection edits and removals.
    pub(crate) node: Option<NodeView>,
    /// The link made or removed; null for node edits.
    pub(crate) connection: Option<ConnectionView>,
}

/// One edit of a pipeline, as `pipelineEvents` delivers it. Which fields are set depends on
/// `kind`.
#[Object(name = "PipelineEvent")]
impl PipelineEventView {
    /// Pass to `pipelineEvents(after:)` to resume after this event.
    async fn cursor(&self) -> String {
        self.event.seq.to_string()
    }

    /// What happened: one of the PIPELINE_* kinds.
    async fn kind(&self) -> AppResult<ActivityKind> {
        Ok(self.activity()?.kind())
    }

    /// Who made the edit; null once that account is deleted.
    async fn actor(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        users::loaders::user(ctx, self.event.actor_id).await
    }

    /// When the edit was committed.
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

    /// The whole graph's links after PIPELINE_GRAPH_SAVED; null for other kinds.
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
