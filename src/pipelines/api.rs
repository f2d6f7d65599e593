//! GraphQL surface of pipelines as a canvas edits them: the component catalogue, pipelines with
//! their nodes and connections, every edit (one transaction: lock the project's log, re-check the
//! role, check `expectedVersion`, change, bump the version, re-validate, log), and the live
//! `pipelineEvents` stream built on the project's activity log.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    connection::Connection, Context, InputObject, Json, Object, SimpleObject, Subscription, ID,
};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::{stream::BoxStream, StreamExt};
use serde_json::{json, Value};
use uuid::Uuid;

use super::{
    engine::{self, Issue, IssueSeverity, ValidationStatus},
    model::{
        engine_graph, parse_component, parse_coordinate, parse_label, parse_pipeline_description,
        parse_pipeline_name, NewPipeline, NodeChanges, Pipeline, PipelineChanges,
        PipelineConnection, PipelineNode, PipelineStatus, CONNECTION_TYPE, NODE_TYPE,
        PIPELINE_TYPE,
    },
    run_api::{self, RunView},
    store,
};
use crate::{
    auth::{
        authz::{self, ProjectAccess, ProjectPermission, ProjectRole, SignedIn},
        viewer::AuthenticatedUser,
    },
    config::PipelineSettings,
    error::{bad_input, internal, not_found, AppError, AppResult},
    events::{
        log::{self, ActivityEvent, ActivityKind, NewActivity},
        stream::{ProjectEventStream, StreamItem},
    },
    graphql::{
        ids::{decode_id, encode_id},
        loaders::Loaders,
        pagination::{connection_from_rows, decode_cursor, page_size},
    },
    limits::{self, NamedLimit},
    projects::api::{
        begin_project_change, publish_all, MembershipWatch, ProjectNode, PROJECT_TYPE,
    },
    state::AppState,
    users::model::User,
};

/// A pipeline as one viewer sees it.
#[derive(Clone)]
pub struct PipelineView {
    pub pipeline: Pipeline,
    pub access: ProjectAccess,
}

#[Object(name = "Pipeline")]
impl PipelineView {
    async fn id(&self) -> ID {
        encode_id(PIPELINE_TYPE, self.pipeline.id)
    }

