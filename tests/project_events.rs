//! Live collaboration: `projectEvents` over real WebSockets, across instances through Redis,
//! resumable from a cursor, and the stream machinery under lost and overflowing deliveries.

mod common;

use std::time::Duration;

use catalyst::{
    db::{build_pool, StatementCounter},
    events::{
        bus::{BusEvent, EventBus, Topic},
        log,
        stream::{ProjectEventStream, StreamEnd, StreamItem},
    },
    graphql::ids::decode_id,
};
use common::{
    data,
    redis::PrivateRedis,
    wait::eventually,
    ws::{Event, GraphqlWs},
    TestApp, TestUser,
};
use futures_util::StreamExt;
use serde_json::{json, Value};

const EVENTS: &str = "subscription($projectId: ID!, $after: String) {
  projectEvents(projectId: $projectId, after: $after) {
    cursor kind occurredAt changedFields actor { email }
    task { title status version } member { role user { email } } project { name archived }
  }
}";

async fn socket_for(app: &TestApp, user: &TestUser) -> GraphqlWs {
    GraphqlWs::connect(
        &app.ws_url(),
        json!({ "authorization": format!("Bearer {}", user.access_token) }),
    )
    .await
    .expect("the token is accepted")
}

fn project_uuid(project: &str) -> uuid::Uuid {
    decode_id("Project", "id", &async_graphql::ID(project.to_string())).expect("a project id")
}

/// Subscribes `socket` to the project's events from now, and returns once the server's stream
/// listens on its bus, so a change made next is one the subscriber must see.
async fn subscribe_live(app: &TestApp, socket: &mut GraphqlWs, project: &str) {
    socket
        .subscribe("events", EVENTS, json!({ "projectId": project }))
        .await;
    app.wait_for_subscribers(Topic::Project(project_uuid(project)), 1)
        .await;
}

async fn next_event(socket: &mut GraphqlWs) -> Value {
    let message = socket.next_message().await;
    assert_eq!(message["type"], "next", "{message}");
    assert!(message["payload"].get("errors").is_none(), "{message}");
    message["payload"]["data"]["projectEvents"].clone()
}

async fn rename_task(app: &TestApp, user: &TestUser, task: &Value, version: i64, title: &str) {
    let body = app
        .graphql_as(
            &user.access_token,
            "mutation($id: ID!, $v: Int!, $t: String!) { updateTask(id: $id, expectedVersion: $v, changes: { title: $t }) { version } }",
            json!({ "id": task["id"], "v": version, "t": title }),
        )
        .await;
    data(&body);
}

#[tokio::test]
async fn a_change_on_instance_a_reaches_a_live_subscriber_on_instance_b_through_redis() {
    let instance_a = TestApp::builder().with_redis().spawn().await;
    let instance_b = TestApp::builder()
        .with_redis()
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    let owner = instance_a.register("owner@example.com", "Owner").await;
    let project = instance_a.create_project(&owner, "Shared board").await;

    let mut socket = socket_for(&instance_b, &owner).await;
    subscribe_live(&instance_b, &mut socket, &project).await;

    instance_a
        .create_task(&owner, &project, "Cross-instance", json!({}))
        .await;
    // B's stream was already listening and nothing follows this change: a gap repair needs a
    // later event and a resync a Redis reconnect, so only the live delivery through Redis can
    // bring it.
    let event = next_event(&mut socket).await;
    assert_eq!(event["kind"], "TASK_CREATED");
    assert_eq!(event["task"]["title"], "Cross-instance");
    assert_eq!(event["actor"]["email"], "owner@example.com");
}

#[tokio::test]
async fn a_resubscriber_gets_exactly_what_it_missed_in_order_then_live_events() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;

    let mut socket = socket_for(&app, &owner).await;
    subscribe_live(&app, &mut socket, &project).await;
    let task = app.create_task(&owner, &project, "v1", json!({})).await;
    let seen = next_event(&mut socket).await;
    let cursor = seen["cursor"].as_str().unwrap().to_string();
    socket.close().await;

    for version in 1..=5 {
        rename_task(&app, &owner, &task, version, &format!("v{}", version + 1)).await;
    }

    let mut socket = socket_for(&app, &owner).await;
    socket
        .subscribe(
            "events",
            EVENTS,
            json!({ "projectId": project, "after": cursor }),
        )
        .await;
    let mut replayed = Vec::new();
    for _ in 0..5 {
        let event = next_event(&mut socket).await;
        assert_eq!(event["kind"], "TASK_UPDATED");
        assert_eq!(event["changedFields"], json!(["title"]));
        replayed.push(event["task"]["title"].as_str().unwrap().to_string());
    }
    assert_eq!(replayed, ["v2", "v3", "v4", "v5", "v6"]);

    // Then live, with nothing repeated at the seam.
    rename_task(&app, &owner, &task, 6, "v7").await;
    let live = next_event(&mut socket).await;
    assert_eq!(live["task"]["title"], "v7");
    assert_eq!(live["task"]["version"], 7);
}

