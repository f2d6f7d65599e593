//! The engine on small exact inputs: each component, each validation rule, the sandbox.

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

#[test]
fn csv_reads_quotes_doubled_quotes_line_breaks_crlf_and_nulls() {
    let text = "name,note,amount\r\n\"Smith, Jo\",\"said \"\"hi\"\"\",3\r\nAl,\"two\nlines\",\r\n\"\",x,-4\n";
    let types = BTreeMap::from([("amount".to_string(), FieldType::Integer)]);
    let parsed = csv::parse(text, ',', &types).unwrap();
    assert_eq!(
        parsed,
        rows(json!([
            { "name": "Smith, Jo", "note": "said \"hi\"", "amount": 3 },
            { "name": "Al", "note": "two\nlines", "amount": null },
            { "name": "", "note": "x", "amount": -4 },
        ]))
    );
}

#[test]
fn csv_errors_name_the_line() {
    let types = BTreeMap::from([("n".to_string(), FieldType::Number)]);
    let bad_number = csv::parse("n\n1\nabc\n", ',', &types).unwrap_err();
    assert_eq!(bad_number.line, 3);
    assert!(
        bad_number.message.contains("`abc` is not a number"),
        "{}",
        bad_number.message
    );
    let ragged = csv::parse("a,b\n1,2\n3\n", ',', &BTreeMap::new()).unwrap_err();
    assert_eq!(
        (ragged.line, ragged.message.as_str()),
        (3, "the line has 1 fields but the header has 2")
    );
    let open = csv::parse("a\n\"never closed\n", ',', &BTreeMap::new()).unwrap_err();
    assert_eq!(open.line, 2);
}

#[test]
fn csv_writes_what_it_reads() {
    let data = rows(json!([{ "a": "x,y", "b": "say \"no\"" }, { "a": "plain", "b": null }]));
    let text = csv::write(&data, &["a".into(), "b".into()], ',');
    assert_eq!(text, "a,b\n\"x,y\",\"say \"\"no\"\"\"\nplain,\n");
    let back = csv::parse(&text, ',', &BTreeMap::new()).unwrap();
    assert_eq!(back[0], data[0]);
}

#[test]
fn csv_source_types_columns_from_its_config() {
    let graph = Graph {
        nodes: vec![
            node(
                "csv",
                "csvText",
                json!({ "text": "id;ok;score\n1;true;2.5\n", "delimiter": ";",
                                           "types": { "id": "integer", "ok": "boolean", "score": "number" } }),
            ),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![wire("csv", "out", "sink", "in")],
    };
    assert_eq!(
        run(&graph).unwrap().output,
        rows(json!([{ "id": 1, "ok": true, "score": 2.5 }]))
    );
}

#[test]
fn filter_keeps_matching_rows_and_reads_parameters() {
    let data = json!([{ "n": 1, "c": "a" }, { "n": 5, "c": "b" }, { "n": 9, "c": "a" }]);
    let kept = through(
        "filter",
        json!({ "expression": "n > 2 && c == \"a\"" }),
        data.clone(),
    )
    .unwrap();
    assert_eq!(kept, rows(json!([{ "n": 9, "c": "a" }])));

    let graph = Graph {
        nodes: vec![
            inline("src", data),
            node("f", "filter", json!({ "expression": "n >= params.min" })),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "f", "in"),
            wire("f", "out", "sink", "in"),
        ],
    };
    let inputs = RunInputs {
        parameters: rows(json!([{ "min": 5 }])).remove(0),
        ..RunInputs::default()
    };
    let result = execute(&graph, inputs, LIMITS, &|| false, &mut |_| {}).unwrap();
    assert_eq!(result.output.len(), 2);
}

#[test]
fn expression_errors_name_the_row_they_failed_on() {
    let data = json!([{ "n": 1 }, { "n": 2 }, { "n": "three" }]);
    let message = failure_message(through("filter", json!({ "expression": "n > 0" }), data));
    assert!(
        message.starts_with("node t: row 3: the expression failed"),
        "{message}"
    );
    let not_boolean = failure_message(through(
        "filter",
        json!({ "expression": "n + 1" }),
        json!([{ "n": 1 }]),
    ));
    assert_eq!(
        not_boolean,
        "node t: row 1: the filter gave 2, not true or false"
    );
}

