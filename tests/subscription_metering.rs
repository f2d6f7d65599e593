//! Metered subscriptions as a client sees them over graphql-transport-ws: the opening and every
//! event spend points from the user's budget (shown in `extensions.rateLimit`), an empty budget
//! refuses new subscriptions and ends running ones after one warning, and the number running at
//! once is capped per user across instances.

mod common;

use std::time::Duration;

use common::{ws::GraphqlWs, TestApp, TestUser};
use serde_json::{json, Value};

/// Ticks at once, then every 100 ms: a stream whose events need nobody to cause them. Its one
/// field makes its opening cost 1 point.
const TICKS: &str = "subscription { serverTime(intervalMs: 100) }";

async fn socket_of(app: &TestApp, user: &TestUser) -> GraphqlWs {
    GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", user.access_token) }),
    )
    .await
    .expect("a valid token is acknowledged")
}

/// The next message about operation `id`, skipping those of other operations.
async fn next_for(socket: &mut GraphqlWs, id: &str) -> Value {
    loop {
        let message = socket.next_message().await;
        if message["id"] == id {
            return message;
        }
    }
}

fn rate_limit(message: &Value) -> (u64, u64) {
    let rate_limit = &message["payload"]["extensions"]["rateLimit"];
    (
        rate_limit["cost"].as_u64().expect("cost is reported"),
        rate_limit["remaining"]
            .as_u64()
            .expect("remaining is reported"),
    )
}

#[tokio::test]
async fn the_opening_and_every_event_spend_points_shown_on_each_event() {
    let app = TestApp::builder()
        .env("SUBSCRIPTION_EVENT_POINTS", "7")
        .spawn()
        .await;
    let ada = app.register("ada@example.com", "Ada").await;
    let mut socket = socket_of(&app, &ada).await;
    socket.subscribe("ticks", TICKS, json!({})).await;

    let first = next_for(&mut socket, "ticks").await;
    assert!(
        first["payload"]["data"]["serverTime"].is_string(),
        "{first}"
    );
    let limit = first["payload"]["extensions"]["rateLimit"]["limit"].as_u64();
    assert_eq!(limit, Some(100_000_000), "{first}");
    let (cost, mut remaining) = rate_limit(&first);
    assert_eq!(
        cost,
        1 + 7,
        "the first event carries the opening's cost: {first}"
    );
    assert_eq!(remaining, 100_000_000 - 8);
    for _ in 0..2 {
        let event = next_for(&mut socket, "ticks").await;
        let (cost, now) = rate_limit(&event);
        assert_eq!((cost, now), (7, remaining - 7), "{event}");
        remaining = now;
    }

    // Every event delivered before `complete` was charged; nothing after it is.
    socket
        .send(json!({ "id": "ticks", "type": "complete" }))
        .await;
    while let Some(event) = socket.next_message_within(Duration::from_secs(2)).await {
        if event["type"] != "next" {
            break;
        }
        remaining = rate_limit(&event).1;
    }
    let body = app
        .graphql_as(
            &ada.access_token,
            "{ rateLimit { cost remaining } }",
            json!({}),
        )
        .await;
    let answer = &common::data(&body)["rateLimit"];
    let query_cost = answer["cost"].as_u64().expect("cost");
    assert_eq!(
        answer["remaining"].as_u64(),
        Some(remaining - query_cost),
        "the events spent the same budget queries spend: {body}"
    );
}

#[tokio::test]
async fn an_empty_budget_warns_once_ends_the_stream_and_refuses_new_subscriptions() {
    // 201 points: the opening (1) and two events (100 each) spend them all.
    let app = TestApp::builder()
        .env("RATE_LIMIT_USER_POINTS", "201")
        .env("SUBSCRIPTION_EVENT_POINTS", "100")
        .spawn()
        .await;
    let ada = app.register("ada@example.com", "Ada").await;
    let mut socket = socket_of(&app, &ada).await;
    socket.subscribe("ticks", TICKS, json!({})).await;

    let paid: Vec<(u64, u64)> = vec![
        rate_limit(&next_for(&mut socket, "ticks").await),
        rate_limit(&next_for(&mut socket, "ticks").await),
    ];
    assert_eq!(paid, vec![(101, 100), (100, 0)]);

    // The first event the budget cannot pay still arrives, with the warning.
    let warned = next_for(&mut socket, "ticks").await;
    assert_eq!(warned["type"], "next");
    assert!(
        warned["payload"]["data"]["serverTime"].is_string(),
        "{warned}"
    );
    let warning = &warned["payload"]["errors"][0];
    assert_eq!(warning["extensions"]["code"], "RATE_LIMITED", "{warned}");
    assert!(warning["extensions"]["retryAfterSeconds"].as_u64() >= Some(1));

    // The next one ends the stream instead of arriving.
    let ended = next_for(&mut socket, "ticks").await;
    assert_eq!(ended["type"], "complete", "{ended}");

    socket.subscribe("again", TICKS, json!({})).await;
    let refused = next_for(&mut socket, "again").await;
    assert!(refused["payload"]["data"].is_null(), "{refused}");
    let error = &refused["payload"]["errors"][0];
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{refused}");
    assert!(error["extensions"]["retryAfterSeconds"].as_u64() >= Some(1));
    assert_eq!(next_for(&mut socket, "again").await["type"], "complete");
}

