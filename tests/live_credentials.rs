//! Credentials follow the connection: a WebSocket or SSE subscription ends with
//! `UNAUTHENTICATED` (`extensions.reason` saying why) within 5 s of its access token's expiry,
//! a sign-out, a session revocation, a password change or its API key's revocation, and nothing
//! follows; `renewConnectionAuth` replaces a socket's credentials without a missed or repeated
//! event.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use catalyst::{events::bus::Topic, graphql::ids::decode_id};
use common::{
    data, expect_error, sse::SseStream, ws::GraphqlWs, TestApp, TestUser, LOGIN, STRONG_PASSWORD,
};
use serde_json::{json, Value};

const CLOCK: &str = "subscription { serverTime(intervalMs: 200) }";
const RENEW: &str =
    "mutation($token: String!) { renewConnectionAuth(accessToken: $token) { expiresAt } }";
const REFRESH: &str = "mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken } }";
/// The bound: an ended credential stops its subscriptions within this.
const WITHIN: Duration = Duration::from_secs(5);
/// Longer than a short-lived token (10 s) lives, so an expiry has come by then.
const ENDING_WAIT: Duration = Duration::from_secs(20);

fn user_topic(user: &TestUser) -> Topic {
    Topic::Credentials(
        decode_id("User", "id", &async_graphql::ID(user.id.clone())).expect("a user id"),
    )
}

async fn login(app: &TestApp, email: &str) -> TestUser {
    let body = app
        .graphql(
            LOGIN,
            json!({ "input": { "email": email, "password": STRONG_PASSWORD } }),
        )
        .await;
    let payload = &data(&body)["login"];
    TestUser {
        id: payload["user"]["id"].as_str().unwrap().to_string(),
        email: email.to_string(),
        access_token: payload["accessToken"].as_str().unwrap().to_string(),
        refresh_token: payload["refreshToken"].as_str().unwrap().to_string(),
    }
}

async fn socket(app: &TestApp, token: &str) -> GraphqlWs {
    GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {token}") }),
    )
    .await
    .expect("the token is accepted")
}

async fn sse(app: &TestApp, token: &str, query: &str, variables: Value) -> SseStream {
    SseStream::open(
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables })),
    )
    .await
}

/// A clock over WebSocket and one over SSE, both with `token`, listening once this returns.
async fn clocks(app: &TestApp, user: &TestUser, token: &str) -> (GraphqlWs, SseStream) {
    let before = app.subscriber_count(user_topic(user));
    let mut ws = socket(app, token).await;
    ws.subscribe("clock", CLOCK, json!({})).await;
    let mut stream = sse(app, token, CLOCK, json!({})).await;
    app.wait_for_subscribers(user_topic(user), before + 2).await;
    assert_eq!(ws.next_message().await["type"], "next");
    assert_eq!(stream.next_event().await.event, "next");
    (ws, stream)
}

/// Reads operation `id` of the socket to its end: the error it ended with, which must be
/// followed at once by `complete`.
async fn ws_ending(socket: &mut GraphqlWs, id: &str) -> Value {
    // Bounded, as a clock ticks for ever if its ending never comes.
    tokio::time::timeout(ENDING_WAIT, ws_ending_unbounded(socket, id))
        .await
        .expect("the operation ends in time")
}

async fn ws_ending_unbounded(socket: &mut GraphqlWs, id: &str) -> Value {
    loop {
        let message = socket.next_message().await;
        if message["id"] != id {
            continue;
        }
        match message["type"].as_str() {
            Some("next") if message["payload"]["errors"].is_array() => {
                let error = message["payload"]["errors"][0].clone();
                let after = socket.next_message().await;
                assert_eq!(
                    after["type"], "complete",
                    "nothing after the ending: {after}"
                );
                assert_eq!(after["id"], id);
                return error;
            }
            Some("next") => continue,
            _ => panic!("expected the operation to end with an error, got {message}"),
        }
    }
}

/// Reads an SSE operation to its end: the error it ended with, followed by `complete` and the
/// end of the stream.
async fn sse_ending(stream: &mut SseStream) -> Value {
    tokio::time::timeout(ENDING_WAIT, sse_ending_unbounded(stream))
        .await
        .expect("the operation ends in time")
}