#[test]
fn map_computes_fields_and_can_keep_the_rest() {
    let data = json!([{ "first": "Ada", "last": "Lovelace", "born": 1815 }]);
    let projected = through(
        "map",
        json!({ "fields": { "name": "first + \" \" + last", "century": "born / 100 + 1" } }),
        data.clone(),
    )
    .unwrap();
    assert_eq!(
        projected,
        rows(json!([{ "name": "Ada Lovelace", "century": 19 }]))
    );
    let kept = through(
        "map",
        json!({ "fields": { "upper": "str::to_uppercase(last)" }, "keepExisting": true }),
        data,
    )
    .unwrap();
    assert_eq!(kept[0]["upper"], "LOVELACE");
    assert_eq!(kept[0]["born"], 1815);
}

#[test]
fn sort_orders_by_several_keys_with_nulls_first_and_is_stable() {
    let data = json!([
        { "g": "b", "n": 2, "i": 1 }, { "g": "a", "n": 1, "i": 2 }, { "g": "b", "n": 3, "i": 3 },
        { "g": null, "n": 0, "i": 4 }, { "g": "b", "n": 3, "i": 5 },
    ]);
    let sorted = through(
        "sort",
        json!({ "keys": [{ "field": "g" }, { "field": "n", "descending": true }] }),
        data,
    )
    .unwrap();
    let order: Vec<i64> = sorted
        .iter()
        .map(|row| row["i"].as_i64().unwrap())
        .collect();
    assert_eq!(order, vec![4, 2, 3, 5, 1]);
}

#[test]
fn limit_skips_offset_and_keeps_count() {
    let data = json!([{ "i": 1 }, { "i": 2 }, { "i": 3 }, { "i": 4 }]);
    let page = through("limit", json!({ "count": 2, "offset": 1 }), data).unwrap();
    assert_eq!(page, rows(json!([{ "i": 2 }, { "i": 3 }])));
}

#[test]
fn deduplicate_keeps_the_first_row_per_key() {
    let data = json!([{ "k": 1, "v": "a" }, { "k": 2, "v": "b" }, { "k": 1, "v": "c" }, { "v": "d" }, { "v": "e" }]);
    let unique = through("deduplicate", json!({ "keys": ["k"] }), data).unwrap();
    let values: Vec<&str> = unique
        .iter()
        .map(|row| row["v"].as_str().unwrap())
        .collect();
    assert_eq!(values, vec!["a", "b", "d"]);
}

fn all_aggregates() -> Value {
    json!([
        { "name": "rows", "op": "count" }, { "name": "amounts", "op": "count", "field": "amount" },
        { "name": "total", "op": "sum", "field": "amount" }, { "name": "mean", "op": "avg", "field": "amount" },
        { "name": "low", "op": "min", "field": "amount" }, { "name": "high", "op": "max", "field": "amount" },
    ])
}

#[test]
fn aggregate_groups_in_first_appearance_order_and_skips_nulls() {
    let data = json!([
        { "c": "x", "amount": 2 }, { "c": "y", "amount": 1.5 }, { "c": "x", "amount": null },
        { "c": "x", "amount": 4 },
    ]);
    let groups = through(
        "aggregate",
        json!({ "groupBy": ["c"], "aggregates": all_aggregates() }),
        data,
    )
    .unwrap();
    assert_eq!(
        groups,
        rows(json!([
            { "c": "x", "rows": 3, "amounts": 2, "total": 6, "mean": 3.0, "low": 2, "high": 4 },
            { "c": "y", "rows": 1, "amounts": 1, "total": 1.5, "mean": 1.5, "low": 1.5, "high": 1.5 },
        ]))
    );
}

#[test]
fn aggregates_over_empty_groups() {
    let whole = through(
        "aggregate",
        json!({ "aggregates": all_aggregates() }),
        json!([]),
    )
    .unwrap();
    assert_eq!(
        whole,
        rows(
            json!([{ "rows": 0, "amounts": 0, "total": 0, "mean": null, "low": null, "high": null }])
        )
    );
    let grouped = through(
        "aggregate",
        json!({ "groupBy": ["c"], "aggregates": all_aggregates() }),
        json!([]),
    )
    .unwrap();
    assert!(grouped.is_empty());
    let only_nulls = through(
        "aggregate",
        json!({ "groupBy": ["c"], "aggregates": all_aggregates() }),
        json!([{ "c": "z", "amount": null }]),
    )
    .unwrap();
    assert_eq!(
        only_nulls,
        rows(
            json!([{ "c": "z", "rows": 1, "amounts": 0, "total": 0, "mean": null, "low": null, "high": null }])
        )
    );
}

