//! Presence on a project board as live clients see it: who is viewing, what they focus, and
//! when they leave, across instances; killed clients and silent viewers are `LEFT` in time;
//! only members take part.

mod common;

use std::{collections::BTreeSet, time::Duration};

use common::{data, expect_error, ws::GraphqlWs, TestApp, TestUser};
use serde_json::{json, Value};

const PRESENCE: &str = "subscription($p: ID!) { projectPresence(projectId: $p) {
  kind user { email } focusTaskId viewers { user { email } focusTaskId } } }";
const UPDATE: &str = "mutation($p: ID!, $t: ID) { updatePresence(projectId: $p, focusTaskId: $t) {
  viewer { user { email } focusTaskId } expiresAt heartbeatIntervalSeconds } }";

async fn socket_of(app: &TestApp, user: &TestUser) -> GraphqlWs {
    GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", user.access_token) }),
    )
    .await
    .expect("a valid token is acknowledged")
}

/// The next presence event on `socket`, as (kind, email, focusTaskId).
async fn next_event(socket: &mut GraphqlWs) -> (String, String, Value) {
    let message = socket.next_message().await;
    assert_eq!(message["type"], "next", "{message}");
    let event = &message["payload"]["data"]["projectPresence"];
    assert!(event.is_object(), "{message}");
    (
        event["kind"].as_str().expect("kind").to_string(),
        event["user"]["email"].as_str().expect("email").to_string(),
        event["focusTaskId"].clone(),
    )
}

