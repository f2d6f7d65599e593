//! Persisted documents as clients use them: the Apollo APQ handshake (hash first,
//! `PersistedQueryNotFound`, hash and text, then hash alone, over POST and GET), shared
//! between instances through Redis; and trusted-documents mode, which runs nothing else.

mod common;

use common::{data, expect_error, TestApp};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const ME: &str = "query Me { me { email } }";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

async fn post(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let response = app.post_graphql(Some(token), body).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_apollo_apq_handshake_registers_a_query_then_runs_it_by_hash() {
    let app = TestApp::spawn().await;
    let user = app.register("apq@example.com", "Apq").await;
    let hash = sha256(ME);

    // 1. The client tries the hash alone; the server does not know it yet.
    let (status, body) = post(
        &app,
        &user.access_token,
        json!({ "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );

    // 2. It retries with hash and text: the query runs and is remembered.
    let (status, body) = post(
        &app,
        &user.access_token,
        json!({ "query": ME, "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(data(&body)["me"]["email"], "apq@example.com");

    // 3. From now on the hash alone is enough, over POST and over GET.
    let (_, body) = post(
        &app,
        &user.access_token,
        json!({ "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(data(&body)["me"]["email"], "apq@example.com");
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", persisted(&hash).to_string())])
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(data(&body)["me"]["email"], "apq@example.com");
}

#[tokio::test]
async fn a_wrong_hash_or_an_invalid_document_is_never_stored() {
    let app = TestApp::spawn().await;
    let user = app.register("apq@example.com", "Apq").await;
    let (_, body) = post(
        &app,
        &user.access_token,
        json!({ "query": ME, "extensions": persisted(&sha256("{ somethingElse }")) }),
    )
    .await;
    assert_eq!(
        expect_error(&body, "BAD_USER_INPUT")["message"],
        "provided sha does not match query"
    );

    let invalid = "{ me { noSuchField } }";
    let (_, body) = post(
        &app,
        &user.access_token,
        json!({ "query": invalid, "extensions": persisted(&sha256(invalid)) }),
    )
    .await;
    expect_error(&body, "BAD_USER_INPUT");
    let (_, body) = post(
        &app,
        &user.access_token,
        json!({ "extensions": persisted(&sha256(invalid)) }),
    )
    .await;
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");

    let (status, body) = post(
        &app,
        &user.access_token,
        json!({ "extensions": { "persistedQuery": { "version": 2, "sha256Hash": sha256(ME) } } }),
    )
    .await;
    assert_eq!(status, 400);
    expect_error(&body, "BAD_USER_INPUT");
}

#[tokio::test]
async fn with_redis_a_query_registered_on_one_instance_runs_by_hash_on_another() {
    let prefix = format!("apq:{}:", uuid::Uuid::new_v4().simple());
    let instance_a = TestApp::builder()
        .with_redis()
        .env("REDIS_KEY_PREFIX", &prefix)
        .spawn()
        .await;
    let instance_b = TestApp::builder()
        .with_redis()
        .env("REDIS_KEY_PREFIX", &prefix)
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    let user = instance_a.register("apq@example.com", "Apq").await;
    let hash = sha256(ME);
    let (_, body) = post(
        &instance_a,
        &user.access_token,
        json!({ "query": ME, "extensions": persisted(&hash) }),
    )
    .await;
    data(&body);
    let (_, body) = post(
        &instance_b,
        &user.access_token,
        json!({ "extensions": persisted(&hash) }),
    )
    .await;
    assert_eq!(data(&body)["me"]["email"], "apq@example.com");
}

#[tokio::test]
async fn trusted_documents_mode_runs_only_the_operations_of_its_manifest() {
    let login = common::LOGIN;
    let register = common::REGISTER;
    let manifest = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            { "id": sha256(ME), "name": "Me", "type": "query", "body": ME },
            { "id": sha256(register), "name": "Register", "type": "mutation", "body": register },
            { "id": sha256(login), "name": "Login", "type": "mutation", "body": login },
        ],
    });
    let path = std::env::temp_dir().join(format!("trusted-{}.json", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, manifest.to_string()).unwrap();
    let app = TestApp::builder()
        .env("TRUSTED_DOCUMENTS", path.to_str().unwrap())
        .spawn()
        .await;
    // The manifest's operations run, sent as text or by hash.
    let user = app.register("trusted@example.com", "Trusted").await;
    let (_, body) = post(
        &app,
        &user.access_token,
        json!({ "extensions": persisted(&sha256(ME)) }),
    )
    .await;
    assert_eq!(data(&body)["me"]["email"], "trusted@example.com");
    let (_, body) = post(&app, &user.access_token, json!({ "query": ME })).await;
    assert_eq!(data(&body)["me"]["email"], "trusted@example.com");

    // Anything else is refused, even a harmless query, and cannot be registered by hash.
    let other = "{ me { id } }";
    let (_, body) = post(&app, &user.access_token, json!({ "query": other })).await;
    expect_error(&body, "FORBIDDEN");
    let (_, body) = post(
        &app,
        &user.access_token,
        json!({ "query": other, "extensions": persisted(&sha256(other)) }),
    )
    .await;
    expect_error(&body, "FORBIDDEN");
    let (_, body) = post(
        &app,
        &user.access_token,
        json!({ "extensions": persisted(&sha256(other)) }),
    )
    .await;
    expect_error(&body, "FORBIDDEN");

    // Over WebSocket too.
    let mut socket = common::ws::GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", user.access_token) }),
    )
    .await
    .expect("connects");
    socket.subscribe("1", other, json!({})).await;
    let message = socket.next_message().await;
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_missing_trusted_documents_manifest_stops_start_up() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let settings = catalyst::config::Settings::from_vars(std::collections::HashMap::from([
        ("BIND_ADDR".to_string(), "127.0.0.1:0".to_string()),
        (
            "TRUSTED_DOCUMENTS".to_string(),
            "/nonexistent/manifest.json".to_string(),
        ),
    ]))
    .unwrap();
    let database = runtime.block_on(common::TestDatabase::create());
    let mut settings = settings;
    settings.database_url = database.url.clone();
    let error = match runtime.block_on(catalyst::Application::build(settings)) {
        Ok(_) => panic!("a server started without its manifest"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("TRUSTED_DOCUMENTS"), "{error}");
}
