//! Validation rules, one at a time.

use super::*;

fn codes(graph: &Graph) -> Vec<(String, Option<String>, Option<String>)> {
    validate(graph)
        .issues
        .into_iter()
        .map(|issue| (issue.code, issue.node_id, issue.path))
        .collect()
}

fn issue(
    code: &str,
    node: Option<&str>,
    path: Option<&str>,
) -> (String, Option<String>, Option<String>) {
    (
        code.to_string(),
        node.map(str::to_string),
        path.map(str::to_string),
    )
}

fn valid_chain() -> Graph {
    Graph {
        nodes: vec![
            inline("src", json!([{ "a": 1 }])),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![wire("src", "out", "sink", "in")],
    }
}

#[test]
fn a_source_wired_to_a_sink_is_valid() {
    let report = validate(&valid_chain());
    assert_eq!(report.status, ValidationStatus::Valid);
    assert!(report.issues.is_empty());
}

#[test]
fn a_pipeline_needs_a_source_and_a_sink() {
    assert_eq!(
        codes(&Graph::default()),
        vec![issue("NO_SOURCE", None, None), issue("NO_SINK", None, None)]
    );
    let only_source = Graph {
        nodes: vec![inline("src", json!([]))],
        connections: vec![],
    };
    assert_eq!(
        codes(&only_source),
        vec![
            issue("NO_SINK", None, None),
            issue("UNREACHABLE_NODE", Some("src"), None)
        ]
    );
}

#[test]
fn cycles_are_refused() {
    let mut graph = valid_chain();
    graph.nodes.push(node("u", "union", json!({})));
    graph
        .nodes
        .push(node("f", "filter", json!({ "expression": "true" })));
    graph.connections = vec![
        wire("src", "out", "u", "first"),
        wire("u", "out", "f", "in"),
        wire("f", "out", "u", "second"),
        wire("f", "out", "sink", "in"),
    ];
    let report = validate(&graph);
    assert_eq!(report.status, ValidationStatus::Invalid);
    let cycle = report
        .issues
        .iter()
        .find(|issue| issue.code == "CYCLE")
        .expect("a cycle issue");
    assert_eq!(cycle.message, "these nodes form a cycle: sink, u, f");
}

#[test]
fn required_inputs_must_be_connected_exactly_once() {
    let mut graph = valid_chain();
    graph
        .nodes
        .push(node("f", "filter", json!({ "expression": "true" })));
    graph.nodes.push(inline("other", json!([])));
    graph.connections.push(wire("other", "out", "sink", "in"));
    assert_eq!(
        codes(&graph),
        vec![
            issue("INPUT_CONNECTED_TWICE", Some("sink"), Some("/inputs/in")),
            issue("REQUIRED_INPUT_UNCONNECTED", Some("f"), Some("/inputs/in")),
            issue("UNREACHABLE_NODE", Some("f"), None),
        ]
    );
}

#[test]
fn connections_must_join_existing_nodes_and_ports() {
    let mut graph = valid_chain();
    graph.connections.push(wire("src", "nope", "sink", "in"));
    graph.connections.push(wire("src", "out", "ghost", "in"));
    let found = codes(&graph);
    assert!(
        found.contains(&issue("UNKNOWN_PORT", Some("src"), Some("/connections/1"))),
        "{found:?}"
    );
    assert!(
        found.contains(&issue("UNKNOWN_NODE", None, Some("/connections/2"))),
        "{found:?}"
    );
    graph.connections.push(wire("src", "out", "sink", "in"));
    assert!(codes(&graph).contains(&issue("DUPLICATE_CONNECTION", None, Some("/connections/3"))));
}

#[test]
fn configs_are_checked_against_their_json_schema_with_pointers() {
    let graph = Graph {
        nodes: vec![
            inline("src", json!([])),
            node(
                "agg",
                "aggregate",
                json!({ "aggregates": [{ "name": "x", "op": "median" }], "extra": 1 }),
            ),
            node("lim", "limit", json!({ "count": -1 })),
            node("nope", "teleport", json!({})),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "agg", "in"),
            wire("agg", "out", "lim", "in"),
            wire("lim", "out", "sink", "in"),
        ],
    };
    let found = codes(&graph);
    for expected in [
        issue(
            "INVALID_CONFIG",
            Some("agg"),
            Some("/config/aggregates/0/op"),
        ),
        issue("INVALID_CONFIG", Some("agg"), Some("/config/extra")),
        issue("INVALID_CONFIG", Some("lim"), Some("/config/count")),
        issue("UNKNOWN_COMPONENT", Some("nope"), Some("/component")),
    ] {
        assert!(found.contains(&expected), "{expected:?} in {found:?}");
    }
    let missing_field = Graph {
        nodes: vec![
            inline("src", json!([])),
            node(
                "agg",
                "aggregate",
                json!({ "aggregates": [{ "name": "t", "op": "sum" }] }),
            ),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "agg", "in"),
            wire("agg", "out", "sink", "in"),
        ],
    };
    assert_eq!(
        codes(&missing_field),
        vec![issue(
            "INVALID_CONFIG",
            Some("agg"),
            Some("/config/aggregates/0/field")
        )]
    );
}