async fn sse_ending_unbounded(stream: &mut SseStream) -> Value {
    loop {
        let event = stream.next_event().await;
        assert_eq!(
            event.event, "next",
            "expected an ending error first: {event:?}"
        );
        let body = event.json();
        if let Some(errors) = body.get("errors") {
            let error = errors[0].clone();
            assert_eq!(stream.next_event().await.event, "complete");
            assert!(stream.ends().await);
            return error;
        }
    }
}

fn assert_unauthenticated(error: &Value, reason: &str) {
    assert_eq!(error["extensions"]["code"], "UNAUTHENTICATED", "{error}");
    assert_eq!(error["extensions"]["reason"], reason, "{error}");
}

/// Both clocks end with `reason` within the bound from `since`.
async fn both_end(ws: &mut GraphqlWs, stream: &mut SseStream, reason: &str, since: Instant) {
    assert_unauthenticated(&ws_ending(ws, "clock").await, reason);
    assert_unauthenticated(&sse_ending(stream).await, reason);
    assert!(since.elapsed() < WITHIN, "took {:?}", since.elapsed());
}

fn expiry_of(access_token: &str) -> u64 {
    let claims = access_token.split('.').nth(1).expect("a JWT");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    claims["exp"].as_u64().expect("exp")
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

async fn short_lived_app() -> TestApp {
    TestApp::builder()
        .env("ACCESS_TOKEN_TTL_SECONDS", "10")
        .spawn()
        .await
}

#[tokio::test]
async fn an_expired_access_token_ends_websocket_and_sse_subscriptions_within_five_seconds() {
    let app = short_lived_app().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let expires = expiry_of(&ada.access_token) as f64;
    let (mut ws, mut stream) = clocks(&app, &ada, &ada.access_token).await;

    assert_unauthenticated(&ws_ending(&mut ws, "clock").await, "TOKEN_EXPIRED");
    assert_unauthenticated(&sse_ending(&mut stream).await, "TOKEN_EXPIRED");
    let ended = unix_now();
    // `exp` is whole seconds; the stream must not end before it, nor later than the bound.
    assert!(
        ended >= expires - 1.0,
        "ended {:.1} s early",
        expires - ended
    );
    assert!(
        ended < expires + WITHIN.as_secs_f64(),
        "ended {:.1} s late",
        ended - expires
    );

    // The socket's credentials are spent: a new operation on it ends the same way.
    ws.subscribe("again", CLOCK, json!({})).await;
    assert_unauthenticated(&ws_ending(&mut ws, "again").await, "TOKEN_EXPIRED");
}

#[tokio::test]
async fn signing_out_ends_the_sessions_subscriptions() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let (mut ws, mut stream) = clocks(&app, &ada, &ada.access_token).await;

    let since = Instant::now();
    let body = app
        .graphql_as(&ada.access_token, "mutation { logout }", json!({}))
        .await;
    data(&body);
    both_end(&mut ws, &mut stream, "SIGNED_OUT", since).await;
}