#[tokio::test]
async fn members_see_every_kind_of_change_and_a_removed_member_is_cut_off() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let member = app.register("member@example.com", "Member").await;
    let project = app.create_project(&owner, "Board").await;
    app.add_member(&owner, &project, &member, "VIEWER").await;

    let mut socket = socket_for(&app, &member).await;
    subscribe_live(&app, &mut socket, &project).await;

    let task = app.create_task(&owner, &project, "Plan", json!({})).await;
    let body = app
        .graphql_as(
            &owner.access_token,
            "mutation($id: ID!) { moveTask(id: $id, status: DONE) { id } }",
            json!({ "id": task["id"] }),
        )
        .await;
    data(&body);
    let body = app
        .graphql_as(
            &owner.access_token,
            "mutation($id: ID!) { updateProject(id: $id, input: { name: \"Board 2\" }) { id } }",
            json!({ "id": project }),
        )
        .await;
    data(&body);
    let body = app
        .graphql_as(
            &owner.access_token,
            "mutation($p: ID!, $u: ID!) { changeMemberRole(projectId: $p, userId: $u, role: EDITOR) { role } }",
            json!({ "p": project, "u": member.id }),
        )
        .await;
    data(&body);

    let created = next_event(&mut socket).await;
    assert_eq!(
        (created["kind"].as_str(), created["task"]["title"].as_str()),
        (Some("TASK_CREATED"), Some("Plan"))
    );
    let moved = next_event(&mut socket).await;
    assert_eq!(moved["kind"], "TASK_MOVED");
    assert_eq!(moved["task"]["status"], "DONE");
    assert!(moved["changedFields"]
        .as_array()
        .unwrap()
        .contains(&json!("status")));
    let renamed = next_event(&mut socket).await;
    assert_eq!(renamed["kind"], "PROJECT_UPDATED");
    assert_eq!(renamed["project"]["name"], "Board 2");
    assert_eq!(renamed["changedFields"], json!(["name"]));
    let role = next_event(&mut socket).await;
    assert_eq!(role["kind"], "MEMBER_ROLE_CHANGED");
    assert_eq!(
        role["member"],
        json!({ "role": "EDITOR", "user": { "email": "member@example.com" } })
    );
    let cursors: Vec<i64> = [&created, &moved, &renamed, &role]
        .iter()
        .map(|event| event["cursor"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        cursors.windows(2).all(|pair| pair[0] < pair[1]),
        "{cursors:?}"
    );

    let body = app
        .graphql_as(
            &owner.access_token,
            "mutation($p: ID!, $u: ID!) { removeMember(projectId: $p, userId: $u) }",
            json!({ "p": project, "u": member.id }),
        )
        .await;
    data(&body);
    let last = socket.next_message().await;
    assert_eq!(last["type"], "next", "{last}");
    assert_eq!(
        last["payload"]["errors"][0]["extensions"]["code"],
        "FORBIDDEN"
    );
    assert_eq!(socket.next_message().await["type"], "complete");
}

#[tokio::test]
async fn outsiders_cannot_subscribe_and_deleting_the_project_ends_streams() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let outsider = app.register("outsider@example.com", "Outsider").await;
    let project = app.create_project(&owner, "Private").await;

    let mut socket = socket_for(&app, &outsider).await;
    socket
        .subscribe("events", EVENTS, json!({ "projectId": project }))
        .await;
    let refused = socket.next_message().await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );

    // The outsider's refused subscription holds no receiver: the owner's is the one counted.
    let mut socket = socket_for(&app, &owner).await;
    subscribe_live(&app, &mut socket, &project).await;
    let body = app
        .graphql_as(
            &owner.access_token,
            "mutation($id: ID!) { deleteProject(id: $id) }",
            json!({ "id": project }),
        )
        .await;
    data(&body);
    let ended = socket.next_message().await;
    assert_eq!(
        ended["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{ended}"
    );
    match socket.next_event().await {
        Event::Message(message) => assert_eq!(message["type"], "complete"),
        Event::Closed(closed) => panic!("the socket should stay open: {closed:?}"),
    }
}