#[test]
fn aggregate_refuses_to_sum_text_naming_the_row() {
    let message = failure_message(through(
        "aggregate",
        json!({ "aggregates": [{ "name": "t", "op": "sum", "field": "a" }] }),
        json!([{ "a": 1 }, { "a": "two" }]),
    ));
    assert_eq!(
        message,
        "node t: row 2: `a` is \"two\", not a number; sum needs numbers"
    );
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

#[test]
fn joins_match_keys_and_left_joins_keep_rows_with_missing_keys() {
    let inner = run(&join_graph("inner")).unwrap().output;
    assert_eq!(
        inner,
        rows(json!([{ "id": 1, "name": "Ann", "team": 10, "right_name": "Core" }]))
    );
    let left = run(&join_graph("left")).unwrap().output;
    assert_eq!(
        left,
        rows(json!([
            { "id": 1, "name": "Ann", "team": 10, "right_name": "Core" },
            { "id": 2, "name": "Bob", "team": 99 },
            { "id": 3, "name": "Cy", "team": null },
        ]))
    );
}

#[test]
fn union_appends_second_after_first() {
    let graph = Graph {
        nodes: vec![
            inline("a", json!([{ "i": 1 }])),
            inline("b", json!([{ "i": 2 }, { "i": 3 }])),
            node("u", "union", json!({})),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("a", "out", "u", "first"),
            wire("b", "out", "u", "second"),
            wire("u", "out", "sink", "in"),
        ],
    };
    assert_eq!(
        run(&graph).unwrap().output,
        rows(json!([{ "i": 1 }, { "i": 2 }, { "i": 3 }]))
    );
}

#[test]
fn validate_rejects_or_routes_invalid_rows() {
    let data = json!([{ "id": 1, "email": "a@x" }, { "id": "2", "email": "b@x" }, { "id": 3 }]);
    let graph = |mode: &str| Graph {
        nodes: vec![
            inline("src", data.clone()),
            node(
                "v",
                "validate",
                json!({ "required": ["email"], "types": { "id": "integer" }, "invalidRows": mode }),
            ),
            node("good", "runOutput", json!({})),
            node("bad", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "v", "in"),
            wire("v", "valid", "good", "in"),
            wire("v", "invalid", "bad", "in"),
        ],
    };
    let routed = run(&graph("route")).unwrap().output;
    assert_eq!(
        routed,
        rows(json!([
            { "id": 1, "email": "a@x" },
            { "id": "2", "email": "b@x", "_errors": ["`id` must be integer"] },
            { "id": 3, "_errors": ["`email` is required"] },
        ]))
    );
    let rejected = run(&graph("reject")).unwrap().output;
    assert_eq!(rejected, rows(json!([{ "id": 1, "email": "a@x" }])));
}

#[test]
fn csv_export_and_create_tasks_sinks_hand_their_results_to_the_caller() {
    let graph = Graph {
        nodes: vec![
            inline(
                "src",
                json!([{ "title": "Write docs", "body": "all of them" }, { "title": "Ship, today" }]),
            ),
            node("csv", "csvExport", json!({ "columns": ["title"] })),
            node(
                "tasks",
                "createTasks",
                json!({ "descriptionField": "body" }),
            ),
        ],
        connections: vec![
            wire("src", "out", "csv", "in"),
            wire("src", "out", "tasks", "in"),
        ],
    };
    let result = run(&graph).unwrap();
    assert_eq!(
        result.output,
        rows(json!([{ "node": "csv", "csv": "title\nWrite docs\n\"Ship, today\"\n" }]))
    );
    assert_eq!(
        result.tasks_to_create,
        vec![
            TaskToCreate {
                node_id: "tasks".into(),
                title: "Write docs".into(),
                description: "all of them".into()
            },
            TaskToCreate {
                node_id: "tasks".into(),
                title: "Ship, today".into(),
                description: String::new()
            },
        ]
    );
}

#[test]
fn database_sources_use_the_rows_the_caller_fetched() {
    let graph = Graph {
        nodes: vec![
            node("tasks", "projectTasks", json!({})),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![wire("tasks", "out", "sink", "in")],
    };
    let fetched = rows(json!([{ "id": "t1", "title": "A" }]));
    let inputs = RunInputs {
        source_rows: [("tasks".to_string(), fetched.clone())].into(),
        ..RunInputs::default()
    };
    let result = execute(&graph, inputs, LIMITS, &|| false, &mut |_| {}).unwrap();
    assert_eq!(result.output, fetched);
}

#[test]
fn progress_events_come_in_topological_order_with_counts() {
    let graph = Graph {
        nodes: vec![
            node("sink", "runOutput", json!({})),
            node("f", "filter", json!({ "expression": "i > 1" })),
            inline("src", json!([{ "i": 1 }, { "i": 2 }, { "i": 3 }])),
        ],
        connections: vec![
            wire("src", "out", "f", "in"),
            wire("f", "out", "sink", "in"),
        ],
    };
    let events = events_of(&graph);
    let finished: Vec<String> = timeline(&events)
        .into_iter()
        .filter(|entry| entry.starts_with("finished:"))
        .collect();
    assert_eq!(finished, ["finished:src", "finished:f", "finished:sink"]);
    assert_eq!(
        finished_counts(&events),
        BTreeMap::from([
            ("src".to_string(), (0, 3)),
            ("f".to_string(), (3, 2)),
            ("sink".to_string(), (2, 2)),
        ])
    );
}

#[test]
fn a_node_producing_more_rows_than_the_run_limit_fails_the_run() {
    let data: Vec<Value> = (0..20).map(|i| json!({ "k": 1, "i": i })).collect();
    let graph = Graph {
        nodes: vec![
            inline("a", json!(data)),
            inline("b", json!(data)),
            node(
                "j",
                "join",
                json!({ "on": [{ "left": "k", "right": "k" }] }),
            ),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("a", "out", "j", "left"),
            wire("b", "out", "j", "right"),
            wire("j", "out", "sink", "in"),
        ],
    };
    let limits = ExecutionLimits {
        max_rows: 100,
        ..LIMITS
    };
    let failure =
        execute(&graph, RunInputs::default(), limits, &|| false, &mut |_| {}).unwrap_err();
    assert_eq!(
        failure.message(),
        "node j: produced more than 100 rows, the most a run may handle"
    );
}

#[test]
fn an_interrupted_run_stops() {
    let graph = Graph {
        nodes: vec![
            inline("src", json!([{ "i": 1 }])),
            node("f", "filter", json!({ "expression": "true" })),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "f", "in"),
            wire("f", "out", "sink", "in"),
        ],
    };
    let failure = execute(&graph, RunInputs::default(), LIMITS, &|| true, &mut |_| {}).unwrap_err();
    assert_eq!(failure, RunFailure::Interrupted);
}

#[test]
fn the_same_input_gives_the_same_output() {
    let data = json!([{ "c": "b", "n": 1 }, { "c": "a", "n": 2 }, { "c": "b", "n": 3 }]);
    let config = json!({ "groupBy": ["c"], "aggregates": all_aggregates() });
    assert_eq!(
        through("aggregate", config.clone(), data.clone()),
        through("aggregate", config, data)
    );
}

// The sandbox.

#[test]
fn expressions_cannot_call_functions_outside_the_allowlist() {
    for attempt in [
        "file(\"/etc/passwd\")",
        "std::fs::read(\"/etc/passwd\")",
        "random()",
        "str::regex_replace(a, \".*\", \"x\")",
        "exec(\"rm -rf /\")",
    ] {
        let error = Expression::compile(attempt).unwrap_err();
        assert!(error.contains("is not available"), "{attempt}: {error}");
    }
}

#[test]
fn expressions_cannot_assign_or_loop() {
    assert!(Expression::compile("a = 1; a")
        .unwrap_err()
        .contains("cannot assign"));
    assert!(Expression::compile("a += 1")
        .unwrap_err()
        .contains("cannot assign"));
    // The language has no loop construct at all: this is a parse error or an unknown function.
    assert!(Expression::compile("while (true) { 1 }").is_err());
    assert!(Expression::compile("loop(1)")
        .unwrap_err()
        .contains("is not available"));
}

#[test]
fn huge_expressions_and_huge_strings_are_stopped_with_a_clear_error() {
    let deep = vec!["1"; 500].join(" + ");
    assert!(Expression::compile(&deep)
        .unwrap_err()
        .contains("at most 400 are allowed"));
    let long = format!("\"{}\"", "x".repeat(3_000));
    assert!(Expression::compile(&long)
        .unwrap_err()
        .contains("longer than 2000 characters"));

    let doubling = vec!["s"; 64].join(" + ");
    let expression = Expression::compile(&doubling).unwrap();
    let row = rows(json!([{ "s": "y".repeat(20_000) }])).remove(0);
    let error = expression.evaluate(&row, &Row::new()).unwrap_err();
    assert_eq!(
        error,
        "the expression could build 1280000 bytes of text from this row; the limit is 1048576"
    );
    let small = rows(json!([{ "s": "ab" }])).remove(0);
    assert_eq!(
        expression
            .evaluate(&small, &Row::new())
            .unwrap()
            .as_str()
            .map(str::len),
        Some(128)
    );
}

// Validation rules.

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

// Streaming between nodes.

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

#[test]
fn rows_reach_row_at_a_time_nodes_before_their_source_has_read_them_all() {
    let graph = chain_of(vec![
        inline("src", numbered(3)),
        node("f", "filter", json!({ "expression": "i != 1" })),
        node("m", "map", json!({ "fields": { "j": "i * 10" } })),
        node("sink", "runOutput", json!({})),
    ]);
    let events = events_of(&graph);
    assert_eq!(
        timeline(&events),
        [
            "started:src",
            "started:f",
            "started:m",
            "started:sink",
            "finished:src",
            "finished:f",
            "finished:m",
            "finished:sink",
        ]
    );
    assert_eq!(
        run(&graph).unwrap().output,
        rows(json!([{ "j": 0 }, { "j": 20 }]))
    );
}

#[test]
fn a_blocking_node_passes_rows_on_only_when_its_input_ends() {
    let graph = chain_of(vec![
        inline("src", json!([{ "i": 2 }, { "i": 1 }])),
        node("s", "sort", json!({ "keys": [{ "field": "i" }] })),
        node("sink", "runOutput", json!({})),
    ]);
    assert_eq!(
        timeline(&events_of(&graph)),
        [
            "started:src",
            "started:s",
            "finished:src",
            "started:sink",
            "finished:s",
            "finished:sink",
        ]
    );
}

#[test]
fn a_satisfied_limit_stops_its_source_reading() {
    let text: String = std::iter::once("i\n".to_string())
        .chain((0..10_000).map(|i| format!("{i}\n")))
        .collect();
    let graph = chain_of(vec![
        node(
            "src",
            "csvText",
            json!({ "text": text, "types": { "i": "integer" } }),
        ),
        node("f", "filter", json!({ "expression": "i % 2 == 0" })),
        node("l", "limit", json!({ "count": 3 })),
        node("sink", "runOutput", json!({})),
    ]);
    let events = events_of(&graph);
    let counts = finished_counts(&events);
    assert_eq!(counts["src"], (0, 5), "read up to the third even row");
    assert_eq!(counts["f"], (5, 3));
    assert_eq!(counts["l"], (3, 3));
    assert_eq!(
        run(&graph).unwrap().output,
        rows(json!([{ "i": 0 }, { "i": 2 }, { "i": 4 }]))
    );
}

#[test]
fn a_source_feeding_a_satisfied_limit_and_another_node_reads_on_for_the_other() {
    let graph = Graph {
        nodes: vec![
            inline("src", numbered(5)),
            node("l", "limit", json!({ "count": 1 })),
            node("first", "runOutput", json!({})),
            node("all", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "l", "in"),
            wire("l", "out", "first", "in"),
            wire("src", "out", "all", "in"),
        ],
    };
    let events = events_of(&graph);
    let counts = finished_counts(&events);
    assert_eq!(counts["src"], (0, 5));
    assert_eq!(counts["l"], (1, 1));
    assert_eq!(counts["all"], (5, 5));
    let result = run(&graph).unwrap();
    // Outputs come sink by sink, in node order, not interleaved as the rows flowed.
    let mut expected = vec![json!({ "i": 0 })];
    expected.extend((0..5).map(|i| json!({ "i": i })));
    assert_eq!(result.output, rows(json!(expected)));
}

#[test]
fn a_union_keeps_its_first_input_first_when_the_second_is_read_earlier() {
    let graph = Graph {
        nodes: vec![
            inline("b", json!([{ "i": 2 }, { "i": 3 }])),
            inline("a", json!([{ "i": 1 }])),
            node("u", "union", json!({})),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("a", "out", "u", "first"),
            wire("b", "out", "u", "second"),
            wire("u", "out", "sink", "in"),
        ],
    };
    let events = events_of(&graph);
    // `b` is read first and its rows wait at the union until `a` has ended.
    assert_eq!(
        timeline(&events)[..3],
        ["started:b", "started:u", "finished:b"]
    );
    assert_eq!(
        run(&graph).unwrap().output,
        rows(json!([{ "i": 1 }, { "i": 2 }, { "i": 3 }]))
    );
}

#[test]
fn a_join_streams_its_left_side_once_the_right_side_has_ended() {
    let graph = join_graph("inner");
    let events = events_of(&graph);
    let line = timeline(&events);
    let position = |entry: &str| line.iter().position(|item| item == entry).unwrap();
    // The left source is first in the graph; its rows wait for the right side.
    assert!(position("finished:people") < position("started:teams"));
    assert!(position("finished:teams") < position("started:sink"));
    assert_eq!(finished_counts(&events)["j"], (5, 1));
}

#[test]
fn the_output_beyond_the_stored_cap_is_counted_not_kept() {
    let graph = chain_of(vec![
        inline("src", numbered(10)),
        node("sink", "runOutput", json!({})),
    ]);
    let limits = ExecutionLimits {
        max_stored_output_rows: 4,
        ..LIMITS
    };
    let result = execute(&graph, RunInputs::default(), limits, &|| false, &mut |_| {}).unwrap();
    assert_eq!(result.output_total, 10);
    assert_eq!(result.output, rows(numbered(4)));
}

#[test]
fn a_failure_mid_stream_is_reported_for_the_failing_node_only() {
    let graph = chain_of(vec![
        inline("src", json!([{ "n": 1 }, { "n": "x" }, { "n": 3 }])),
        node("f", "filter", json!({ "expression": "n > 0" })),
        node("sink", "runOutput", json!({})),
    ]);
    let mut events = Vec::new();
    let failure = execute(
        &graph,
        RunInputs::default(),
        LIMITS,
        &|| false,
        &mut |event| events.push(event),
    )
    .unwrap_err();
    assert!(
        failure.message().starts_with("node f: row 2: "),
        "{}",
        failure.message()
    );
    assert_eq!(
        timeline(&events),
        ["started:src", "started:f", "started:sink", "failed:f"]
    );
}

#[test]
fn a_long_chain_runs_on_a_small_stack() {
    // Each node adds steps to the scheduler's stack, not frames to the call stack.
    let length = 2_000;
    let mut nodes = vec![inline("src", numbered(3))];
    nodes.extend(
        (0..length).map(|i| node(&format!("f{i}"), "filter", json!({ "expression": "true" }))),
    );
    nodes.push(node("sink", "runOutput", json!({})));
    let graph = chain_of(nodes);
    let output = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            execute(&graph, RunInputs::default(), LIMITS, &|| false, &mut |_| {})
                .map(|result| result.output)
        })
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(output, rows(numbered(3)));
}

