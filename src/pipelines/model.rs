//! Pipeline rows (pipelines, nodes, connections, runs, run events), their enums, the validated
//! values that may become one, and the conversion of a stored graph into the engine's graph.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::engine;
use crate::{
    db::schema::{
        pipeline_connections, pipeline_nodes, pipeline_run_events, pipeline_runs, pipelines,
    },
    error::{bad_input, AppResult},
    graphql::ids::encode_id,
};

pub const PIPELINE_TYPE: &str = "Pipeline";
pub const NODE_TYPE: &str = "PipelineNode";
pub const CONNECTION_TYPE: &str = "PipelineConnection";
pub const RUN_TYPE: &str = "PipelineRun";

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
pub const MAX_LABEL_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable, Identifiable)]
#[diesel(table_name = pipelines, check_for_backend(diesel::pg::Pg))]
pub struct Pipeline {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    pub description: String,
    pub status: PipelineStatus,
    pub validation_status: ValidationStatusValue,
    pub validation_issues: serde_json::Value,
    pub version: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the last validation of a pipeline found (`ValidationStatus` as GraphQL names it).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    async_graphql::Enum,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
#[graphql(name = "PipelineValidationStatus")]
pub enum ValidationStatusValue {
    /// Not validated yet.
    Pending,
    /// No issues.
    Valid,
    /// At least one ERROR issue: `runPipeline` refuses it.
    Invalid,
    /// Only WARNING issues: it can run.
    Warning,
}

crate::stored_as_text!(ValidationStatusValue {
    Pending => "PENDING",
    Valid => "VALID",
    Invalid => "INVALID",
    Warning => "WARNING",
});

impl From<engine::ValidationStatus> for ValidationStatusValue {
    fn from(status: engine::ValidationStatus) -> Self {
        match status {
            engine::ValidationStatus::Pending => ValidationStatusValue::Pending,
            engine::ValidationStatus::Valid => ValidationStatusValue::Valid,
            engine::ValidationStatus::Invalid => ValidationStatusValue::Invalid,
            engine::ValidationStatus::Warning => ValidationStatusValue::Warning,
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = pipelines)]
pub struct NewPipeline {
    pub id: Uuid,
    pub project_id: Uuid,
    pub name: String,
    pub description: String,
    pub created_by: Option<Uuid>,
}

#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = pipelines)]
pub struct PipelineChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<PipelineStatus>,
}

impl PipelineChanges {
    pub fn changed_fields(&self) -> Vec<&'static str> {
        let mut fields = Vec::new();
        if self.name.is_some() {
            fields.push("name");
        }
        if self.description.is_some() {
            fields.push("description");
        }
        if self.status.is_some() {
            fields.push("status");
        }
        fields
    }
}

/// A pipeline's lifecycle, set with `updatePipeline`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    async_graphql::Enum,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum PipelineStatus {
    /// Being built; the status of a new pipeline. It can be run.
    Draft,
    /// In use.
    Active,
    /// Kept for reference; `runPipeline` refuses it.
    Archived,
}

