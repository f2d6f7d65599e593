//! Each query limit refuses with its code and names itself; each is a setting. Batching is
//! off unless enabled, and bounded when it is. HTTP hardening: security headers (with a CSP
//! the playground lives with), HSTS, CORS allowlist, body size, request ids, WebSocket limits.

mod common;

use common::{data, expect_error, ws::GraphqlWs, TestApp};
use serde_json::{json, Value};

async fn refused_by(app: &TestApp, query: &str) -> (String, String) {
    let body = app.graphql(query, json!({})).await;
    let error = &body["errors"][0];
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or("-")
            .to_string(),
        error["extensions"]["limit"]
            .as_str()
            .unwrap_or("-")
            .to_string(),
    )
}

fn aliases(count: usize) -> String {
    let fields: Vec<String> = (0..count).map(|n| format!("a{n}: id")).collect();
    format!("{{ me {{ {} }} }}", fields.join(" "))
}

#[tokio::test]
async fn every_limit_refuses_with_its_code_and_name_and_allows_what_is_within_it() {
    let app = TestApp::spawn().await;
    let user = app.register("limits@example.com", "Limits").await;
    let within = app
        .graphql_as(&user.access_token, &aliases(30), json!({}))
        .await;
    assert_eq!(data(&within)["me"]["a29"], user.id.as_str());
    assert_eq!(
        refused_by(&app, &aliases(31)).await,
        ("QUERY_TOO_COMPLEX".into(), "maxAliases".into())
    );

    let roots = |count: usize| {
        let fields: Vec<String> = (0..count).map(|n| format!("r{n}: me {{ id }}")).collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let body = app
        .graphql_as(&user.access_token, &roots(20), json!({}))
        .await;
    assert!(data(&body)["r19"]["id"].is_string());
    // 21 root fields, only 21 aliases: the root-field limit is what refuses it.
    let app_many_aliases = TestApp::builder()
        .env("MAX_QUERY_ALIASES", "100")
        .spawn()
        .await;
    assert_eq!(
        refused_by(&app_many_aliases, &roots(21)).await,
        ("QUERY_TOO_COMPLEX".into(), "maxRootFields".into())
    );

    let nested = |depth: usize| {
        // project → tasks → nodes → project … : a real cycle in the schema.
        let mut query = String::from("id");
        let mut levels = 1;
        while levels + 3 < depth {
            query = format!("tasks(first: 1) {{ nodes {{ project {{ {query} }} }} }}");
            levels += 3;
        }
        format!("{{ projects(first: 1) {{ nodes {{ {query} }} }} }}")
    };
    let body = app
        .graphql_as(&user.access_token, &nested(12), json!({}))
        .await;
    data(&body);
    assert_eq!(
        refused_by(&app, &nested(15)).await,
        ("QUERY_TOO_COMPLEX".into(), "maxDepth".into())
    );

    let directives = format!("{{ me {{ {} }} }}", "id @include(if: true) ".repeat(51));
    assert_eq!(
        refused_by(&app, &directives).await,
        ("QUERY_TOO_COMPLEX".into(), "maxDirectives".into())
    );

    let big = format!("{{ __typename {} }}", "#".repeat(16 * 1024));
    assert_eq!(
        refused_by(&app, &big).await,
        ("QUERY_TOO_COMPLEX".into(), "maxDocumentBytes".into())
    );

    assert_eq!(
        refused_by(&app, "{ me { ...A } } fragment A on User { ...A }").await,
        ("BAD_USER_INPUT".into(), "fragmentCycles".into())
    );

    // 1 + 100 × (1 + 1 + 100 × 3) = 30,201 within 50,000; 1 + 100 × (1 + 1 + 100 × 5) beyond it.
    let wide = |leaves: &str| {
        format!("{{ projects(first: 100) {{ nodes {{ id tasks(first: 100) {{ nodes {{ {leaves} }} }} }} }} }}")
    };
    let body = app
        .graphql_as(&user.access_token, &wide("id title"), json!({}))
        .await;
    data(&body);
    let body = app
        .graphql_as(
            &user.access_token,
            &wide("id title status priority"),
            json!({}),
        )
        .await;
    let error = expect_error(&body, "QUERY_TOO_COMPLEX");
    assert_eq!(error["extensions"]["limit"], "maxComplexity");
    assert_eq!(error["extensions"]["max"], 50_000);
}

#[tokio::test]
async fn the_limits_are_settings_and_can_be_switched_off_for_benchmarks() {
    let strict = TestApp::builder()
        .env("MAX_QUERY_ALIASES", "2")
        .env("MAX_QUERY_DEPTH", "2")
        .spawn()
        .await;
    assert_eq!(
        refused_by(&strict, &aliases(3)).await,
        ("QUERY_TOO_COMPLEX".into(), "maxAliases".into())
    );
    assert_eq!(
        refused_by(&strict, "{ projects { nodes { id } } }").await,
        ("QUERY_TOO_COMPLEX".into(), "maxDepth".into())
    );
    let off = TestApp::builder()
        .env("QUERY_LIMITS_ENABLED", "false")
        .env("RATE_LIMIT_ENABLED", "false")
        .spawn()
        .await;
    let body = off.graphql(&aliases(100), json!({})).await;
    assert_eq!(data(&body)["me"], Value::Null);
}

#[tokio::test]
async fn a_slow_operation_is_cut_off_by_the_execution_timeout() {
    let login =
        json!({ "input": { "email": "nobody@example.com", "password": "a guess of some length" } });
    // Checking a password (even against the decoy hash) takes far longer than a millisecond.
    let hasty = TestApp::builder()
        .env("EXECUTION_TIMEOUT_MS", "1")
        .spawn()
        .await;
    let body = hasty.graphql(common::LOGIN, login.clone()).await;
    let error = expect_error(&body, "QUERY_TOO_COMPLEX");
    assert_eq!(error["extensions"]["limit"], "executionTimeout");
    let patient = TestApp::spawn().await;
    let body = patient.graphql(common::LOGIN, login).await;
    expect_error(&body, "UNAUTHENTICATED");
}

async fn post_batch(app: &TestApp, operations: Vec<Value>) -> (u16, Value) {
    let response = app.post_graphql(None, Value::Array(operations)).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn batches_are_refused_unless_enabled_and_then_hold_at_most_the_configured_number() {
    let off = TestApp::spawn().await;
    let (status, body) = post_batch(&off, vec![json!({ "query": "{ __typename }" })]).await;
    assert_eq!(status, 400);
    expect_error(&body, "BAD_USER_INPUT");

    let on = TestApp::builder().env("BATCH", "on").spawn().await;
    let (status, body) = post_batch(
        &on,
        vec![
            json!({ "query": "{ __typename }" }),
            json!({ "query": "{ nope }" }),
            json!({ "query": "{ a: __typename }" }),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["data"]["__typename"], "QueryRoot");
    expect_error(&body[1], "BAD_USER_INPUT");
    assert_eq!(body[2]["data"]["a"], "QueryRoot");
    let (status, body) = post_batch(&on, vec![json!({ "query": "{ __typename }" }); 11]).await;
    assert_eq!(status, 400);
    assert!(expect_error(&body, "BAD_USER_INPUT")["message"]
        .as_str()
        .unwrap()
        .contains("at most 10"));
}

#[tokio::test]
async fn responses_carry_security_headers_and_a_csp_that_still_serves_the_playground() {
    let app = TestApp::builder().env("HSTS", "true").spawn().await;
    let response = app.client.get(app.url("/playground")).send().await.unwrap();
    let headers = response.headers().clone();
    let page = response.text().await.unwrap();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(headers["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-eval"));
    // Everything the playground loads is same-origin (allowed by `'self'`); it has no inline
    // scripts, which the CSP would block.
    assert!(!page.contains("<script>") && !page.contains("<script type"));
    for source in page.split("src=\"").skip(1) {
        assert!(source.starts_with('/'), "off-origin script: {source}");
    }
    let asset = app
        .client
        .get(app.url("/playground/assets/graphiql.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);

    let plain = TestApp::spawn().await;
    let response = plain
        .client
        .get(plain.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("strict-transport-security")
        .is_none());
}

#[tokio::test]
async fn cors_answers_only_listed_origins_and_a_client_request_id_is_echoed() {
    let app = TestApp::builder()
        .env("CORS_ORIGINS", "https://app.example.com")
        .env("CORS_ALLOW_CREDENTIALS", "true")
        .spawn()
        .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, authorization",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let response = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", "client-chosen-id-42")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "client-chosen-id-42");
    let generated = app
        .post_graphql(None, json!({ "query": "{ __typename }" }))
        .await;
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
}

#[test]
fn a_wildcard_origin_with_credentials_is_refused_at_start_up() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_catalyst"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CORS_ORIGINS", "*")
        .env("CORS_ALLOW_CREDENTIALS", "true")
        .arg("serve")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CORS_ALLOW_CREDENTIALS"), "{stderr}");
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_as_a_graphql_error() {
    let app = TestApp::builder()
        .env("MAX_BODY_BYTES", "4096")
        .spawn()
        .await;
    let padding = "x".repeat(5000);
    let response = app
        .post_graphql(
            None,
            json!({ "query": "{ __typename }", "variables": { "padding": padding } }),
        )
        .await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(expect_error(&body, "BAD_USER_INPUT")["message"]
        .as_str()
        .unwrap()
        .contains("4096"));
    let body = app.graphql("{ __typename }", json!({})).await;
    assert_eq!(data(&body)["__typename"], "QueryRoot");
}

#[tokio::test]
async fn websockets_must_init_in_time_run_a_bounded_number_of_operations_and_send_small_messages() {
    let app = TestApp::builder()
        .env("WS_INIT_TIMEOUT_SECONDS", "1")
        .env("WS_MAX_SUBSCRIPTIONS", "2")
        .env("WS_MAX_MESSAGE_BYTES", "4096")
        .spawn()
        .await;
    let user = app.register("ws@example.com", "Ws").await;
    let init = json!({ "authorization": format!("Bearer {}", user.access_token) });

    // A socket that never sends connection_init is closed with 4408.
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            app.ws_url(),
        )
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut idle, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        use futures_util::StreamExt;
        while let Some(Ok(frame)) = idle.next().await {
            if let tokio_tungstenite::tungstenite::Message::Close(frame) = frame {
                return frame.map(|frame| u16::from(frame.code));
            }
        }
        None
    })
    .await
    .expect("the server closes the idle socket");
    assert_eq!(closed, Some(4408));

    // Two subscriptions run; a third is refused for its id while the others carry on.
    let mut socket = GraphqlWs::connect(&app.ws_url(), init.clone())
        .await
        .expect("connects");
    let subscription = "subscription { discoveryMade { subject } }";
    socket.subscribe("1", subscription, json!({})).await;
    socket.subscribe("2", subscription, json!({})).await;
    socket.subscribe("3", subscription, json!({})).await;
    let refusal = socket.next_message().await;
    assert_eq!(refusal["type"], "error");
    assert_eq!(refusal["id"], "3");
    assert_eq!(refusal["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    // Completing one frees its place.
    socket.send(json!({ "id": "1", "type": "complete" })).await;
    socket.subscribe("4", "{ me { email } }", json!({})).await;
    let answer = loop {
        let message = socket.next_message().await;
        // The server confirms the completion of "1" first.
        if message["id"] != "1" {
            break message;
        }
    };
    assert_eq!(
        (answer["type"].as_str(), answer["id"].as_str()),
        (Some("next"), Some("4")),
        "{answer}"
    );

    // A message over the size limit closes the socket.
    socket
        .send(json!({ "id": "5", "type": "subscribe", "payload": { "query": format!("{{ __typename }} #{}", "x".repeat(8192)) } }))
        .await;
    loop {
        match socket.next_event().await {
            common::ws::Event::Closed(_) => break,
            common::ws::Event::Message(message) => assert_ne!(message["id"], "5", "{message}"),
        }
    }
}