#[tokio::test]
async fn viewers_join_focus_and_leave_across_two_instances() {
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
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
    let ada = instance_a.register("ada@example.com", "Ada").await;
    let grace = instance_a.register("grace@example.com", "Grace").await;
    let project = instance_a.create_project(&ada, "Apollo").await;
    instance_a
        .add_member(&ada, &project, &grace, "VIEWER")
        .await;
    let task = instance_a
        .create_task(&ada, &project, "Launch", json!({}))
        .await;
    let task_id = task["id"].clone();

    // Ada opens the board on A: she is its only viewer.
    let mut adas = socket_of(&instance_a, &ada).await;
    adas.subscribe("presence", PRESENCE, json!({ "p": project }))
        .await;
    assert_eq!(
        next_event(&mut adas).await,
        ("JOINED".into(), "ada@example.com".into(), Value::Null)
    );

    // Grace opens it on B: she sees both of them first; Ada sees her join.
    let mut graces = socket_of(&instance_b, &grace).await;
    graces
        .subscribe("presence", PRESENCE, json!({ "p": project }))
        .await;
    let mut first = BTreeSet::new();
    for _ in 0..2 {
        let (kind, email, _) = next_event(&mut graces).await;
        assert_eq!(kind, "JOINED");
        first.insert(email);
    }
    assert_eq!(
        first,
        BTreeSet::from([
            "ada@example.com".to_string(),
            "grace@example.com".to_string()
        ])
    );
    assert_eq!(
        next_event(&mut adas).await,
        ("JOINED".into(), "grace@example.com".into(), Value::Null)
    );

    // Grace focuses the task (through B); Ada, on A, sees it with the whole set.
    let body = instance_b
        .graphql_as(
            &grace.access_token,
            UPDATE,
            json!({ "p": project, "t": task_id }),
        )
        .await;
    let update = &data(&body)["updatePresence"];
    assert_eq!(update["viewer"]["focusTaskId"], task_id);
    assert_eq!(update["heartbeatIntervalSeconds"], 10);
    let message = adas.next_message().await;
    let event = &message["payload"]["data"]["projectPresence"];
    assert_eq!(event["kind"], "FOCUS_CHANGED", "{message}");
    assert_eq!(event["user"]["email"], "grace@example.com");
    assert_eq!(event["focusTaskId"], task_id);
    let viewers = event["viewers"].as_array().expect("viewers");
    assert_eq!(viewers.len(), 2, "{message}");
    assert!(viewers
        .contains(&json!({ "user": { "email": "grace@example.com" }, "focusTaskId": task_id })));
    assert!(
        viewers.contains(&json!({ "user": { "email": "ada@example.com" }, "focusTaskId": null }))
    );
    assert_eq!(
        next_event(&mut graces).await,
        (
            "FOCUS_CHANGED".into(),
            "grace@example.com".into(),
            task_id.clone()
        )
    );

    // Grace closes the board: Ada sees her leave, with the focus she had.
    graces
        .send(json!({ "id": "presence", "type": "complete" }))
        .await;
    assert_eq!(
        next_event(&mut adas).await,
        ("LEFT".into(), "grace@example.com".into(), task_id)
    );
    // Nothing is in the activity log.
    let body = instance_a
        .graphql_as(
            &ada.access_token,
            "query($id: ID!) { project(id: $id) { activity(first: 50) { edges { node { kind } } } } }",
            json!({ "id": project }),
        )
        .await;
    let kinds: Vec<&str> = data(&body)["project"]["activity"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|edge| edge["node"]["kind"].as_str())
        .collect();
    assert!(
        kinds.iter().all(|kind| !kind.contains("PRESENCE")),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn a_killed_client_and_a_silent_viewer_are_left_in_time() {
    // The in-process presence set, with a 2 s timeout (checked every 400 ms).
    let app = TestApp::builder()
        .env("PRESENCE_TIMEOUT_SECONDS", "2")
        .spawn()
        .await;
    killed_and_silent_viewers_leave(&app).await;
}

#[tokio::test]
async fn a_killed_client_and_a_silent_viewer_are_left_in_time_with_the_set_in_redis() {
    let app = TestApp::builder()
        .with_redis()
        .env("PRESENCE_TIMEOUT_SECONDS", "2")
        .spawn()
        .await;
    killed_and_silent_viewers_leave(&app).await;
}

async fn killed_and_silent_viewers_leave(app: &TestApp) {
    let ada = app.register("ada@example.com", "Ada").await;
    let grace = app.register("grace@example.com", "Grace").await;
    let alan = app.register("alan@example.com", "Alan").await;
    let project = app.create_project(&ada, "Apollo").await;
    app.add_member(&ada, &project, &grace, "EDITOR").await;
    app.add_member(&ada, &project, &alan, "VIEWER").await;

    let mut adas = socket_of(app, &ada).await;
    adas.subscribe("presence", PRESENCE, json!({ "p": project }))
        .await;
    assert_eq!(next_event(&mut adas).await.0, "JOINED");
    // Ada keeps heartbeating while the others come and go.
    let heartbeat = {
        let (address, token, project) = (
            app.url("/graphql"),
            ada.access_token.clone(),
            project.clone(),
        );
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let _ = client
                    .post(&address)
                    .bearer_auth(&token)
                    .json(&json!({ "query": UPDATE, "variables": { "p": project } }))
                    .send()
                    .await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };

    // Grace's client dies: its socket drops without `complete`.
    let mut graces = socket_of(app, &grace).await;
    graces
        .subscribe("presence", PRESENCE, json!({ "p": project }))
        .await;
    assert_eq!(
        next_event(&mut adas).await,
        ("JOINED".into(), "grace@example.com".into(), Value::Null)
    );
    drop(graces);
    let started = std::time::Instant::now();
    assert_eq!(
        next_event(&mut adas).await,
        ("LEFT".into(), "grace@example.com".into(), Value::Null)
    );
    // Well before her entry would lapse (2 s after she joined): the disconnect did it.
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "{:?}",
        started.elapsed()
    );

    // Alan says he is there once (no stream) and then goes silent: LEFT after the timeout.
    let body = app
        .graphql_as(&alan.access_token, UPDATE, json!({ "p": project }))
        .await;
    data(&body);
    let heard = std::time::Instant::now();
    assert_eq!(
        next_event(&mut adas).await,
        ("JOINED".into(), "alan@example.com".into(), Value::Null)
    );
    assert_eq!(
        next_event(&mut adas).await,
        ("LEFT".into(), "alan@example.com".into(), Value::Null)
    );
    let silent = heard.elapsed();
    assert!(
        silent >= Duration::from_millis(1_500) && silent < Duration::from_secs(4),
        "LEFT {silent:?} after the last heartbeat"
    );
    heartbeat.abort();
}

#[tokio::test]
async fn only_members_see_presence_and_a_removed_member_is_cut_off() {
    let app = TestApp::spawn().await;
    let ada = app.register("ada@example.com", "Ada").await;
    let grace = app.register("grace@example.com", "Grace").await;
    let mallory = app.register("mallory@example.com", "Mallory").await;
    let project = app.create_project(&ada, "Apollo").await;
    app.add_member(&ada, &project, &grace, "VIEWER").await;

    let body = app
        .graphql_as(&mallory.access_token, UPDATE, json!({ "p": project }))
        .await;
    expect_error(&body, "NOT_FOUND");
    let mut mallorys = socket_of(&app, &mallory).await;
    mallorys
        .subscribe("presence", PRESENCE, json!({ "p": project }))
        .await;
    let refused = mallorys.next_message().await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
    // A task of another project is no focus here.
    let elsewhere = app.create_project(&mallory, "Elsewhere").await;
    let foreign = app
        .create_task(&mallory, &elsewhere, "Not yours", json!({}))
        .await;
    let body = app
        .graphql_as(
            &ada.access_token,
            UPDATE,
            json!({ "p": project, "t": foreign["id"] }),
        )
        .await;
    expect_error(&body, "NOT_FOUND");

    let mut graces = socket_of(&app, &grace).await;
    graces
        .subscribe("presence", PRESENCE, json!({ "p": project }))
        .await;
    assert_eq!(next_event(&mut graces).await.0, "JOINED");
    let body = app
        .graphql_as(
            &ada.access_token,
            "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }",
            json!({ "p": project, "u": grace.id }),
        )
        .await;
    data(&body);
    let ended = graces.next_message().await;
    assert_eq!(
        ended["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{ended}"
    );
    assert_eq!(graces.next_message().await["type"], "complete");
}
