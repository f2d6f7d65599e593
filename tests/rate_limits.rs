//! Rate limiting on query cost: every operation spends its complexity from its viewer's
//! budget, shown in `rateLimit` and the `X-RateLimit-*` headers; over budget is 429 with
//! `Retry-After`. Budgets are shared through Redis by every instance and keep limiting, in
//! process, while Redis is down.

mod common;

use std::time::Duration;

use common::{
    data, expect_error,
    redis::PrivateRedis,
    wait::{eventually, within_one_window},
    TestApp,
};
use serde_json::{json, Value};

const RATE_LIMIT: &str = "{ rateLimit { limit cost remaining resetAt } }";

async fn post(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
    let response = app.post_graphql(token, json!({ "query": query })).await;
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("JSON"))
}

fn header_number(headers: &reqwest::header::HeaderMap, name: &str) -> u64 {
    headers[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn each_operation_costs_its_complexity_and_the_budget_is_reported() {
    let app = TestApp::builder()
        .env("RATE_LIMIT_USER_POINTS", "5000")
        .spawn()
        .await;
    let user = app.register("reader@example.com", "Reader").await;

    let (status, headers, body) = post(&app, Some(&user.access_token), RATE_LIMIT).await;
    assert_eq!(status, 200);
    let first = &data(&body)["rateLimit"];
    // rateLimit { limit cost remaining resetAt }: one field with four leaves.
    assert_eq!(first["cost"], 5);
    assert_eq!(first["limit"], 5000);
    assert_eq!(first["remaining"], 4995);
    assert_eq!(header_number(&headers, "x-ratelimit-limit"), 5000);
    assert_eq!(header_number(&headers, "x-ratelimit-remaining"), 4995);
    let reset = header_number(&headers, "x-ratelimit-reset") as i64;
    let now = chrono::Utc::now().timestamp();
    assert!(
        reset > now && reset <= now + 3600,
        "reset {reset} vs now {now}"
    );

    // A list multiplies what is selected under it by `first` (or the default page size, 20).
    let (_, headers, _) = post(
        &app,
        Some(&user.access_token),
        "{ projects(first: 50) { nodes { id name } } }",
    )
    .await;
    // projects: 1 + 50 × (nodes 1 + id 1 + name 1) = 151
    assert_eq!(header_number(&headers, "x-ratelimit-remaining"), 4995 - 151);
    let (_, headers, _) = post(
        &app,
        Some(&user.access_token),
        "{ projects { nodes { id } } }",
    )
    .await;
    assert_eq!(
        header_number(&headers, "x-ratelimit-remaining"),
        4995 - 151 - 41
    );
}

#[tokio::test]
async fn over_budget_is_429_with_retry_after_and_other_viewers_are_unaffected() {
    let app = TestApp::builder()
        .env("RATE_LIMIT_USER_POINTS", "100")
        .env("RATE_LIMIT_ANONYMOUS_POINTS", "30")
        .spawn()
        .await;
    let heavy = app.register("heavy@example.com", "Heavy").await;
    let light = app.register("light@example.com", "Light").await;
    let query = "{ projects(first: 10) { nodes { id name } } }"; // 1 + 10 × 3 = 31
    for _ in 0..3 {
        let (status, _, body) = post(&app, Some(&heavy.access_token), query).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, headers, body) = post(&app, Some(&heavy.access_token), query).await;
    assert_eq!(status, 429);
    let error = expect_error(&body, "RATE_LIMITED");
    let retry_after = header_number(&headers, "retry-after");
    assert!((1..=3600).contains(&retry_after));
    assert_eq!(error["extensions"]["retryAfterSeconds"], retry_after);
    assert_eq!(header_number(&headers, "x-ratelimit-remaining"), 7);
    // A cheaper operation still fits in what is left.
    let (status, _, _) = post(&app, Some(&heavy.access_token), "{ me { id } }").await;
    assert_eq!(status, 200);

    let (status, _, _) = post(&app, Some(&light.access_token), query).await;
    assert_eq!(status, 200);
    // Anonymous requests spend their address's (smaller) budget.
    let (status, _, body) = post(&app, None, "{ a: __typename b: __typename }").await;
    assert_eq!(
        (status.as_u16(), data(&body)["a"].as_str()),
        (200, Some("QueryRoot"))
    );
    let (status, _, body) = post(&app, None, "{ rateLimit { limit } }").await;
    assert_eq!(data(&body)["rateLimit"]["limit"], 30);
    assert_eq!(status, 200);
    let (status, _, _) = post(
        &app,
        None,
        "{ chemicals(search: \"Na\") { nodes { formula name } } }",
    )
    .await;
    assert_eq!(status, 429);
}

/// Named limits count per wall-clock minute, aligned to the epoch; a story that crossed into
/// the next minute would see its counts reset halfway (`within_one_window`).
const NAMED_LIMIT_WINDOW: Duration = Duration::from_secs(60);

#[tokio::test]
async fn named_limits_cap_register_login_and_predict_reaction() {
    within_one_window(NAMED_LIMIT_WINDOW, named_limits_story).await;
}

async fn named_limits_story() {
    let app = TestApp::builder()
        .env("RATE_LIMIT_REGISTER_PER_MINUTE", "5")
        .env("RATE_LIMIT_LOGIN_PER_MINUTE", "10")
        .env("RATE_LIMIT_PREDICT_REACTION_PER_MINUTE", "3")
        .spawn()
        .await;
    let mut users = Vec::new();
    for n in 0..5 {
        users.push(app.register(&format!("user{n}@example.com"), "User").await);
    }
    let sixth = app
        .post_graphql(
            None,
            json!({ "query": common::REGISTER, "variables": { "input": { "email": "user5@example.com", "password": common::STRONG_PASSWORD, "displayName": "Six" } } }),
        )
        .await;
    assert_eq!(sixth.status(), 429);
    assert!(sixth.headers().contains_key("retry-after"));
    let body: Value = sixth.json().await.unwrap();
    let message = expect_error(&body, "RATE_LIMITED")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("register"), "{message}");

    let predict = "mutation { predictReaction(input: { reactants: [{ chemical: \"HCl\" }, { chemical: \"NaOH\" }] }) { cached } }";
    for _ in 0..3 {
        let body = app
            .graphql_as(&users[0].access_token, predict, json!({}))
            .await;
        data(&body);
    }
    let refused = app
        .graphql_as(&users[0].access_token, predict, json!({}))
        .await;
    expect_error(&refused, "RATE_LIMITED");
    // Per user: another user still may.
    let body = app
        .graphql_as(&users[1].access_token, predict, json!({}))
        .await;
    data(&body);

    let mut codes = Vec::new();
    for _ in 0..11 {
        let body = app
            .graphql(
                common::LOGIN,
                json!({ "input": { "email": "user0@example.com", "password": common::STRONG_PASSWORD } }),
            )
            .await;
        codes.push(common::error_code(&body).unwrap_or("OK").to_string());
    }
    assert_eq!(codes[..10], vec!["OK".to_string(); 10]);
    assert_eq!(codes[10], "RATE_LIMITED");
}

/// Spends `cost`-point operations until refused; returns how many were admitted.
async fn spend_until_refused(apps: &[&TestApp], token: &str, limit: usize) -> usize {
    let query = "{ projects(first: 3) { nodes { id } } }"; // 1 + 3 × 2 = 7 points
    for admitted in 0..limit {
        let app = apps[admitted % apps.len()];
        let (status, _, _) = post(app, Some(token), query).await;
        if status == 429 {
            return admitted;
        }
    }
    limit
}

#[tokio::test]
async fn two_instances_share_one_budget_through_redis_and_an_outage_falls_back_in_process() {
    let mut redis = PrivateRedis::start();
    let prefix = format!("shared:{}:", uuid::Uuid::new_v4().simple());
    let budget = |app: common::TestAppBuilder| {
        app.env("REDIS_URL", &redis.url())
            .env("REDIS_KEY_PREFIX", &prefix)
            .env("RATE_LIMIT_USER_POINTS", "70")
    };
    let instance_a = budget(TestApp::builder()).spawn().await;
    let instance_b = budget(TestApp::builder().sharing_database_of(&instance_a))
        .spawn()
        .await;
    let user = instance_a.register("shared@example.com", "Shared").await;

    // 70 points, 7 per operation, alternating instances: ten in total, not ten each.
    let admitted = spend_until_refused(&[&instance_a, &instance_b], &user.access_token, 30).await;
    assert_eq!(admitted, 10);
    let (status, _, _) = post(&instance_b, Some(&user.access_token), "{ me { id } }").await;
    assert_eq!(status, 429);

    // Redis down: each instance limits on its own counters, so the budget is per instance.
    redis.stop();
    for instance in [&instance_a, &instance_b] {
        let during = spend_until_refused(&[instance], &user.access_token, 30).await;
        assert_eq!(during, 10, "the in-process fallback still limits");
    }

    // Redis back (empty, it keeps nothing on disk): both instances count there again, so
    // alternating between them admits one budget in total; an instance still on its
    // exhausted in-process counter would refuse at once.
    redis.restart();
    for instance in [&instance_a, &instance_b] {
        counting_in_redis(&redis.url(), &prefix, instance).await;
    }
    let after = spend_until_refused(&[&instance_a, &instance_b], &user.access_token, 30).await;
    assert_eq!(after, 10);
}

/// Waits until `instance` charges its budgets in Redis again (after an outage it leaves Redis
/// alone for a moment before trying it): an anonymous request to it must raise the anonymous
/// counter there. Anonymous requests spend their address's budget, none of the user's.
async fn counting_in_redis(redis_url: &str, prefix: &str, instance: &TestApp) {
    let client = redis::Client::open(redis_url).expect("a valid Redis url");
    eventually(
        "the instance to count in Redis again",
        Duration::from_secs(10),
        || async {
            let mut connection = client.get_multiplexed_async_connection().await.ok()?;
            let before = anonymous_points(&mut connection, prefix).await?;
            let (status, _, _) = post(instance, None, "{ __typename }").await;
            assert_eq!(status, 200);
            let after = anonymous_points(&mut connection, prefix).await?;
            (after > before).then_some(())
        },
    )
    .await;
}

/// What anonymous requests have spent in Redis, over every window counted there.
async fn anonymous_points(
    connection: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
) -> Option<u64> {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}rl:points:ip:*"))
        .query_async(connection)
        .await
        .ok()?;
    let mut spent = 0;
    for key in keys {
        let points: Option<u64> = redis::cmd("GET")
            .arg(&key)
            .query_async(connection)
            .await
            .ok()?;
        spent += points.unwrap_or(0);
    }
    Some(spent)
}