#[tokio::test]
async fn revoking_a_session_on_one_instance_ends_its_subscriptions_on_another() {
    let instance_a = TestApp::builder().with_redis().spawn().await;
    let instance_b = TestApp::builder()
        .with_redis()
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    let laptop = instance_a.register("ada@example.com", "Ada").await;
    let phone = login(&instance_a, "ada@example.com").await;
    let sessions = instance_a
        .graphql_as(
            &phone.access_token,
            "{ mySessions { edges { node { id current } } } }",
            json!({}),
        )
        .await;
    let phone_session = data(&sessions)["mySessions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["node"]["current"] == true)
        .map(|edge| edge["node"]["id"].clone())
        .unwrap();
    let (mut ws, mut stream) = clocks(&instance_b, &phone, &phone.access_token).await;

    let since = Instant::now();
    let body = instance_a
        .graphql_as(
            &laptop.access_token,
            "mutation($id: ID!) { revokeSession(id: $id) }",
            json!({ "id": phone_session }),
        )
        .await;
    data(&body);
    both_end(&mut ws, &mut stream, "SESSION_REVOKED", since).await;
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_ends_the_sessions_subscriptions() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let (mut ws, mut stream) = clocks(&app, &ada, &ada.access_token).await;
    let rotated = app
        .graphql(REFRESH, json!({ "token": ada.refresh_token }))
        .await;
    data(&rotated);

    // The first refresh token again: it leaked, and its whole session is revoked.
    let since = Instant::now();
    let reused = app
        .graphql(REFRESH, json!({ "token": ada.refresh_token }))
        .await;
    expect_error(&reused, "UNAUTHENTICATED");
    both_end(&mut ws, &mut stream, "SESSION_REVOKED", since).await;
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_subscriptions_and_keeps_its_own() {
    let app = TestApp::spawn().await;
    let laptop = app.register("ada@example.com", "Ada").await;
    let phone = login(&app, "ada@example.com").await;
    let mut own = socket(&app, &laptop.access_token).await;
    own.subscribe("clock", CLOCK, json!({})).await;
    let (mut ws, mut stream) = clocks(&app, &phone, &phone.access_token).await;

    let since = Instant::now();
    let body = app
        .graphql_as(
            &laptop.access_token,
            "mutation($input: ChangePasswordInput!) { changePassword(input: $input) { email } }",
            json!({ "input": { "currentPassword": STRONG_PASSWORD, "newPassword": "a brand new passphrase" } }),
        )
        .await;
    data(&body);
    both_end(&mut ws, &mut stream, "PASSWORD_CHANGED", since).await;

    // The session that changed the password keeps streaming after the others ended.
    let ended = chrono::Utc::now();
    loop {
        let tick = own.next_message().await;
        assert_eq!(tick["type"], "next", "{tick}");
        assert!(tick["payload"].get("errors").is_none(), "{tick}");
        let at: chrono::DateTime<chrono::Utc> =
            serde_json::from_value(tick["payload"]["data"]["serverTime"].clone()).unwrap();
        if at > ended {
            break;
        }
    }
}

#[tokio::test]
async fn revoking_an_api_key_ends_its_subscriptions() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let created = app
        .graphql_as(
            &ada.access_token,
            "mutation { createApiKey(name: \"dashboard\", scopes: [READ]) { secret apiKey { id } } }",
            json!({}),
        )
        .await;
    let created = &data(&created)["createApiKey"];
    let secret = created["secret"].as_str().unwrap().to_string();
    let (mut ws, mut stream) = clocks(&app, &ada, &secret).await;

    let since = Instant::now();
    let body = app
        .graphql_as(
            &ada.access_token,
            "mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
            json!({ "id": created["apiKey"]["id"] }),
        )
        .await;
    data(&body);
    both_end(&mut ws, &mut stream, "API_KEY_REVOKED", since).await;
}

#[tokio::test]
async fn a_removed_member_still_ends_with_forbidden_over_sse() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let member = app.register("member@example.com", "Member").await;
    let project = app.create_project(&owner, "Board").await;
    app.add_member(&owner, &project, &member, "EDITOR").await;
    let mut stream = sse(
        &app,
        &member.access_token,
        "subscription($p: ID!) { projectEvents(projectId: $p) { kind } }",
        json!({ "p": project }),
    )
    .await;
    app.wait_for_subscribers(user_topic(&member), 1).await;

    let body = app
        .graphql_as(
            &owner.access_token,
            "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }",
            json!({ "p": project, "u": member.id }),
        )
        .await;
    data(&body);
    let error = sse_ending(&mut stream).await;
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
}

/// One renewal over the socket: its `next` carries the new expiry, then `complete`. Messages
/// of other operations that arrive meanwhile are kept in `others`.
async fn renew(socket: &mut GraphqlWs, id: &str, token: &str, others: &mut Vec<Value>) -> Value {
    socket
        .send(json!({ "id": id, "type": "subscribe", "payload": { "query": RENEW, "variables": { "token": token } } }))
        .await;
    let mut answer = None;
    loop {
        let message = socket.next_message().await;
        if message["id"] != id {
            others.push(message);
            continue;
        }
        match message["type"].as_str() {
            Some("next") => answer = Some(message["payload"].clone()),
            Some("complete") => return answer.expect("a result before complete"),
            _ => panic!("unexpected {message}"),
        }
    }
}

