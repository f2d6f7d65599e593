//! A fleet as production runs it: three `catalyst` processes behind HAProxy, sharing one
//! database and a Redis of the test's own, with writers and live subscribers (over WebSocket
//! and over SSE) going through the balancer while one instance is rolled (SIGTERM, restart) and another is killed
//! (`kill -9`, restart). Nothing acknowledged may be lost or doubled, and every subscriber,
//! reconnecting through the balancer and resuming by cursor, must see every committed event
//! once and in order.

mod common;

use std::{
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use common::{process::ServerProcess, redis::PrivateRedis, wait::eventually, TestDatabase};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

const INSTANCES: usize = 3;
const SUBSCRIBERS: usize = 200;
/// Of the subscribers, how many follow over SSE (graphql-sse's distinct connections mode).
const SSE_SUBSCRIBERS: usize = 50;
const WRITERS: usize = 4;

const EVENTS: &str = "subscription($projectId: ID!, $after: String) {
  projectEvents(projectId: $projectId, after: $after) { cursor }
}";
const CREATE_TASK: &str =
    "mutation($input: CreateTaskInput!) { createTask(input: $input) { id title } }";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// HAProxy in front of the instances: health-checked on `/health/ready` every 300 ms, so an
/// instance that starts draining (or dies) leaves the rotation within two checks, well inside
/// the drain delay; a slow check on a loaded machine does not take an instance out alone.
struct Balancer {
    child: Child,
    port: u16,
    config: std::path::PathBuf,
}

impl Balancer {
    fn start(backends: &[u16]) -> Balancer {
        let port = free_port();
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(index, backend)| format!("  server app{index} 127.0.0.1:{backend} check\n"))
            .collect();
        let config = std::env::temp_dir().join(format!("catalyst-fleet-{port}.cfg"));
        std::fs::write(
            &config,
            format!(
                "global\n  maxconn 4096\n\
                 defaults\n  mode http\n  timeout connect 1s\n  timeout client 60s\n  \
                 timeout server 60s\n  timeout tunnel 1h\n  option redispatch\n  retries 3\n  \
                 retry-on conn-failure\n\
                 frontend api\n  bind 127.0.0.1:{port}\n  default_backend catalyst\n\
                 backend catalyst\n  balance roundrobin\n  option httpchk GET /health/ready\n  \
                 timeout check 2s\n  default-server inter 300ms fall 2 rise 1\n{servers}"
            ),
        )
        .expect("the config is written");
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy is installed (.ci/run installs it)");
        Balancer {
            child,
            port,
            config,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config);
    }
}

fn start_instance(database: &TestDatabase, redis: &PrivateRedis, port: u16) -> ServerProcess {
    let bind = format!("127.0.0.1:{port}");
    ServerProcess::start(
        "serve",
        &database.url,
        &[
            ("BIND_ADDR", bind.as_str()),
            ("REDIS_URL", redis.url().as_str()),
            ("DATABASE_POOL_SIZE", "6"),
            ("RATE_LIMIT_ENABLED", "false"),
            ("SHUTDOWN_DRAIN_SECONDS", "1"),
            ("SHUTDOWN_GRACE_SECONDS", "5"),
            ("RUST_LOG", "warn"),
        ],
    )
}

async fn wait_ready(url: &str) {
    eventually(url, Duration::from_secs(60), || async {
        match reqwest::get(url).await {
            Ok(response) if response.status() == 200 => Ok(()),
            Ok(response) => Err(response.status().to_string()),
            Err(error) => Err(error.to_string()),
        }
    })
    .await
}