/// A second "instance" of the stream machinery over the app's database, with its own private
/// in-process bus that the server never publishes to: only what the test publishes arrives.
async fn private_stream_setup(app: &TestApp) -> (catalyst::db::DbPool, EventBus) {
    let pool = build_pool(
        &app.database_url,
        2,
        Duration::from_secs(10),
        StatementCounter::default(),
    )
    .await
    .expect("a pool opens");
    (pool, EventBus::in_process(16))
}

#[tokio::test]
async fn a_stream_fills_a_gap_from_the_log_when_a_delivery_was_lost() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;
    let project_id = decode_id("Project", "id", &async_graphql::ID(project.clone())).unwrap();
    let (pool, bus) = private_stream_setup(&app).await;

    let stream = ProjectEventStream::open(&pool, &bus, project_id, None)
        .await
        .unwrap();
    let mut stream = Box::pin(stream.into_stream());
    for title in ["first", "second", "third"] {
        app.create_task(&owner, &project, title, json!({})).await;
    }
    // Only the third event is "delivered": the first two were lost on the way.
    let mut connection = pool.get().await.unwrap();
    let logged = log::events_after(&mut connection, project_id, 0, None, 10)
        .await
        .unwrap();
    assert_eq!(logged.len(), 3);
    bus.publish(BusEvent::Activity(logged[2].clone().into()));

    let mut titles = Vec::new();
    for _ in 0..3 {
        match tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
        {
            Some(StreamItem::Event(event)) => {
                titles.push(event.payload["task"]["title"].as_str().unwrap().to_string())
            }
            _ => panic!("expected an event"),
        }
    }
    assert_eq!(titles, ["first", "second", "third"]);
    // A duplicate of something already delivered is dropped: the next item is the event
    // published after it.
    bus.publish(BusEvent::Activity(logged[1].clone().into()));
    app.create_task(&owner, &project, "fourth", json!({})).await;
    let fourth = log::events_after(&mut connection, project_id, logged[2].seq, None, 10)
        .await
        .unwrap();
    assert_eq!(fourth.len(), 1);
    bus.publish(BusEvent::Activity(fourth[0].clone().into()));
    match tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
    {
        Some(StreamItem::Event(event)) => assert_eq!(event.seq, fourth[0].seq),
        _ => panic!("expected the fourth event"),
    }
}

#[tokio::test]
async fn a_subscriber_that_falls_too_far_behind_is_cut_off_with_a_reason() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;
    let project_id = decode_id("Project", "id", &async_graphql::ID(project.clone())).unwrap();
    let (pool, bus) = private_stream_setup(&app).await;
    let task = app.create_task(&owner, &project, "t", json!({})).await;
    let mut connection = pool.get().await.unwrap();
    let event = log::events_after(&mut connection, project_id, 0, None, 1)
        .await
        .unwrap()
        .remove(0);

    let stream = ProjectEventStream::open(&pool, &bus, project_id, None)
        .await
        .unwrap();
    let mut stream = Box::pin(stream.into_stream());
    // 40 deliveries into a buffer of 16 that nobody reads.
    for _ in 0..40 {
        bus.publish(BusEvent::Activity(event.clone().into()));
    }
    match tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
    {
        Some(StreamItem::Ended(end)) => assert_eq!(end, StreamEnd::TooSlow),
        _ => panic!("expected the stream to end as too slow"),
    }
    assert!(stream.next().await.is_none());
    let _ = task;
}