#[test]
fn expressions_that_do_not_compile_are_config_issues() {
    let graph = Graph {
        nodes: vec![
            inline("src", json!([])),
            node("f", "filter", json!({ "expression": "(a + " })),
            node(
                "m",
                "map",
                json!({ "fields": { "x": "file(\"/etc/passwd\")" } }),
            ),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "f", "in"),
            wire("f", "out", "m", "in"),
            wire("m", "out", "sink", "in"),
        ],
    };
    assert_eq!(
        codes(&graph),
        vec![
            issue("INVALID_EXPRESSION", Some("f"), Some("/config/expression")),
            issue("INVALID_EXPRESSION", Some("m"), Some("/config/fields/x")),
        ]
    );
}

#[test]
fn row_schemas_must_fit_along_each_connection() {
    let graph = Graph {
        nodes: vec![
            node("csv", "csvText", json!({ "text": "name,amount\nx,1\n" })),
            node(
                "agg",
                "aggregate",
                json!({ "groupBy": ["category"],
                                             "aggregates": [{ "name": "t", "op": "sum", "field": "amount" }] }),
            ),
            node("tasks", "createTasks", json!({})),
        ],
        connections: vec![
            wire("csv", "out", "agg", "in"),
            wire("agg", "out", "tasks", "in"),
        ],
    };
    let report = validate(&graph);
    let mismatches: Vec<(String, String)> = report
        .issues
        .iter()
        .filter(|issue| issue.code == "SCHEMA_MISMATCH")
        .map(|issue| {
            (
                issue.path.clone().unwrap_or_default(),
                issue.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        mismatches,
        vec![
            (
                "/config/groupBy/0".into(),
                "rows arriving on `in` have no field `category`".into()
            ),
            (
                "/config/aggregates/0/field".into(),
                "field `amount` on `in` is string, but number is needed".into()
            ),
            (
                "/config/titleField".into(),
                "rows arriving on `in` have no field `title`".into()
            ),
        ]
    );
    // Declaring the column's type and grouping by a real column fixes the first two.
    let mut fixed = graph.clone();
    fixed.nodes[0].config =
        json!({ "text": "name,amount\nx,1\n", "types": { "amount": "integer" } });
    fixed.nodes[1].config["groupBy"] = json!(["name"]);
    let codes_left: Vec<String> = validate(&fixed)
        .issues
        .into_iter()
        .map(|issue| issue.code)
        .collect();
    assert_eq!(codes_left, vec!["SCHEMA_MISMATCH"]);
}

#[test]
fn nodes_off_every_source_to_sink_path_are_warnings_and_runs_skip_them() {
    let mut graph = valid_chain();
    graph
        .nodes
        .push(node("lonely", "csvText", json!({ "text": "a\n\"broken" })));
    graph.nodes[2].config = json!({ "text": "a\n1\n" });
    let report = validate(&graph);
    assert_eq!(report.status, ValidationStatus::Warning);
    assert_eq!(report.issues.len(), 1);
    assert_eq!(report.issues[0].severity, IssueSeverity::Warning);
    assert_eq!(report.issues[0].code, "UNREACHABLE_NODE");
    let events = events_of(&graph);
    assert!(!events.iter().any(
        |event| matches!(event, ExecutionEvent::NodeStarted { node_id } if node_id == "lonely")
    ));
}