async fn graphql(url: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// What one subscriber saw over the whole run.
#[derive(Default, Debug)]
struct Followed {
    seqs: Vec<i64>,
    reconnects: usize,
    failed_connects: usize,
    /// Anything that is not a documented reconnect signal (1012, or the drop of a killed
    /// instance's connection): must stay empty.
    unexpected: Vec<String>,
    /// When each reconnect happened, and when the next event arrived after it.
    resumed_after: Vec<(Instant, Instant)>,
}

/// Follows the project's events through the balancer until it has seen `until` (once set),
/// reconnecting and resuming after the last cursor whenever the socket goes away.
async fn follow(
    ws_url: String,
    token: String,
    project_id: String,
    until: watch::Receiver<Option<i64>>,
) -> Followed {
    let mut followed = Followed::default();
    let mut lost_at: Option<Instant> = None;
    loop {
        if let (Some(target), Some(last)) = (*until.borrow(), followed.seqs.last()) {
            if *last >= target {
                return followed;
            }
        }
        let mut request = ws_url.as_str().into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let Ok(Ok((mut socket, _))) = tokio::time::timeout(
            Duration::from_secs(3),
            tokio_tungstenite::connect_async(request),
        )
        .await
        else {
            followed.failed_connects += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let after = followed
            .seqs
            .last()
            .map(|seq| seq.to_string())
            .unwrap_or_else(|| "0".to_string());
        let opened = async {
            socket
                .send(Message::Text(
                    json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } })
                        .to_string()
                        .into(),
                ))
                .await?;
            socket
                .send(Message::Text(
                    json!({ "id": "events", "type": "subscribe", "payload": {
                        "query": EVENTS, "variables": { "projectId": project_id, "after": after } } })
                    .to_string()
                    .into(),
                ))
                .await
        };
        if opened.await.is_err() {
            followed.failed_connects += 1;
            continue;
        }
        loop {
            if let (Some(target), Some(last)) = (*until.borrow(), followed.seqs.last()) {
                if *last >= target {
                    return followed;
                }
            }
            let frame = match tokio::time::timeout(Duration::from_secs(2), socket.next()).await {
                Ok(frame) => frame,
                // Quiet: no event pending; look at the target again.
                Err(_) => continue,
            };
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    match message["type"].as_str() {
                        Some("connection_ack") => {}
                        Some("ping") => {
                            let _ = socket
                                .send(Message::Text(json!({ "type": "pong" }).to_string().into()))
                                .await;
                        }
                        Some("next") => {
                            let cursor = &message["payload"]["data"]["projectEvents"]["cursor"];
                            match cursor.as_str().and_then(|cursor| cursor.parse().ok()) {
                                Some(seq) => {
                                    followed.seqs.push(seq);
                                    if let Some(lost) = lost_at.take() {
                                        followed.resumed_after.push((lost, Instant::now()));
                                    }
                                }
                                None => followed.unexpected.push(message.to_string()),
                            }
                        }
                        _ => {
                            followed.unexpected.push(message.to_string());
                            break;
                        }
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map(|frame| u16::from(frame.code)).unwrap_or(1005);
                    if code != 1012 {
                        followed.unexpected.push(format!("closed with {code}"));
                    }
                    break;
                }
                Some(Ok(_)) => {}
                // The instance died under the socket: the documented way to meet a kill -9.
                Some(Err(_)) | None => break,
            }
        }
        followed.reconnects += 1;
        lost_at.get_or_insert_with(Instant::now);
    }
}

/// The same over SSE: one `POST` with `Accept: text/event-stream` per connection; after a
/// cut, the next request carries `Last-Event-ID` (the last event's `id:`, its cursor), as
/// `EventSource` and the graphql-sse client do.
async fn follow_sse(
    graphql_url: String,
    token: String,
    project_id: String,
    until: watch::Receiver<Option<i64>>,
) -> Followed {
    let client = reqwest::Client::new();
    let mut followed = Followed::default();
    let mut lost_at: Option<Instant> = None;
    let reached = |followed: &Followed| match (*until.borrow(), followed.seqs.last()) {
        (Some(target), Some(last)) => *last >= target,
        _ => false,
    };
    loop {
        if reached(&followed) {
            return followed;
        }
        let mut request = client
            .post(&graphql_url)
            .bearer_auth(&token)
            .header("accept", "text/event-stream")
            .json(
                &json!({ "query": EVENTS, "variables": { "projectId": project_id, "after": "0" } }),
            );
        if let Some(last) = followed.seqs.last() {
            request = request.header("last-event-id", last.to_string());
        }
        let mut response = match request.send().await {
            Ok(response) if response.status() == 200 => response,
            Ok(response) if matches!(response.status().as_u16(), 502 | 503) => {
                // HAProxy: 503 between a server's death and its next failed check, 502 when the
                // instance died with this request in flight (as for the writers). A graphql-sse
                // client retries both, resuming after its last event id.
                followed.failed_connects += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Ok(response) => {
                followed
                    .unexpected
                    .push(format!("stream refused: {}", response.status()));
                return followed;
            }
            Err(_) => {
                followed.failed_connects += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let mut buffer = String::new();
        'stream: loop {
            if reached(&followed) {
                return followed;
            }
            let chunk = match tokio::time::timeout(Duration::from_secs(2), response.chunk()).await {
                Err(_) => continue,
                Ok(Ok(Some(chunk))) => chunk,
                // The server ended the stream (a restart) or died under it: reconnect.
                Ok(Ok(None)) | Ok(Err(_)) => break,
            };
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|line| line.strip_prefix(name))
                        .map(|value| value.trim_start().to_string())
                };
                match field("event:").as_deref() {
                    Some("next") => {
                        let data: Value = serde_json::from_str(&field("data:").unwrap_or_default())
                            .unwrap_or(Value::Null);
                        let cursor = &data["data"]["projectEvents"]["cursor"];
                        match cursor.as_str().and_then(|cursor| cursor.parse().ok()) {
                            Some(seq) if field("id:").as_deref() == cursor.as_str() => {
                                followed.seqs.push(seq);
                                if let Some(lost) = lost_at.take() {
                                    followed.resumed_after.push((lost, Instant::now()));
                                }
                            }
                            _ => {
                                followed.unexpected.push(block.clone());
                                break 'stream;
                            }
                        }
                    }
                    None => {} // a keep-alive comment
                    Some(_) => {
                        followed.unexpected.push(block.clone());
                        break 'stream;
                    }
                }
            }
        }
        followed.reconnects += 1;
        lost_at.get_or_insert_with(Instant::now);
    }
}