#[test]
fn a_limit_of_nothing_stops_its_source_after_one_row() {
    let graph = chain_of(vec![
        inline("src", numbered(5)),
        node("l", "limit", json!({ "count": 0 })),
        node("sink", "runOutput", json!({})),
    ]);
    let counts = finished_counts(&events_of(&graph));
    assert_eq!(counts["src"], (0, 1));
    assert_eq!(counts["l"], (0, 0));
    assert_eq!(counts["sink"], (0, 0));
}

#[test]
fn a_limit_after_a_sort_takes_the_first_sorted_rows_and_the_sort_passes_on_only_those() {
    let graph = chain_of(vec![
        inline(
            "src",
            json!([{ "i": 3 }, { "i": 1 }, { "i": 5 }, { "i": 2 }, { "i": 4 }]),
        ),
        node(
            "s",
            "sort",
            json!({ "keys": [{ "field": "i", "descending": true }] }),
        ),
        node("l", "limit", json!({ "offset": 1, "count": 2 })),
        node("sink", "runOutput", json!({})),
    ]);
    let counts = finished_counts(&events_of(&graph));
    assert_eq!(counts["src"], (0, 5));
    assert_eq!(counts["s"], (5, 3));
    assert_eq!(counts["l"], (3, 2));
    assert_eq!(
        run(&graph).unwrap().output,
        rows(json!([{ "i": 4 }, { "i": 3 }]))
    );
}