    async fn project(&self, ctx: &Context<'_>) -> AppResult<ProjectNode> {
        let project = Loaders::from_ctx(ctx)
            .projects
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

    async fn status(&self) -> AppResult<PipelineStatus> {
        PipelineStatus::parse(&self.pipeline.status).ok_or_else(|| {
            internal(anyhow::anyhow!(
                "stored pipeline status {:?}",
                self.pipeline.status
            ))
        })
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
        run_api::list_runs(ctx, self.pipeline.id, self.access, first, after).await
    }

    async fn created_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        Loaders::from_ctx(ctx).user(self.pipeline.created_by).await
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
        Ok(Loaders::from_ctx(ctx)
            .pipeline_graphs
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
    x: f64,
    y: f64,
}

#[derive(Clone)]
pub struct NodeView(pub PipelineNode);

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

#[derive(Clone)]
pub struct ConnectionView(pub PipelineConnection);

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
pub struct ComponentView(&'static engine::Component);

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
    pipeline: PipelineView,
    node: Option<NodeView>,
    connection: Option<ConnectionView>,
}

/// One edit of a pipeline, as collaborators' canvases receive it.
#[derive(Clone)]
pub struct PipelineEventView {
    event: Arc<ActivityEvent>,
    access: ProjectAccess,
}

#[Object(name = "PipelineEvent")]
impl PipelineEventView {
    /// Pass to `pipelineEvents(after:)` to resume after this event.
    async fn cursor(&self) -> String {
        self.event.seq.to_string()
    }

    async fn kind(&self) -> AppResult<ActivityKind> {
        self.event.known_kind()
    }

    async fn actor(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        Loaders::from_ctx(ctx).user(self.event.actor_id).await
    }

    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.occurred_at
    }

    /// The pipeline's version right after this edit.
    async fn version(&self) -> Option<i64> {
        self.event.payload["version"].as_i64()
    }

    /// The pipeline row after the edit (its `nodes` and `connections` are read live).
    async fn pipeline(&self) -> AppResult<Option<PipelineView>> {
        Ok(self
            .snapshot::<Pipeline>("pipeline")?
            .map(|pipeline| PipelineView {
                pipeline,
                access: self.access,
            }))
    }

    /// The node added or updated (PIPELINE_NODE_ADDED / _UPDATED).
    async fn node(&self) -> AppResult<Option<NodeView>> {
        Ok(self.snapshot::<PipelineNode>("node")?.map(NodeView))
    }

    /// The connection made or removed (PIPELINE_NODES_CONNECTED / _DISCONNECTED).
    async fn connection(&self) -> AppResult<Option<ConnectionView>> {
        Ok(self
            .snapshot::<PipelineConnection>("connection")?
            .map(ConnectionView))
    }

    /// The node removed (PIPELINE_NODE_REMOVED).
    async fn removed_node_id(&self) -> Option<ID> {
        self.event.payload["removedNodeId"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .map(|id| encode_id(NODE_TYPE, id))
    }

    /// Connections that went with a removed node.
    async fn removed_connection_ids(&self) -> Vec<ID> {
        self.event.payload["removedConnectionIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str().and_then(|id| Uuid::parse_str(id).ok()))
            .map(|id| encode_id(CONNECTION_TYPE, id))
            .collect()
    }

    /// The whole graph after PIPELINE_GRAPH_SAVED.
    async fn nodes(&self) -> AppResult<Option<Vec<NodeView>>> {
        Ok(self
            .snapshot::<Vec<PipelineNode>>("nodes")?
            .map(|nodes| nodes.into_iter().map(NodeView).collect()))
    }

    async fn connections(&self) -> AppResult<Option<Vec<ConnectionView>>> {
        Ok(self
            .snapshot::<Vec<PipelineConnection>>("connections")?
            .map(|connections| connections.into_iter().map(ConnectionView).collect()))
    }

    /// For PIPELINE_UPDATED: the fields that changed.
    async fn changed_fields(&self) -> Vec<String> {
        self.event.payload["changedFields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|field| field.as_str().map(String::from))
            .collect()
    }
}

impl PipelineEventView {
    fn snapshot<T: serde::de::DeserializeOwned>(&self, key: &str) -> AppResult<Option<T>> {
        match self.event.payload.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|error| {
                    internal(anyhow::anyhow!(
                        "activity {} payload: {error}",
                        self.event.seq
                    ))
                }),
        }
    }
}

fn viewer<'a>(ctx: &Context<'a>) -> AppResult<&'a AuthenticatedUser> {
    authz::require_user(authz::viewer(ctx))
}

/// The pipeline and the viewer's access to it; `NOT_FOUND` for non-members.
pub async fn pipeline_access(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    pipeline_id: Uuid,
) -> AppResult<(Pipeline, ProjectAccess)> {
    let (pipeline, role) = store::find_with_role(connection, pipeline_id, viewer.user_id())
        .await?
        .ok_or_else(|| not_found("pipeline"))?;
    let access = ProjectAccess::for_viewer(viewer, role.as_deref().and_then(ProjectRole::parse));
    access.require(ProjectPermission::ReadProject, "pipeline")?;
    Ok((pipeline, access))
}

/// Opens an edit: locks the project's log (writers queue up, seq order is commit order),
/// re-checks the role, locks the pipeline and checks `expected_version`.
async fn begin_pipeline_change(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    pipeline_id: Uuid,
    expected_version: Option<i32>,
) -> AppResult<(Pipeline, ProjectAccess)> {
    let (pipeline, _) = pipeline_access(connection, viewer, pipeline_id).await?;
    let (_, access) = begin_project_change(
        connection,
        viewer,
        pipeline.project_id,
        ProjectPermission::EditPipeline,
    )
    .await?;
    let pipeline = store::lock_pipeline(connection, pipeline_id)
        .await?
        .ok_or_else(|| not_found("pipeline"))?;
    store::check_version(&pipeline, expected_version)?;
    Ok((pipeline, access))
}