/// What one writer did: titles the server acknowledged, and attempts whose outcome it could
/// not know (the instance died with the request in flight).
#[derive(Default, Debug)]
struct Written {
    acknowledged: Vec<String>,
    unanswered: Vec<String>,
    refusals: Vec<String>,
}

async fn write(
    graphql_url: String,
    token: String,
    project_id: String,
    writer: usize,
    stop: Arc<AtomicBool>,
) -> Written {
    let client = reqwest::Client::new();
    let mut written = Written::default();
    let mut attempt = 0;
    while !AtomicBool::load(&stop, Ordering::Relaxed) {
        attempt += 1;
        let title = format!("writer {writer} task {attempt}");
        let response = client
            .post(&graphql_url)
            .bearer_auth(&token)
            .json(&json!({ "query": CREATE_TASK, "variables": { "input": { "projectId": project_id, "title": title } } }))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                if body["data"]["createTask"]["title"] == title.as_str() {
                    written.acknowledged.push(title);
                } else if status == 502 {
                    // HAProxy: the instance died with the request in flight.
                    written.unanswered.push(title);
                } else {
                    written.refusals.push(format!("{status} {body}"));
                }
            }
            Err(_) => written.unanswered.push(title),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    written
}

#[derive(diesel::QueryableByName)]
struct Titled {
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
}

#[derive(diesel::QueryableByName)]
struct Sequenced {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_restart_and_a_killed_instance_lose_no_write_and_no_event() {
    let started = Instant::now();
    let database = TestDatabase::create().await;
    let redis = PrivateRedis::start();
    let ports: Vec<u16> = (0..INSTANCES).map(|_| free_port()).collect();
    let mut instances: Vec<ServerProcess> = ports
        .iter()
        .map(|port| start_instance(&database, &redis, *port))
        .collect();
    for port in &ports {
        wait_ready(&format!("http://127.0.0.1:{port}/health/ready")).await;
    }
    let balancer = Balancer::start(&ports);
    let graphql_url = balancer.url("/graphql");
    wait_ready(&balancer.url("/health/ready")).await;

