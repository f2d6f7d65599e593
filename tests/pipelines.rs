//! Pipelines through the public API: canvas editing with versions and validation, the role
//! table for every operation, runs executed by real workers (100,000 CSV rows end to end, task
//! creation, a previous run as a source), progress and canvas events over WebSockets, and the
//! job queue across two instances: exactly-once execution, reclaim after a worker dies,
//! cancellation and timeouts.

mod common;

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use catalyst::{events::bus::Topic, graphql::ids::decode_id};
use common::{
    data, error_code, expect_error,
    process::ServerProcess,
    wait::{eventually, throughout},
    ws::GraphqlWs,
    TestApp, TestAppBuilder, TestUser,
};
use serde_json::{json, Value};

const PIPELINE: &str = "id name status validationStatus version
  validationIssues { severity code message nodeId path }
  nodes { id component kind label position { x y } config }
  connections { id from { nodeId port } to { nodeId port } }";

const RUN: &str =
    "id status attempts pipeline { name } error outputRowCount outputStoredCount outputCap outputTruncated
  queuedAt startedAt finishedAt nodes { nodeId status rowsIn rowsOut durationMs error }
  output(first: 100) { edges { node } pageInfo { hasNextPage } }";

fn builder() -> TestAppBuilder {
    TestApp::builder()
        .env("PIPELINE_WORKER_POLL_MS", "50")
        .env("PIPELINE_RUN_LIMIT_PER_HOUR", "1000")
        .env("PIPELINE_CREATE_LIMIT_PER_HOUR", "1000")
}

async fn gql(app: &TestApp, user: &TestUser, query: &str, variables: Value) -> Value {
    app.graphql_as(&user.access_token, query, variables).await
}

async fn create_pipeline(app: &TestApp, user: &TestUser, project: &str, name: &str) -> Value {
    let body = gql(
        app,
        user,
        &format!("mutation($input: CreatePipelineInput!) {{ createPipeline(input: $input) {{ {PIPELINE} }} }}"),
        json!({ "input": { "projectId": project, "name": name } }),
    )
    .await;
    data(&body)["createPipeline"].clone()
}

const ADD_NODE: &str = "mutation($input: AddPipelineNodeInput!) {
  addPipelineNode(input: $input) { node { id kind } pipeline { version validationStatus } } }";

async fn add_node(
    app: &TestApp,
    user: &TestUser,
    pipeline: &str,
    component: &str,
    config: Value,
) -> String {
    let body = gql(
        app,
        user,
        ADD_NODE,
        json!({ "input": { "pipelineId": pipeline, "component": component, "label": component,
                           "position": { "x": 10.0, "y": 20.0 }, "config": config } }),
    )
    .await;
    data(&body)["addPipelineNode"]["node"]["id"]
        .as_str()
        .expect("node id")
        .to_string()
}

const CONNECT: &str = "mutation($input: ConnectPipelineNodesInput!) {
  connectPipelineNodes(input: $input) { connection { id } pipeline { version validationStatus } } }";

fn ports(pipeline: &str, from: &str, from_port: &str, to: &str, to_port: &str) -> Value {
    json!({ "input": { "pipelineId": pipeline, "from": { "nodeId": from, "port": from_port },
                       "to": { "nodeId": to, "port": to_port } } })
}

async fn connect(
    app: &TestApp,
    user: &TestUser,
    pipeline: &str,
    from: &str,
    from_port: &str,
    to: &str,
    to_port: &str,
) {
    let body = gql(
        app,
        user,
        CONNECT,
        ports(pipeline, from, from_port, to, to_port),
    )
    .await;
    data(&body);
}

/// Builds a pipeline of `(component, config)` nodes wired one after the other on `out`/`in`.
async fn chain(
    app: &TestApp,
    user: &TestUser,
    project: &str,
    nodes: &[(&str, Value)],
) -> (String, Vec<String>) {
    let pipeline = create_pipeline(app, user, project, "Chain").await["id"]
        .as_str()
        .expect("pipeline id")
        .to_string();
    let mut ids = Vec::new();
    for (component, config) in nodes {
        ids.push(add_node(app, user, &pipeline, component, config.clone()).await);
    }
    for pair in ids.windows(2) {
        connect(app, user, &pipeline, &pair[0], "out", &pair[1], "in").await;
    }
    (pipeline, ids)
}

const RUN_PIPELINE: &str = "mutation($id: ID!, $parameters: JSON) { runPipeline(pipelineId: $id, parameters: $parameters) { id status } }";

async fn run_pipeline(app: &TestApp, user: &TestUser, pipeline: &str, parameters: Value) -> String {
    let body = gql(
        app,
        user,
        RUN_PIPELINE,
        json!({ "id": pipeline, "parameters": parameters }),
    )
    .await;
    data(&body)["runPipeline"]["id"]
        .as_str()
        .expect("run id")
        .to_string()
}

async fn read_run(app: &TestApp, user: &TestUser, run: &str) -> Value {
    let body = gql(
        app,
        user,
        &format!("query($id: ID!) {{ pipelineRun(id: $id) {{ {RUN} }} }}"),
        json!({ "id": run }),
    )
    .await;
    data(&body)["pipelineRun"].clone()
}

async fn wait_for_status(
    app: &TestApp,
    user: &TestUser,
    run: &str,
    done: impl Fn(&str) -> bool,
    within: Duration,
) -> Value {
    eventually(&format!("run {run}"), within, || async {
        let current = read_run(app, user, run).await;
        if done(current["status"].as_str().unwrap_or_default()) {
            Ok(current)
        } else {
            Err(format!("still {}", current["status"]))
        }
    })
    .await
}

fn uuid_of(type_name: &str, id: &str) -> uuid::Uuid {
    decode_id(type_name, "id", &async_graphql::ID(id.to_string())).expect("an id of the type")
}

fn is_finished(status: &str) -> bool {
    matches!(status, "SUCCEEDED" | "FAILED" | "CANCELLED" | "TIMED_OUT")
}

async fn wait_for_run(app: &TestApp, user: &TestUser, run: &str) -> Value {
    wait_for_status(app, user, run, is_finished, Duration::from_secs(60)).await
}

fn output_rows(run: &Value) -> Vec<Value> {
    run["output"]["edges"]
        .as_array()
        .expect("output edges")
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

async fn socket_for(app: &TestApp, user: &TestUser) -> GraphqlWs {
    GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", user.access_token) }),
    )
    .await
    .expect("the token is accepted")
}

async fn next_payload(socket: &mut GraphqlWs, field: &str) -> Value {
    let message = socket.next_message().await;
    assert_eq!(message["type"], "next", "{message}");
    assert!(message["payload"].get("errors").is_none(), "{message}");
    message["payload"]["data"][field].clone()
}

async fn owner_and_project(app: &TestApp) -> (TestUser, String) {
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Data").await;
    (owner, project)
}