#[test]
fn a_satisfied_limit_never_reads_the_rows_after_it_so_their_errors_do_not_count() {
    // As with SQL's LIMIT: rows nobody asks for are not read, so a broken line or a failing
    // expression past them does not fail the run.
    let graph = chain_of(vec![
        node(
            "src",
            "csvText",
            json!({ "text": "n\n1\n2\n\"never closed\n" }),
        ),
        node("f", "filter", json!({ "expression": "n != \"2\"" })),
        node("l", "limit", json!({ "count": 1 })),
        node("sink", "runOutput", json!({})),
    ]);
    assert_eq!(run(&graph).unwrap().output, rows(json!([{ "n": "1" }])));
}

#[test]
fn valid_and_invalid_rows_routed_into_one_union_come_valid_first() {
    let graph = Graph {
        nodes: vec![
            inline(
                "src",
                json!([{ "n": 1 }, { "n": "x" }, { "n": 2 }, { "n": "y" }]),
            ),
            node(
                "v",
                "validate",
                json!({ "types": { "n": "integer" }, "invalidRows": "route" }),
            ),
            node("u", "union", json!({})),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "v", "in"),
            wire("v", "invalid", "u", "first"),
            wire("v", "valid", "u", "second"),
            wire("u", "out", "sink", "in"),
        ],
    };
    let output = run(&graph).unwrap().output;
    let values: Vec<&Value> = output.iter().map(|row| &row["n"]).collect();
    assert_eq!(values, [&json!("x"), &json!("y"), &json!(1), &json!(2)]);
}

