//! The chaos suite: two real `catalyst` processes over one database of this test's own and a
//! Redis of its own, four writers and four subscribers (two on each instance) running while
//! Redis is killed and restarted, every PostgreSQL connection of the instances is terminated
//! and new ones are refused for a few seconds, and one instance is killed with SIGKILL and
//! started again. Then it checks what a client was promised: every write acknowledged is in
//! the database exactly once; every subscriber, resuming by cursor whenever it had to
//! reconnect, received every committed event once and in order; every error has a code; and
//! the only 5xx is the documented 503. It prints what it did, for the record.

mod common;

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use catalyst::graphql::ids::decode_id;
use common::{
    data, database_faults, process::Instance, redis::PrivateRedis, wait::eventually, TestDatabase,
    TestUser, CREATE_TASK,
};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

const WRITERS: usize = 4;
const SUBSCRIBERS_PER_INSTANCE: usize = 2;
/// How long load runs before, between and after the faults: enough writes land in each phase
/// for every switch (Redis to log and back, a dead pool, a dead instance) to be crossed live.
const PHASE: Duration = Duration::from_secs(6);
/// How long the database refuses connections: longer than the pool's checkout timeout (5 s),
/// so requests that arrive in the window wait it out and are answered 503.
const REFUSAL: Duration = Duration::from_secs(6);
/// A writer's pause between writes: load, not a flood on a shared machine.
const WRITE_PACE: Duration = Duration::from_millis(40);

const EVENTS: &str = "subscription($projectId: ID!, $after: String) {
  projectEvents(projectId: $projectId, after: $after) { cursor kind } }";

/// What every HTTP answer is checked against, and what the run counts.
#[derive(Default)]
struct Tally {
    attempted: AtomicU64,
    acknowledged: AtomicU64,
    unavailable: AtomicU64,
    /// No answer: the instance was down or died mid-request; the write may or may not exist.
    unanswered: AtomicU64,
    violations: Mutex<Vec<String>>,
    acked_titles: Mutex<Vec<String>>,
}

impl Tally {
    fn violation(&self, what: String) {
        self.violations.lock().unwrap().push(what);
    }
}

/// Every error in a body has a code; returns the codes.
fn error_codes(body: &Value) -> Result<Vec<String>, String> {
    let Some(errors) = body.get("errors") else {
        return Ok(Vec::new());
    };
    errors
        .as_array()
        .ok_or_else(|| format!("`errors` is not a list: {body}"))?
        .iter()
        .map(|error| {
            error["extensions"]["code"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("an error without a code: {error}"))
        })
        .collect()
}

