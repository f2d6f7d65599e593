//! GraphQL over Server-Sent Events (graphql-sse) on `/graphql`, through the real server with a
//! real SSE client: both modes, `id:` = the event's cursor and `Last-Event-ID` resuming exactly
//! after it (on another instance too), keep-alive comments, and the same authentication and
//! limits as the other transports.

mod common;

use catalyst::{events::bus::Topic, graphql::ids::decode_id};
use common::{
    data,
    sse::{Block, SseEvent, SseStream},
    TestApp, TestUser,
};
use serde_json::{json, Value};

const EVENTS: &str = "subscription($projectId: ID!, $after: String) {
  projectEvents(projectId: $projectId, after: $after) { cursor kind task { title } }
}";

fn project_topic(project: &str) -> Topic {
    Topic::Project(
        decode_id("Project", "id", &async_graphql::ID(project.to_string())).expect("a project id"),
    )
}

/// A distinct-mode subscription to the project's events, open and listening once this returns.
async fn follow_project(
    app: &TestApp,
    user: &TestUser,
    project: &str,
    last_event_id: Option<&str>,
    listeners: usize,
) -> SseStream {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&user.access_token)
        .json(&json!({ "query": EVENTS, "variables": { "projectId": project } }));
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let stream = SseStream::open(request).await;
    app.wait_for_subscribers(project_topic(project), listeners)
        .await;
    stream
}

/// The next `next` event of a distinct-mode project stream: its SSE id and the event.
async fn next_project_event(stream: &mut SseStream) -> (Option<String>, Value) {
    let event = stream.next_event().await;
    assert_eq!(event.event, "next", "{event:?}");
    let body = event.json();
    assert!(body.get("errors").is_none(), "{body}");
    (event.id.clone(), body["data"]["projectEvents"].clone())
}

async fn titles_and_ids(stream: &mut SseStream, count: usize) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for _ in 0..count {
        let (id, event) = next_project_event(stream).await;
        let id = id.expect("every event of a resumable subscription carries an id");
        assert_eq!(Some(id.as_str()), event["cursor"].as_str(), "id = cursor");
        seen.push((event["task"]["title"].as_str().unwrap().to_string(), id));
    }
    seen
}

#[tokio::test]
async fn distinct_mode_streams_subscription_events_with_their_cursor_as_id() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;

    let mut stream = follow_project(&app, &owner, &project, None, 1).await;
    for title in ["one", "two"] {
        app.create_task(&owner, &project, title, json!({})).await;
    }
    let seen = titles_and_ids(&mut stream, 2).await;
    assert_eq!(seen[0].0, "one");
    assert_eq!(seen[1].0, "two");
    assert!(seen[0].1.parse::<i64>().unwrap() < seen[1].1.parse::<i64>().unwrap());
}

#[tokio::test]
async fn distinct_mode_streams_share_one_cleartext_http2_connection() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;
    // Prior knowledge (h2c): the client speaks HTTP/2 from its first byte, on one connection.
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let mut streams = Vec::new();
    for listeners in 1..=3 {
        let request = client
            .post(app.url("/graphql"))
            .bearer_auth(&owner.access_token)
            .json(&json!({ "query": EVENTS, "variables": { "projectId": project } }));
        let stream = SseStream::open(request).await;
        assert_eq!(stream.version(), reqwest::Version::HTTP_2);
        app.wait_for_subscribers(project_topic(&project), listeners)
            .await;
        streams.push(stream);
    }
    app.create_task(&owner, &project, "one", json!({})).await;
    for stream in &mut streams {
        let seen = titles_and_ids(stream, 1).await;
        assert_eq!(seen[0].0, "one");
    }
    // Ending one stream leaves the others on the connection streaming.
    drop(streams.pop());
    app.create_task(&owner, &project, "two", json!({})).await;
    for stream in &mut streams {
        assert_eq!(titles_and_ids(stream, 1).await[0].0, "two");
    }
}

/// A bare HTTP/1.1 connection, read byte for byte as a proxy's upstream connection would be.
struct Http1Connection {
    stream: tokio::net::TcpStream,
    received: Vec<u8>,
}

impl Http1Connection {
    async fn open(app: &TestApp) -> Self {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
            .await
            .expect("the server accepts");
        Http1Connection {
            stream,
            received: Vec::new(),
        }
    }

    async fn send(&mut self, request: &str) {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(request.as_bytes()).await.unwrap();
    }