/// Subscribes `id` and returns whether it was admitted: an admitted stream ticks at once, a
/// refused one answers with its error (then `complete`).
async fn admitted(socket: &mut GraphqlWs, id: &str) -> Result<(), Value> {
    socket.subscribe(id, TICKS, json!({})).await;
    let first = next_for(socket, id).await;
    if first["payload"]["data"]["serverTime"].is_string() {
        return Ok(());
    }
    assert_eq!(next_for(socket, id).await["type"], "complete");
    Err(first)
}

fn raw_user_id(user: &TestUser) -> uuid::Uuid {
    catalyst::graphql::ids::decode_id("User", "id", &async_graphql::ID(user.id.clone()))
        .expect("a user id")
}

#[tokio::test]
async fn running_subscriptions_are_capped_per_user_across_instances() {
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let shared = |builder: common::TestAppBuilder| {
        builder
            .with_redis()
            .env("REDIS_KEY_PREFIX", &prefix)
            .env("SUBSCRIPTION_MAX_PER_USER", "3")
    };
    let instance_a = shared(TestApp::builder()).spawn().await;
    let instance_b = shared(TestApp::builder().sharing_database_of(&instance_a))
        .spawn()
        .await;
    let ada = instance_a.register("ada@example.com", "Ada").await;
    let grace = instance_a.register("grace@example.com", "Grace").await;

    // A count left by an instance that died (its liveness key lapsed) does not count.
    let redis = redis::Client::open(
        std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
    )
    .expect("a valid Redis url");
    let mut connection = redis
        .get_multiplexed_async_connection()
        .await
        .expect("the tests' Redis answers");
    let key = format!("{prefix}subscriptions:user:{}", raw_user_id(&ada));
    let _: () = redis::cmd("HSET")
        .arg(&key)
        .arg("a-dead-instance")
        .arg(3)
        .query_async(&mut connection)
        .await
        .expect("HSET");

    let mut on_a = socket_of(&instance_a, &ada).await;
    let mut on_b = socket_of(&instance_b, &ada).await;
    admitted(&mut on_a, "a1")
        .await
        .expect("a first subscription");
    admitted(&mut on_a, "a2").await.expect("a second one");
    admitted(&mut on_b, "b1")
        .await
        .expect("a third, on the other instance");
    let dead: bool = redis::cmd("HEXISTS")
        .arg(&key)
        .arg("a-dead-instance")
        .query_async(&mut connection)
        .await
        .expect("HEXISTS");
    assert!(!dead, "the dead instance's count was dropped");

    let refused = admitted(&mut on_b, "b2")
        .await
        .expect_err("a fourth is one too many");
    let error = &refused["payload"]["errors"][0];
    assert_eq!(error["extensions"]["code"], "RATE_LIMITED", "{refused}");
    assert_eq!(error["extensions"]["limit"], "maxSubscriptionsPerUser");
    assert_eq!(error["extensions"]["max"], 3);
    // Another user has slots of their own.
    let mut graces = socket_of(&instance_b, &grace).await;
    admitted(&mut graces, "g1")
        .await
        .expect("another user's own");

    // Ending one on A frees a slot that B may use.
    on_a.send(json!({ "id": "a1", "type": "complete" })).await;
    assert_eq!(next_for(&mut on_a, "a1").await["type"], "complete");
    // The slot is released in Redis just after `complete`: retried until it is.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    for attempt in 0.. {
        if admitted(&mut on_b, &format!("retry{attempt}"))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the freed slot was never admitted on the other instance"
        );
    }
}
