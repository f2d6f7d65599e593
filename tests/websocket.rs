//! GraphQL over WebSocket as live clients use it: graphql-transport-ws, auth in connection_init.

mod common;

use common::{
    ws::{Event, GraphqlWs},
    TestApp,
};
use serde_json::json;

const SERVER_TIME: &str = "subscription { serverTime(intervalMs: 100) }";

#[tokio::test]
async fn a_subscription_authenticated_in_connection_init_streams_events() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", ada.access_token) }),
    )
    .await
    .expect("a valid token is acknowledged");

    socket.subscribe("clock", SERVER_TIME, json!({})).await;
    let mut ticks = Vec::new();
    for _ in 0..2 {
        let message = socket.next_message().await;
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], "clock");
        let tick = message["payload"]["data"]["serverTime"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            chrono::DateTime::parse_from_rfc3339(&tick).is_ok(),
            "{tick}"
        );
        ticks.push(tick);
    }
    assert!(ticks[0] < ticks[1], "{ticks:?}");

    // Queries work over the same socket, as the same viewer.
    socket
        .subscribe("whoami", "{ me { email } }", json!({}))
        .await;
    loop {
        let message = socket.next_message().await;
        if message["id"] == "whoami" {
            assert_eq!(message["payload"]["data"]["me"]["email"], "ada@example.com");
            break;
        }
    }
    socket
        .send(json!({ "id": "clock", "type": "complete" }))
        .await;
    socket.close().await;
}

#[tokio::test]
async fn a_bad_token_in_connection_init_closes_the_socket_with_4403() {
    let app = TestApp::spawn().await;
    for payload in [
        json!({ "authorization": "Bearer not-a-token" }),
        json!({ "authorization": "Basic abc" }),
    ] {
        let closed = GraphqlWs::connect(&app.ws_url(), payload)
            .await
            .err()
            .expect("a bad token is refused");
        assert_eq!(closed.code, 4403, "{closed:?}");
    }
}

#[tokio::test]
async fn anonymous_sockets_connect_but_cannot_subscribe_to_signed_in_streams() {
    let app = TestApp::spawn().await;
    let mut socket = GraphqlWs::connect(&app.ws_url(), json!({}))
        .await
        .expect("anonymous connections are acknowledged");
    socket.subscribe("clock", SERVER_TIME, json!({})).await;
    // An execution error travels in `next` (`error` is reserved for invalid operations),
    // and the operation completes.
    let message = socket.next_message().await;
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(
        message["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(socket.next_message().await["type"], "complete");
}

#[tokio::test]
async fn shutdown_closes_open_sockets_with_service_restart() {
    let mut app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let mut socket = GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", ada.access_token) }),
    )
    .await
    .unwrap();
    socket.subscribe("clock", SERVER_TIME, json!({})).await;
    assert_eq!(socket.next_message().await["type"], "next");

    let stopping = tokio::spawn(async move {
        app.stop().await;
        app
    });
    let closed = loop {
        match socket.next_event().await {
            Event::Message(_) => continue,
            Event::Closed(closed) => break closed,
        }
    };
    assert_eq!(closed.code, 1012, "{closed:?}");
    let _app = tokio::time::timeout(std::time::Duration::from_secs(10), stopping)
        .await
        .expect("the server stops within its grace period")
        .unwrap();
}

/// Every way the server closes a socket, with graphql-transport-ws's or RFC 6455's code and a
/// reason a client can show.
#[tokio::test]
async fn sockets_close_with_standard_codes_and_a_reason() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let init = json!({ "authorization": format!("Bearer {}", ada.access_token) });
    let expect_close = |closed: common::ws::Closed, code: u16, why: &str| {
        assert_eq!(closed.code, code, "{why}: {closed:?}");
        assert!(!closed.reason.is_empty(), "{why}: no reason");
    };

    // 1009: a message over WS_MAX_MESSAGE_BYTES (256 KiB by default); the issue's 400 KB.
    let mut socket = GraphqlWs::connect(&app.ws_url(), init.clone())
        .await
        .unwrap();
    socket
        .subscribe(
            "big",
            &format!("{{ __typename }} #{}", "x".repeat(400_000)),
            json!({}),
        )
        .await;
    let closed = socket.closed().await;
    expect_close(closed, 1009, "oversize message");

    // 4400: a message that is not of the protocol, or not JSON.
    for message in [r#"{"type":"bogus"}"#, "not json"] {
        let mut socket = GraphqlWs::connect(&app.ws_url(), init.clone())
            .await
            .unwrap();
        socket.send_text(message).await;
        expect_close(socket.closed().await, 4400, message);
    }

    // 4401: an operation before connection_init was acknowledged.
    let mut socket = GraphqlWs::open(&app.ws_url()).await;
    socket.subscribe("early", SERVER_TIME, json!({})).await;
    expect_close(
        socket.closed().await,
        4401,
        "subscribe before connection_init",
    );

    // 4403: a bad token.
    let closed = GraphqlWs::connect(&app.ws_url(), json!({ "authorization": "Bearer nope" }))
        .await
        .err()
        .expect("a bad token is refused");
    expect_close(closed, 4403, "bad token");

    // 4429: a second connection_init.
    let mut socket = GraphqlWs::connect(&app.ws_url(), init.clone())
        .await
        .unwrap();
    socket
        .send(json!({ "type": "connection_init", "payload": init }))
        .await;
    expect_close(socket.closed().await, 4429, "second connection_init");
}