#[tokio::test]
async fn the_catalogue_describes_every_component_with_ports_and_config_schema() {
    let app = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let body = app
        .graphql(
            "{ pipelineComponents { name kind inputs { name required rowSchema } outputs { name } configSchema } }",
            json!({}),
        )
        .await;
    let components = data(&body)["pipelineComponents"]
        .as_array()
        .unwrap()
        .clone();
    let by_name: BTreeMap<&str, &Value> = components
        .iter()
        .map(|component| (component["name"].as_str().unwrap(), component))
        .collect();
    for name in [
        "inlineRows",
        "csvText",
        "projectTasks",
        "myBookmarks",
        "previousRunOutput",
        "filter",
        "map",
        "sort",
        "limit",
        "deduplicate",
        "aggregate",
        "join",
        "union",
        "validate",
        "runOutput",
        "csvExport",
        "createTasks",
    ] {
        assert!(by_name.contains_key(name), "{name} is in the catalogue");
    }
    assert_eq!(by_name["validate"]["kind"], "VALIDATION");
    assert_eq!(by_name["join"]["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(by_name["union"]["inputs"][1]["required"], false);
    assert_eq!(
        by_name["filter"]["configSchema"]["required"],
        json!(["expression"])
    );
    assert_eq!(
        by_name["createTasks"]["inputs"][0]["rowSchema"]["required"],
        json!(["title"])
    );
}

#[tokio::test]
async fn a_canvas_builds_a_pipeline_step_by_step_and_validation_follows_every_edit() {
    let app = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let pipeline = create_pipeline(&app, &owner, &project, "Orders").await;
    assert_eq!(pipeline["status"], "DRAFT");
    assert_eq!(pipeline["version"], 1);
    assert_eq!(pipeline["validationStatus"], "INVALID");
    let codes: Vec<&str> = pipeline["validationIssues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| issue["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["NO_SOURCE", "NO_SINK"]);
    let id = pipeline["id"].as_str().unwrap();

    let source = add_node(
        &app,
        &owner,
        id,
        "inlineRows",
        json!({ "rows": [{ "n": 1 }, { "n": 5 }] }),
    )
    .await;
    let filter = add_node(&app, &owner, id, "filter", json!({ "expression": "(n + " })).await;
    let sink = add_node(&app, &owner, id, "runOutput", json!({})).await;
    connect(&app, &owner, id, &source, "out", &filter, "in").await;
    connect(&app, &owner, id, &filter, "out", &sink, "in").await;
    let body = gql(
        &app,
        &owner,
        &format!("query($id: ID!) {{ pipeline(id: $id) {{ {PIPELINE} }} }}"),
        json!({ "id": id }),
    )
    .await;
    let current = &data(&body)["pipeline"];
    assert_eq!(current["version"], 6);
    assert_eq!(current["nodes"][1]["kind"], "TRANSFORM");
    assert_eq!(
        current["nodes"][1]["position"],
        json!({ "x": 10.0, "y": 20.0 })
    );
    assert_eq!(current["validationStatus"], "INVALID");
    assert_eq!(
        current["validationIssues"][0],
        json!({ "severity": "ERROR", "code": "INVALID_EXPRESSION", "nodeId": filter, "path": "/config/expression",
                "message": current["validationIssues"][0]["message"] })
    );

    let update = "mutation($input: UpdatePipelineNodeInput!) { updatePipelineNode(input: $input) { pipeline { version validationStatus } node { config } } }";
    let body = gql(
        &app,
        &owner,
        update,
        json!({ "input": { "nodeId": filter, "config": { "expression": "n > 2" } } }),
    )
    .await;
    assert_eq!(
        data(&body)["updatePipelineNode"]["pipeline"],
        json!({ "version": 7, "validationStatus": "VALID" })
    );

    // A stale version is refused with the current one.
    let stale = gql(
        &app,
        &owner,
        update,
        json!({ "input": { "nodeId": filter, "expectedVersion": 3, "label": "late" } }),
    )
    .await;
    let error = expect_error(&stale, "CONFLICT");
    assert_eq!(error["extensions"]["currentVersion"], 7);

    // The same two ports cannot be connected twice; ports must exist.
    let twice = gql(
        &app,
        &owner,
        CONNECT,
        ports(id, &source, "out", &filter, "in"),
    )
    .await;
    expect_error(&twice, "CONFLICT");
    let no_port = gql(
        &app,
        &owner,
        CONNECT,
        ports(id, &source, "rows", &filter, "in"),
    )
    .await;
    assert_eq!(
        expect_error(&no_port, "BAD_USER_INPUT")["extensions"]["field"],
        "from.port"
    );
    let unknown = gql(
        &app,
        &owner,
        ADD_NODE,
        json!({ "input": { "pipelineId": id, "component": "teleport" } }),
    )
    .await;
    expect_error(&unknown, "BAD_USER_INPUT");

    // Removing the filter drops its connections; the sink's input is then unconnected.
    let remove = "mutation($input: RemovePipelineNodeInput!) { removePipelineNode(input: $input) { version validationStatus connections { id } validationIssues { code nodeId } } }";
    let body = gql(
        &app,
        &owner,
        remove,
        json!({ "input": { "nodeId": filter } }),
    )
    .await;
    let after = &data(&body)["removePipelineNode"];
    assert_eq!(after["connections"], json!([]));
    assert_eq!(after["validationStatus"], "INVALID");
    let codes: Vec<&str> = after["validationIssues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| issue["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "REQUIRED_INPUT_UNCONNECTED",
            "UNREACHABLE_NODE",
            "UNREACHABLE_NODE"
        ]
    );
}

#[tokio::test]
async fn save_pipeline_graph_replaces_everything_atomically_or_nothing() {
    let app = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let (pipeline, ids) = chain(
        &app,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": [] })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let save = format!(
        "mutation($id: ID!, $v: Int!, $nodes: [PipelineGraphNodeInput!]!, $connections: [PipelineGraphConnectionInput!]!) {{
           savePipelineGraph(pipelineId: $id, expectedVersion: $v, nodes: $nodes, connections: $connections) {{ {PIPELINE} }} }}"
    );
    let nodes = json!([
        { "key": ids[0], "component": "inlineRows", "label": "kept", "config": { "rows": [{ "a": 1 }] } },
        { "key": "new-limit", "component": "limit", "config": { "count": 1 } },
        { "key": "new-sink", "component": "runOutput" },
    ]);
    let connections = json!([
        { "from": { "nodeId": ids[0], "port": "out" }, "to": { "nodeId": "new-limit", "port": "in" } },
        { "from": { "nodeId": "new-limit", "port": "out" }, "to": { "nodeId": "new-sink", "port": "in" } },
    ]);
    let body = gql(
        &app,
        &owner,
        &save,
        json!({ "id": pipeline, "v": 4, "nodes": nodes, "connections": connections }),
    )
    .await;
    let saved = &data(&body)["savePipelineGraph"];
    assert_eq!(saved["version"], 5);
    assert_eq!(saved["validationStatus"], "VALID");
    assert_eq!(saved["nodes"][0]["id"], ids[0]);
    assert_eq!(saved["nodes"][0]["label"], "kept");
    assert_eq!(saved["nodes"].as_array().unwrap().len(), 3);
    assert!(!saved["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|node| node["id"] == ids[1]));

    // A stale version or a dangling connection changes nothing.
    let stale = gql(
        &app,
        &owner,
        &save,
        json!({ "id": pipeline, "v": 4, "nodes": [], "connections": [] }),
    )
    .await;
    expect_error(&stale, "CONFLICT");
    let dangling = json!([{ "from": { "nodeId": "ghost", "port": "out" }, "to": { "nodeId": "x", "port": "in" } }]);
    let bad = gql(
        &app,
        &owner,
        &save,
        json!({ "id": pipeline, "v": 5, "nodes": [], "connections": dangling }),
    )
    .await;
    assert_eq!(
        expect_error(&bad, "BAD_USER_INPUT")["extensions"]["field"],
        "connections.0.from.nodeId"
    );
    let body = gql(
        &app,
        &owner,
        "query($id: ID!) { pipeline(id: $id) { version nodes { id } } }",
        json!({ "id": pipeline }),
    )
    .await;
    assert_eq!(data(&body)["pipeline"]["version"], 5);
    assert_eq!(
        data(&body)["pipeline"]["nodes"].as_array().unwrap().len(),
        3
    );
}

#[tokio::test]
async fn a_pipeline_holds_at_most_the_configured_nodes_and_creation_is_limited_per_hour() {
    let app = TestApp::builder()
        .env("WORKER_CONCURRENCY", "0")
        .env("PIPELINE_MAX_NODES", "3")
        .env("PIPELINE_CREATE_LIMIT_PER_HOUR", "2")
        .spawn()
        .await;
    let (owner, project) = owner_and_project(&app).await;
    let pipeline = create_pipeline(&app, &owner, &project, "One").await;
    let id = pipeline["id"].as_str().unwrap();
    for _ in 0..3 {
        add_node(&app, &owner, id, "runOutput", json!({})).await;
    }
    let fourth = gql(
        &app,
        &owner,
        ADD_NODE,
        json!({ "input": { "pipelineId": id, "component": "runOutput" } }),
    )
    .await;
    assert_eq!(
        expect_error(&fourth, "BAD_USER_INPUT")["message"],
        "a pipeline holds at most 3 nodes"
    );

    create_pipeline(&app, &owner, &project, "Two").await;
    let third = gql(
        &app,
        &owner,
        "mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { id } }",
        json!({ "input": { "projectId": project, "name": "Three" } }),
    )
    .await;
    let error = expect_error(&third, "RATE_LIMITED");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("too many `createPipeline` requests: at most 2 per 3600 seconds"),
        "{error}"
    );
    assert!(error["extensions"]["retryAfterSeconds"].as_u64().unwrap() <= 3_600);
}

