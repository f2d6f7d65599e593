//! Streaming between nodes: when rows move, when nodes start and stop.

use super::*;

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