    /// Everything up to and including the next `needle`; panics if it does not come in time.
    async fn read_through(&mut self, needle: &str) -> String {
        use tokio::io::AsyncReadExt;
        loop {
            if let Some(at) = self
                .received
                .windows(needle.len())
                .position(|window| window == needle.as_bytes())
            {
                let taken: Vec<u8> = self.received.drain(..at + needle.len()).collect();
                return String::from_utf8(taken).expect("UTF-8");
            }
            let mut buffer = [0u8; 4096];
            let read = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                self.stream.read(&mut buffer),
            )
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in time; got {:?}", self.received_text()))
            .expect("the connection reads");
            assert!(
                read > 0,
                "the connection closed before {needle:?}; got {:?}",
                self.received_text()
            );
            self.received.extend_from_slice(&buffer[..read]);
        }
    }

    /// Whether the server closes the connection with nothing more to read.
    async fn closes(&mut self) -> bool {
        use tokio::io::AsyncReadExt;
        let mut rest = Vec::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            self.stream.read_to_end(&mut rest),
        )
        .await;
        matches!(read, Ok(Ok(0))) && self.received.is_empty()
    }

    fn received_text(&self) -> String {
        String::from_utf8_lossy(&self.received).into_owned()
    }
}

fn post_request(app: &TestApp, token: &str, body: &Value) -> String {
    let body = body.to_string();
    format!(
        "POST /graphql HTTP/1.1\r\nhost: 127.0.0.1:{}\r\nauthorization: Bearer {token}\r\n\
         accept: text/event-stream\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        app.port,
        body.len()
    )
}