#[tokio::test]
async fn every_pipeline_operation_follows_the_role_table() {
    let app = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let mut members = Vec::new();
    for role in ["VIEWER", "EXECUTOR", "EDITOR"] {
        let user = app
            .register(&format!("{}@example.com", role.to_lowercase()), role)
            .await;
        app.add_member(&owner, &project, &user, role).await;
        members.push((role, user));
    }
    let outsider = app.register("outsider@example.com", "Outsider").await;
    let (pipeline, ids) = chain(
        &app,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": [{ "a": 1 }] })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let queued_run = run_pipeline(&app, &owner, &pipeline, json!({})).await;

    // (operation, query, variables, weakest role allowed)
    let operations: Vec<(&str, String, Value, &str)> = vec![
        ("read", "query($id: ID!) { pipeline(id: $id) { id nodes { id } runs { edges { node { id } } } } }".into(), json!({ "id": pipeline }), "VIEWER"),
        ("read run", "query($id: ID!) { pipelineRun(id: $id) { id } }".into(), json!({ "id": queued_run }), "VIEWER"),
        ("validate", "mutation($id: ID!) { validatePipeline(id: $id) { validationStatus } }".into(), json!({ "id": pipeline }), "VIEWER"),
        ("run", RUN_PIPELINE.into(), json!({ "id": pipeline }), "EXECUTOR"),
        ("create", "mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { id } }".into(),
         json!({ "input": { "projectId": project, "name": "x" } }), "EDITOR"),
        ("update", "mutation($input: UpdatePipelineInput!) { updatePipeline(input: $input) { id } }".into(),
         json!({ "input": { "id": pipeline, "description": "d" } }), "EDITOR"),
        ("add node", ADD_NODE.into(), json!({ "input": { "pipelineId": pipeline, "component": "limit", "config": { "count": 1 } } }), "EDITOR"),
        ("update node", "mutation($input: UpdatePipelineNodeInput!) { updatePipelineNode(input: $input) { node { id } } }".into(),
         json!({ "input": { "nodeId": ids[0], "label": "renamed" } }), "EDITOR"),
        ("disconnect", "mutation($input: ConnectPipelineNodesInput!) { disconnectPipelineNodes(input: $input) { connection { id } } }".into(),
         ports(&pipeline, &ids[0], "out", &ids[1], "in"), "EDITOR"),
        ("connect", CONNECT.into(), ports(&pipeline, &ids[0], "out", &ids[1], "in"), "EDITOR"),
        ("save graph", "mutation($id: ID!) { savePipelineGraph(pipelineId: $id, expectedVersion: 0, nodes: [], connections: []) { id } }".into(),
         json!({ "id": pipeline }), "EDITOR"),
    ];
    let rank = |role: &str| {
        ["VIEWER", "EXECUTOR", "EDITOR"]
            .iter()
            .position(|known| *known == role)
            .unwrap()
    };
    for (name, query, variables, weakest) in &operations {
        let hidden = gql(&app, &outsider, query, variables.clone()).await;
        assert_eq!(
            error_code(&hidden),
            Some("NOT_FOUND"),
            "{name} as a non-member: {hidden}"
        );
        for (role, user) in &members {
            let body = gql(&app, user, query, variables.clone()).await;
            if rank(role) >= rank(weakest) {
                // Save-graph with version 0 proves the role check passed: it fails on the version.
                if *name == "save graph" {
                    assert_eq!(
                        error_code(&body),
                        Some("CONFLICT"),
                        "{name} as {role}: {body}"
                    );
                } else {
                    data(&body);
                }
            } else {
                assert_eq!(
                    error_code(&body),
                    Some("FORBIDDEN"),
                    "{name} as {role}: {body}"
                );
            }
        }
    }
    // Cancelling and deleting, last: each succeeds once.
    let cancel = "mutation($id: ID!) { cancelPipelineRun(id: $id) { status } }";
    for (role, user) in &members[..1] {
        let body = gql(&app, user, cancel, json!({ "id": queued_run })).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "cancel as {role}");
    }
    let body = gql(&app, &members[1].1, cancel, json!({ "id": queued_run })).await;
    assert_eq!(data(&body)["cancelPipelineRun"]["status"], "CANCELLED");
    let delete = "mutation($id: ID!) { deletePipeline(id: $id) }";
    for (role, user) in &members[..2] {
        let body = gql(&app, user, delete, json!({ "id": pipeline })).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "delete as {role}");
    }
    let body = gql(&app, &members[2].1, delete, json!({ "id": pipeline })).await;
    assert_eq!(data(&body)["deletePipeline"], true);
    let anonymous = app
        .graphql(
            "query($id: ID!) { pipeline(id: $id) { id } }",
            json!({ "id": pipeline }),
        )
        .await;
    expect_error(&anonymous, "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_invalid_pipeline_is_refused_with_its_issues() {
    let app = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let (pipeline, _) = chain(
        &app,
        &owner,
        &project,
        &[("inlineRows", json!({ "rows": [] })), ("filter", json!({}))],
    )
    .await;
    let body = gql(&app, &owner, RUN_PIPELINE, json!({ "id": pipeline })).await;
    let error = expect_error(&body, "BAD_USER_INPUT");
    let codes: Vec<&str> = error["extensions"]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| issue["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "INVALID_CONFIG",
            "NO_SINK",
            "UNREACHABLE_NODE",
            "UNREACHABLE_NODE"
        ]
    );
    assert_eq!(
        error["extensions"]["issues"][0]["path"],
        "/config/expression"
    );
}

