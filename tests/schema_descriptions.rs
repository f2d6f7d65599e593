//! The schema explains itself to a frontend developer: every type, field, argument, enum value
//! and input field that introspection shows has a description, and every deprecation says why
//! and what replaces it. The test walks the answer to graphql-js `getIntrospectionQuery()` with
//! every option on (so deprecated arguments and input fields are walked too) and fails with the
//! whole list of what is missing, so one run tells you everything to write.

mod common;

use common::{data, TestApp};
use serde_json::{json, Value};

const INTROSPECTION: &str = include_str!("fixtures/introspection/graphql-js-all-options.graphql");

/// The directives every GraphQL server has; their descriptions are the specification's, not
/// ours. Every other directive must be documented like a field.
const SPECIFIED_DIRECTIVES: [&str; 5] = ["include", "skip", "deprecated", "specifiedBy", "oneOf"];

#[tokio::test]
async fn every_schema_element_has_a_description() {
    let app = TestApp::spawn().await;
    let body: Value = app
        .post_graphql(
            None,
            json!({ "query": INTROSPECTION, "operationName": "IntrospectionQuery" }),
        )
        .await
        .json()
        .await
        .expect("GraphQL responses are JSON");
    let schema = &data(&body)["__schema"];

    let missing = undocumented(schema);
    assert!(
        missing.is_empty(),
        "{} schema elements are undocumented (write a `///` comment, or \
         `#[graphql(desc = \"...\")]` on an argument):\n  {}",
        missing.len(),
        missing.join("\n  ")
    );
}

#[test]
fn the_walk_reports_each_kind_of_undocumented_element() {
    let schema = json!({
        "types": [
            { "name": "__Type", "kind": "OBJECT", "description": null, "fields": [] },
            {
                "name": "Task", "kind": "OBJECT", "description": "A task.",
                "fields": [
                    { "name": "id", "description": "Its id.", "args": [] },
                    {
                        "name": "title", "description": "", "args": [
                            { "name": "truncate", "description": null },
                        ],
                    },
                    {
                        "name": "name", "description": "Old name.", "args": [],
                        "isDeprecated": true, "deprecationReason": "No longer supported",
                    },
                ],
            },
            {
                "name": "TaskInput", "kind": "INPUT_OBJECT", "description": null,
                "inputFields": [{ "name": "title", "description": null }],
            },
            {
                "name": "Role", "kind": "ENUM", "description": "A role.",
                "enumValues": [{ "name": "OWNER", "description": "  " }],
            },
        ],
        "directives": [
            { "name": "skip", "description": null, "args": [{ "name": "if", "description": null }] },
            { "name": "cached", "description": null, "args": [{ "name": "ttl", "description": null }] },
        ],
    });
    assert_eq!(
        undocumented(&schema),
        [
            "field Task.title",
            "argument Task.title(truncate:)",
            "deprecation Task.name: the reason must name the replacement (\"Use x instead\")",
            "type TaskInput",
            "input field TaskInput.title",
            "enum value Role.OWNER",
            "directive @cached",
            "argument @cached(ttl:)",
        ]
    );
}

/// Everything introspection shows without a description, in schema order.
fn undocumented(schema: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    for kind in items(&schema["types"]) {
        let name = text(&kind["name"]);
        if name.starts_with("__") {
            continue;
        }
        check(&mut missing, kind, format!("type {name}"));
        for field in items(&kind["fields"]) {
            let field_name = format!("{name}.{}", text(&field["name"]));
            check(&mut missing, field, format!("field {field_name}"));
            check_arguments(&mut missing, field, &field_name);
        }
        for input in items(&kind["inputFields"]) {
            let input_name = format!("{name}.{}", text(&input["name"]));
            check(&mut missing, input, format!("input field {input_name}"));
        }
        for value in items(&kind["enumValues"]) {
            let value_name = format!("{name}.{}", text(&value["name"]));
            check(&mut missing, value, format!("enum value {value_name}"));
        }
    }
    for directive in items(&schema["directives"]) {
        let name = text(&directive["name"]);
        if SPECIFIED_DIRECTIVES.contains(&name) {
            continue;
        }
        check(&mut missing, directive, format!("directive @{name}"));
        check_arguments(&mut missing, directive, &format!("@{name}"));
    }
    missing
}

fn check_arguments(missing: &mut Vec<String>, owner: &Value, owner_name: &str) {
    for argument in items(&owner["args"]) {
        let argument_name = text(&argument["name"]);
        check(
            missing,
            argument,
            format!("argument {owner_name}({argument_name}:)"),
        );
    }
}

/// Records `label` when `element` has no description, or a deprecation whose reason does not
/// name what to use instead (`No longer supported` is async-graphql's default when no reason is
/// given).
fn check(missing: &mut Vec<String>, element: &Value, label: String) {
    if text(&element["description"]).trim().is_empty() {
        missing.push(label.clone());
    }
    if element["isDeprecated"] != true {
        return;
    }
    let reason = text(&element["deprecationReason"]);
    if !reason.contains("Use ") {
        let name = label
            .split_once(' ')
            .map_or(label.as_str(), |(_, name)| name);
        missing.push(format!(
            "deprecation {name}: the reason must name the replacement (\"Use x instead\")"
        ));
    }
}

fn items(list: &Value) -> &[Value] {
    list.as_array().map_or(&[], Vec::as_slice)
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}
