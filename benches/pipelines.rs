//! Pipelines benchmark client (run by `benches/pipelines.sh`, which starts two release servers
//! with workers on one database and Redis): a 100,000-row CSV → filter → aggregate → output run
//! end to end, queue throughput for trivial runs, and runPipeline → first progress event; then,
//! in process, the engine's peak heap while 1,000,000 rows stream through it, against the heap
//! the same rows take when held. Prints figures; asserts nothing.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use catalyst::pipelines::engine::{self, csv, Graph, RunInputs};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "load testing passphrase 42";

/// Counts live heap bytes and their high-water mark, for the in-process engine measurement.
struct CountingAllocator;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `work` and returns its result with the heap it needed at its peak, above what was live
/// when it started. (`AtomicUsize::load` is spelled out: diesel's `RunQueryDsl` has a `load` too.)
fn peak_heap_of<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let before = AtomicUsize::load(&LIVE_BYTES, Ordering::Relaxed);
    PEAK_BYTES.store(before, Ordering::Relaxed);
    let result = work();
    (
        result,
        AtomicUsize::load(&PEAK_BYTES, Ordering::Relaxed) - before,
    )
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Part 4, in process: 1,000,000 CSV rows → filter → map → aggregate → output through the
/// engine, against parsing the same text into held rows.
fn engine_memory() -> anyhow::Result<()> {
    let rows = 1_000_000;
    let text = big_csv(rows);
    let node = |id: &str, component: &str, config: Value| -> anyhow::Result<engine::Node> {
        Ok(serde_json::from_value(
            json!({ "id": id, "component": component, "config": config }),
        )?)
    };
    let nodes = vec![
        node(
            "csv",
            "csvText",
            json!({ "text": text, "types": { "a": "integer" } }),
        )?,
        node("filter", "filter", json!({ "expression": "a >= 500" }))?,
        node(
            "map",
            "map",
            json!({ "fields": { "c": "c", "double": "a * 2" } }),
        )?,
        node(
            "aggregate",
            "aggregate",
            json!({ "groupBy": ["c"], "aggregates": [{ "name": "rows", "op": "count" }, { "name": "total", "op": "sum", "field": "double" }] }),
        )?,
        node("output", "runOutput", json!({}))?,
    ];
    let connections = nodes
        .windows(2)
        .map(|pair| engine::Connection {
            from: engine::PortRef {
                node_id: pair[0].id.clone(),
                port: "out".into(),
            },
            to: engine::PortRef {
                node_id: pair[1].id.clone(),
                port: "in".into(),
            },
        })
        .collect();
    let graph = Graph { nodes, connections };
    let limits = engine::ExecutionLimits {
        max_rows: rows,
        max_stored_output_rows: 10_000,
    };
    let started = Instant::now();
    let (result, streaming_peak) = peak_heap_of(|| {
        engine::execute(&graph, RunInputs::default(), limits, &|| false, &mut |_| {})
    });
    let streaming_ms = started.elapsed().as_secs_f64() * 1000.0;
    let result = result.map_err(|failure| anyhow::anyhow!(failure.message()))?;
    anyhow::ensure!(
        result.output.len() == 10,
        "expected 10 groups, got {}",
        result.output.len()
    );
    let started = Instant::now();
    let (held, held_peak) = peak_heap_of(|| csv::parse(&text, ',', &Default::default()));
    let held_ms = started.elapsed().as_secs_f64() * 1000.0;
    let held_rows = held.map_err(|error| anyhow::anyhow!(error.message))?.len();
    println!(
        "engine, 1,000,000 CSV rows ({:.1} MiB of text) -> filter -> map -> aggregate -> output: {streaming_ms:.0} ms, peak heap {:.2} MiB above the graph",
        mib(text.len()),
        mib(streaming_peak)
    );
    println!(
        "  holding the same {held_rows} rows parsed: peak heap {:.1} MiB ({held_ms:.0} ms); streaming needs {:.2} % of that",
        mib(held_peak),
        100.0 * streaming_peak as f64 / held_peak as f64
    );
    Ok(())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let response: Value = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(
            response.get("errors").is_none(),
            "GraphQL errors: {response}"
        );
        Ok(response["data"].clone())
    }

    async fn add_node(
        &self,
        pipeline: &str,
        component: &str,
        config: Value,
    ) -> anyhow::Result<String> {
        let data = self
            .graphql(
                "mutation($input: AddPipelineNodeInput!) { addPipelineNode(input: $input) { node { id } } }",
                json!({ "input": { "pipelineId": pipeline, "component": component, "config": config } }),
            )
            .await?;
        Ok(data["addPipelineNode"]["node"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    async fn chain(&self, project: &str, nodes: &[(&str, Value)]) -> anyhow::Result<String> {
        let data = self
            .graphql(
                "mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { id } }",
                json!({ "input": { "projectId": project, "name": "bench" } }),
            )
            .await?;
        let pipeline = data["createPipeline"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut ids = Vec::new();
        for (component, config) in nodes {
            ids.push(self.add_node(&pipeline, component, config.clone()).await?);
        }
        for pair in ids.windows(2) {
            self.graphql(
                "mutation($input: ConnectPipelineNodesInput!) { connectPipelineNodes(input: $input) { connection { id } } }",
                json!({ "input": { "pipelineId": pipeline, "from": { "nodeId": pair[0], "port": "out" },
                                   "to": { "nodeId": pair[1], "port": "in" } } }),
            )
            .await?;
        }
        Ok(pipeline)
    }

    async fn run(&self, pipeline: &str) -> anyhow::Result<String> {
        let data = self
            .graphql(
                "mutation($id: ID!) { runPipeline(pipelineId: $id) { id } }",
                json!({ "id": pipeline }),
            )
            .await?;
        Ok(data["runPipeline"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(url: &str, token: &str) -> anyhow::Result<Socket> {
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await?;
    next_json(&mut socket).await?;
    Ok(socket)
}

async fn next_json(socket: &mut Socket) -> anyhow::Result<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(60), socket.next()).await? {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text)?;
                if message["type"] == "ping" {
                    socket
                        .send(Message::Text(json!({ "type": "pong" }).to_string().into()))
                        .await?;
                    continue;
                }
                return Ok(message);
            }
            Some(Ok(_)) => continue,
            other => anyhow::bail!("socket ended: {other:?}"),
        }
    }
}

/// Subscribes to a run's progress and returns when `until` holds for an event.
async fn watch_run(
    socket: &mut Socket,
    id: usize,
    run: &str,
    until: &str,
) -> anyhow::Result<Value> {
    let subscribe = json!({ "id": id.to_string(), "type": "subscribe", "payload": {
        "query": "subscription($id: ID!) { pipelineRunEvents(runId: $id) { seq kind status } }",
        "variables": { "id": run } } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    loop {
        let message = next_json(socket).await?;
        if message["type"] != "next" || message["id"].as_str() != Some(id.to_string().as_str()) {
            continue;
        }
        let event = message["payload"]["data"]["pipelineRunEvents"].clone();
        if until.is_empty() || event["kind"] == until {
            let complete = json!({ "id": id.to_string(), "type": "complete" });
            socket
                .send(Message::Text(complete.to_string().into()))
                .await?;
            return Ok(event);
        }
    }
}

fn big_csv(rows: usize) -> String {
    let mut text = String::from("c,a\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{},{}\n",
            char::from(b'a' + (i % 10) as u8),
            i * 7 % 1000
        ));
    }
    text
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base_a = env_or("BENCH_URL_A", "http://127.0.0.1:18091");
    let base_b = env_or("BENCH_URL_B", "http://127.0.0.1:18092");
    let database_url = env_or(
        "BENCH_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/catalyst_bench_pipelines",
    );
    let http = reqwest::Client::new();
    let register: Value = http
        .post(format!("{base_a}/graphql"))
        .json(&json!({ "query": "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
                       "variables": { "input": { "email": "bench@example.com", "password": PASSWORD, "displayName": "Bench" } } }))
        .send()
        .await?
        .json()
        .await?;
    let token = register["data"]["register"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let client = Client {
        http,
        base: base_a.clone(),
        token: token.clone(),
    };
    let project = client
        .graphql(
            "mutation { createProject(input: { name: \"bench\" }) { id } }",
            json!({}),
        )
        .await?["createProject"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let ws_b = format!("{}/graphql", base_b.replace("http://", "ws://"));

    // 1. 100,000 CSV rows end to end.
    let csv_pipeline = client
        .chain(
            &project,
            &[
                ("csvText", json!({ "text": big_csv(100_000), "types": { "a": "integer" } })),
                ("filter", json!({ "expression": "a >= 500" })),
                ("aggregate", json!({ "groupBy": ["c"], "aggregates": [{ "name": "rows", "op": "count" }, { "name": "total", "op": "sum", "field": "a" }] })),
                ("runOutput", json!({})),
            ],
        )
        .await?;
    let mut socket_b = socket(&ws_b, &token).await?;
    let mut end_to_end = Vec::new();
    for iteration in 0..10 {
        let started = Instant::now();
        let run = client.run(&csv_pipeline).await?;
        let finished = watch_run(&mut socket_b, iteration, &run, "RUN_FINISHED").await?;
        end_to_end.push(started.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(finished["status"] == "SUCCEEDED", "run failed: {finished}");
        if iteration == 0 {
            let nodes = client
                .graphql(
                    "query($id: ID!) { pipelineRun(id: $id) { nodes { durationMs rowsOut } } }",
                    json!({ "id": run }),
                )
                .await?;
            println!(
                "csv run node timings (first run): {}",
                nodes["pipelineRun"]["nodes"]
            );
        }
    }
    end_to_end.sort_by(f64::total_cmp);
    println!(
        "100,000-row CSV -> filter -> aggregate -> output, runPipeline to RUN_FINISHED (10 runs): p50 {:.0} ms, max {:.0} ms",
        percentile(&end_to_end, 0.5),
        end_to_end.last().copied().unwrap_or(f64::NAN)
    );

    // 2. p99 runPipeline -> first progress event (mutation on A, subscription on B).
    let trivial = client
        .chain(
            &project,
            &[
                ("inlineRows", json!({ "rows": [{ "n": 1 }] })),
                ("runOutput", json!({})),
            ],
        )
        .await?;
    let mut first_event = Vec::new();
    for iteration in 0..200 {
        let started = Instant::now();
        let run = client.run(&trivial).await?;
        watch_run(&mut socket_b, 1000 + iteration, &run, "").await?;
        first_event.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    first_event.sort_by(f64::total_cmp);
    println!(
        "runPipeline -> first progress event (200 runs, idle queue): p50 {:.1} ms, p99 {:.1} ms",
        percentile(&first_event, 0.5),
        percentile(&first_event, 0.99)
    );

    // 3. Queue throughput: 2,000 trivial runs inserted at once, drained by both instances.
    let mut connection = AsyncPgConnection::establish(&database_url).await?;
    let count = 2_000;
    diesel::sql_query(format!(
        "INSERT INTO pipeline_runs (id, pipeline_id, project_id, requested_by, graph)
         SELECT gen_random_uuid(), pipeline_id, project_id, requested_by, graph
         FROM pipeline_runs, generate_series(1, {count})
         WHERE id = (SELECT id FROM pipeline_runs WHERE status = 'SUCCEEDED' ORDER BY finished_at DESC LIMIT 1)"
    ))
    .execute(&mut connection)
    .await?;
    let started = Instant::now();
    #[derive(diesel::QueryableByName)]
    struct Left {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        left: i64,
    }
    loop {
        let left: Left = diesel::sql_query(
            "SELECT count(*) AS left FROM pipeline_runs WHERE status IN ('QUEUED', 'RUNNING')",
        )
        .get_result(&mut connection)
        .await?;
        if left.left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    #[derive(diesel::QueryableByName)]
    struct Twice {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        twice: i64,
    }
    let twice: Twice =
        diesel::sql_query("SELECT count(*) AS twice FROM pipeline_runs WHERE attempts <> 1")
            .get_result(&mut connection)
            .await?;
    println!(
        "queue throughput, 2 instances x {} workers: {count} trivial runs in {seconds:.2} s = {:.0} runs/s (runs claimed more than once: {})",
        env_or("BENCH_WORKERS", "?"),
        count as f64 / seconds,
        twice.twice
    );
    engine_memory()
}