#[tokio::test]
async fn a_bookmarks_source_reads_the_runners_own_bookmarks_and_nobody_elses() {
    let app = builder().spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let stranger = app.register("stranger@example.com", "Stranger").await;
    let create = "mutation($input: CreateBookmarkInput!) { createBookmark(input: $input) { id } }";
    for (user, url, title) in [
        (&owner, "https://kubernetes.io/docs/", "Kubernetes docs"),
        (&owner, "https://www.rust-lang.org/", "Rust"),
        (&stranger, "https://example.com/secret", "Not yours"),
    ] {
        let body = gql(
            &app,
            user,
            create,
            json!({ "input": { "url": url, "title": title, "tags": ["reading"] } }),
        )
        .await;
        data(&body);
    }
    let (pipeline, _) = chain(
        &app,
        &owner,
        &project,
        &[("myBookmarks", json!({})), ("runOutput", json!({}))],
    )
    .await;
    let run = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    let finished = wait_for_run(&app, &owner, &run).await;
    assert_eq!(finished["status"], "SUCCEEDED", "{finished}");
    let titles: Vec<Value> = output_rows(&finished)
        .iter()
        .map(|row| row["title"].clone())
        .collect();
    assert_eq!(titles, [json!("Kubernetes docs"), json!("Rust")]);
    assert_eq!(output_rows(&finished)[0]["tags"], json!(["reading"]));
}

fn big_csv(rows: usize) -> (String, BTreeMap<String, (i64, i64)>) {
    let mut text = String::from("c,a\n");
    let mut expected: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for i in 0..rows {
        let category = char::from(b'a' + (i % 10) as u8).to_string();
        let amount = (i * 7 % 1000) as i64;
        text.push_str(&format!("{category},{amount}\n"));
        if amount >= 500 {
            let entry = expected.entry(category).or_default();
            entry.0 += 1;
            entry.1 += amount;
        }
    }
    (text, expected)
}

