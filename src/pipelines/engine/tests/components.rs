//! Each component on small exact inputs, and what the caller receives from sinks.

use super::*;

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