/// Validates the stored graph and saves the result on the pipeline.
pub async fn revalidate(
    connection: &mut AsyncPgConnection,
    pipeline_id: Uuid,
) -> AppResult<Pipeline> {
    let nodes = store::nodes_of(connection, &[pipeline_id]).await?;
    let connections = store::connections_of(connection, &[pipeline_id]).await?;
    let report = engine::validate(&engine_graph(&nodes, &connections));
    store::save_validation(connection, pipeline_id, &report).await
}

/// Closes an edit: bumps the version, re-validates, and logs `kind` with `extra` payload.
async fn finish_pipeline_change(
    connection: &mut AsyncPgConnection,
    pipeline: &Pipeline,
    changes: &PipelineChanges,
    actor: Uuid,
    kind: ActivityKind,
    extra: Value,
) -> AppResult<(Pipeline, ActivityEvent)> {
    store::bump_version(connection, pipeline.id, changes).await?;
    let pipeline = revalidate(connection, pipeline.id).await?;
    let mut payload = json!({
        "pipelineId": pipeline.id,
        "version": pipeline.version,
        "pipeline": pipeline,
    });
    if let (Some(payload), Value::Object(extra)) = (payload.as_object_mut(), extra) {
        payload.extend(extra);
    }
    let event = log::append(
        connection,
        NewActivity {
            project_id: pipeline.project_id,
            actor_id: Some(actor),
            kind,
            payload,
        },
    )
    .await?;
    Ok((pipeline, event))
}

fn node_config(config: Option<Json<Value>>) -> AppResult<Value> {
    let config = config.map_or_else(|| json!({}), |Json(config)| config);
    if !config.is_object() {
        return Err(bad_input("config", "must be a JSON object"));
    }
    Ok(config)
}

fn check_node_count(settings: &PipelineSettings, count: usize) -> AppResult<()> {
    if count > settings.max_nodes {
        return Err(bad_input(
            "nodes",
            format!("a pipeline holds at most {} nodes", settings.max_nodes),
        ));
    }
    Ok(())
}