#[tokio::test]
async fn a_hundred_thousand_csv_rows_are_filtered_aggregated_and_stored_end_to_end() {
    let app = builder().spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let (text, expected) = big_csv(100_000);
    let (pipeline, ids) = chain(
        &app,
        &owner,
        &project,
        &[
            ("csvText", json!({ "text": text, "types": { "a": "integer" } })),
            ("filter", json!({ "expression": "a >= params.threshold" })),
            ("aggregate", json!({ "groupBy": ["c"], "aggregates": [{ "name": "rows", "op": "count" }, { "name": "total", "op": "sum", "field": "a" }] })),
            ("sort", json!({ "keys": [{ "field": "c" }] })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let run = run_pipeline(&app, &owner, &pipeline, json!({ "threshold": 500 })).await;
    let finished = wait_for_run(&app, &owner, &run).await;
    assert_eq!(finished["status"], "SUCCEEDED", "{finished}");
    assert_eq!(finished["pipeline"]["name"], "Chain");
    let rows = output_rows(&finished);
    let got: BTreeMap<String, (i64, i64)> = rows
        .iter()
        .map(|row| {
            (
                row["c"].as_str().unwrap().to_string(),
                (
                    row["rows"].as_i64().unwrap(),
                    row["total"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let counts: Vec<(Value, Value, Value)> = finished["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            (
                node["nodeId"].clone(),
                node["rowsIn"].clone(),
                node["rowsOut"].clone(),
            )
        })
        .collect();
    assert_eq!(counts[0], (json!(ids[0]), json!(0), json!(100_000)));
    assert_eq!(counts[1], (json!(ids[1]), json!(100_000), json!(50_000)));
    assert_eq!(counts[2], (json!(ids[2]), json!(50_000), json!(10)));
    assert_eq!(finished["outputRowCount"], 10);
    assert_eq!(finished["outputTruncated"], false);
}

#[tokio::test]
async fn stored_output_is_capped_and_the_cap_reported_and_a_later_run_can_read_it() {
    let app = builder().env("PIPELINE_OUTPUT_ROW_CAP", "3").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let rows: Vec<Value> = (1..=5).map(|i| json!({ "i": i })).collect();
    let (first, _) = chain(
        &app,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": rows })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let run = run_pipeline(&app, &owner, &first, json!({})).await;
    let finished = wait_for_run(&app, &owner, &run).await;
    assert_eq!(finished["status"], "SUCCEEDED");
    assert_eq!(
        (
            finished["outputRowCount"].clone(),
            finished["outputStoredCount"].clone()
        ),
        (json!(5), json!(3))
    );
    assert_eq!(
        (
            finished["outputCap"].clone(),
            finished["outputTruncated"].clone()
        ),
        (json!(3), json!(true))
    );
    assert_eq!(
        output_rows(&finished),
        vec![json!({ "i": 1 }), json!({ "i": 2 }), json!({ "i": 3 })]
    );

    let (second, _) = chain(
        &app,
        &owner,
        &project,
        &[
            ("previousRunOutput", json!({ "runId": run })),
            ("map", json!({ "fields": { "double": "i * 2" } })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let again = run_pipeline(&app, &owner, &second, json!({})).await;
    let finished = wait_for_run(&app, &owner, &again).await;
    assert_eq!(
        output_rows(&finished),
        vec![
            json!({ "double": 2 }),
            json!({ "double": 4 }),
            json!({ "double": 6 })
        ]
    );
}

#[tokio::test]
async fn a_create_tasks_sink_creates_tasks_as_the_runner_and_executors_may_not_use_it() {
    let app = builder().spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let executor = app.register("executor@example.com", "Executor").await;
    app.add_member(&owner, &project, &executor, "EXECUTOR")
        .await;
    app.create_task(&owner, &project, "existing", json!({}))
        .await;
    let (pipeline, _) = chain(
        &app,
        &owner,
        &project,
        &[
            ("projectTasks", json!({})),
            (
                "map",
                json!({ "fields": { "title": "\"Follow up: \" + title" } }),
            ),
            ("createTasks", json!({})),
        ],
    )
    .await;
    let refused = gql(&app, &executor, RUN_PIPELINE, json!({ "id": pipeline })).await;
    expect_error(&refused, "FORBIDDEN");
    let run = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    let finished = wait_for_run(&app, &owner, &run).await;
    assert_eq!(finished["status"], "SUCCEEDED", "{finished}");
    let body = gql(&app, &owner, "query($id: ID!) { project(id: $id) { tasks { edges { node { title createdBy { email } } } } } }", json!({ "id": project })).await;
    let titles: Vec<&str> = data(&body)["project"]["tasks"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["existing", "Follow up: existing"]);
}

#[tokio::test]
async fn an_expression_error_fails_the_run_naming_the_node_and_row() {
    let app = builder().spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let (pipeline, ids) = chain(
        &app,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": [{ "n": 1 }, { "n": "x" }] })),
            ("filter", json!({ "expression": "n > 0" })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let run = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    let finished = wait_for_run(&app, &owner, &run).await;
    assert_eq!(finished["status"], "FAILED");
    let error = finished["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!("node {}: row 2: the expression failed", ids[1])),
        "{error}"
    );
    // Rows stream: the source and the sink were mid-stream when the filter failed.
    let statuses: Vec<&str> = finished["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["CANCELLED", "FAILED", "CANCELLED"]);
}

const RUN_EVENTS: &str = "subscription($id: ID!) { pipelineRunEvents(runId: $id) { seq kind nodeId status rowsIn rowsOut attempt outputRows } }";

#[tokio::test]
async fn a_runs_progress_events_arrive_in_order_and_the_stream_ends_with_the_run() {
    let app = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let viewer = app.register("viewer@example.com", "Viewer").await;
    app.add_member(&owner, &project, &viewer, "VIEWER").await;
    let (pipeline, ids) = chain(
        &app,
        &owner,
        &project,
        &[
            (
                "inlineRows",
                json!({ "rows": [{ "n": 1 }, { "n": 2 }, { "n": 3 }] }),
            ),
            ("filter", json!({ "expression": "n != 2" })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let run = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    let mut socket = socket_for(&app, &viewer).await;
    socket
        .subscribe("progress", RUN_EVENTS, json!({ "id": run }))
        .await;
    // The stream reads the run's event table, so it would miss nothing anyway; once it listens
    // for the run's notices, the events arrive live as the worker makes them.
    app.wait_for_subscribers(Topic::PipelineRun(uuid_of("PipelineRun", &run)), 1)
        .await;
    // A worker on another instance of the same database picks the run up.
    let _worker = builder().sharing_database_of(&app).spawn().await;
    let mut events = Vec::new();
    loop {
        let message = socket.next_message().await;
        if message["type"] == "complete" {
            break;
        }
        events.push(message["payload"]["data"]["pipelineRunEvents"].clone());
    }
    let seqs: Vec<i64> = events
        .iter()
        .map(|event| event["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
    let kinds: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|event| (event["kind"].as_str().unwrap(), event["nodeId"].as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("RUN_STARTED", None),
            // Rows stream: the filter and the sink start on the first row, before the
            // source has read them all.
            ("NODE_STARTED", Some(ids[0].as_str())),
            ("NODE_STARTED", Some(ids[1].as_str())),
            ("NODE_STARTED", Some(ids[2].as_str())),
            ("NODE_FINISHED", Some(ids[0].as_str())),
            ("NODE_FINISHED", Some(ids[1].as_str())),
            ("NODE_FINISHED", Some(ids[2].as_str())),
            ("RUN_FINISHED", None),
        ]
    );
    assert_eq!(
        (events[5]["rowsIn"].clone(), events[5]["rowsOut"].clone()),
        (json!(3), json!(2))
    );
    assert_eq!(
        (events[7]["status"].clone(), events[7]["outputRows"].clone()),
        (json!("SUCCEEDED"), json!(2))
    );

    // Resuming after a seq replays only what follows.
    let mut again = socket_for(&app, &owner).await;
    again
        .subscribe(
            "tail",
            "subscription($id: ID!) { pipelineRunEvents(runId: $id, after: 6) { seq kind } }",
            json!({ "id": run }),
        )
        .await;
    assert_eq!(
        next_payload(&mut again, "pipelineRunEvents").await,
        json!({ "seq": 7, "kind": "NODE_FINISHED" })
    );
    assert_eq!(
        next_payload(&mut again, "pipelineRunEvents").await,
        json!({ "seq": 8, "kind": "RUN_FINISHED" })
    );
}

const CANVAS_EVENTS: &str = "subscription($id: ID!, $after: String) { pipelineEvents(pipelineId: $id, after: $after) {
  cursor kind version actor { email } node { id label } connection { from { nodeId } } removedNodeId pipeline { name } } }";

#[tokio::test]
async fn a_canvas_subscriber_on_instance_b_sees_edits_made_on_instance_a_and_can_resume() {
    let instance_a = builder()
        .with_redis()
        .env("WORKER_CONCURRENCY", "0")
        .spawn()
        .await;
    let instance_b = builder()
        .with_redis()
        .env("WORKER_CONCURRENCY", "0")
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    let (owner, project) = owner_and_project(&instance_a).await;
    let editor = instance_a.register("editor@example.com", "Editor").await;
    instance_a
        .add_member(&owner, &project, &editor, "EDITOR")
        .await;
    let pipeline = create_pipeline(&instance_a, &owner, &project, "Live").await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut socket = socket_for(&instance_b, &owner).await;
    socket
        .subscribe("canvas", CANVAS_EVENTS, json!({ "id": pipeline }))
        .await;
    instance_b
        .wait_for_subscribers(Topic::Project(uuid_of("Project", &project)), 1)
        .await;
    let source = add_node(
        &instance_a,
        &editor,
        &pipeline,
        "inlineRows",
        json!({ "rows": [] }),
    )
    .await;
    // B's stream was listening and nothing follows this edit yet: a gap repair needs a later
    // event, so only the live delivery through Redis can bring it.
    let added = next_payload(&mut socket, "pipelineEvents").await;
    assert_eq!(added["kind"], "PIPELINE_NODE_ADDED");
    assert_eq!(added["node"]["id"], source);
    assert_eq!(added["actor"]["email"], "editor@example.com");
    assert_eq!(added["version"], 2);
    let cursor = added["cursor"].as_str().unwrap().to_string();

    // A task edit in the same project is not a canvas event.
    instance_a
        .create_task(&owner, &project, "unrelated", json!({}))
        .await;
    let sink = add_node(&instance_a, &editor, &pipeline, "runOutput", json!({})).await;
    connect(&instance_a, &editor, &pipeline, &source, "out", &sink, "in").await;
    let node_added = next_payload(&mut socket, "pipelineEvents").await;
    assert_eq!(
        (node_added["kind"].clone(), node_added["node"]["id"].clone()),
        (json!("PIPELINE_NODE_ADDED"), json!(sink))
    );
    let connected = next_payload(&mut socket, "pipelineEvents").await;
    assert_eq!(
        (
            connected["kind"].clone(),
            connected["connection"]["from"]["nodeId"].clone()
        ),
        (json!("PIPELINE_NODES_CONNECTED"), json!(source))
    );
    socket.close().await;

    let mut resumed = socket_for(&instance_b, &owner).await;
    resumed
        .subscribe(
            "canvas",
            CANVAS_EVENTS,
            json!({ "id": pipeline, "after": cursor }),
        )
        .await;
    let versions = [
        next_payload(&mut resumed, "pipelineEvents").await["version"].clone(),
        next_payload(&mut resumed, "pipelineEvents").await["version"].clone(),
    ];
    assert_eq!(versions, [json!(3), json!(4)]);
    let remove = "mutation($input: RemovePipelineNodeInput!) { removePipelineNode(input: $input) { version } }";
    data(
        &gql(
            &instance_a,
            &editor,
            remove,
            json!({ "input": { "nodeId": source } }),
        )
        .await,
    );
    let removed = next_payload(&mut resumed, "pipelineEvents").await;
    assert_eq!(
        (removed["kind"].clone(), removed["removedNodeId"].clone()),
        (json!("PIPELINE_NODE_REMOVED"), json!(source))
    );
}

/// A pipeline that keeps a worker busy for a while: a 1,000 × 1,000 join (1,000,000 rows),
/// each row then computed on three times. Rows stream, so the work per row is what takes time.
async fn long_pipeline(app: &TestApp, owner: &TestUser, project: &str) -> String {
    joined_rows_pipeline(app, owner, project, 1000).await
}

/// `side` × `side` joined rows, each computed on three times, counted into one output row
/// `{ "n": side² }`.
async fn joined_rows_pipeline(
    app: &TestApp,
    owner: &TestUser,
    project: &str,
    side: usize,
) -> String {
    let rows: Vec<Value> = (0..side).map(|i| json!({ "k": 1, "i": i })).collect();
    let pipeline = create_pipeline(app, owner, project, "Long").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let left = add_node(app, owner, &pipeline, "inlineRows", json!({ "rows": rows })).await;
    let right = add_node(app, owner, &pipeline, "inlineRows", json!({ "rows": rows })).await;
    let join = add_node(
        app,
        owner,
        &pipeline,
        "join",
        json!({ "on": [{ "left": "k", "right": "k" }] }),
    )
    .await;
    let count = add_node(
        app,
        owner,
        &pipeline,
        "aggregate",
        json!({ "aggregates": [{ "name": "n", "op": "count" }] }),
    )
    .await;
    let spread = add_node(
        app,
        owner,
        &pipeline,
        "map",
        json!({ "fields": { "j": "i * 7 + k", "label": "str::to_uppercase(\"row\")" } }),
    )
    .await;
    let keep = add_node(
        app,
        owner,
        &pipeline,
        "filter",
        json!({ "expression": "j % 2 == 0 || j % 2 == 1" }),
    )
    .await;
    let again = add_node(
        app,
        owner,
        &pipeline,
        "map",
        json!({ "fields": { "j": "j * 3", "label": "label" } }),
    )
    .await;
    let sink = add_node(app, owner, &pipeline, "runOutput", json!({})).await;
    connect(app, owner, &pipeline, &left, "out", &join, "left").await;
    connect(app, owner, &pipeline, &right, "out", &join, "right").await;
    connect(app, owner, &pipeline, &join, "out", &spread, "in").await;
    connect(app, owner, &pipeline, &spread, "out", &keep, "in").await;
    connect(app, owner, &pipeline, &keep, "out", &again, "in").await;
    connect(app, owner, &pipeline, &again, "out", &count, "in").await;
    connect(app, owner, &pipeline, &count, "out", &sink, "in").await;
    pipeline
}

#[tokio::test]
async fn cancellation_stops_a_long_run() {
    let app = builder().env("WORKER_CONCURRENCY", "1").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let pipeline = long_pipeline(&app, &owner, &project).await;
    let run = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    wait_for_status(
        &app,
        &owner,
        &run,
        |status| status == "RUNNING",
        Duration::from_secs(10),
    )
    .await;
    let cancel = "mutation($id: ID!) { cancelPipelineRun(id: $id) { id } }";
    data(&gql(&app, &owner, cancel, json!({ "id": run })).await);
    let cancelled = wait_for_status(&app, &owner, &run, is_finished, Duration::from_secs(10)).await;
    assert_eq!(cancelled["status"], "CANCELLED", "{cancelled}");
    assert_eq!(cancelled["error"], "the run was cancelled");
    // Stopped mid-stream: of the eight nodes only the two 1,000-row sources can have finished;
    // the six that work through the million joined rows were stopped or never started.
    let stopped = cancelled["nodes"]
        .as_array()
        .expect("node runs")
        .iter()
        .filter(|node| node["status"] == "CANCELLED" || node["status"] == "QUEUED")
        .count();
    assert!(stopped >= 6, "{cancelled}");
    assert_eq!(cancelled["outputRowCount"], 0);
    let again = gql(&app, &owner, cancel, json!({ "id": run })).await;
    expect_error(&again, "CONFLICT");
}

#[tokio::test]
async fn a_run_past_its_timeout_ends_timed_out() {
    let app = builder()
        .env("PIPELINE_RUN_TIMEOUT_SECONDS", "1")
        .spawn()
        .await;
    let (owner, project) = owner_and_project(&app).await;
    let pipeline = long_pipeline(&app, &owner, &project).await;
    let run = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    let finished = wait_for_run(&app, &owner, &run).await;
    assert_eq!(finished["status"], "TIMED_OUT", "{finished}");
    assert_eq!(finished["error"], "the run took longer than 1 seconds");
}

#[tokio::test]
async fn cancelling_a_queued_run_ends_it_at_once() {
    let app = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let (pipeline, _) = chain(
        &app,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": [] })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let run = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    let body = gql(
        &app,
        &owner,
        "mutation($id: ID!) { cancelPipelineRun(id: $id) { status finishedAt } }",
        json!({ "id": run }),
    )
    .await;
    assert_eq!(data(&body)["cancelPipelineRun"]["status"], "CANCELLED");
    // A worker that starts later finds nothing to do: workers claim the oldest queued run
    // first, so once it has run one queued after the cancelled one, it has passed that by.
    let _worker = builder().sharing_database_of(&app).spawn().await;
    let later = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    assert_eq!(
        wait_for_run(&app, &owner, &later).await["status"],
        "SUCCEEDED"
    );
    assert_eq!(read_run(&app, &owner, &run).await["attempts"], 0);
}

#[tokio::test]
async fn two_instances_run_fifty_queued_runs_each_exactly_once() {
    let instance_a = builder()
        .with_redis()
        .env("WORKER_CONCURRENCY", "0")
        .spawn()
        .await;
    let (owner, project) = owner_and_project(&instance_a).await;
    let (pipeline, _) = chain(
        &instance_a,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": [{ "n": 1 }] })),
            ("map", json!({ "fields": { "n": "params.i" } })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let mut runs = Vec::new();
    for i in 0..50 {
        runs.push(run_pipeline(&instance_a, &owner, &pipeline, json!({ "i": i })).await);
    }
    let workers_a = builder()
        .with_redis()
        .env("WORKER_CONCURRENCY", "2")
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    let workers_b = builder()
        .with_redis()
        .env("WORKER_CONCURRENCY", "2")
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    for (i, run) in runs.iter().enumerate() {
        let finished = wait_for_run(&workers_b, &owner, run).await;
        assert_eq!(finished["status"], "SUCCEEDED");
        assert_eq!(finished["attempts"], 1, "run {i} was claimed once");
        assert_eq!(output_rows(&finished), vec![json!({ "n": i })]);
    }
    // Each run started exactly once and finished exactly once.
    for run in &runs {
        let mut socket = socket_for(&workers_a, &owner).await;
        socket
            .subscribe("p", RUN_EVENTS, json!({ "id": run }))
            .await;
        let mut kinds = Vec::new();
        loop {
            let message = socket.next_message().await;
            if message["type"] == "complete" {
                break;
            }
            kinds.push(
                message["payload"]["data"]["pipelineRunEvents"]["kind"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        assert_eq!(
            kinds.iter().filter(|kind| *kind == "RUN_STARTED").count(),
            1
        );
        assert_eq!(
            kinds.iter().filter(|kind| *kind == "RUN_FINISHED").count(),
            1
        );
    }
}

#[tokio::test]
async fn a_run_whose_worker_dies_is_reclaimed_after_its_lease_and_finishes() {
    let first = builder()
        .env("PIPELINE_LEASE_SECONDS", "2")
        .env("WORKER_CONCURRENCY", "1")
        .spawn()
        .await;
    let (owner, project) = owner_and_project(&first).await;
    let pipeline = long_pipeline(&first, &owner, &project).await;
    let run = run_pipeline(&first, &owner, &pipeline, json!({})).await;
    // The dead attempt must have nodes running: wait until it has started a few.
    let mut watching = socket_for(&first, &owner).await;
    watching
        .subscribe("progress", RUN_EVENTS, json!({ "id": run }))
        .await;
    let mut started = 0;
    while started < 3 {
        let message = watching.next_message().await;
        if message["payload"]["data"]["pipelineRunEvents"]["kind"] == "NODE_STARTED" {
            started += 1;
        }
    }
    drop(watching);
    let database_url = first.database_url.clone();
    let database = {
        let mut first = first;
        // Dropping the app aborts its server task and, with it, the worker mid-run.
        first.database.take()
    };
    let second = builder()
        .env("PIPELINE_LEASE_SECONDS", "2")
        .env("WORKER_CONCURRENCY", "1")
        .env("DATABASE_URL", &database_url)
        .spawn()
        .await;
    let finished = wait_for_run(&second, &owner, &run).await;
    assert_eq!(finished["status"], "SUCCEEDED", "{finished}");
    assert_eq!(finished["attempts"], 2);
    assert_eq!(output_rows(&finished), vec![json!({ "n": 1_000_000 })]);

    // The whole progress, replayed: the dead attempt's open nodes are closed before attempt 2.
    let events = replayed_events(&second, &owner, &run).await;
    assert_attempt_two_closed_what_attempt_one_left_open(&events);
    drop(second);
    drop(database);
}

/// SIGTERM while a run is going that outlasts the grace period: the process stops its worker,
/// hands the run back and exits 0, and a worker elsewhere claims it again at once (not after
/// the minute-long lease) and finishes it exactly once.
async fn sigterm_hands_back_the_run_its_worker_could_not_finish(command: &str) {
    let api = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let (owner, project) = owner_and_project(&api).await;
    // 250,000 joined rows: a few seconds of work in a debug build, well past the 1 s grace.
    let pipeline = joined_rows_pipeline(&api, &owner, &project, 500).await;
    let mut stopping = ServerProcess::start(
        command,
        &api.database_url,
        &[
            ("PIPELINE_LEASE_SECONDS", "60"),
            ("WORKER_CONCURRENCY", "1"),
            ("PIPELINE_WORKER_POLL_MS", "50"),
            ("SHUTDOWN_DRAIN_SECONDS", "0"),
            ("SHUTDOWN_GRACE_SECONDS", "1"),
        ],
    );
    let run = run_pipeline(&api, &owner, &pipeline, json!({})).await;
    // The process must stop mid-run, with nodes running.
    eventually(
        "the worker process to be running the run's nodes",
        Duration::from_secs(60),
        || async {
            let current = read_run(&api, &owner, &run).await;
            let nodes = current["nodes"].as_array().cloned().unwrap_or_default();
            match nodes.iter().any(|node| node["status"] == "RUNNING") {
                true => Ok(()),
                false => Err(current.to_string()),
            }
        },
    )
    .await;
    // Idle until then: the run is leased to the other process for a minute.
    let second = builder()
        .env("WORKER_CONCURRENCY", "1")
        .env("PIPELINE_LEASE_SECONDS", "60")
        .sharing_database_of(&api)
        .spawn()
        .await;

    let signalled = Instant::now();
    stopping.signal("TERM");
    let status = stopping.exit_status(Duration::from_secs(10)).await;
    let exited = signalled.elapsed();
    let logs = stopping.logs().join("\n");
    assert!(status.success(), "{status:?}: {logs}");
    // Drain 0 s + grace 1 s, then the stop and the hand-back (about 50 ms here).
    assert!(
        exited < Duration::from_secs(4),
        "exited after {exited:?}: {logs}"
    );
    eventually(
        "another worker to claim the handed-back run",
        Duration::from_secs(5),
        || async {
            let current = read_run(&api, &owner, &run).await;
            match current["attempts"] == 2 {
                true => Ok(()),
                false => Err(current.to_string()),
            }
        },
    )
    .await;
    let reclaimed = signalled.elapsed();
    assert!(
        reclaimed < Duration::from_secs(6),
        "claimed again after {reclaimed:?}, far inside the 60 s lease"
    );

    let finished = wait_for_run(&second, &owner, &run).await;
    assert_eq!(finished["status"], "SUCCEEDED", "{finished}");
    assert_eq!(finished["attempts"], 2);
    assert_eq!(output_rows(&finished), vec![json!({ "n": 250_000 })]);
    let events = replayed_events(&second, &owner, &run).await;
    assert_attempt_two_closed_what_attempt_one_left_open(&events);
}

#[tokio::test]
async fn a_server_stopped_mid_run_hands_the_run_back_and_another_worker_finishes_it_at_once() {
    sigterm_hands_back_the_run_its_worker_could_not_finish("serve").await;
}

#[tokio::test]
async fn a_worker_process_stopped_mid_run_hands_the_run_back_too() {
    sigterm_hands_back_the_run_its_worker_could_not_finish("worker").await;
}

/// Every progress event of a finished run, from the first.
async fn replayed_events(app: &TestApp, owner: &TestUser, run: &str) -> Vec<Value> {
    let mut socket = socket_for(app, owner).await;
    socket
        .subscribe("replay", RUN_EVENTS, json!({ "id": run }))
        .await;
    let mut events = Vec::new();
    loop {
        let message = socket.next_message().await;
        if message["type"] == "complete" {
            break;
        }
        events.push(message["payload"]["data"]["pipelineRunEvents"].clone());
    }
    events
}

/// Attempt 1 stopped with nodes running; each of them got NODE_ABANDONED once, before attempt
/// 2 started, and attempt 2 closed every node it started and finished the run once.
fn assert_attempt_two_closed_what_attempt_one_left_open(events: &[Value]) {
    let kind = |event: &Value| event["kind"].as_str().unwrap().to_string();
    let node = |event: &Value| event["nodeId"].as_str().unwrap().to_string();
    let second_start = events
        .iter()
        .position(|event| kind(event) == "RUN_STARTED" && event["attempt"] == 2)
        .expect("attempt 2 started");
    let (dead, retried) = events.split_at(second_start);
    let mut left_running: Vec<String> = dead
        .iter()
        .filter(|event| kind(event) == "NODE_STARTED")
        .map(node)
        .filter(|id| {
            !dead
                .iter()
                .any(|event| kind(event) == "NODE_FINISHED" && node(event) == *id)
        })
        .collect();
    assert!(
        !left_running.is_empty(),
        "attempt 1 stopped with nodes running: {events:#?}"
    );
    let mut abandoned: Vec<String> = dead
        .iter()
        .filter(|event| kind(event) == "NODE_ABANDONED")
        .inspect(|event| assert_eq!(event["attempt"], 1, "{event}"))
        .map(node)
        .collect();
    left_running.sort();
    abandoned.sort();
    assert_eq!(
        abandoned, left_running,
        "each node attempt 1 left running is abandoned once"
    );
    assert!(retried.iter().all(|event| kind(event) != "NODE_ABANDONED"));
    assert_eq!(
        events.iter().filter(|e| kind(e) == "RUN_FINISHED").count(),
        1,
        "{events:#?}"
    );
    let started_again = retried.iter().filter(|e| kind(e) == "NODE_STARTED").count();
    let finished_again = retried
        .iter()
        .filter(|e| kind(e) == "NODE_FINISHED")
        .count();
    assert_eq!(
        started_again, finished_again,
        "attempt 2 closes every node it starts"
    );
}

#[tokio::test]
async fn a_standalone_worker_process_runs_what_the_api_queued() {
    let app = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let (pipeline, _) = chain(
        &app,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": [{ "n": 7 }] })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let run = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    // A worker is woken by the queue notice at once and polls every 50 ms besides: one on
    // this instance would have claimed the run well within six of its poll intervals.
    throughout(
        "the run to stay queued",
        Duration::from_millis(300),
        || async {
            let status = read_run(&app, &owner, &run).await["status"].clone();
            (status == "QUEUED").then_some(()).ok_or(format!(
                "the API instance runs no workers, yet the run is {status}"
            ))
        },
    )
    .await;

    // What `catalyst worker` runs: workers only, no HTTP listener.
    let settings = catalyst::config::Settings::from_vars(
        [
            ("DATABASE_URL", app.database_url.as_str()),
            ("JWT_SECRET", common::TEST_JWT_SECRET),
            ("DATABASE_POOL_SIZE", "3"),
            ("WORKER_CONCURRENCY", "1"),
            ("PIPELINE_WORKER_POLL_MS", "50"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect(),
    )
    .expect("worker settings are valid");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(catalyst::app::run_worker(settings, async move {
        let _ = stopped.await;
    }));
    let finished = wait_for_run(&app, &owner, &run).await;
    assert_eq!(finished["status"], "SUCCEEDED");
    assert_eq!(output_rows(&finished), vec![json!({ "n": 7 })]);
    let _ = stop.send(());
    worker
        .await
        .expect("the worker task ends")
        .expect("the worker stops cleanly");
}

#[tokio::test]
async fn an_execute_api_key_runs_pipelines_and_changes_nothing_else() {
    let app = builder().spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let (pipeline, _) = chain(
        &app,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": [{ "a": 1 }] })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    let created = app
        .graphql_as(
            &owner.access_token,
            "mutation { createApiKey(name: \"runner\", scopes: [EXECUTE]) { secret } }",
            json!({}),
        )
        .await;
    let key = data(&created)["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_string();

    let run = app
        .graphql_as(&key, RUN_PIPELINE, json!({ "id": pipeline }))
        .await;
    let run_id = data(&run)["runPipeline"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let finished = wait_for_run(&app, &owner, &run_id).await;
    assert_eq!(finished["status"], "SUCCEEDED", "{finished}");

    for (mutation, variables) in [
        (
            "mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { id } }",
            json!({ "input": { "projectId": project, "name": "Not allowed" } }),
        ),
        (
            "mutation($id: ID!) { runPipeline(pipelineId: $id) { id } deletePipeline(id: $id) }",
            json!({ "id": pipeline }),
        ),
    ] {
        let refused = app.graphql_as(&key, mutation, variables).await;
        expect_error(&refused, "FORBIDDEN");
    }
    let still_there = gql(
        &app,
        &owner,
        "query($id: ID!) { pipeline(id: $id) { id } }",
        json!({ "id": pipeline }),
    )
    .await;
    assert_eq!(data(&still_there)["pipeline"]["id"], json!(pipeline));
}

#[tokio::test]
async fn a_member_removed_while_watching_a_run_gets_forbidden_and_the_stream_ends() {
    let app = builder().env("WORKER_CONCURRENCY", "0").spawn().await;
    let (owner, project) = owner_and_project(&app).await;
    let watcher = app.register("watcher@example.com", "Watcher").await;
    app.add_member(&owner, &project, &watcher, "VIEWER").await;
    let (pipeline, _) = chain(
        &app,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": [{ "a": 1 }] })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    // No workers: the run stays queued until it is cancelled.
    let run = run_pipeline(&app, &owner, &pipeline, json!({})).await;
    let mut socket = socket_for(&app, &watcher).await;
    socket
        .subscribe(
            "run",
            "subscription($id: ID!) { pipelineRunEvents(runId: $id) { seq kind } }",
            json!({ "id": run }),
        )
        .await;
    app.wait_for_subscribers(Topic::PipelineRun(uuid_of("PipelineRun", &run)), 1)
        .await;

    let removed = gql(
        &app,
        &owner,
        "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }",
        json!({ "p": project, "u": watcher.id }),
    )
    .await;
    assert_eq!(data(&removed)["removeMember"], true);
    let cancelled = gql(
        &app,
        &owner,
        "mutation($id: ID!) { cancelPipelineRun(id: $id) { status } }",
        json!({ "id": run }),
    )
    .await;
    assert_eq!(data(&cancelled)["cancelPipelineRun"]["status"], "CANCELLED");

    // Whatever arrived while the watcher was a member, the cancellation is not shown to them:
    // the stream ends with FORBIDDEN instead.
    let refused = loop {
        let message = socket.next_message().await;
        assert_eq!(message["type"], "next", "{message}");
        if message["payload"].get("errors").is_some() {
            break message;
        }
        assert_ne!(
            message["payload"]["data"]["pipelineRunEvents"]["kind"], "RUN_FINISHED",
            "{message}"
        );
    };
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    let ended = socket.next_message().await;
    assert_eq!(ended["type"], "complete", "{ended}");
}

#[tokio::test]
async fn a_runs_progress_reaches_another_instance_while_redis_is_down() {
    let mut redis = common::redis::PrivateRedis::start();
    let workers = builder()
        .env("REDIS_URL", &redis.url())
        .env("WORKER_CONCURRENCY", "1")
        .spawn()
        .await;
    let watcher = builder()
        .env("REDIS_URL", &redis.url())
        .env("WORKER_CONCURRENCY", "0")
        .sharing_database_of(&workers)
        .spawn()
        .await;
    let (owner, project) = owner_and_project(&workers).await;
    let (pipeline, _) = chain(
        &workers,
        &owner,
        &project,
        &[
            ("inlineRows", json!({ "rows": [{ "n": 1 }, { "n": 2 }] })),
            ("runOutput", json!({})),
        ],
    )
    .await;
    redis.stop();
    for instance in [&workers, &watcher] {
        instance
            .wait_for_redis_subscription(false, Duration::from_secs(10))
            .await;
    }
    // Queued through the watcher, run by the other instance's worker, watched on the first.
    let run = run_pipeline(&watcher, &owner, &pipeline, json!({})).await;
    let mut socket = socket_for(&watcher, &owner).await;
    socket
        .subscribe("progress", RUN_EVENTS, json!({ "id": run }))
        .await;
    let mut events = Vec::new();
    loop {
        let message = socket.next_message().await;
        if message["type"] == "complete" {
            break;
        }
        events.push(message["payload"]["data"]["pipelineRunEvents"].clone());
    }
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "{events:#?}"
    );
    assert_eq!(events[0]["kind"], "RUN_STARTED");
    assert_eq!(events.last().unwrap()["kind"], "RUN_FINISHED");
    assert_eq!(events.last().unwrap()["status"], "SUCCEEDED");
    assert_eq!(
        watcher.redis_subscribed(),
        Some(false),
        "Redis was down throughout"
    );
}
