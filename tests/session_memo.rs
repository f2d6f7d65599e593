//! A session found live is remembered for a moment (`SESSION_MEMO_MS`), so a busy client's
//! requests skip the statement that checks it, and yet nothing ended or changed is ever served
//! from memory: the instance that ends a session or changes an account forgets at once, every
//! other instance as soon as the Redis bus brings the notice, and while that bus is down no
//! instance trusts what it remembered.

mod common;

use std::time::Duration;

use common::{
    data, error_code, expect_error, redis::PrivateRedis, wait::eventually, TestApp, TestUser,
};
use serde_json::json;

const ME: &str = "{ me { id displayName } }";
/// Long enough that anything these tests see within `WELL_BEFORE_EXPIRY` was forgotten on
/// purpose, not because the memo's entry ran out.
const LONG_MEMO_MS: &str = "5000";
const WELL_BEFORE_EXPIRY: Duration = Duration::from_millis(2_000);

async fn display_name(app: &TestApp, user: &TestUser) -> Option<String> {
    let body = app.graphql_as(&user.access_token, ME, json!({})).await;
    body["data"]["me"]["displayName"].as_str().map(String::from)
}

async fn statements_for_me(app: &TestApp, user: &TestUser) -> u64 {
    let before = app.statements_executed().await;
    assert!(display_name(app, user).await.is_some());
    app.statements_executed().await - before
}

/// Two instances on one database and one Redis of their own, both subscribed to the bus.
async fn two_instances(redis: &PrivateRedis) -> (TestApp, TestApp) {
    let instance = |builder: common::TestAppBuilder| {
        builder
            .env("REDIS_URL", &redis.url())
            .env("SESSION_MEMO_MS", LONG_MEMO_MS)
    };
    let instance_a = instance(TestApp::builder()).spawn().await;
    let instance_b = instance(TestApp::builder().sharing_database_of(&instance_a))
        .spawn()
        .await;
    for instance in [&instance_a, &instance_b] {
        instance
            .wait_for_redis_subscription(true, Duration::from_secs(10))
            .await;
    }
    (instance_a, instance_b)
}

#[tokio::test]
async fn a_session_asked_about_a_moment_ago_costs_no_statement_and_none_remembered_costs_one() {
    let app = TestApp::builder()
        .env("SESSION_MEMO_MS", LONG_MEMO_MS)
        .spawn()
        .await;
    let ada = app.register("ada@example.com", "Ada").await;
    // Registration's own token has not been checked yet: the first request asks.
    assert_eq!(statements_for_me(&app, &ada).await, 1);
    assert_eq!(statements_for_me(&app, &ada).await, 0);
    assert_eq!(statements_for_me(&app, &ada).await, 0);

    let always_asks = TestApp::builder().env("SESSION_MEMO_MS", "0").spawn().await;
    let bob = always_asks.register("bob@example.com", "Bob").await;
    for _ in 0..3 {
        assert_eq!(statements_for_me(&always_asks, &bob).await, 1);
    }
}

#[tokio::test]
async fn signing_out_or_changing_the_profile_shows_on_the_very_next_request() {
    let app = TestApp::builder()
        .env("SESSION_MEMO_MS", LONG_MEMO_MS)
        .spawn()
        .await;
    let ada = app.register("ada@example.com", "Ada").await;
    assert_eq!(display_name(&app, &ada).await.as_deref(), Some("Ada"));

    let renamed = app
        .graphql_as(
            &ada.access_token,
            "mutation { updateProfile(input: { displayName: \"Ada L.\" }) { displayName } }",
            json!({}),
        )
        .await;
    data(&renamed);
    assert_eq!(display_name(&app, &ada).await.as_deref(), Some("Ada L."));

    data(
        &app.graphql_as(&ada.access_token, "mutation { logout }", json!({}))
            .await,
    );
    let refused = app.graphql_as(&ada.access_token, ME, json!({})).await;
    expect_error(&refused, "UNAUTHENTICATED");
}

#[tokio::test]
async fn another_instance_forgets_through_the_bus_long_before_its_memo_would_run_out() {
    let redis = PrivateRedis::start();
    let (instance_a, instance_b) = two_instances(&redis).await;
    let ada = instance_a.register("ada@example.com", "Ada").await;
    assert_eq!(
        display_name(&instance_b, &ada).await.as_deref(),
        Some("Ada")
    );
    assert_eq!(statements_for_me(&instance_b, &ada).await, 0);

    data(
        &instance_a
            .graphql_as(
                &ada.access_token,
                "mutation { updateProfile(input: { displayName: \"Ada L.\" }) { displayName } }",
                json!({}),
            )
            .await,
    );
    eventually(
        "instance B to serve the new display name",
        WELL_BEFORE_EXPIRY,
        || async {
            (display_name(&instance_b, &ada).await.as_deref() == Some("Ada L.")).then_some(())
        },
    )
    .await;

    data(
        &instance_a
            .graphql_as(&ada.access_token, "mutation { logout }", json!({}))
            .await,
    );
    eventually(
        "instance B to refuse the signed-out session",
        WELL_BEFORE_EXPIRY,
        || async {
            let body = instance_b
                .graphql_as(&ada.access_token, ME, json!({}))
                .await;
            (error_code(&body) == Some("UNAUTHENTICATED")).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn while_the_bus_is_down_every_request_asks_the_database() {
    let mut redis = PrivateRedis::start();
    let (instance_a, instance_b) = two_instances(&redis).await;
    let ada = instance_a.register("ada@example.com", "Ada").await;
    assert!(display_name(&instance_b, &ada).await.is_some());
    assert_eq!(statements_for_me(&instance_b, &ada).await, 0);

    redis.stop();
    instance_b
        .wait_for_redis_subscription(false, Duration::from_secs(10))
        .await;
    assert_eq!(statements_for_me(&instance_b, &ada).await, 1);
    // The notice cannot reach B now; B asks the database, which already knows.
    data(
        &instance_a
            .graphql_as(&ada.access_token, "mutation { logout }", json!({}))
            .await,
    );
    let refused = instance_b
        .graphql_as(&ada.access_token, ME, json!({}))
        .await;
    expect_error(&refused, "UNAUTHENTICATED");
}
