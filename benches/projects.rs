//! Projects benchmark client (run by `benches/projects.sh`, which starts the server): seeds
//! 100 projects x 100 tasks x 20 members, loads the nested board query, and measures event
//! fan-out to many WebSocket subscribers. Prints figures; asserts nothing.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use catalyst::{
    auth::authz::ProjectRole,
    db::{build_pool, StatementCounter},
    projects::{model::NewProject, store as project_store},
    tasks::{
        model::{NewTask, TaskPriority, TaskStatus},
        position::key_between,
        store as task_store,
    },
    users::{model::Email, store as user_store},
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};
use uuid::Uuid;

const NESTED: &str = "{ projects(first: 20) { edges { node { members { user { email } } tasks(first: 50) { edges { node { assignee { displayName } subtasks { title } } } } } } } }";
const PASSWORD: &str = "load testing passphrase 42";

/// Store errors are GraphQL-shaped; here they only need to be reported.
fn checked<T>(result: catalyst::error::AppResult<T>) -> anyhow::Result<T> {
    result.map_err(|error| anyhow::anyhow!("{}: {error:?}", error.code()))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

struct Bench {
    http: reqwest::Client,
    base: String,
    token: String,
    server_pid: u32,
}

impl Bench {
    async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json::<Value>()
            .await?;
        anyhow::ensure!(
            response.get("errors").is_none(),
            "GraphQL errors: {response}"
        );
        Ok(response)
    }

    async fn statements(&self) -> anyhow::Result<f64> {
        let metrics = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await?
            .text()
            .await?;
        metrics
            .lines()
            .find(|line| line.starts_with("db_statements_total"))
            .and_then(|line| line.rsplit(' ').next())
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no db_statements_total metric"))
    }

    fn server_rss_kib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.server_pid))?;
        status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no VmRSS"))
    }
}

/// Seeds through the store functions (the same code the API runs), skipping HTTP for speed.
/// Returns the first project's id.
async fn seed(database_url: &str, owner_email: &str) -> anyhow::Result<Uuid> {
    let pool = build_pool(
        database_url,
        2,
        Duration::from_secs(60),
        StatementCounter::default(),
    )
    .await?;
    let mut connection = pool.get().await?;
    let owner_email = checked(Email::parse("email", owner_email))?;
    let owner = checked(user_store::find_by_email(&mut connection, &owner_email).await)?
        .ok_or_else(|| anyhow::anyhow!("owner not registered"))?;
    let mut members = Vec::new();
    for index in 1..20 {
        let email = checked(Email::parse("email", &format!("member{index}@example.com")))?;
        let user = checked(
            user_store::insert_user(
                &mut connection,
                &email,
                owner.password_hash.clone(),
                format!("Member {index}"),
            )
            .await,
        )?;
        members.push(user.id);
    }
    let mut first_project = None;
    for p in 0..100 {
        let project = checked(
            project_store::insert_project(
                &mut connection,
                NewProject {
                    id: Uuid::now_v7(),
                    name: format!("Project {p:03}"),
                    description: String::new(),
                    created_by: Some(owner.id),
                },
                owner.id,
            )
            .await,
        )?;
        first_project.get_or_insert(project.id);
        for member in &members {
            checked(
                project_store::insert_member(
                    &mut connection,
                    project.id,
                    *member,
                    ProjectRole::Editor,
                )
                .await,
            )?;
        }
        let mut position = key_between(None, None);
        let mut previous = None;
        for t in 0..100 {
            let task = checked(
                task_store::insert_task(
                    &mut connection,
                    NewTask {
                        id: Uuid::now_v7(),
                        project_id: project.id,
                        parent_id: if t % 5 == 4 { previous } else { None },
                        title: format!("Task {t}"),
                        description: String::new(),
                        status: TaskStatus::Todo,
                        priority: TaskPriority::Medium,
                        assignee_id: Some(members[t % members.len()]),
                        due_at: None,
                        labels: vec![],
                        position: position.clone(),
                        created_by: Some(owner.id),
                    },
                )
                .await,
            )?;
            position = key_between(Some(&position), None);
            previous = Some(task.id);
        }
    }
    first_project.ok_or_else(|| anyhow::anyhow!("no project seeded"))
}

