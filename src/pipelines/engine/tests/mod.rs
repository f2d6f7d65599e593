//! The engine on small exact inputs: each component, each validation rule, the sandbox, and
//! how rows stream between nodes. This module holds the builders the others share.

mod components;
mod sandbox;
mod streaming;
mod validation;

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{
    csv, execute,
    execute::{RunFailure, TaskToCreate},
    expression::Expression,
    rows::FieldType,
    validate, Connection, ExecutionEvent, ExecutionLimits, Graph, IssueSeverity, Node, PortRef,
    Row, RunInputs, ValidationStatus,
};

fn node(id: &str, component: &str, config: Value) -> Node {
    Node {
        id: id.into(),
        component: component.into(),
        config,
    }
}

fn wire(from: &str, from_port: &str, to: &str, to_port: &str) -> Connection {
    Connection {
        from: PortRef {
            node_id: from.into(),
            port: from_port.into(),
        },
        to: PortRef {
            node_id: to.into(),
            port: to_port.into(),
        },
    }
}

fn rows(value: Value) -> Vec<Row> {
    value
        .as_array()
        .expect("an array of rows")
        .iter()
        .map(|row| row.as_object().expect("a row object").clone())
        .collect()
}

fn inline(id: &str, data: Value) -> Node {
    node(id, "inlineRows", json!({ "rows": data }))
}

const LIMITS: ExecutionLimits = ExecutionLimits {
    max_rows: 1_000,
    max_stored_output_rows: 1_000,
};

/// Runs `source → transform → runOutput` and returns the output rows.
fn through(transform: &str, config: Value, data: Value) -> Result<Vec<Row>, RunFailure> {
    let graph = Graph {
        nodes: vec![
            inline("src", data),
            node("t", transform, config),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "t", "in"),
            wire("t", "out", "sink", "in"),
        ],
    };
    run(&graph).map(|result| result.output)
}

fn run(graph: &Graph) -> Result<execute::RunResult, RunFailure> {
    let report = validate(graph);
    assert!(
        report.errors().next().is_none(),
        "the test graph is valid: {:?}",
        report.issues
    );
    execute(graph, RunInputs::default(), LIMITS, &|| false, &mut |_| {})
}

fn failure_message(result: Result<Vec<Row>, RunFailure>) -> String {
    match result {
        Err(failure) => failure.message(),
        Ok(rows) => panic!("expected a failure, got {rows:?}"),
    }
}

/// Nodes wired one after another, each node's `out` to the next one's `in`.
fn chain_of(nodes: Vec<Node>) -> Graph {
    let connections = nodes
        .windows(2)
        .map(|pair| wire(&pair[0].id, "out", &pair[1].id, "in"))
        .collect();
    Graph { nodes, connections }
}

fn events_of(graph: &Graph) -> Vec<ExecutionEvent> {
    let mut events = Vec::new();
    execute(
        graph,
        RunInputs::default(),
        LIMITS,
        &|| false,
        &mut |event| events.push(event),
    )
    .unwrap();
    events
}

/// Events as `started:id` / `finished:id` strings, for comparing orders.
fn timeline(events: &[ExecutionEvent]) -> Vec<String> {
    events
        .iter()
        .map(|event| match event {
            ExecutionEvent::NodeStarted { node_id } => format!("started:{node_id}"),
            ExecutionEvent::NodeFinished { node_id, .. } => format!("finished:{node_id}"),
            ExecutionEvent::NodeFailed { node_id, .. } => format!("failed:{node_id}"),
        })
        .collect()
}

fn finished_counts(events: &[ExecutionEvent]) -> BTreeMap<String, (u64, u64)> {
    events
        .iter()
        .filter_map(|event| match event {
            ExecutionEvent::NodeFinished {
                node_id,
                rows_in,
                rows_out,
            } => Some((node_id.clone(), (*rows_in, *rows_out))),
            _ => None,
        })
        .collect()
}

fn numbered(count: usize) -> Value {
    json!((0..count).map(|i| json!({ "i": i })).collect::<Vec<_>>())
}

fn join_graph(kind: &str) -> Graph {
    Graph {
        nodes: vec![
            inline(
                "people",
                json!([{ "id": 1, "name": "Ann", "team": 10 }, { "id": 2, "name": "Bob", "team": 99 },
                                     { "id": 3, "name": "Cy", "team": null }]),
            ),
            inline(
                "teams",
                json!([{ "team": 10, "name": "Core" }, { "team": null, "name": "Nobody" }]),
            ),
            node(
                "j",
                "join",
                json!({ "on": [{ "left": "team", "right": "team" }], "kind": kind }),
            ),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("people", "out", "j", "left"),
            wire("teams", "out", "j", "right"),
            wire("j", "out", "sink", "in"),
        ],
    }
}