async fn writer(
    number: usize,
    user: TestUser,
    project: String,
    urls: [String; 2],
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("an HTTP client");
    let mut sequence = 0u64;
    while !stop.load(Ordering::Relaxed) {
        sequence += 1;
        // Each attempt has a title of its own, so "exactly once" is a count of that title.
        let title = format!("writer {number} write {sequence}");
        let url = &urls[(number + sequence as usize) % 2];
        tally.attempted.fetch_add(1, Ordering::Relaxed);
        let sent = client
            .post(format!("{url}/graphql"))
            .bearer_auth(&user.access_token)
            .json(&json!({ "query": CREATE_TASK,
                "variables": { "input": { "projectId": project, "title": title } } }))
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(_) => {
                tally.unanswered.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(WRITE_PACE).await;
                continue;
            }
        };
        let status = response.status().as_u16();
        let retry_after = response.headers().contains_key("retry-after");
        let body: Value = match response.json().await {
            Ok(body) => body,
            Err(_) => {
                // The instance died while sending the answer.
                tally.unanswered.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let codes = match error_codes(&body) {
            Ok(codes) => codes,
            Err(violation) => {
                tally.violation(format!("{status}: {violation}"));
                continue;
            }
        };
        match status {
            200 if codes.is_empty() && body["data"]["createTask"]["title"] == title.as_str() => {
                tally.acknowledged.fetch_add(1, Ordering::Relaxed);
                tally.acked_titles.lock().unwrap().push(title);
            }
            503 if codes.iter().all(|code| code == "SERVICE_UNAVAILABLE")
                && retry_after
                && body["errors"][0]["extensions"]["requestId"].is_string() =>
            {
                tally.unavailable.fetch_add(1, Ordering::Relaxed);
            }
            other => tally.violation(format!("createTask answered {other}: {body}")),
        }
        tokio::time::sleep(WRITE_PACE).await;
    }
}

/// Reads the project and each instance's readiness, over and over, alternating instances:
/// every answer must be 200 or the documented 503, with a code on every error.
async fn reader(
    urls: [String; 2],
    token: String,
    project: String,
    statuses: Arc<Mutex<BTreeMap<(&'static str, u16), u64>>>,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("an HTTP client");
    let query = "query($id: ID!) { project(id: $id) { name tasks(first: 5) { edges { node { title } } } } }";
    let mut round = 0usize;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let url = &urls[round % 2];
        if let Ok(response) = client.get(format!("{url}/health/ready")).send().await {
            let status = response.status().as_u16();
            *statuses
                .lock()
                .unwrap()
                .entry(("ready", status))
                .or_default() += 1;
            if !matches!(status, 200 | 503) {
                tally.violation(format!("/health/ready answered {status}"));
            }
        }
        let sent = client
            .post(format!("{url}/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": query, "variables": { "id": project } }))
            .send()
            .await;
        if let Ok(response) = sent {
            let status = response.status().as_u16();
            *statuses
                .lock()
                .unwrap()
                .entry(("query", status))
                .or_default() += 1;
            let body: Value = response.json().await.unwrap_or(Value::Null);
            match (status, error_codes(&body)) {
                (_, Err(violation)) => tally.violation(format!("{status}: {violation}")),
                (200, Ok(codes)) if codes.is_empty() => {}
                (503, Ok(codes)) if codes.iter().all(|code| code == "SERVICE_UNAVAILABLE") => {}
                (_, Ok(_)) => {
                    tally.violation(format!("the project query answered {status}: {body}"))
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What one subscriber received, in order, across all its connections.
#[derive(Default)]
struct Received {
    seqs: Vec<i64>,
    connections: u64,
    /// Errors delivered on the subscription (each with its code).
    error_codes: Vec<String>,
}

/// One connection's events, until it ends for whatever reason.
async fn follow_once(
    url: &str,
    token: &str,
    project: &str,
    received: &Mutex<Received>,
    tally: &Tally,
    stop: &AtomicBool,
) {
    let mut request = url.into_client_request().expect("a ws url");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let Ok(Ok((mut socket, _))) = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(request),
    )
    .await
    else {
        return;
    };
    // From the project's first event on the first connection; after the last one seen later.
    let after = received
        .lock()
        .unwrap()
        .seqs
        .last()
        .map_or("0".to_string(), i64::to_string);
    let init = json!({ "type": "connection_init",
        "payload": { "authorization": format!("Bearer {token}") } });
    let subscribe = json!({ "id": "events", "type": "subscribe",
        "payload": { "query": EVENTS, "variables": { "projectId": project, "after": after } } });
    if socket
        .send(Message::Text(init.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    received.lock().unwrap().connections += 1;
    loop {
        let frame = tokio::select! {
            frame = tokio::time::timeout(Duration::from_secs(5), socket.next()) => frame,
        };
        if stop.load(Ordering::Relaxed) {
            let _ = socket.close(None).await;
            return;
        }
        let text = match frame {
            // Quiet is fine (nobody writes during a database outage); keep listening.
            Err(_) => continue,
            Ok(Some(Ok(Message::Text(text)))) => text,
            Ok(Some(Ok(Message::Close(frame)))) => {
                let code: u16 = frame.map_or(1005, |frame| frame.code.into());
                // Server restarts say 1012, an unreachable database 1013; nothing else is due.
                if !matches!(code, 1012 | 1013) {
                    tally.violation(format!("the subscription socket closed with {code}"));
                }
                return;
            }
            Ok(Some(Ok(_))) => continue,
            // The instance was killed.
            Ok(Some(Err(_)) | None) => return,
        };
        let Ok(message) = serde_json::from_str::<Value>(&text) else {
            tally.violation(format!("a WebSocket message that is not JSON: {text}"));
            return;
        };
        match message["type"].as_str() {
            Some("connection_ack") => {
                if socket
                    .send(Message::Text(subscribe.to_string().into()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Some("ping") => {
                let _ = socket
                    .send(Message::Text(json!({ "type": "pong" }).to_string().into()))
                    .await;
            }
            Some("next") => {
                let payload = &message["payload"];
                match error_codes(payload) {
                    Ok(codes) if !codes.is_empty() => {
                        received.lock().unwrap().error_codes.extend(codes);
                        continue;
                    }
                    Ok(_) => {}
                    Err(violation) => {
                        tally.violation(violation);
                        continue;
                    }
                }
                let cursor = payload["data"]["projectEvents"]["cursor"]
                    .as_str()
                    .and_then(|cursor| cursor.parse::<i64>().ok());
                match cursor {
                    Some(seq) => received.lock().unwrap().seqs.push(seq),
                    None => tally.violation(format!("an event without a cursor: {message}")),
                }
            }
            Some("error") => {
                match error_codes(&json!({ "errors": message["payload"] })) {
                    Ok(codes) => received.lock().unwrap().error_codes.extend(codes),
                    Err(violation) => tally.violation(violation),
                }
                return;
            }
            Some("complete") => return,
            _ => tally.violation(format!("an unexpected WebSocket message: {message}")),
        }
    }
}

/// Follows the project's events until `stop`, reconnecting (to its own instance first, then
/// the other) with `after:` its last cursor whenever a connection ends.
async fn subscriber(
    home: usize,
    urls: [String; 2],
    token: String,
    project: String,
    received: Arc<Mutex<Received>>,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let mut attempt = 0;
    while !stop.load(Ordering::Relaxed) {
        let url = &urls[(home + attempt) % 2];
        follow_once(url, &token, &project, &received, &tally, &stop).await;
        attempt += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn register(base: &str, email: &str) -> TestUser {
    let client = reqwest::Client::new();
    let body: Value = client
        .post(format!("{base}/graphql"))
        .json(
            &json!({ "query": common::REGISTER, "variables": { "input": {
            "email": email, "password": common::STRONG_PASSWORD, "displayName": email } } }),
        )
        .send()
        .await
        .expect("register answers")
        .json()
        .await
        .expect("JSON");
    let payload = &data(&body)["register"];
    TestUser {
        id: payload["user"]["id"].as_str().unwrap().to_string(),
        email: email.to_string(),
        access_token: payload["accessToken"].as_str().unwrap().to_string(),
        refresh_token: payload["refreshToken"].as_str().unwrap().to_string(),
    }
}

async fn graphql(base: &str, token: &str, query: &str, variables: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the instance answers")
        .json()
        .await
        .expect("JSON")
}

#[derive(diesel::QueryableByName)]
struct Seq {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
}

#[derive(diesel::QueryableByName)]
struct TitleCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    count: i64,
}

/// The project's committed event seqs, in order, and how often each task title is stored.
async fn read_committed(
    database_url: &str,
    project_id: uuid::Uuid,
) -> (Vec<i64>, HashMap<String, i64>) {
    use diesel_async::RunQueryDsl;
    let mut connection = AsyncPgConnection::establish(database_url)
        .await
        .expect("the test reads its database");
    let committed: Vec<i64> =
        diesel::sql_query("SELECT seq FROM activity_log WHERE project_id = $1 ORDER BY seq")
            .bind::<diesel::sql_types::Uuid, _>(project_id)
            .load::<Seq>(&mut connection)
            .await
            .expect("the log is readable")
            .into_iter()
            .map(|row| row.seq)
            .collect();
    let titles: HashMap<String, i64> = diesel::sql_query(
        "SELECT title, count(*) AS count FROM tasks WHERE project_id = $1 GROUP BY title",
    )
    .bind::<diesel::sql_types::Uuid, _>(project_id)
    .load::<TitleCount>(&mut connection)
    .await
    .expect("tasks are readable")
    .into_iter()
    .map(|row| (row.title, row.count))
    .collect();
    (committed, titles)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_and_events_survive_redis_postgres_and_instance_failures() {
    let began = Instant::now();
    let database = TestDatabase::create().await;
    let mut redis = PrivateRedis::start();
    let prefix = format!("chaos:{}:", uuid::Uuid::new_v4().simple());
    let mut instances = [
        Instance::new(&database.url, &redis.url(), &prefix),
        Instance::new(&database.url, &redis.url(), &prefix),
    ];
    for instance in &mut instances {
        instance.start().await;
    }
    let urls = [instances[0].url(), instances[1].url()];
    let ws_urls = [instances[0].ws_url(), instances[1].ws_url()];

    let owner = register(&urls[0], "owner@example.com").await;
    let created = graphql(
        &urls[0],
        &owner.access_token,
        common::CREATE_PROJECT,
        json!({ "input": { "name": "Chaos" } }),
    )
    .await;
    let project = data(&created)["createProject"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut writers = Vec::new();
    for number in 0..WRITERS {
        let user = register(&urls[number % 2], &format!("writer{number}@example.com")).await;
        let added = graphql(
            &urls[0],
            &owner.access_token,
            common::ADD_MEMBER,
            json!({ "projectId": project, "email": user.email, "role": "EDITOR" }),
        )
        .await;
        data(&added);
        writers.push(user);
    }

    let tally = Arc::new(Tally::default());
    let stop_subscribers = Arc::new(AtomicBool::new(false));
    let mut followers = Vec::new();
    let mut subscriber_tasks = Vec::new();
    for home in 0..2 {
        for _ in 0..SUBSCRIBERS_PER_INSTANCE {
            let received = Arc::new(Mutex::new(Received::default()));
            followers.push((home, received.clone()));
            subscriber_tasks.push(tokio::spawn(subscriber(
                home,
                ws_urls.clone(),
                owner.access_token.clone(),
                project.clone(),
                received,
                tally.clone(),
                stop_subscribers.clone(),
            )));
        }
    }
    let stop_writers = Arc::new(AtomicBool::new(false));
    let statuses = Arc::new(Mutex::new(BTreeMap::new()));
    let reader_task = tokio::spawn(reader(
        urls.clone(),
        owner.access_token.clone(),
        project.clone(),
        statuses.clone(),
        tally.clone(),
        stop_writers.clone(),
    ));
    let writer_tasks: Vec<_> = writers
        .into_iter()
        .enumerate()
        .map(|(number, user)| {
            tokio::spawn(writer(
                number,
                user,
                project.clone(),
                urls.clone(),
                tally.clone(),
                stop_writers.clone(),
            ))
        })
        .collect();

    // The faults, one after another, each with load running before and after it. These waits
    // are the scenario's timeline, not synchronisation: whatever happens in them is checked.
    let mut faults = BTreeMap::<&str, i64>::new();
    tokio::time::sleep(PHASE).await;

    redis.stop();
    *faults.entry("redis killed").or_default() += 1;
    tokio::time::sleep(PHASE).await;
    redis.restart();
    tokio::time::sleep(PHASE).await;

    let terminated = database_faults::take_down(&database.name).await;
    *faults.entry("database connections terminated").or_default() += terminated;
    *faults.entry("database refusals").or_default() += 1;
    tokio::time::sleep(REFUSAL).await;
    database_faults::restore(&database.name).await;
    tokio::time::sleep(PHASE).await;

    instances[1].kill();
    *faults.entry("instance killed (SIGKILL)").or_default() += 1;
    tokio::time::sleep(PHASE / 2).await;
    instances[1].start().await;
    tokio::time::sleep(PHASE).await;

    stop_writers.store(true, Ordering::Relaxed);
    for task in writer_tasks {
        task.await.expect("a writer ends");
    }
    reader_task.await.expect("the reader ends");

    // Everything committed, from the database itself.
    let project_id =
        decode_id("Project", "id", &async_graphql::ID(project.clone())).expect("a project id");
    let (committed, titles) = read_committed(&database.url, project_id).await;

    // Every subscriber catches up with the log, however many reconnects it took.
    let last = *committed.last().expect("the project has events");
    eventually(
        "every subscriber to reach the last committed event",
        Duration::from_secs(30),
        || async {
            followers
                .iter()
                .all(|(_, received)| received.lock().unwrap().seqs.last() >= Some(&last))
                .then_some(())
        },
    )
    .await;
    stop_subscribers.store(true, Ordering::Relaxed);
    for task in subscriber_tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }

    let acked = tally.acked_titles.lock().unwrap().clone();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|title| !titles.contains_key(*title))
        .collect();
    let doubled: Vec<(&String, &i64)> = titles.iter().filter(|(_, count)| **count > 1).collect();
    let mut delivered = 0;
    let mut reconnects = 0;
    let mut stream_errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut divergences = Vec::new();
    for (index, (home, received)) in followers.iter().enumerate() {
        let received = received.lock().unwrap();
        if received.seqs != committed {
            let at = received
                .seqs
                .iter()
                .zip(&committed)
                .position(|(got, want)| got != want)
                .unwrap_or(received.seqs.len().min(committed.len()));
            divergences.push(format!(
                "subscriber {index} (on instance {home}) got {} events for {} committed; from \
                 position {at} it got {:?}, the log has {:?}",
                received.seqs.len(),
                committed.len(),
                &received.seqs[at..(at + 5).min(received.seqs.len())],
                &committed[at..(at + 5).min(committed.len())],
            ));
        }
        delivered += received.seqs.len();
        reconnects += received.connections.saturating_sub(1);
        for code in &received.error_codes {
            *stream_errors.entry(code.clone()).or_default() += 1;
        }
    }
    let violations = tally.violations.lock().unwrap().clone();
    println!(
        "chaos: {:.1} s; writes attempted {}, acknowledged {}, 503 {}, unanswered {}; \
         tasks stored {}; events committed {}, delivered {} to {} subscribers ({} reconnects; \
         stream errors {:?}); reads and readiness by status {:?}; faults {:?}",
        began.elapsed().as_secs_f64(),
        tally.attempted.load(Ordering::Relaxed),
        tally.acknowledged.load(Ordering::Relaxed),
        tally.unavailable.load(Ordering::Relaxed),
        tally.unanswered.load(Ordering::Relaxed),
        titles.len(),
        committed.len(),
        delivered,
        followers.len(),
        reconnects,
        stream_errors,
        statuses.lock().unwrap(),
        faults,
    );
    assert!(
        divergences.is_empty(),
        "every subscriber receives every committed event once, in order: {divergences:#?}"
    );
    assert!(
        violations.is_empty(),
        "{} violations: {violations:#?}",
        violations.len()
    );
    assert!(lost.is_empty(), "acknowledged writes missing: {lost:?}");
    assert!(doubled.is_empty(), "writes stored twice: {doubled:?}");
    assert!(
        stream_errors
            .keys()
            .all(|code| code == "SERVICE_UNAVAILABLE"),
        "subscriptions failed only for the unreachable database: {stream_errors:?}"
    );
    assert!(
        tally.acknowledged.load(Ordering::Relaxed) > 100,
        "the writers got through between the faults"
    );
    assert!(
        tally.unavailable.load(Ordering::Relaxed) > 0,
        "the refusal window was seen by the writers as 503"
    );
    let statuses = statuses.lock().unwrap();
    assert!(
        statuses.contains_key(&("ready", 503)) && statuses.contains_key(&("ready", 200)),
        "readiness went down with the database and came back: {statuses:?}"
    );
}