async fn nested_load(
    bench: &Arc<Bench>,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    bench.graphql(NESTED, json!({})).await?;
    let statements_before = bench.statements().await?;
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let bench = bench.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let sent = Instant::now();
                if bench.graphql(NESTED, json!({})).await.is_ok() {
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
            }
            latencies
        })
    });
    let mut latencies: Vec<f64> = Vec::new();
    for worker in futures_util::future::join_all(workers).await {
        latencies.extend(worker?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let statements = bench.statements().await? - statements_before - 1.0;
    latencies.sort_by(|a, b| a.total_cmp(b));
    println!(
        "nested query (20 projects x 50 tasks, members, assignees, subtasks), {concurrency} concurrent: \
         {:.1} req/s  p50 {:.1} ms  p99 {:.1} ms  SQL statements/request {:.2}",
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        statements / (latencies.len() as f64 + 1.0),
    );
    Ok(())
}

async fn fan_out(
    bench: &Arc<Bench>,
    project_id: &str,
    task_id: &str,
    subscribers: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    let ws_url = bench.base.replace("http://", "ws://") + "/graphql";
    let rss_before = bench.server_rss_kib()?;
    let (receipts, mut received) = mpsc::channel::<Instant>(subscribers * 2);
    let subscription = json!({
        "id": "events", "type": "subscribe",
        "payload": { "query": "subscription($p: ID!) { projectEvents(projectId: $p) { cursor kind task { title version } } }", "variables": { "p": project_id } }
    })
    .to_string();
    // Connect and authenticate every socket first, then subscribe: the two memory costs apart.
    let mut sockets = Vec::with_capacity(subscribers);
    for chunk in (0..subscribers).collect::<Vec<_>>().chunks(250) {
        let connects = chunk.iter().map(|_| {
            let (ws_url, token) = (ws_url.clone(), bench.token.clone());
            async move {
                let mut request = ws_url.into_client_request()?;
                request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("graphql-transport-ws"));
                let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
                let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
                socket.send(Message::Text(init.to_string().into())).await?;
                while let Some(message) = socket.next().await {
                    if matches!(&message?, Message::Text(text) if text.contains("connection_ack")) {
                        break;
                    }
                }
                anyhow::Ok(socket)
            }
        });
        for socket in futures_util::future::join_all(connects).await {
            sockets.push(socket?);
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_connected = bench.server_rss_kib()?;
    let mut readers = Vec::with_capacity(subscribers);
    for mut socket in sockets {
        socket
            .send(Message::Text(subscription.clone().into()))
            .await?;
        let receipts = receipts.clone();
        readers.push(tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                if matches!(&message, Message::Text(text) if text.contains("\"next\"")) {
                    let _ = receipts.send(Instant::now()).await;
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after = bench.server_rss_kib()?;

    let mut last_delivery = Vec::new();
    let mut every_delivery = Vec::new();
    let mut version = bench
        .graphql(
            "query($t: ID!) { task(id: $t) { version } }",
            json!({ "t": task_id }),
        )
        .await?["data"]["task"]["version"]
        .as_i64()
        .unwrap_or(1);
    for round in 0..rounds {
        let sent = Instant::now();
        bench
            .graphql(
                "mutation($t: ID!, $v: Int!, $title: String!) { updateTask(id: $t, expectedVersion: $v, changes: { title: $title }) { version } }",
                json!({ "t": task_id, "v": version, "title": format!("Round {round}") }),
            )
            .await?;
        version += 1;
        let mut latest = 0.0_f64;
        for _ in 0..subscribers {
            let at = tokio::time::timeout(Duration::from_secs(30), received.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("a subscriber went away"))?;
            let ms = at.duration_since(sent).as_secs_f64() * 1000.0;
            every_delivery.push(ms);
            latest = latest.max(ms);
        }
        last_delivery.push(latest);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last_delivery.sort_by(|a, b| a.total_cmp(b));
    every_delivery.sort_by(|a, b| a.total_cmp(b));
    println!(
        "fan-out to {subscribers} subscribers ({rounds} events): mutation sent -> last delivery p50 {:.1} ms p99 {:.1} ms; \
         any delivery p50 {:.1} ms p99 {:.1} ms; server RSS +{:.1} MiB = {:.1} KiB per idle subscription \
         ({:.1} KiB its authenticated socket, {:.1} KiB the subscription on it)",
        percentile(&last_delivery, 0.50),
        percentile(&last_delivery, 0.99),
        percentile(&every_delivery, 0.50),
        percentile(&every_delivery, 0.99),
        (rss_after - rss_before) / 1024.0,
        (rss_after - rss_before) / subscribers as f64,
        (rss_connected - rss_before) / subscribers as f64,
        (rss_after - rss_connected) / subscribers as f64,
    );
    for reader in readers {
        reader.abort();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = env_or("BENCH_URL", "http://127.0.0.1:18090");
    let database_url = env_or(
        "BENCH_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/catalyst_bench_projects",
    );
    let server_pid: u32 = env_or("BENCH_SERVER_PID", "0").parse()?;
    let duration = Duration::from_secs(env_or("DURATION", "15").parse()?);
    let subscriber_counts: Vec<usize> = env_or("SUBSCRIBERS", "1000,10000")
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;

    let owner_email = "owner@example.com";
    let registered: Value = http
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }", "variables": { "i": { "email": owner_email, "password": PASSWORD, "displayName": "Owner" } } }))
        .send()
        .await?
        .json()
        .await?;
    let token = registered["data"]["register"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("registration failed: {registered}"))?
        .to_string();
    let seeding = Instant::now();
    let first_project = seed(&database_url, owner_email).await?;
    println!(
        "seeded 100 projects x 100 tasks x 20 members in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let bench = Arc::new(Bench {
        http,
        base,
        token,
        server_pid,
    });

    let project_id = catalyst::graphql::ids::encode_id("Project", first_project).0;
    let first_task = bench
        .graphql(
            "query($p: ID!) { project(id: $p) { tasks(first: 1) { edges { node { id } } } } }",
            json!({ "p": project_id }),
        )
        .await?;
    let task_id = first_task["data"]["project"]["tasks"]["edges"][0]["node"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no task"))?
        .to_string();
    // Fan-out first, on a fresh process, so memory freed by the load phase cannot hide what
    // idle subscriptions cost.
    for subscribers in subscriber_counts {
        fan_out(&bench, &project_id, &task_id, subscribers, 20).await?;
    }
    nested_load(&bench, 32, duration).await?;
    Ok(())
}