fn new_node(
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

#[derive(InputObject)]
pub struct CreatePipelineInput {
    project_id: ID,
    name: String,
    #[graphql(default)]
    description: String,
}

#[derive(InputObject)]
pub struct UpdatePipelineInput {
    id: ID,
    expected_version: Option<i32>,
    name: Option<String>,
    description: Option<String>,
    status: Option<PipelineStatus>,
}

#[derive(InputObject)]
pub struct AddPipelineNodeInput {
    pipeline_id: ID,
    expected_version: Option<i32>,
    component: String,
    #[graphql(default)]
    label: String,
    position: Option<PositionInput>,
    config: Option<Json<Value>>,
}

#[derive(InputObject)]
pub struct UpdatePipelineNodeInput {
    node_id: ID,
    expected_version: Option<i32>,
    label: Option<String>,
    position: Option<PositionInput>,
    /// Replaces the whole config.
    config: Option<Json<Value>>,
}

#[derive(InputObject)]
pub struct RemovePipelineNodeInput {
    node_id: ID,
    expected_version: Option<i32>,
}

#[derive(InputObject, Clone)]
pub struct PipelinePortInput {
    node_id: ID,
    port: String,
}

#[derive(InputObject)]
pub struct ConnectPipelineNodesInput {
    pipeline_id: ID,
    expected_version: Option<i32>,
    from: PipelinePortInput,
    to: PipelinePortInput,
}

/// A node of a whole graph saved at once. `key` is the node's id to keep an existing node, or
/// any other string for a new one; connections name nodes by key.
#[derive(InputObject)]
pub struct PipelineGraphNodeInput {
    key: ID,
    component: String,
    #[graphql(default)]
    label: String,
    position: Option<PositionInput>,
    config: Option<Json<Value>>,
}

#[derive(InputObject)]
pub struct PipelineGraphConnectionInput {
    from: PipelinePortInput,
    to: PipelinePortInput,
}

#[derive(Default)]
pub struct PipelineQuery;

#[Object]
impl PipelineQuery {
    /// Every component a pipeline can use.
    async fn pipeline_components(&self) -> Vec<ComponentView> {
        engine::components().iter().map(ComponentView).collect()
    }

    #[graphql(guard = "SignedIn")]
    async fn pipeline(&self, ctx: &Context<'_>, id: ID) -> AppResult<PipelineView> {
        let viewer = viewer(ctx)?;
        let pipeline_id = decode_id(PIPELINE_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (pipeline, access) = pipeline_access(&mut connection, viewer, pipeline_id).await?;
        Ok(PipelineView { pipeline, access })
    }

    /// A project's pipelines, oldest first.
    #[graphql(guard = "SignedIn")]
    async fn pipelines(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Connection<String, PipelineView>> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let limit = page_size(first)?;
        let after_position: Option<store::PipelineCursor> = after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (_, access) =
            crate::projects::api::load_project_access(&mut connection, viewer, project_id).await?;
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

#[derive(Default)]
pub struct PipelineMutation;

fn edit_payload(
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
fn resolve_port(
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

fn check_port(node: &PipelineNode, port: &str, field: &str, output: bool) -> AppResult<()> {
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

#[Object]
impl PipelineMutation {
    /// Creates an empty DRAFT pipeline in a project (EDITOR and above; limited per hour).
    #[graphql(guard = "SignedIn")]
    async fn create_pipeline(
        &self,
        ctx: &Context<'_>,
        input: CreatePipelineInput,
    ) -> AppResult<PipelineView> {
        let project_id = decode_id(PROJECT_TYPE, "projectId", &input.project_id)?;
        let name = parse_pipeline_name("name", &input.name)?;
        let description = parse_pipeline_description("description", &input.description)?;
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (value, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (_, access) = begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::EditPipeline,
                )
                .await?;
                limits::check(ctx, NamedLimit::PipelineCreate).await?;
                let pipeline = store::insert_pipeline(
                    connection,
                    NewPipeline {
                        id: Uuid::now_v7(),
                        project_id,
                        name,
                        description,
                        created_by: Some(viewer.user_id()),
                    },
                )
                .await?;
                let pipeline = revalidate(connection, pipeline.id).await?;
                let event = log::append(
                    connection,
                    NewActivity {
                        project_id,
                        actor_id: Some(viewer.user_id()),
                        kind: ActivityKind::PipelineCreated,
                        payload: json!({
                            "pipelineId": pipeline.id,
                            "version": pipeline.version,
                            "pipeline": pipeline,
                        }),
                    },
                )
                .await?;
                Ok((PipelineView { pipeline, access }, event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(value)
    }

    /// Renames, re-describes or changes the status of a pipeline (EDITOR and above).
    #[graphql(guard = "SignedIn")]
    async fn update_pipeline(
        &self,
        ctx: &Context<'_>,
        input: UpdatePipelineInput,
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
            status: input.status.map(|status| status.as_str().to_string()),
        };
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (value, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (pipeline, access) =
                    begin_pipeline_change(connection, viewer, pipeline_id, input.expected_version)
                        .await?;
                let (pipeline, event) = finish_pipeline_change(
                    connection,
                    &pipeline,
                    &changes,
                    viewer.user_id(),
                    ActivityKind::PipelineUpdated,
                    json!({ "changedFields": changes.changed_fields() }),
                )
                .await?;
                Ok((PipelineView { pipeline, access }, event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(value)
    }

    /// Deletes a pipeline with its runs (EDITOR and above). Its `pipelineEvents` streams end.
    #[graphql(guard = "SignedIn")]
    async fn delete_pipeline(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: Option<i32>,
    ) -> AppResult<bool> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "id", &id)?;
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (value, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (pipeline, _) =
                    begin_pipeline_change(connection, viewer, pipeline_id, expected_version)
                        .await?;
                store::delete_pipeline(connection, pipeline_id).await?;
                let event = log::append(
                    connection,
                    NewActivity {
                        project_id: pipeline.project_id,
                        actor_id: Some(viewer.user_id()),
                        kind: ActivityKind::PipelineDeleted,
                        payload: json!({
                            "pipelineId": pipeline.id,
                            "version": pipeline.version + 1,
                        }),
                    },
                )
                .await?;
                Ok((true, event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(value)
    }

    /// Adds a node from the catalogue (EDITOR and above). Its config may be incomplete: the
    /// pipeline's validation says what is missing.
    #[graphql(guard = "SignedIn")]
    async fn add_pipeline_node(
        &self,
        ctx: &Context<'_>,
        input: AddPipelineNodeInput,
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
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (value, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (pipeline, access) =
                    begin_pipeline_change(connection, viewer, pipeline_id, input.expected_version)
                        .await?;
                let count = store::count_nodes(connection, pipeline_id).await? as usize;
                check_node_count(settings, count + 1)?;
                let node = store::insert_nodes(connection, &[node])
                    .await?
                    .pop()
                    .ok_or_else(|| internal(anyhow::anyhow!("insert returned no node")))?;
                let (pipeline, event) = finish_pipeline_change(
                    connection,
                    &pipeline,
                    &PipelineChanges::default(),
                    viewer.user_id(),
                    ActivityKind::PipelineNodeAdded,
                    json!({ "node": node }),
                )
                .await?;
                Ok((edit_payload(pipeline, access, Some(node), None), event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(value)
    }

    /// Changes a node's label, position or config (EDITOR and above).
    #[graphql(guard = "SignedIn")]
    async fn update_pipeline_node(
        &self,
        ctx: &Context<'_>,
        input: UpdatePipelineNodeInput,
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
        let pipeline_id = {
            let mut connection = AppState::from_ctx(ctx).pool.get().await?;
            store::pipeline_of_node(&mut connection, node_id)
                .await?
                .ok_or_else(|| not_found("node"))?
        };
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (value, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (pipeline, access) =
                    begin_pipeline_change(connection, viewer, pipeline_id, input.expected_version)
                        .await?;
                let node = store::find_node(connection, pipeline_id, node_id)
                    .await?
                    .ok_or_else(|| not_found("node"))?;
                let node = if changes.is_empty() {
                    node
                } else {
                    store::update_node(connection, node_id, &changes).await?
                };
                let (pipeline, event) = finish_pipeline_change(
                    connection,
                    &pipeline,
                    &PipelineChanges::default(),
                    viewer.user_id(),
                    ActivityKind::PipelineNodeUpdated,
                    json!({ "node": node }),
                )
                .await?;
                Ok((edit_payload(pipeline, access, Some(node), None), event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(value)
    }

    /// Removes a node and its connections (EDITOR and above).
    #[graphql(guard = "SignedIn")]
    async fn remove_pipeline_node(
        &self,
        ctx: &Context<'_>,
        input: RemovePipelineNodeInput,
    ) -> AppResult<PipelineView> {
        let node_id = decode_id(NODE_TYPE, "nodeId", &input.node_id)?;
        let pipeline_id = {
            let mut connection = AppState::from_ctx(ctx).pool.get().await?;
            store::pipeline_of_node(&mut connection, node_id)
                .await?
                .ok_or_else(|| not_found("node"))?
        };
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (value, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (pipeline, access) =
                    begin_pipeline_change(connection, viewer, pipeline_id, input.expected_version)
                        .await?;
                store::find_node(connection, pipeline_id, node_id)
                    .await?
                    .ok_or_else(|| not_found("node"))?;
                let removed = store::delete_node(connection, pipeline_id, node_id).await?;
                let removed_ids: Vec<Uuid> =
                    removed.iter().map(|connection| connection.id).collect();
                let (pipeline, event) = finish_pipeline_change(
                    connection,
                    &pipeline,
                    &PipelineChanges::default(),
                    viewer.user_id(),
                    ActivityKind::PipelineNodeRemoved,
                    json!({ "removedNodeId": node_id, "removedConnectionIds": removed_ids }),
                )
                .await?;
                Ok((PipelineView { pipeline, access }, event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(value)
    }

    /// Connects an output port to an input port of nodes in the same pipeline (EDITOR and
    /// above). The same two ports cannot be connected twice (`CONFLICT`).
    #[graphql(guard = "SignedIn")]
    async fn connect_pipeline_nodes(
        &self,
        ctx: &Context<'_>,
        input: ConnectPipelineNodesInput,
    ) -> AppResult<PipelineEditPayload> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &input.pipeline_id)?;
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (value, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (pipeline, access) =
                    begin_pipeline_change(connection, viewer, pipeline_id, input.expected_version)
                        .await?;
                let nodes = store::nodes_of(connection, &[pipeline_id]).await?;
                let by_id: HashMap<Uuid, &PipelineNode> =
                    nodes.iter().map(|node| (node.id, node)).collect();
                let (from_node, from_port) = resolve_port(&by_id, &input.from, "from", true)?;
                let (to_node, to_port) = resolve_port(&by_id, &input.to, "to", false)?;
                let wire = store::insert_connections(
                    connection,
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
                let (pipeline, event) = finish_pipeline_change(
                    connection,
                    &pipeline,
                    &PipelineChanges::default(),
                    viewer.user_id(),
                    ActivityKind::PipelineNodesConnected,
                    json!({ "connection": wire }),
                )
                .await?;
                Ok((edit_payload(pipeline, access, None, Some(wire)), event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(value)
    }

    /// Removes the connection between two ports (EDITOR and above).
    #[graphql(guard = "SignedIn")]
    async fn disconnect_pipeline_nodes(
        &self,
        ctx: &Context<'_>,
        input: ConnectPipelineNodesInput,
    ) -> AppResult<PipelineEditPayload> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &input.pipeline_id)?;
        let from_node = decode_id(NODE_TYPE, "from.nodeId", &input.from.node_id)?;
        let to_node = decode_id(NODE_TYPE, "to.nodeId", &input.to.node_id)?;
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (value, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (pipeline, access) =
                    begin_pipeline_change(connection, viewer, pipeline_id, input.expected_version)
                        .await?;
                let wire = store::delete_connection(
                    connection,
                    pipeline_id,
                    (from_node, &input.from.port),
                    (to_node, &input.to.port),
                )
                .await?
                .ok_or_else(|| not_found("connection"))?;
                let (pipeline, event) = finish_pipeline_change(
                    connection,
                    &pipeline,
                    &PipelineChanges::default(),
                    viewer.user_id(),
                    ActivityKind::PipelineNodesDisconnected,
                    json!({ "connection": wire }),
                )
                .await?;
                Ok((edit_payload(pipeline, access, None, Some(wire)), event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(value)
    }

    /// Replaces the whole graph atomically, if the pipeline is still at `expectedVersion`
    /// (EDITOR and above). Nodes keyed by an existing node id keep that id.
    #[graphql(guard = "SignedIn")]
    async fn save_pipeline_graph(
        &self,
        ctx: &Context<'_>,
        pipeline_id: ID,
        expected_version: i32,
        nodes: Vec<PipelineGraphNodeInput>,
        connections: Vec<PipelineGraphConnectionInput>,
    ) -> AppResult<PipelineView> {
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &pipeline_id)?;
        let settings = &AppState::from_ctx(ctx).settings.pipelines;
        check_node_count(settings, nodes.len())?;
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (value, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (pipeline, access) =
                    begin_pipeline_change(connection, viewer, pipeline_id, Some(expected_version))
                        .await?;
                let existing: Vec<Uuid> = store::nodes_of(connection, &[pipeline_id])
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
                let mut wires = Vec::with_capacity(connections.len());
                let mut seen = std::collections::HashSet::new();
                for (position, wire) in connections.iter().enumerate() {
                    let field = format!("connections.{position}");
                    let end = |port: &PipelinePortInput,
                               side: &str,
                               output: bool|
                     -> AppResult<(Uuid, String)> {
                        let id = *by_key.get(port.node_id.as_str()).ok_or_else(|| {
                            bad_input(
                                &format!("{field}.{side}.nodeId"),
                                "names no node of this graph",
                            )
                        })?;
                        check_port(all[&id], &port.port, &format!("{field}.{side}"), output)?;
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
                store::replace_graph(connection, pipeline_id, &kept, &added, &wires).await?;
                let nodes = store::nodes_of(connection, &[pipeline_id]).await?;
                let (pipeline, event) = finish_pipeline_change(
                    connection,
                    &pipeline,
                    &PipelineChanges::default(),
                    viewer.user_id(),
                    ActivityKind::PipelineGraphSaved,
                    json!({ "nodes": nodes, "connections": wires }),
                )
                .await?;
                Ok((PipelineView { pipeline, access }, event))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(value)
    }

    /// Validates the pipeline now and stores the result (anyone who can read it).
    #[graphql(guard = "SignedIn")]
    async fn validate_pipeline(&self, ctx: &Context<'_>, id: ID) -> AppResult<PipelineView> {
        let viewer = viewer(ctx)?;
        let pipeline_id = decode_id(PIPELINE_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (_, access) = pipeline_access(&mut connection, viewer, pipeline_id).await?;
        let pipeline = revalidate(&mut connection, pipeline_id).await?;
        Ok(PipelineView { pipeline, access })
    }
}

type GraphNodes = (Vec<PipelineNode>, Vec<PipelineNode>, HashMap<String, Uuid>);

/// Splits a saved graph's nodes into kept (keyed by an existing id) and new ones.
fn graph_nodes(
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

#[derive(Default)]
pub struct PipelineSubscription;

#[Subscription]
impl PipelineSubscription {
    /// Live edits of a pipeline. With `after` (a `cursor` from an earlier event), everything
    /// after it is replayed first, then live events follow with no gap and no duplicate; the
    /// stream ends after PIPELINE_DELETED. Removal from the project ends it with `FORBIDDEN`.
    async fn pipeline_events(
        &self,
        ctx: &Context<'_>,
        pipeline_id: ID,
        after: Option<String>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<PipelineEventView>>> {
        let viewer = viewer(ctx)?.clone();
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &pipeline_id)?;
        let after_seq = after
            .as_deref()
            .map(|cursor| {
                cursor
                    .parse::<i64>()
                    .ok()
                    .filter(|seq| *seq >= 0)
                    .ok_or_else(|| bad_input("after", "is not a cursor returned by this API"))
            })
            .transpose()?;
        let state = AppState::from_ctx(ctx).clone();
        Ok(Box::pin(open_pipeline_events(state, viewer, pipeline_id, after_seq)).await?)
    }
}

async fn open_pipeline_events(
    state: AppState,
    viewer: AuthenticatedUser,
    pipeline_id: Uuid,
    after_seq: Option<i64>,
) -> AppResult<BoxStream<'static, async_graphql::Result<PipelineEventView>>> {
    let (pipeline, access) = {
        let mut connection = state.pool.get().await?;
        pipeline_access(&mut connection, &viewer, pipeline_id).await?
    };
    let stream =
        ProjectEventStream::open(&state.pool, &state.events, pipeline.project_id, after_seq)
            .await?;
    let watcher = MembershipWatch::new(&viewer, access);
    let events = Box::pin(stream.into_stream());
    let wanted = pipeline_id.to_string();
    Ok(futures_util::stream::unfold(
        (events, watcher, wanted),
        |(mut events, mut watcher, wanted)| async move {
            loop {
                if watcher.ended {
                    return None;
                }
                let item: StreamItem = events.next().await?;
                match watcher.admit(item) {
                    Err(error) => return Some((Err(error), (events, watcher, wanted))),
                    Ok(node)
                        if node.event.payload["pipelineId"].as_str() == Some(wanted.as_str()) =>
                    {
                        if node.event.kind() == Some(ActivityKind::PipelineDeleted) {
                            watcher.ended = true;
                        }
                        let view = PipelineEventView {
                            event: node.event,
                            access: node.access,
                        };
                        return Some((Ok(view), (events, watcher, wanted)));
                    }
                    Ok(_) => {}
                }
            }
        },
    )
    .boxed())
}