#[test]
fn a_join_of_a_source_with_itself_reads_it_once_for_both_sides() {
    let graph = Graph {
        nodes: vec![
            inline(
                "people",
                json!([{ "id": 1, "boss": 2 }, { "id": 2, "boss": null }]),
            ),
            node(
                "j",
                "join",
                json!({ "on": [{ "left": "boss", "right": "id" }] }),
            ),
            node("sink", "runOutput", json!({})),
        ],
        connections: vec![
            wire("people", "out", "j", "left"),
            wire("people", "out", "j", "right"),
            wire("j", "out", "sink", "in"),
        ],
    };
    let events = events_of(&graph);
    assert_eq!(finished_counts(&events)["people"], (0, 2));
    assert_eq!(finished_counts(&events)["j"], (4, 1));
    assert_eq!(
        run(&graph).unwrap().output,
        rows(json!([{ "id": 1, "boss": 2, "right_boss": null, "right_id": 2 }]))
    );
}

#[test]
fn the_stored_cap_spans_every_sink_in_node_order_and_counts_the_rest() {
    let graph = Graph {
        nodes: vec![
            inline("src", numbered(3)),
            node("first", "runOutput", json!({})),
            node("csv", "csvExport", json!({ "columns": ["i"] })),
            node("second", "runOutput", json!({})),
        ],
        connections: vec![
            wire("src", "out", "first", "in"),
            wire("src", "out", "csv", "in"),
            wire("src", "out", "second", "in"),
        ],
    };
    let limits = ExecutionLimits {
        max_stored_output_rows: 5,
        ..LIMITS
    };
    let result = execute(&graph, RunInputs::default(), limits, &|| false, &mut |_| {}).unwrap();
    assert_eq!(result.output_total, 7);
    let mut expected: Vec<Value> = (0..3).map(|i| json!({ "i": i })).collect();
    expected.push(json!({ "node": "csv", "csv": "i\n0\n1\n2\n" }));
    expected.push(json!({ "i": 0 }));
    assert_eq!(result.output, rows(json!(expected)));
}

#[test]
fn a_csv_header_with_crlf_line_ends_names_its_columns_without_the_cr() {
    assert_eq!(csv::header("a,b\r\n1,2\r\n", ',').unwrap(), ["a", "b"]);
    assert_eq!(
        csv::header("\"multi\nline\",b\n1,2\n", ',').unwrap(),
        ["multi\nline", "b"]
    );
}