    let registered = graphql(
        &graphql_url,
        None,
        common::REGISTER,
        json!({ "input": { "email": "ops@example.com", "password": common::STRONG_PASSWORD, "displayName": "Ops" } }),
    )
    .await;
    let token = registered["data"]["register"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("{registered}"))
        .to_string();
    let created = graphql(
        &graphql_url,
        Some(&token),
        "mutation { createProject(input: { name: \"Fleet\" }) { id } }",
        json!({}),
    )
    .await;
    let project_id = created["data"]["createProject"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string();

    let ws_url = graphql_url.replacen("http://", "ws://", 1);
    let (target_sender, target) = watch::channel(None);
    let followers: Vec<_> = (0..SUBSCRIBERS)
        .map(|index| {
            if index < SSE_SUBSCRIBERS {
                tokio::spawn(follow_sse(
                    graphql_url.clone(),
                    token.clone(),
                    project_id.clone(),
                    target.clone(),
                ))
            } else {
                tokio::spawn(follow(
                    ws_url.clone(),
                    token.clone(),
                    project_id.clone(),
                    target.clone(),
                ))
            }
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            tokio::spawn(write(
                graphql_url.clone(),
                token.clone(),
                project_id.clone(),
                writer,
                stop.clone(),
            ))
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(3)).await;
    // A rolling restart: SIGTERM, wait for a clean exit, start it again on its port.
    let rolled_at = Instant::now();
    instances[0].signal("TERM");
    let status = instances[0].exit_status(Duration::from_secs(15)).await;
    assert!(status.success(), "a SIGTERM'd instance exits 0: {status:?}");
    instances[0] = start_instance(&database, &redis, ports[0]);
    wait_ready(&format!("http://127.0.0.1:{}/health/ready", ports[0])).await;
    let rolled_in = rolled_at.elapsed();

    tokio::time::sleep(Duration::from_secs(2)).await;
    // A crash: kill -9, then the orchestrator starts a replacement.
    let killed_at = Instant::now();
    instances[1].signal("KILL");
    instances[1].exit_status(Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    instances[1] = start_instance(&database, &redis, ports[1]);
    wait_ready(&format!("http://127.0.0.1:{}/health/ready", ports[1])).await;
    let replaced_in = killed_at.elapsed();

    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut written = Vec::new();
    for writer in writers {
        written.push(writer.await.unwrap());
    }

    let mut connection = AsyncPgConnection::establish(&database.url).await.unwrap();
    let committed: Vec<i64> = diesel::sql_query(
        "SELECT seq FROM activity_log WHERE project_id = \
         (SELECT id FROM projects WHERE name = 'Fleet') ORDER BY seq",
    )
    .load::<Sequenced>(&mut connection)
    .await
    .unwrap()
    .into_iter()
    .map(|row| row.seq)
    .collect();
    let last = *committed.last().expect("the run committed events");
    target_sender.send(Some(last)).unwrap();
    let mut followed = Vec::new();
    for follower in followers {
        followed.push(
            tokio::time::timeout(Duration::from_secs(30), follower)
                .await
                .expect("every subscriber catches up with the last committed event")
                .unwrap(),
        );
    }

    let stored: Vec<String> = diesel::sql_query("SELECT title FROM tasks")
        .load::<Titled>(&mut connection)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.title)
        .collect();
    let acknowledged: Vec<&String> = written.iter().flat_map(|w| &w.acknowledged).collect();
    for title in &acknowledged {
        let copies = stored.iter().filter(|stored| stored == title).count();
        assert_eq!(copies, 1, "acknowledged write `{title}` is stored once");
    }
    let unanswered: Vec<&String> = written.iter().flat_map(|w| &w.unanswered).collect();
    for title in &stored {
        assert!(
            acknowledged.contains(&title) || unanswered.contains(&title),
            "`{title}` was stored but no writer sent it"
        );
    }
    let refusals: Vec<&String> = written.iter().flat_map(|w| &w.refusals).collect();
    assert!(refusals.is_empty(), "writers were refused: {refusals:?}");

    // Events after the project's creation, which every subscriber replays from cursor 0.
    for (index, seen) in followed.iter().enumerate() {
        assert!(
            seen.unexpected.is_empty(),
            "subscriber {index}: {:?}",
            seen.unexpected
        );
        assert_eq!(
            seen.seqs, committed,
            "subscriber {index} saw every event once, in order"
        );
    }

    let reconnects: usize = followed.iter().map(|f| f.reconnects).sum();
    let failed_connects: usize = followed.iter().map(|f| f.failed_connects).sum();
    let recover = |fault: Instant, until: Duration| {
        followed
            .iter()
            .flat_map(|f| &f.resumed_after)
            .filter(|(lost, _)| *lost >= fault && *lost <= fault + until)
            .map(|(_, resumed)| resumed.duration_since(fault))
            .max()
    };
    println!(
        "fleet: {INSTANCES} instances, {SUBSCRIBERS} subscribers ({SSE_SUBSCRIBERS} over SSE), \
         {WRITERS} writers; \
         writes acknowledged {}, in flight at the kill {}; events committed {}, delivered {}; \
         reconnects {reconnects} (failed connection attempts {failed_connects}); \
         rolling restart: instance back in {rolled_in:?}, subscribers resumed within {:?}; \
         kill -9: instance replaced in {replaced_in:?}, subscribers resumed within {:?}; \
         total {:?}",
        acknowledged.len(),
        unanswered.len(),
        committed.len(),
        followed.iter().map(|f| f.seqs.len()).sum::<usize>(),
        recover(rolled_at, rolled_in),
        recover(killed_at, replaced_in),
        started.elapsed(),
    );
    assert!(
        reconnects >= SUBSCRIBERS / INSTANCES,
        "the faults did reach subscribers"
    );
}
