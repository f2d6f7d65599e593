//! The HTTP surface as clients and operators meet it: GraphQL-over-HTTP rules, health, metrics,
//! request ids, internal-error hygiene and start-up configuration.

mod common;

use std::time::Duration;

use common::{data, expect_error, sample, wait::eventually, ws::GraphqlWs, TestApp};
use serde_json::{json, Value};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

async fn post_raw(
    app: &TestApp,
    accept: Option<&str>,
    content_type: &str,
    body: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", content_type)
        .body(body.to_string());
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    request.send().await.unwrap()
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn get_runs_queries_and_refuses_mutations_with_405() {
    let app = TestApp::spawn().await;
    let query = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query Hello { __typename }"),
            ("operationName", "Hello"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), 200);
    let body: Value = query.json().await.unwrap();
    assert_eq!(data(&body)["__typename"], "QueryRoot");

    let mutation = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { logout }")])
        .send()
        .await
        .unwrap();
    assert_eq!(mutation.status(), 405);
    assert_eq!(mutation.headers()["allow"], "POST");

    let variables = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            ("query", "query($n: Int) { __typename }"),
            ("variables", "{not json"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(variables.status(), 400);
}

#[tokio::test]
async fn response_media_type_follows_accept() {
    let app = TestApp::spawn().await;
    let modern = post_raw(
        &app,
        Some(GRAPHQL_RESPONSE_JSON),
        "application/json",
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert_eq!(modern.status(), 200);
    assert!(content_type(&modern).starts_with(GRAPHQL_RESPONSE_JSON));

    let legacy = post_raw(
        &app,
        None,
        "application/json",
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert!(content_type(&legacy).starts_with("application/json"));
    let wildcard = post_raw(
        &app,
        Some("*/*"),
        "application/json",
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert!(content_type(&wildcard).starts_with("application/json"));

    let unacceptable = post_raw(
        &app,
        Some("text/html"),
        "application/json",
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert_eq!(unacceptable.status(), 406);
    let wrong_content_type =
        post_raw(&app, None, "text/plain", r#"{"query":"{ __typename }"}"#).await;
    assert_eq!(wrong_content_type.status(), 415);
}

#[tokio::test]
async fn malformed_requests_get_400_and_request_errors_follow_the_media_type() {
    let app = TestApp::spawn().await;
    for (body, why) in [
        ("{\"query\": ", "unparsable JSON"),
        ("{}", "missing query"),
        ("{\"query\": 42}", "query not a string"),
        (
            "{\"query\": \"{ __typename }\", \"variables\": \"x\"}",
            "variables not an object",
        ),
        (
            "[{\"query\": \"{ __typename }\"}]",
            "batch while batching is off",
        ),
    ] {
        for accept in [Some(GRAPHQL_RESPONSE_JSON), None] {
            let response = post_raw(&app, accept, "application/json", body).await;
            assert_eq!(response.status(), 400, "{why} with {accept:?}");
            let body: Value = response.json().await.unwrap();
            expect_error(&body, "BAD_USER_INPUT");
        }
    }

    // A well-formed request that fails validation: 400 for graphql-response+json, 200 for
    // application/json; either way there is no `data`.
    for (query, variables) in [
        ("{ me { nope } }", json!({})),
        ("{ me { ", json!({})),
        (
            "query($first: Int) { users(first: $first) { edges { cursor } } }",
            json!({ "first": "many" }),
        ),
    ] {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let modern = post_raw(&app, Some(GRAPHQL_RESPONSE_JSON), "application/json", &body).await;
        assert_eq!(modern.status(), 400, "{query}");
        let modern: Value = modern.json().await.unwrap();
        assert!(modern.get("data").is_none());
        expect_error(&modern, "BAD_USER_INPUT");

        let legacy = post_raw(&app, Some("application/json"), "application/json", &body).await;
        assert_eq!(legacy.status(), 200, "{query}");
        let legacy: Value = legacy.json().await.unwrap();
        assert!(legacy.get("data").is_none());
        expect_error(&legacy, "BAD_USER_INPUT");
    }

    // A field error is not a request error: 200 with data for both media types.
    let field_error = post_raw(
        &app,
        Some(GRAPHQL_RESPONSE_JSON),
        "application/json",
        r#"{"query":"{ users { edges { cursor } } }"}"#,
    )
    .await;
    assert_eq!(field_error.status(), 200);
    let field_error: Value = field_error.json().await.unwrap();
    assert!(field_error.get("data").is_some());
    expect_error(&field_error, "UNAUTHENTICATED");
}

#[tokio::test]
async fn queries_nested_beyond_the_depth_limit_are_refused() {
    let app = TestApp::spawn().await;
    // __Type.ofType nests without end, so this is valid GraphQL, just too deep.
    let query = format!(
        "__schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }}",
        "ofType { ".repeat(15),
        "}".repeat(15)
    );
    let body = app.graphql(&format!("{{ {query} }}"), json!({})).await;
    expect_error(&body, "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn health_reports_each_dependency() {
    let app = TestApp::builder().with_redis().spawn().await;
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["components"]["database"]["status"], "ok");
    assert_eq!(ready["components"]["redis"]["status"], "ok");
}

#[tokio::test]
async fn readiness_is_503_naming_the_database_when_it_is_unreachable() {
    let app = TestApp::spawn().await;
    app.database.as_ref().unwrap().drop_now().await;
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["failed"], json!(["database"]));
    assert_eq!(ready["components"]["database"]["status"], "down");
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
}

#[tokio::test]
async fn readiness_is_503_naming_redis_when_it_is_unreachable() {
    // Nothing listens on port 1: the configured Redis is down.
    let app = TestApp::builder()
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .spawn()
        .await;
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["failed"], json!(["redis"]));
    assert_eq!(ready["components"]["database"]["status"], "ok");
}

#[tokio::test]
async fn internal_errors_carry_only_a_code_and_the_request_id() {
    let app = TestApp::spawn().await;
    // A schema the code does not expect is the server's fault. (A database that is gone
    // altogether is SERVICE_UNAVAILABLE instead: tests/database_outage.rs.)
    {
        use diesel_async::{AsyncConnection, RunQueryDsl};
        let mut connection = diesel_async::AsyncPgConnection::establish(&app.database_url)
            .await
            .unwrap();
        diesel::sql_query("DROP TABLE users CASCADE")
            .execute(&mut connection)
            .await
            .unwrap();
    }
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", "trace-me-123")
        .json(&json!({ "query": "mutation { login(input: {email: \"a@example.com\", password: \"whatever1234\"}) { accessToken } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
    let body: Value = response.json().await.unwrap();
    let error = expect_error(&body, "INTERNAL");
    assert_eq!(error["extensions"]["requestId"], "trace-me-123");
    let message = error["message"].as_str().unwrap();
    assert!(
        !message.contains("database"),
        "internal text leaked: {message}"
    );
    assert!(
        !message.contains("exist"),
        "internal text leaked: {message}"
    );
}

#[tokio::test]
async fn responses_carry_a_request_id_and_security_headers() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(request_id).is_ok());
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(response.headers().get("referrer-policy").is_some());
}

#[tokio::test]
async fn metrics_expose_http_graphql_pool_and_websocket_figures() {
    let app = TestApp::spawn().await;
    app.graphql("query Probe { __typename }", json!({})).await;
    app.graphql("{ me { nope } }", json!({})).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "http_requests_total{",
        "route=\"/graphql\"",
        "http_request_duration_seconds_bucket{",
        "graphql_operations_total{name=\"Probe\",outcome=\"ok\",type=\"query\"",
        "outcome=\"request_error\"",
        "db_pool_connections{state=\"idle\"",
        "db_pool_connections{state=\"in_use\"",
    ] {
        assert!(
            metrics.contains(expected),
            "missing {expected} in:\n{metrics}"
        );
    }

    // WebSockets: the open-connections gauge follows a socket that opens, runs a subscription
    // and closes, and the upgrade is counted as a 101 on /graphql.
    const OPEN: &str = "websocket_connections_open";
    let open = |metrics: &str| sample(metrics, OPEN).unwrap_or(0.0);
    assert_eq!(open(&metrics), 0.0, "{metrics}");
    let ada = app.register("ada@example.com", "Ada").await;
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", ada.access_token) }),
    )
    .await
    .expect("the token is accepted");
    let metrics = app.metrics().await;
    assert_eq!(open(&metrics), 1.0, "{metrics}");
    let upgrades = |metrics: &str| {
        metrics
            .lines()
            .filter(|line| line.starts_with("http_requests_total{"))
            .filter(|line| line.contains("route=\"/graphql\"") && line.contains("status=\"101\""))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>()
    };
    assert_eq!(upgrades(&metrics), 1.0, "{metrics}");

    socket
        .subscribe(
            "clock",
            "subscription { serverTime(intervalMs: 100) }",
            json!({}),
        )
        .await;
    assert_eq!(socket.next_message().await["type"], "next");
    // One connection, however many operations it runs.
    let metrics = app.metrics().await;
    assert_eq!(open(&metrics), 1.0, "{metrics}");

    socket.close().await;
    // The server counts the socket closed once its side of the connection has wound down.
    eventually(
        "the socket to be counted closed",
        Duration::from_secs(10),
        || async {
            let metrics = app.metrics().await;
            match open(&metrics) {
                0.0 => Ok(()),
                still => Err(format!("{OPEN} is {still}")),
            }
        },
    )
    .await;
    assert_eq!(upgrades(&app.metrics().await), 1.0);
}

#[tokio::test]
async fn playground_serves_graphiql_pointed_at_the_api() {
    let app = TestApp::spawn().await;
    let page = app.client.get(app.url("/playground")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("https://"),
        "the playground must not load from a CDN"
    );
    for asset in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "playground.js",
    ] {
        assert!(
            html.contains(&format!("/playground/assets/{asset}")),
            "{html}"
        );
        let response = app
            .client
            .get(app.url(&format!("/playground/assets/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert!(response.bytes().await.unwrap().len() > 1000, "{asset}");
    }
    let script = app
        .client
        .get(app.url("/playground/assets/playground.js"))
        .send()
        .await
        .unwrap();
    assert!(script.text().await.unwrap().contains("/graphql"));
    let missing = app
        .client
        .get(app.url("/playground/assets/secrets.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

mod configuration {
    use std::process::Command;

    fn run_with(vars: &[(&str, &str)]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_catalyst"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            // Run outside the repository so a developer's .env cannot leak in.
            .current_dir(std::env::temp_dir())
            .envs(vars.iter().copied())
            .output()
            .expect("the binary runs")
    }

    #[test]
    fn bad_configuration_exits_2_naming_the_variable() {
        for (vars, variable) in [
            (vec![("APP_ENV", "production")], "JWT_SECRET"),
            (vec![("JWT_SECRET", "too-short")], "JWT_SECRET"),
            (vec![("DATABASE_POOL_SIZE", "many")], "DATABASE_POOL_SIZE"),
            (vec![("BIND_ADDR", "nowhere")], "BIND_ADDR"),
            (vec![("APP_ENV", "staging")], "APP_ENV"),
            (
                vec![("DATABASE_URL", "mysql://db/catalyst")],
                "DATABASE_URL",
            ),
        ] {
            let output = run_with(&vars);
            assert_eq!(output.status.code(), Some(2), "{vars:?}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(variable), "{vars:?}: {stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }

    #[test]
    fn schema_command_prints_the_sdl_and_help_explains_each_command() {
        let schema = Command::new(env!("CARGO_BIN_EXE_catalyst"))
            .arg("schema")
            .output()
            .unwrap();
        assert!(schema.status.success());
        assert!(String::from_utf8_lossy(&schema.stdout).contains("type MutationRoot"));
        let help = Command::new(env!("CARGO_BIN_EXE_catalyst"))
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&help.stdout);
        for command in ["serve", "migrate", "schema"] {
            assert!(help.contains(command), "{help}");
        }
    }
}

#[tokio::test]
async fn a_server_pointed_at_a_missing_database_creates_and_migrates_it() {
    let name = format!("catalyst_fresh_{}", uuid::Uuid::new_v4().simple());
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let app = TestApp::builder().env("DATABASE_URL", &url).spawn().await;
    // Dropped at the end of the test, like every test database.
    let _cleanup = common::TestDatabase {
        name: name.clone(),
        url,
    };
    let user = app.register("first@example.com", "First").await;
    assert!(!user.access_token.is_empty());
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}

/// Every error status answers in the error shape: `errors[].extensions.code` and the request id
/// the `X-Request-Id` header carries, whichever layer refused the request.
#[tokio::test]
async fn every_error_status_carries_a_code_and_the_request_id() {
    let app = TestApp::builder()
        .env("MAX_BODY_BYTES", "4096")
        .env("RATE_LIMIT_ANONYMOUS_POINTS", "3")
        .spawn()
        .await;
    let graphql = app.url("/graphql");
    let client = &app.client;
    let cases: Vec<(u16, &str, reqwest::RequestBuilder)> = vec![
        (
            400,
            "BAD_USER_INPUT",
            client
                .post(&graphql)
                .header("content-type", "application/json")
                .body("{\"query\": "),
        ),
        (
            401,
            "UNAUTHENTICATED",
            client
                .post(&graphql)
                .bearer_auth("not-a-token")
                .json(&json!({ "query": "{ __typename }" })),
        ),
        (404, "NOT_FOUND", client.get(app.url("/nowhere"))),
        (
            405,
            "BAD_USER_INPUT",
            client
                .get(&graphql)
                .query(&[("query", "mutation { logout }")]),
        ),
        (
            405,
            "BAD_USER_INPUT",
            // PUT and DELETE are graphql-sse's reservation and stop; PATCH is nothing here.
            client
                .patch(&graphql)
                .json(&json!({ "query": "{ __typename }" })),
        ),
        (
            406,
            "BAD_USER_INPUT",
            client
                .post(&graphql)
                .header("accept", "text/html")
                .json(&json!({ "query": "{ __typename }" })),
        ),
        (
            413,
            "BAD_USER_INPUT",
            client
                .post(&graphql)
                .json(&json!({ "query": format!("{{ __typename }} #{}", "x".repeat(8192)) })),
        ),
        (
            415,
            "BAD_USER_INPUT",
            client
                .post(&graphql)
                .header("content-type", "text/plain")
                .body("{ __typename }"),
        ),
    ];
    for (index, (status, code, request)) in cases.into_iter().enumerate() {
        let request_id = format!("shape-{index}");
        let response = request
            .header("x-request-id", &request_id)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "case {index}");
        assert_eq!(response.headers()["x-request-id"], request_id.as_str());
        assert!(content_type(&response).contains("json"), "case {index}");
        let body: Value = response.json().await.unwrap();
        let error = expect_error(&body, code);
        assert_eq!(
            error["extensions"]["requestId"],
            request_id.as_str(),
            "{body}"
        );
        assert!(
            !error["message"].as_str().unwrap_or_default().is_empty(),
            "{body}"
        );
    }

    // 429: over the anonymous budget (3 points; an operation costs at least 1).
    let mut refused = None;
    for _ in 0..5 {
        let response = client
            .post(&graphql)
            .header("x-request-id", "shape-429")
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            refused = Some(response);
            break;
        }
    }
    let response = refused.expect("the budget runs out");
    assert!(response.headers().get("retry-after").is_some());
    let body: Value = response.json().await.unwrap();
    let error = expect_error(&body, "RATE_LIMITED");
    assert_eq!(error["extensions"]["requestId"], "shape-429", "{body}");
}