#[tokio::test]
async fn over_http1_a_subscription_streams_chunked_and_its_connection_closes_with_it() {
    let mut app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;
    let subscribe = json!({ "query": EVENTS, "variables": { "projectId": project } });

    let mut left = Http1Connection::open(&app).await;
    left.send(&post_request(&app, &owner.access_token, &subscribe))
        .await;
    let head = left.read_through("\r\n\r\n").await.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    for expected in [
        "content-type: text/event-stream",
        "transfer-encoding: chunked",
        "connection: close",
        "x-request-id: ",
        "x-content-type-options: nosniff",
        "date: ",
    ] {
        assert!(head.contains(expected), "{expected} in {head}");
    }
    let mut stays = Http1Connection::open(&app).await;
    stays
        .send(&post_request(&app, &owner.access_token, &subscribe))
        .await;
    stays.read_through("\r\n\r\n").await;
    app.wait_for_subscribers(project_topic(&project), 2).await;
    assert_eq!(detached_streams(&app).await, 2.0);

    app.create_task(&owner, &project, "one", json!({})).await;
    for connection in [&mut left, &mut stays] {
        connection.read_through("event: next").await;
        let event = connection.read_through("\n\n").await;
        assert!(event.contains(r#""title":"one""#), "{event}");
    }
    // The client leaving is seen on the bare socket: its subscription stops listening.
    drop(left);
    common::wait::eventually(
        "the stream whose client left to stop listening",
        std::time::Duration::from_secs(10),
        || async { (app_subscribers(&app, &project) == 1).then_some(()) },
    )
    .await;
    common::wait::eventually(
        "the stream whose client left to leave the gauge",
        std::time::Duration::from_secs(10),
        || async { (detached_streams(&app).await == 1.0).then_some(()) },
    )
    .await;
    // A stopping server ends the stream with the final chunk, then closes the connection.
    app.stop().await;
    stays.read_through("0\r\n\r\n").await;
    assert!(stays.closes().await, "{}", stays.received_text());
}

/// The `/metrics` gauge of SSE streams written off hyper.
async fn detached_streams(app: &TestApp) -> f64 {
    app.metrics()
        .await
        .lines()
        .find(|line| line.starts_with("http1_event_streams_open"))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn over_http1_a_query_stream_keeps_its_connection_for_the_next_request() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let mut connection = Http1Connection::open(&app).await;
    for _ in 0..2 {
        connection
            .send(&post_request(
                &app,
                &owner.access_token,
                &json!({ "query": "{ me { email } }" }),
            ))
            .await;
        let head = connection
            .read_through("\r\n\r\n")
            .await
            .to_ascii_lowercase();
        assert!(!head.contains("connection: close"), "{head}");
        let body = connection.read_through("event: complete").await;
        assert!(body.contains("owner@example.com"), "{body}");
        connection.read_through("0\r\n\r\n").await;
    }
    assert_eq!(detached_streams(&app).await, 0.0);
}

#[tokio::test]
async fn a_query_over_get_streams_one_result_then_complete() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let request = app
        .client
        .get(app.url("/graphql?query=%7B%20me%20%7B%20email%20%7D%20%7D"))
        .bearer_auth(&owner.access_token);
    let mut stream = SseStream::open(request).await;
    let next = stream.next_event().await;
    assert_eq!(next.event, "next");
    assert_eq!(next.id, None, "a query is not resumable");
    assert_eq!(data(&next.json())["me"]["email"], "owner@example.com");
    let complete = stream.next_event().await;
    assert_eq!(complete.event, "complete");
    assert!(stream.ends().await);
}

#[tokio::test]
async fn a_stream_cut_after_three_events_resumes_on_another_instance_exactly_after_its_last_event_id(
) {
    let instance_a = TestApp::builder().with_redis().spawn().await;
    let instance_b = TestApp::builder()
        .with_redis()
        .sharing_database_of(&instance_a)
        .spawn()
        .await;
    let owner = instance_a.register("owner@example.com", "Owner").await;
    let project = instance_a.create_project(&owner, "Board").await;

    let mut stream = follow_project(&instance_a, &owner, &project, None, 1).await;
    for title in ["e1", "e2", "e3"] {
        instance_a
            .create_task(&owner, &project, title, json!({}))
            .await;
    }
    let first = titles_and_ids(&mut stream, 3).await;
    drop(stream);
    // Missed while disconnected.
    for title in ["e4", "e5"] {
        instance_a
            .create_task(&owner, &project, title, json!({}))
            .await;
    }

    let last_id = first[2].1.clone();
    let mut resumed = follow_project(&instance_b, &owner, &project, Some(&last_id), 1).await;
    let replayed = titles_and_ids(&mut resumed, 2).await;
    // Live, made on the other instance: through Redis, after the replay.
    instance_a
        .create_task(&owner, &project, "e6", json!({}))
        .await;
    let live = titles_and_ids(&mut resumed, 1).await;

    let titles: Vec<&str> = first
        .iter()
        .chain(&replayed)
        .chain(&live)
        .map(|(title, _)| title.as_str())
        .collect();
    assert_eq!(titles, ["e1", "e2", "e3", "e4", "e5", "e6"]);
    let ids: Vec<i64> = first
        .iter()
        .chain(&replayed)
        .chain(&live)
        .map(|(_, id)| id.parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
}

#[tokio::test]
async fn last_event_id_overrides_the_after_argument_the_client_first_sent() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;
    for title in ["a", "b", "c"] {
        app.create_task(&owner, &project, title, json!({})).await;
    }
    let history = app
        .graphql_as(
            &owner.access_token,
            "query($id: ID!) { project(id: $id) { activity(first: 10) { edges { node { cursor task { title } } } } } }",
            json!({ "id": project }),
        )
        .await;
    let edges = data(&history)["project"]["activity"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let cursor_of = |title: &str| {
        edges
            .iter()
            .find(|edge| edge["node"]["task"]["title"] == title)
            .and_then(|edge| edge["node"]["cursor"].as_str())
            .unwrap()
            .to_string()
    };
    let request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&owner.access_token)
        .header("last-event-id", cursor_of("b"))
        .json(&json!({ "query": EVENTS, "variables": { "projectId": project, "after": "0" } }));
    let mut stream = SseStream::open(request).await;
    let replayed = titles_and_ids(&mut stream, 1).await;
    assert_eq!(replayed[0].0, "c");
}

#[tokio::test]
async fn single_connection_mode_reserves_streams_runs_and_stops_operations() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let stranger = app.register("stranger@example.com", "Stranger").await;
    let project = app.create_project(&owner, "Board").await;

    let reservation = app
        .client
        .put(app.url("/graphql"))
        .bearer_auth(&owner.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(reservation.status(), 201);
    let token = reservation.text().await.unwrap();

    let mut stream = SseStream::open(
        app.client
            .get(app.url("/graphql"))
            .bearer_auth(&owner.access_token)
            .header("x-graphql-event-stream-token", &token),
    )
    .await;
    let second = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/event-stream")
        .header("x-graphql-event-stream-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 409, "one stream per reservation");

    let operation = |user: &TestUser, id: &str| {
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&user.access_token)
            .header("x-graphql-event-stream-token", &token)
            .json(&json!({
                "query": EVENTS,
                "variables": { "projectId": project },
                "extensions": { "operationId": id },
            }))
            .send()
    };
    let refused = operation(&stranger, "theirs").await.unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");

    assert_eq!(operation(&owner, "events").await.unwrap().status(), 202);
    app.wait_for_subscribers(project_topic(&project), 1).await;
    let me = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&owner.access_token)
        .header("x-graphql-event-stream-token", &token)
        .json(&json!({ "query": "{ me { email } }", "extensions": { "operationId": "me" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 202);
    app.create_task(&owner, &project, "via single stream", json!({}))
        .await;

    // The two operations interleave on the one stream; each message names its operation.
    let mut seen: Vec<SseEvent> = Vec::new();
    while seen.len() < 3 {
        seen.push(stream.next_event().await);
    }
    let of = |id: &str, kind: &str| {
        seen.iter()
            .find(|event| event.event == kind && event.json()["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} of {id} in {seen:?}"))
    };
    let me_result = of("me", "next").json();
    assert_eq!(
        me_result["payload"]["data"]["me"]["email"],
        "owner@example.com"
    );
    of("me", "complete");
    let event = of("events", "next");
    let payload = &event.json()["payload"]["data"]["projectEvents"];
    assert_eq!(payload["task"]["title"], "via single stream");
    assert_eq!(event.id.as_deref(), payload["cursor"].as_str());

    let stopped = app
        .client
        .delete(app.url("/graphql?operationId=events"))
        .bearer_auth(&owner.access_token)
        .header("x-graphql-event-stream-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(stopped.status(), 200);
    let complete = stream.next_event().await;
    assert_eq!(complete.event, "complete");
    assert_eq!(complete.json()["id"], "events");
    common::wait::eventually(
        "the stopped operation to stop listening",
        std::time::Duration::from_secs(10),
        || async { (app_subscribers(&app, &project) == 0).then_some(()) },
    )
    .await;
}

fn app_subscribers(app: &TestApp, project: &str) -> usize {
    app.subscriber_count(project_topic(project))
}

#[tokio::test]
async fn idle_streams_get_keep_alive_comments() {
    let app = TestApp::builder()
        .env("SSE_KEEP_ALIVE_SECONDS", "1")
        .spawn()
        .await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;
    let mut stream = follow_project(&app, &owner, &project, None, 1).await;
    let mut comments = 0;
    while comments < 3 {
        match stream.next_block().await {
            Some(Block::Comment) => comments += 1,
            other => panic!("expected only keep-alive comments on an idle stream, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn sse_takes_credentials_from_the_header_only_and_refuses_bad_ones_like_http() {
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;

    let forged = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "text/event-stream")
        .bearer_auth("not-a-token")
        .json(&json!({ "query": EVENTS, "variables": { "projectId": project } }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // A token in the URL is not a credential: the request is anonymous.
    let url = app.url(&format!(
        "/graphql?access_token={}&token={}",
        owner.access_token, owner.access_token
    ));
    let mut stream = SseStream::open(
        app.client
            .post(url)
            .json(&json!({ "query": EVENTS, "variables": { "projectId": project } })),
    )
    .await;
    let refused = stream.next_event().await;
    assert_eq!(refused.event, "next");
    assert_eq!(
        refused.json()["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    assert_eq!(stream.next_event().await.event, "complete");
}

#[tokio::test]
async fn a_single_stream_runs_no_more_operations_than_a_websocket() {
    let app = TestApp::builder()
        .env("WS_MAX_SUBSCRIPTIONS", "1")
        .spawn()
        .await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;
    let token = app
        .client
        .put(app.url("/graphql"))
        .bearer_auth(&owner.access_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let operation = |id: &str| {
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&owner.access_token)
            .header("x-graphql-event-stream-token", &token)
            .json(&json!({ "query": EVENTS, "variables": { "projectId": project }, "extensions": { "operationId": id } }))
            .send()
    };
    assert_eq!(operation("first").await.unwrap().status(), 202);
    let refused = operation("second").await.unwrap();
    assert_eq!(refused.status(), 429);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["limit"], "maxSubscriptions");
}

fn sse_client_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sse-client")
}

/// `npm ci` when the locked client is not there yet (a fresh clone); `.ci/run` runs it too.
fn install_sse_client() {
    if sse_client_dir().join("node_modules/graphql-sse").is_dir() {
        return;
    }
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(sse_client_dir())
        .status()
        .expect("npm runs (Node 20 is required for this test)");
    assert!(status.success(), "npm ci in tests/sse-client failed");
}

#[tokio::test]
async fn the_graphql_sse_npm_client_works_in_both_modes() {
    install_sse_client();
    let app = TestApp::spawn().await;
    let owner = app.register("owner@example.com", "Owner").await;
    let project = app.create_project(&owner, "Board").await;
    let output = tokio::task::spawn_blocking({
        let (origin, token, email) = (
            app.address.clone(),
            owner.access_token.clone(),
            owner.email.clone(),
        );
        move || {
            std::process::Command::new("node")
                .arg("sse-client.mjs")
                .current_dir(sse_client_dir())
                .env("ORIGIN", origin)
                .env("TOKEN", token)
                .env("EMAIL", email)
                .env("PROJECT_ID", project)
                .output()
                .expect("node runs (Node 20 is required for this test)")
        }
    })
    .await
    .expect("the client script's thread finishes");
    assert!(
        output.status.success(),
        "the graphql-sse client failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
