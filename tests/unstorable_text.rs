//! Text PostgreSQL cannot store — a NUL character, an unpaired UTF-16 surrogate — is refused
//! with `BAD_USER_INPUT` naming the argument, in every string argument of every operation and
//! in uploaded files, before anything reaches the database. URLs with control characters are
//! refused rather than percent-encoded.

mod common;

use std::collections::BTreeMap;

use common::{
    data, error_code, expect_error,
    schema_model::{graphql_literal, Kind, SchemaModel, TypeRef},
    ws::GraphqlWs,
    TestApp,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

const POISON: &str = "a\u{0}b";
/// Where the sweep puts the poison inside a JSON scalar.
const JSON_KEY: &str = "note";

#[derive(Debug, Clone)]
enum Step {
    Field(String),
    Index,
}

/// Every place a string can go in a value of `ty`, with the scalar found there. Input objects
/// are followed three levels down, which is deeper than any input of this schema nests.
fn string_positions(model: &SchemaModel, ty: &TypeRef, depth: usize) -> Vec<(Vec<Step>, String)> {
    match ty {
        TypeRef::NonNull(inner) => string_positions(model, inner, depth),
        TypeRef::List(inner) => string_positions(model, inner, depth)
            .into_iter()
            .map(|(mut steps, leaf)| {
                steps.insert(0, Step::Index);
                (steps, leaf)
            })
            .collect(),
        TypeRef::Named(name) => match name.as_str() {
            "String" | "ID" | "JSON" | "DateTime" => vec![(Vec::new(), name.clone())],
            _ if model.kind_of(name) == Kind::InputObject && depth < 3 => model.types[name]
                .input_fields
                .iter()
                .flat_map(|field| {
                    string_positions(model, &field.ty, depth + 1)
                        .into_iter()
                        .map(|(mut steps, leaf)| {
                            steps.insert(0, Step::Field(field.name.clone()));
                            (steps, leaf)
                        })
                })
                .collect(),
            _ => Vec::new(),
        },
    }
}

/// A value of `ty` with the poison at `steps` and required fields filled elsewhere.
fn poisoned(model: &SchemaModel, ty: &TypeRef, steps: &[Step]) -> Value {
    match (ty, steps.first()) {
        (TypeRef::NonNull(inner), _) => poisoned(model, inner, steps),
        (TypeRef::List(inner), _) => json!([poisoned(model, inner, &steps[1..])]),
        (TypeRef::Named(name), None) if name == "JSON" => json!({ JSON_KEY: POISON }),
        (TypeRef::Named(_), None) => json!(POISON),
        (TypeRef::Named(name), Some(Step::Field(field))) => {
            let mut value = model.filler(ty);
            let field_ty = model.types[name]
                .input_fields
                .iter()
                .find(|input| &input.name == field)
                .map(|input| input.ty.clone())
                .expect("the step names an input field");
            value[field] = poisoned(model, &field_ty, &steps[1..]);
            value
        }
        (TypeRef::Named(_), Some(Step::Index)) => unreachable!("an index step is on a list"),
    }
}

fn expected_path(argument: &str, steps: &[Step], leaf: &str) -> String {
    let mut path = argument.to_string();
    for step in steps {
        match step {
            Step::Field(name) => path.push_str(&format!(".{name}")),
            Step::Index => path.push_str("[0]"),
        }
    }
    if leaf == "JSON" {
        path.push_str(&format!(".{JSON_KEY}"));
    }
    path
}

/// One operation calling `field` with the poisoned `argument` and every other required
/// argument filled, its arguments passed as variables or written as literals.
fn operation(
    model: &SchemaModel,
    keyword: &str,
    field: &common::schema_model::FieldDef,
    argument: &str,
    poison: Value,
    as_variables: bool,
) -> (String, Value) {
    let mut declarations = Vec::new();
    let mut arguments = Vec::new();
    let mut variables = serde_json::Map::new();
    for (index, arg) in field.args.iter().enumerate() {
        let value = if arg.name == argument {
            poison.clone()
        } else if arg.required() {
            model.filler(&arg.ty)
        } else {
            continue;
        };
        if as_variables {
            declarations.push(format!("$v{index}: {}", arg.ty.render()));
            arguments.push(format!("{}: $v{index}", arg.name));
            variables.insert(format!("v{index}"), value);
        } else {
            arguments.push(format!(
                "{}: {}",
                arg.name,
                graphql_literal(&value, &arg.ty, model)
            ));
        }
    }
    let declarations = if declarations.is_empty() {
        String::new()
    } else {
        format!("({})", declarations.join(", "))
    };
    let query = format!(
        "{keyword} Sweep{declarations} {{ {}({}){} }}",
        field.name,
        arguments.join(", "),
        model.minimal_selection(&field.ty)
    );
    (query, Value::Object(variables))
}

/// Rows in every table of the database.
async fn row_counts(database_url: &str) -> BTreeMap<String, i64> {
    #[derive(diesel::QueryableByName)]
    struct Table {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let mut connection = AsyncPgConnection::establish(database_url).await.unwrap();
    let tables: Vec<Table> = diesel::sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .load(&mut connection)
    .await
    .unwrap();
    let mut counts = BTreeMap::new();
    for table in tables {
        let count: Count = diesel::sql_query(format!(
            "SELECT count(*) AS count FROM \"{}\"",
            table.table_name
        ))
        .get_result(&mut connection)
        .await
        .unwrap();
        counts.insert(table.table_name, count.count);
    }
    counts
}

/// Whether `body` is the refusal the rule gives for `path`.
fn refused_naming(body: &Value, path: &str) -> bool {
    error_code(body) == Some("BAD_USER_INPUT")
        && body["errors"][0]["extensions"]["field"] == path
        && body["errors"][0]["extensions"]["reason"] == "UNSTORABLE_TEXT"
        && body.get("data").is_none_or(Value::is_null)
}

#[tokio::test]
async fn nul_in_any_string_argument_of_any_operation_is_refused_naming_it_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let project = app.create_project(&ada, "Apollo").await;
    app.create_task(&ada, &project, "Launch", json!({})).await;
    let model = SchemaModel::introspect(&app).await;
    let before = row_counts(&app.database_url).await;

    let (mut checked, mut failures, mut subscriptions) = (0, Vec::new(), Vec::new());
    for (keyword, field) in model.root_fields() {
        for arg in &field.args {
            for (steps, leaf) in string_positions(&model, &arg.ty, 0) {
                let path = expected_path(&arg.name, &steps, &leaf);
                let poison = poisoned(&model, &arg.ty, &steps);
                for as_variables in [true, false] {
                    let (query, variables) = operation(
                        &model,
                        keyword,
                        field,
                        &arg.name,
                        poison.clone(),
                        as_variables,
                    );
                    let body = app
                        .graphql_as(&ada.access_token, &query, variables.clone())
                        .await;
                    checked += 1;
                    if !refused_naming(&body, &path) {
                        failures.push(format!("{query} {variables}\n  expected `{path}`: {body}"));
                    }
                    if keyword == "subscription" && as_variables {
                        subscriptions.push((query, variables, path.clone()));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} not refused:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The sweep reached the schema's string arguments, nested input fields included.
    assert!(checked > 150, "only {checked} string positions found");
    assert!(!subscriptions.is_empty());

    // Subscriptions as live clients send them: over graphql-transport-ws.
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", ada.access_token) }),
    )
    .await
    .expect("the token is accepted");
    for (index, (query, variables, path)) in subscriptions.iter().enumerate() {
        let id = format!("sweep-{index}");
        socket.subscribe(&id, query, variables.clone()).await;
        let message = socket.next_message().await;
        assert_eq!(message["id"], id.as_str(), "{message}");
        assert!(
            refused_naming(&message["payload"], path),
            "{query}: {message}"
        );
        assert_eq!(socket.next_message().await["type"], "complete");
    }
    socket.close().await;

    assert_eq!(
        row_counts(&app.database_url).await,
        before,
        "something was stored"
    );
}

#[tokio::test]
async fn a_lone_surrogate_escape_is_refused_naming_the_argument_over_post_get_and_websocket() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    const QUERY: &str = "query Search($q: String) { bookmarks(query: $q) { edges { cursor } } }";
    // serde_json cannot hold "\ud800" in a string, so the body is written by hand.
    for escape in [r"\ud800", r"\udfff", r"\ud83dx"] {
        let body = format!(r#"{{"query":"{QUERY}","variables":{{"q":"kubernetes {escape}"}}}}"#);
        let response = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&ada.access_token)
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{escape}");
        let body: Value = response.json().await.unwrap();
        assert!(refused_naming(&body, "query"), "{escape}: {body}");
    }

    let response = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(&ada.access_token)
        .query(&[("query", QUERY), ("variables", r#"{"q":"\udc00"}"#)])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(refused_naming(&body, "query"), "{body}");

    // In a GraphQL string literal, the parser refuses the escape; the refusal says why.
    let body = app
        .graphql_as(
            &ada.access_token,
            r#"{ bookmarks(query: "\ud800") { edges { cursor } } }"#,
            json!({}),
        )
        .await;
    let error = expect_error(&body, "BAD_USER_INPUT");
    assert_eq!(error["extensions"]["reason"], "UNSTORABLE_TEXT", "{body}");

    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", ada.access_token) }),
    )
    .await
    .unwrap();
    socket
        .send_text(&format!(
            r#"{{"id":"s","type":"subscribe","payload":{{"query":"{QUERY}","variables":{{"q":"\ud800"}}}}}}"#
        ))
        .await;
    let message = socket.next_message().await;
    assert!(refused_naming(&message["payload"], "query"), "{message}");
}

const CREATE_BOOKMARK: &str = "mutation Create($input: CreateBookmarkInput!) {
  createBookmark(input: $input) { id url }
}";

#[tokio::test]
async fn a_bookmark_url_with_a_control_character_is_refused_not_percent_encoded() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    for url in [
        "https://example.com/a\u{0}b",
        "https://example.com/a\u{7}b",
        "https://example.com/a\tb",
        "https://example.com/a\nb",
        "https://exam\u{1b}ple.com/",
        "https://example.com/\u{7f}",
    ] {
        let body = app
            .graphql_as(
                &ada.access_token,
                CREATE_BOOKMARK,
                json!({ "input": { "url": url, "title": "t" } }),
            )
            .await;
        let error = expect_error(&body, "BAD_USER_INPUT");
        assert!(
            error["extensions"]["field"] == "input.url" || error["extensions"]["field"] == "url",
            "{url:?}: {body}"
        );
    }
    let body = app
        .graphql_as(
            &ada.access_token,
            "{ bookmarks { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&body)["bookmarks"]["edges"], json!([]));
}

const IMPORT: &str = "mutation Import($file: Upload!, $format: BookmarkFileFormat!) {
  importBookmarks(file: $file, format: $format) { status imported skipped { url reason } }
}";

#[tokio::test]
async fn an_import_file_holding_unstorable_text_is_refused_naming_the_file() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let files: [(&str, &str, &[u8]); 4] = [
        ("JSON", "b.json", br#"[{"url":"https://a.example","title":"a\u0000b"}]"#),
        ("JSON", "b.json", br#"[{"url":"https://a.example","tags":["\ud800"]}]"#),
        ("JSON", "b.json", br#"[{"url":"https://a.example/\u0000"}]"#),
        (
            "NETSCAPE_HTML",
            "b.html",
            b"<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><A HREF=\"https://a.example\">a\0b</A>\n</DL>\n",
        ),
    ];
    for (format, name, content) in files {
        let response = app
            .upload_graphql(
                &ada.access_token,
                IMPORT,
                json!({ "format": format }),
                name,
                content,
            )
            .await;
        let body: Value = response.json().await.unwrap();
        let error = expect_error(&body, "BAD_USER_INPUT");
        assert_eq!(error["extensions"]["field"], "file", "{body}");
        assert!(error["message"].as_str().unwrap().contains("NUL"), "{body}");
    }
    let body = app
        .graphql_as(
            &ada.access_token,
            "{ bookmarks { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(data(&body)["bookmarks"]["edges"], json!([]));
}