#[tokio::test]
async fn events_missed_while_redis_was_down_arrive_when_it_returns() {
    let mut redis = PrivateRedis::start();
    let instance_a = TestApp::builder()
        .env("REDIS_URL", &redis.url())
        .spawn()
        .await;
    let instance_b = TestApp::builder()
        .env("REDIS_URL", &redis.url())
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    let owner = instance_a.register("owner@example.com", "Owner").await;
    let project = instance_a.create_project(&owner, "Resilient").await;
    let mut socket = socket_for(&instance_b, &owner).await;
    subscribe_live(&instance_b, &mut socket, &project).await;

    instance_a
        .create_task(&owner, &project, "before the outage", json!({}))
        .await;
    assert_eq!(
        next_event(&mut socket).await["task"]["title"],
        "before the outage"
    );

    redis.stop();
    eventually(
        "instance B to report Redis down",
        Duration::from_secs(10),
        || async {
            let ready: Value = instance_b
                .client
                .get(instance_b.url("/health/ready"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (ready["components"]["redis"]["status"] == "down").then_some(())
        },
    )
    .await;
    // Committed on A while B cannot hear about it.
    instance_a
        .create_task(&owner, &project, "during the outage", json!({}))
        .await;
    redis.restart();

    // B's bus reconnects, resynchronizes from the log, and the missed event arrives.
    let recovered = next_event(&mut socket).await;
    assert_eq!(recovered["task"]["title"], "during the outage");
    instance_a
        .create_task(&owner, &project, "after the outage", json!({}))
        .await;
    assert_eq!(
        next_event(&mut socket).await["task"]["title"],
        "after the outage"
    );
}

/// Subscribers on both instances, changes made on both, Redis down in the middle: every
/// subscriber sees every event once, in order, while Redis is down (read from the log, at most
/// a poll interval behind) and after it returns (live again).
#[tokio::test]
async fn live_delivery_continues_from_the_log_while_redis_is_down_and_switches_back() {
    let mut redis = PrivateRedis::start();
    let instance_a = TestApp::builder()
        .env("REDIS_URL", &redis.url())
        .spawn()
        .await;
    let instance_b = TestApp::builder()
        .env("REDIS_URL", &redis.url())
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    let owner = instance_a.register("owner@example.com", "Owner").await;
    let project = instance_a.create_project(&owner, "Outage").await;
    let mut on_a = socket_for(&instance_a, &owner).await;
    subscribe_live(&instance_a, &mut on_a, &project).await;
    let mut on_b = socket_for(&instance_b, &owner).await;
    subscribe_live(&instance_b, &mut on_b, &project).await;
    for instance in [&instance_a, &instance_b] {
        instance
            .wait_for_redis_subscription(true, Duration::from_secs(10))
            .await;
    }
    let mut seen_a = Vec::new();
    let mut seen_b = Vec::new();
    let mut round = 0;
    let mut phase = async |label: &str, seen_a: &mut Vec<i64>, seen_b: &mut Vec<i64>| {
        for writer in [&instance_a, &instance_b, &instance_a, &instance_b] {
            round += 1;
            let title = format!("{label} {round}");
            let written = std::time::Instant::now();
            writer
                .create_task(&owner, &project, &title, json!({}))
                .await;
            for (socket, seen) in [(&mut on_a, &mut *seen_a), (&mut on_b, &mut *seen_b)] {
                let event = next_event(socket).await;
                assert_eq!(event["task"]["title"], title, "{event}");
                // The fallback polls every 500 ms; the rest is slack for a loaded machine.
                assert!(
                    written.elapsed() < Duration::from_secs(3),
                    "{title} arrived {:?} after it was written",
                    written.elapsed()
                );
                seen.push(event["cursor"].as_str().unwrap().parse::<i64>().unwrap());
            }
        }
    };
    phase("before the outage", &mut seen_a, &mut seen_b).await;

    redis.stop();
    for instance in [&instance_a, &instance_b] {
        instance
            .wait_for_redis_subscription(false, Duration::from_secs(10))
            .await;
    }
    phase("during the outage", &mut seen_a, &mut seen_b).await;

    redis.restart();
    for instance in [&instance_a, &instance_b] {
        instance
            .wait_for_redis_subscription(true, Duration::from_secs(15))
            .await;
    }
    phase("after the outage", &mut seen_a, &mut seen_b).await;

    // Once each, in order: every change is one more seq, and nothing came twice in between
    // (each phase reads exactly the event it caused next).
    let expected: Vec<i64> = (seen_a[0]..seen_a[0] + 12).collect();
    assert_eq!(seen_a, expected);
    assert_eq!(seen_b, expected);
}
