//! A database that cannot be reached reads as unavailable, never as "not signed in": requests
//! get 503 with `SERVICE_UNAVAILABLE`, `Retry-After` and the request id; readiness follows the
//! database down and back up; the same server serves again once it returns, without a restart.
//! Each test faults its own database only (`tests/common/database_faults.rs`).

mod common;

use std::time::Duration;

use common::{data, database_faults, wait::eventually, ws::GraphqlWs, TestApp, CREATE_TASK};
use serde_json::{json, Value};

async fn ready_status(app: &TestApp) -> (u16, Value) {
    let response = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("readiness is JSON"))
}

/// Asserts a 503 answer of the documented shape and returns its body.
async fn expect_unavailable(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let header_id = response
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let body: Value = response.json().await.expect("errors are JSON");
    assert_eq!(status, 503, "{body:#}");
    let error = &body["errors"][0];
    assert_eq!(
        error["extensions"]["code"], "SERVICE_UNAVAILABLE",
        "{body:#}"
    );
    assert!(
        retry_after.is_some_and(|seconds| seconds >= 1),
        "Retry-After: {retry_after:?}"
    );
    assert_eq!(
        error["extensions"]["requestId"].as_str(),
        header_id.as_deref(),
        "the error names the request id of the X-Request-Id header: {body:#}"
    );
    assert!(header_id.is_some());
    body
}

#[tokio::test]
async fn a_signed_in_caller_gets_503_while_the_database_is_gone_and_is_served_once_it_is_back() {
    let app = TestApp::builder()
        .env("WORKER_CONCURRENCY", "0")
        // Every request below must ask the database for its session: one remembered from the
        // setup (for up to `SESSION_MEMO_MS`) would let the WebSocket in without it.
        .env("SESSION_MEMO_MS", "0")
        .spawn()
        .await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Outage").await;
    let database = app
        .database
        .as_ref()
        .expect("its own database")
        .name
        .clone();
    assert_eq!(ready_status(&app).await.0, 200);

    let ended = database_faults::take_down(&database).await;
    assert!(ended >= 1, "the server held connections to its database");

    // The session lookup cannot be made: 503, not 401 "not signed in".
    let create = json!({ "query": CREATE_TASK,
        "variables": { "input": { "projectId": project, "title": "during the outage" } } });
    expect_unavailable(
        app.post_graphql(Some(&owner.access_token), create.clone())
            .await,
    )
    .await;
    // Anonymous callers need no session lookup; what they ask for still needs the database.
    let login = json!({ "query": common::LOGIN,
        "variables": { "input": { "email": owner.email, "password": common::STRONG_PASSWORD } } });
    let body = expect_unavailable(app.post_graphql(None, login).await).await;
    assert!(body["errors"][0]["message"].as_str().is_some());
    // A WebSocket whose credentials cannot be checked is told to come back, not refused.
    let refused = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", owner.access_token) }),
    )
    .await
    .err()
    .expect("connection_init cannot be accepted without the database");
    assert_eq!(refused.code, 1013, "{refused:?}");

    let (status, ready) = ready_status(&app).await;
    assert_eq!(status, 503, "{ready:#}");
    assert_eq!(
        ready["components"]["database"]["status"], "down",
        "{ready:#}"
    );

    database_faults::restore(&database).await;
    eventually(
        "readiness to report the database back",
        Duration::from_secs(20),
        || async { (ready_status(&app).await.0 == 200).then_some(()) },
    )
    .await;
    let response = app.post_graphql(Some(&owner.access_token), create).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(data(&body)["createTask"]["title"], "during the outage");
}

#[tokio::test]
async fn connections_the_database_terminated_are_replaced_and_no_request_reads_as_signed_out() {
    let app = TestApp::builder()
        .env("WORKER_CONCURRENCY", "0")
        .spawn()
        .await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Restarted").await;
    let database = app
        .database
        .as_ref()
        .expect("its own database")
        .name
        .clone();
    let mut answered = 0;
    for round in 0..5 {
        // What a PostgreSQL restart does to every client: its connections end under it.
        database_faults::terminate_connections(&database).await;
        for i in 0..4 {
            let response = app
                .post_graphql(
                    Some(&owner.access_token),
                    json!({ "query": CREATE_TASK, "variables": { "input": {
                        "projectId": project, "title": format!("round {round} task {i}") } } }),
                )
                .await;
            match response.status().as_u16() {
                200 => {
                    let body: Value = response.json().await.expect("JSON");
                    data(&body);
                    answered += 1;
                }
                // A query already on its way over a connection that was just ended.
                503 => {
                    expect_unavailable(response).await;
                }
                other => panic!(
                    "a terminated connection must read as 200 or 503, got {other}: {}",
                    response.text().await.unwrap_or_default()
                ),
            }
        }
    }
    assert!(
        answered >= 10,
        "dead connections are replaced at checkout ({answered}/20 answered)"
    );
}