crate::stored_as_text!(PipelineStatus {
    Draft => "DRAFT",
    Active => "ACTIVE",
    Archived => "ARCHIVED",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[diesel(table_name = pipeline_nodes, check_for_backend(diesel::pg::Pg))]
pub struct PipelineNode {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub component: String,
    pub label: String,
    pub position_x: f64,
    pub position_y: f64,
    pub config: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = pipeline_nodes)]
pub struct NodeChanges {
    pub label: Option<String>,
    pub position_x: Option<f64>,
    pub position_y: Option<f64>,
    pub config: Option<serde_json::Value>,
}

impl NodeChanges {
    pub fn is_empty(&self) -> bool {
        self.label.is_none()
            && self.position_x.is_none()
            && self.position_y.is_none()
            && self.config.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, Selectable, Insertable)]
#[diesel(table_name = pipeline_connections, check_for_backend(diesel::pg::Pg))]
pub struct PipelineConnection {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub from_node_id: Uuid,
    pub from_port: String,
    pub to_node_id: Uuid,
    pub to_port: String,
    pub created_at: DateTime<Utc>,
}

/// The engine sees nodes by their global ids, so its issues name nodes as clients know them.
pub fn engine_graph(nodes: &[PipelineNode], connections: &[PipelineConnection]) -> engine::Graph {
    let node_id = |id: Uuid| encode_id(NODE_TYPE, id).0;
    engine::Graph {
        nodes: nodes
            .iter()
            .map(|node| engine::Node {
                id: node_id(node.id),
                component: node.component.clone(),
                config: node.config.clone(),
            })
            .collect(),
        connections: connections
            .iter()
            .map(|connection| engine::Connection {
                from: engine::PortRef {
                    node_id: node_id(connection.from_node_id),
                    port: connection.from_port.clone(),
                },
                to: engine::PortRef {
                    node_id: node_id(connection.to_node_id),
                    port: connection.to_port.clone(),
                },
            })
            .collect(),
    }
}

/// Where a run (or one node of it) stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    async_graphql::Enum,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum RunStatus {
    /// Waiting for a worker.
    Queued,
    /// A worker is executing it.
    Running,
    /// Finished without error.
    Succeeded,
    /// Stopped by an error (see `error`), or its workers died more than `PIPELINE_MAX_ATTEMPTS` times.
    Failed,
    /// Stopped by `cancelPipelineRun`.
    Cancelled,
    /// Stopped after the run time limit (`PIPELINE_RUN_TIMEOUT_SECONDS`).
    TimedOut,
}

crate::stored_as_text!(RunStatus {
    Queued => "QUEUED",
    Running => "RUNNING",
    Succeeded => "SUCCEEDED",
    Failed => "FAILED",
    Cancelled => "CANCELLED",
    TimedOut => "TIMED_OUT",
});

impl RunStatus {
    pub fn is_finished(self) -> bool {
        !matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, QueryableByName, Selectable,
)]
#[diesel(table_name = pipeline_runs, check_for_backend(diesel::pg::Pg))]
pub struct PipelineRun {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub project_id: Uuid,
    pub requested_by: Option<Uuid>,
    pub status: RunStatus,
    pub parameters: serde_json::Value,
    pub graph: serde_json::Value,
    pub attempts: i32,
    pub lease_owner: Option<Uuid>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub cancel_requested: bool,
    pub node_results: serde_json::Value,
    pub error: Option<String>,
    pub output_rows: i64,
    pub output_stored: i64,
    pub event_seq: i32,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = pipeline_runs)]
pub struct NewRun {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub project_id: Uuid,
    pub requested_by: Option<Uuid>,
    pub parameters: serde_json::Value,
    pub graph: serde_json::Value,
}

/// What one node did in a run, as stored in `node_results` and shown as `PipelineRun.nodes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeResult {
    pub node_id: String,
    pub status: RunStatus,
    pub rows_in: u64,
    pub rows_out: u64,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// What a run progress event reports.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    async_graphql::Enum,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum RunEventKind {
    /// A worker started the run (again after a worker died: see `attempt`).
    RunStarted,
    /// A node started.
    NodeStarted,
    /// A node finished, with its row counts and status.
    NodeFinished,
    /// A node an earlier attempt started will never finish: that attempt's worker stopped
    /// (`attempt` names it). Sent before the next attempt's RUN_STARTED.
    NodeAbandoned,
    /// The run reached its final status; the last event of the stream.
    RunFinished,
}

crate::stored_as_text!(RunEventKind {
    RunStarted => "RUN_STARTED",
    NodeStarted => "NODE_STARTED",
    NodeFinished => "NODE_FINISHED",
    NodeAbandoned => "NODE_ABANDONED",
    RunFinished => "RUN_FINISHED",
});

