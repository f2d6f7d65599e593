//! Traces as an operator's collector receives them: a local OTLP/HTTP receiver, the real
//! binary exporting to it, and a client that sends its own W3C `traceparent`.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, routing::post, Router};
use common::{process::ServerProcess, wait::eventually, TestDatabase};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest, common::v1::any_value,
};
use prost::Message;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
struct ReceivedSpan {
    trace_id: String,
    parent_span_id: String,
    name: String,
    attributes: Vec<(String, String)>,
}

impl ReceivedSpan {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

type Received = Arc<Mutex<Vec<ReceivedSpan>>>;

async fn receive(State(received): State<Received>, body: Bytes) -> &'static [u8] {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf export");
    let mut spans = received.lock().unwrap();
    for resource in request.resource_spans {
        for scope in resource.scope_spans {
            for span in scope.spans {
                spans.push(ReceivedSpan {
                    trace_id: hex::encode(&span.trace_id),
                    parent_span_id: hex::encode(&span.parent_span_id),
                    name: span.name,
                    attributes: span
                        .attributes
                        .into_iter()
                        .map(|attribute| {
                            let value = match attribute.value.and_then(|value| value.value) {
                                Some(any_value::Value::StringValue(text)) => text,
                                Some(other) => format!("{other:?}"),
                                None => String::new(),
                            };
                            (attribute.key, value)
                        })
                        .collect(),
                });
            }
        }
    }
    // An empty ExportTraceServiceResponse: every span accepted.
    &[]
}

/// An OTLP/HTTP collector on a loopback port: what it received, and its base URL.
async fn start_collector() -> (Received, String) {
    let received = Received::default();
    let app = Router::new()
        .route("/v1/traces", post(receive))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (received, format!("http://{address}"))
}

async fn post_traced(url: &str, traceparent: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .header("traceparent", traceparent)
        .json(&body)
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON body")
}

#[tokio::test]
async fn spans_of_a_request_reach_the_collector_in_the_clients_trace() {
    let (received, collector) = start_collector().await;
    let database = TestDatabase::create().await;
    let prefix = format!("traces-{}:", uuid::Uuid::new_v4().simple());
    let server = ServerProcess::start(
        "serve",
        &database.url,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("TRACE_RESOLVER_THRESHOLD_MS", "0"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("REDIS_KEY_PREFIX", prefix.as_str()),
            ("RUST_LOG", "info,tower_http=debug"),
        ],
    );
    server.wait_ready().await;
    let graphql = server.url("/graphql").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let client_span = "00f067aa0ba902b7";
    let traceparent = format!("00-{trace_id}-{client_span}-01");

    let registered = post_traced(
        &graphql,
        &traceparent,
        json!({ "query": common::REGISTER, "variables": { "input": {
            "email": "ada@example.com", "password": common::STRONG_PASSWORD, "displayName": "Ada" } } }),
    )
    .await;
    assert!(
        registered["data"]["register"]["accessToken"].is_string(),
        "{registered}"
    );
    let refused = post_traced(
        &graphql,
        &traceparent,
        json!({ "query": "{ serverTimeZone }" }),
    )
    .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["traceId"], trace_id,
        "{refused}"
    );

    let spans = eventually(
        "the request's spans at the collector",
        Duration::from_secs(20),
        || {
            let spans: Vec<ReceivedSpan> = received
                .lock()
                .unwrap()
                .iter()
                .filter(|span| span.trace_id == trace_id)
                .cloned()
                .collect();
            let names: Vec<String> = spans.iter().map(|span| span.name.clone()).collect();
            let complete = ["request", "db.query", "redis"]
                .iter()
                .all(|wanted| names.iter().any(|name| name == wanted))
                && names.iter().any(|name| name.ends_with(".register"));
            async move {
                if complete {
                    Ok(spans)
                } else {
                    Err(format!("{names:?}"))
                }
            }
        },
    )
    .await;

    let request = spans.iter().find(|span| span.name == "request").unwrap();
    assert_eq!(
        request.parent_span_id, client_span,
        "the request continues the client's span"
    );
    let statements: Vec<&str> = spans
        .iter()
        .filter_map(|span| span.attribute("db.statement"))
        .collect();
    assert!(
        statements
            .iter()
            .any(|statement| statement.contains("INSERT INTO \"users\"")),
        "{statements:#?}"
    );
    assert!(
        statements
            .iter()
            .all(|statement| !statement.contains("ada@example.com")),
        "bind values never leave the process: {statements:#?}"
    );
    let logs = server.logs().join("\n");
    assert!(
        logs.contains(trace_id),
        "the request's log lines carry its trace id"
    );
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_traced_and_errors_carry_no_trace_id() {
    let database = TestDatabase::create().await;
    let server = ServerProcess::start("serve", &database.url, &[]);
    server.wait_ready().await;
    let refused = post_traced(
        &server.url("/graphql").await,
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        json!({ "query": "{ serverTimeZone }" }),
    )
    .await;
    assert!(
        refused["errors"][0]["extensions"]["code"].is_string(),
        "{refused}"
    );
    assert!(
        refused["errors"][0]["extensions"].get("traceId").is_none(),
        "{refused}"
    );
}