/// A socket with `token` running `projectEvents { <selection> }` as operation `events`,
/// listening once this returns.
async fn project_events_socket(
    app: &TestApp,
    token: &str,
    project: &str,
    selection: &str,
) -> GraphqlWs {
    let topic =
        Topic::Project(decode_id("Project", "id", &async_graphql::ID(project.into())).unwrap());
    let before = app.subscriber_count(topic);
    let mut ws = socket(app, token).await;
    let query =
        format!("subscription($p: ID!) {{ projectEvents(projectId: $p) {{ {selection} }} }}");
    ws.subscribe("events", &query, json!({ "p": project }))
        .await;
    app.wait_for_subscribers(topic, before + 1).await;
    ws
}

fn task_titles(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|message| {
            assert_eq!(message["id"], "events", "{message}");
            assert_eq!(message["type"], "next", "{message}");
            assert!(message["payload"].get("errors").is_none(), "{message}");
            message["payload"]["data"]["projectEvents"]["task"]["title"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn renewing_before_each_expiry_keeps_a_subscription_through_three_token_lifetimes() {
    let app = short_lived_app().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let project = app.create_project(&ada, "Board").await;
    let mut ws = project_events_socket(&app, &ada.access_token, &project, "task { title }").await;

    let (mut access, mut refresh) = (ada.access_token.clone(), ada.refresh_token.clone());
    let first_expiry = expiry_of(&access) as f64;
    let mut received = Vec::new();
    let mut created = Vec::new();
    // Three lifetimes of 10 s and a little more: a renewal every 6 s, two events in between.
    for lifetime in 0..5 {
        for step in 0..2 {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let title = format!("event {lifetime}.{step}");
            app.create_task(
                &TestUser {
                    access_token: access.clone(),
                    ..ada.clone()
                },
                &project,
                &title,
                json!({}),
            )
            .await;
            created.push(title);
        }
        let rotated = app.graphql(REFRESH, json!({ "token": refresh })).await;
        let rotated = &data(&rotated)["refreshSession"];
        access = rotated["accessToken"].as_str().unwrap().to_string();
        refresh = rotated["refreshToken"].as_str().unwrap().to_string();
        let answer = renew(
            &mut ws,
            &format!("renew-{lifetime}"),
            &access,
            &mut received,
        )
        .await;
        let renewed = &data(&answer)["renewConnectionAuth"]["expiresAt"];
        assert!(renewed.is_string(), "{answer}");
    }
    assert!(
        unix_now() > first_expiry + 20.0,
        "ran across three lifetimes"
    );
    // The last event is in before the check: the subscription is live until the very end.
    let title = "last".to_string();
    app.create_task(
        &TestUser {
            access_token: access.clone(),
            ..ada.clone()
        },
        &project,
        &title,
        json!({}),
    )
    .await;
    created.push(title);
    while received.len() < created.len() {
        received.push(ws.next_message().await);
    }
    assert_eq!(
        task_titles(&received),
        created,
        "every event once, in order"
    );
}

#[tokio::test]
async fn renewing_with_another_users_token_is_forbidden_and_changes_nothing() {
    let app = short_lived_app().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let eve = app.register("eve@example.com", "Eve").await;
    let expires = expiry_of(&ada.access_token) as f64;
    let mut ws = socket(&app, &ada.access_token).await;
    ws.subscribe("clock", CLOCK, json!({})).await;

    let mut others = Vec::new();
    let answer = renew(&mut ws, "renew", &eve.access_token, &mut others).await;
    expect_error(&answer, "FORBIDDEN");

    // Ada's clock goes on, and still ends when Ada's own token expires.
    assert_unauthenticated(&ws_ending(&mut ws, "clock").await, "TOKEN_EXPIRED");
    let ended = unix_now();
    assert!(ended >= expires - 1.0 && ended < expires + WITHIN.as_secs_f64());
    assert!(
        others.iter().any(|message| message["type"] == "next"),
        "ticks went on"
    );
}

#[tokio::test]
async fn renew_connection_auth_needs_a_websocket() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let over_http = app
        .graphql_as(
            &ada.access_token,
            RENEW,
            json!({ "token": ada.access_token }),
        )
        .await;
    expect_error(&over_http, "BAD_USER_INPUT");

    let mut over_sse = sse(
        &app,
        &ada.access_token,
        RENEW,
        json!({ "token": ada.access_token }),
    )
    .await;
    let answer = over_sse.next_event().await.json();
    expect_error(&answer, "BAD_USER_INPUT");
}

/// The `mySessions` id of the session `token` belongs to, asked over plain HTTP.
async fn session_of(app: &TestApp, token: &str) -> Value {
    let body = app.graphql_as(token, MY_SESSIONS, json!({})).await;
    current_session(&body)
}

const MY_SESSIONS: &str = "{ mySessions { edges { node { id current } } } }";

fn current_session(body: &Value) -> Value {
    data(body)["mySessions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|edge| edge["node"]["current"] == true)
        .map(|edge| edge["node"]["id"].clone())
        .unwrap_or(Value::Null)
}

/// Runs one query over the socket and returns its result.
async fn ask(socket: &mut GraphqlWs, id: &str, query: &str) -> Value {
    socket.subscribe(id, query, json!({})).await;
    let mut others = Vec::new();
    loop {
        let message = socket.next_message().await;
        if message["id"] != id {
            others.push(message);
            continue;
        }
        assert_eq!(message["type"], "next", "{message}");
        return message["payload"].clone();
    }
}

#[tokio::test]
async fn operations_after_a_renewal_run_as_the_renewed_session() {
    let app = TestApp::spawn().await;
    let laptop = app.register("ada@example.com", "Ada").await;
    let phone = login(&app, "ada@example.com").await;
    let (laptop_session, phone_session) = (
        session_of(&app, &laptop.access_token).await,
        session_of(&app, &phone.access_token).await,
    );
    assert_ne!(laptop_session, phone_session);
    let mut ws = socket(&app, &laptop.access_token).await;
    assert_eq!(
        current_session(&ask(&mut ws, "before", MY_SESSIONS).await),
        laptop_session
    );

    let mut others = Vec::new();
    let answer = renew(&mut ws, "renew", &phone.access_token, &mut others).await;
    data(&answer);
    assert_eq!(
        current_session(&ask(&mut ws, "after", MY_SESSIONS).await),
        phone_session,
        "the socket now holds the phone's session"
    );
    // Signing out over the socket ends the session it holds now, not the one it opened with.
    let body = ask(&mut ws, "logout", "mutation { logout }").await;
    data(&body);
    let laptop_still = app
        .graphql_as(&laptop.access_token, MY_SESSIONS, json!({}))
        .await;
    assert_eq!(current_session(&laptop_still), laptop_session);
    let phone_after = app
        .graphql_as(&phone.access_token, MY_SESSIONS, json!({}))
        .await;
    expect_error(&phone_after, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_running_subscription_judges_membership_with_the_renewed_credentials() {
    let app = TestApp::spawn().await;
    let root = app.register("root@example.com", "Root").await;
    let ada = app.register("ada@example.com", "Ada").await;
    let set_admin =
        "mutation($u: ID!, $admin: Boolean!) { setPlatformAdmin(userId: $u, isAdmin: $admin) { isAdmin } }";
    data(
        &app.graphql_as(
            &root.access_token,
            set_admin,
            json!({ "u": ada.id, "admin": true }),
        )
        .await,
    );
    let project = app.create_project(&root, "Board").await;
    app.add_member(&root, &project, &ada, "EDITOR").await;
    // Ada's access token still says nothing of administration: her user row does.
    let mut ws = project_events_socket(&app, &ada.access_token, &project, "kind").await;

    // No longer an admin, Ada renews the socket: its credentials now say so.
    data(
        &app.graphql_as(
            &root.access_token,
            set_admin,
            json!({ "u": ada.id, "admin": false }),
        )
        .await,
    );
    let rotated = app
        .graphql(REFRESH, json!({ "token": ada.refresh_token }))
        .await;
    let access = data(&rotated)["refreshSession"]["accessToken"]
        .as_str()
        .unwrap()
        .to_string();
    let mut others = Vec::new();
    data(&renew(&mut ws, "renew", &access, &mut others).await);

    let body = app
        .graphql_as(
            &root.access_token,
            "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }",
            json!({ "p": project, "u": ada.id }),
        )
        .await;
    data(&body);
    let error = tokio::time::timeout(ENDING_WAIT, ws_ending_unbounded(&mut ws, "events"))
        .await
        .expect("the subscription ends");
    assert_eq!(error["extensions"]["code"], "FORBIDDEN", "{error}");
}