#[derive(
    Debug, Clone, PartialEq, Serialize, Deserialize, Queryable, QueryableByName, Selectable,
)]
#[diesel(table_name = pipeline_run_events, check_for_backend(diesel::pg::Pg))]
pub struct RunEvent {
    pub run_id: Uuid,
    pub seq: i32,
    pub kind: RunEventKind,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

/// Nodes a run's progress shows started and never closed (by NODE_FINISHED or NODE_ABANDONED),
/// each with the attempt that started it, in the order they started.
pub fn nodes_left_open(events: &[RunEvent]) -> Vec<(String, i64)> {
    let mut attempt = 0;
    let mut open: Vec<(String, i64)> = Vec::new();
    for event in events {
        let node_id = event.payload["nodeId"].as_str();
        match (event.kind, node_id) {
            (RunEventKind::RunStarted, _) => {
                attempt = event.payload["attempt"].as_i64().unwrap_or(attempt + 1)
            }
            (RunEventKind::NodeStarted, Some(node_id)) => {
                open.retain(|(id, _)| id != node_id);
                open.push((node_id.to_string(), attempt));
            }
            (RunEventKind::NodeFinished | RunEventKind::NodeAbandoned, Some(node_id)) => {
                open.retain(|(id, _)| id != node_id)
            }
            _ => {}
        }
    }
    open
}

fn parse_text(
    field: &str,
    raw: &str,
    what: &str,
    max: usize,
    allow_empty: bool,
) -> AppResult<String> {
    let text = raw.trim();
    let length = text.chars().count();
    if length == 0 && !allow_empty {
        return Err(bad_input(field, format!("{what} must not be empty")));
    }
    if length > max {
        return Err(bad_input(
            field,
            format!("{what} must be at most {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|character| character.is_control() && character != '\n')
    {
        return Err(bad_input(
            field,
            format!("{what} must not contain control characters"),
        ));
    }
    Ok(text.to_string())
}

pub fn parse_pipeline_name(field: &str, raw: &str) -> AppResult<String> {
    parse_text(field, raw, "pipeline name", MAX_NAME_CHARS, false)
}

pub fn parse_pipeline_description(field: &str, raw: &str) -> AppResult<String> {
    parse_text(field, raw, "description", MAX_DESCRIPTION_CHARS, true)
}

pub fn parse_label(field: &str, raw: &str) -> AppResult<String> {
    parse_text(field, raw, "label", MAX_LABEL_CHARS, true)
}

/// A canvas coordinate: finite, and within a range any screen can show.
pub fn parse_coordinate(field: &str, value: f64) -> AppResult<f64> {
    if value.is_finite() && value.abs() <= 1e7 {
        Ok(value)
    } else {
        Err(bad_input(
            field,
            "must be a finite number between -10000000 and 10000000",
        ))
    }
}

pub fn parse_component(field: &str, name: &str) -> AppResult<&'static engine::Component> {
    engine::component(name).ok_or_else(|| {
        let known: Vec<&str> = engine::components()
            .iter()
            .map(|component| component.name)
            .collect();
        bad_input(
            field,
            format!("`{name}` is not a component; known: {}", known.join(", ")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seq: i32, kind: RunEventKind, payload: serde_json::Value) -> RunEvent {
        RunEvent {
            run_id: Uuid::nil(),
            seq,
            kind,
            payload,
            occurred_at: Utc::now(),
        }
    }

    #[test]
    fn nodes_a_dead_attempt_started_are_left_open_once() {
        use serde_json::json;
        use RunEventKind::*;
        let events = [
            event(1, RunStarted, json!({ "attempt": 1 })),
            event(2, NodeStarted, json!({ "nodeId": "a" })),
            event(3, NodeStarted, json!({ "nodeId": "b" })),
            event(
                4,
                NodeFinished,
                json!({ "nodeId": "a", "status": "SUCCEEDED" }),
            ),
            event(5, NodeStarted, json!({ "nodeId": "c" })),
        ];
        assert_eq!(
            nodes_left_open(&events),
            vec![("b".to_string(), 1), ("c".to_string(), 1)]
        );
        let mut later = events.to_vec();
        later.extend([
            event(6, NodeAbandoned, json!({ "nodeId": "b", "attempt": 1 })),
            event(7, NodeAbandoned, json!({ "nodeId": "c", "attempt": 1 })),
            event(8, RunStarted, json!({ "attempt": 2 })),
            event(9, NodeStarted, json!({ "nodeId": "a" })),
        ]);
        assert_eq!(nodes_left_open(&later), vec![("a".to_string(), 2)]);
    }
}
