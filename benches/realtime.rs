//! Real-time transports benchmark client (run by `benches/realtime.sh`, which starts a fresh
//! server for each phase): opens N idle `projectEvents` subscriptions over one transport
//! (`BENCH_TRANSPORT=ws` for graphql-transport-ws, `sse` for graphql-sse's distinct mode), one
//! connection each (`BENCH_PER_CONNECTION` more: single connection mode for SSE, or with
//! `BENCH_HTTP2=1` that many distinct-mode streams per cleartext HTTP/2 connection), reads the
//! server's RSS before and after, then (unless `BENCH_ROUNDS=0`)
//! times `createTask` → delivery to every subscriber. Connections come from many loopback
//! source addresses, so more than one address's ephemeral ports can be held. Prints figures;
//! asserts nothing.

use std::{
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
    sync::mpsc,
};
use tokio_tungstenite::tungstenite::{
    client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig, Message,
};

const EVENTS: &str =
    "subscription($p: ID!) { projectEvents(projectId: $p) { cursor kind task { title } } }";
const PASSWORD: &str = "load testing passphrase 42";
/// Loopback source addresses used round-robin: each has about 28,000 ephemeral ports.
const SOURCE_ADDRESSES: u32 = 8;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn server_rss_kib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS"))
}

struct Bench {
    http: reqwest::Client,
    base: String,
    server: SocketAddr,
    token: String,
}

impl Bench {
    async fn graphql(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query, "variables": variables }));
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        let body: Value = request.send().await?.json().await?;
        if body.get("errors").is_some() {
            anyhow::bail!("{body}");
        }
        Ok(body)
    }

    /// A TCP connection to the server from the `index`th connection's source address.
    async fn connect(&self, index: usize) -> anyhow::Result<TcpStream> {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::V4(SocketAddrV4::new(source_address(index), 0)))?;
        Ok(socket.connect(self.server).await?)
    }
}

/// The loopback source address of the `index`th connection.
fn source_address(index: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + (index as u32 % SOURCE_ADDRESSES) as u8)
}

/// Opens a graphql-transport-ws subscription; every `next` it receives is timed into
/// `receipts`.
async fn ws_subscriber(
    bench: &Bench,
    index: usize,
    project: &str,
    per_connection: usize,
    receipts: mpsc::Sender<Instant>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let stream = bench.connect(index).await?;
    let mut request = format!("ws://{}/graphql", bench.server).into_client_request()?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    // Small client buffers: the client shares the machine with the server it measures.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut socket, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", bench.token) } });
    socket.send(Message::Text(init.to_string().into())).await?;
    while let Some(message) = socket.next().await {
        if matches!(&message?, Message::Text(text) if text.contains("connection_ack")) {
            break;
        }
    }
    for operation in 0..per_connection {
        let subscribe = json!({ "id": format!("events-{operation}"), "type": "subscribe", "payload": { "query": EVENTS, "variables": { "p": project } } });
        socket
            .send(Message::Text(subscribe.to_string().into()))
            .await?;
    }
    Ok(tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            if matches!(&message, Message::Text(text) if text.contains("\"errors\"") || text.contains("\"type\":\"error\""))
            {
                ERROR_EVENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if matches!(&message, Message::Text(text) if text.contains("\"next\"")) {
                let _ = receipts.send(Instant::now()).await;
            }
        }
    }))
}

/// Opens a graphql-sse distinct-mode subscription over a raw HTTP/1.1 connection (a full
/// client per connection would cost the client more than the server); every `next` event is
/// timed into `receipts`.
async fn sse_subscriber(
    bench: &Bench,
    index: usize,
    project: &str,
    per_connection: usize,
    receipts: mpsc::Sender<Instant>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mut stream = bench.connect(index).await?;
    let body = json!({ "query": EVENTS, "variables": { "p": project } }).to_string();
    // More than one subscription per connection: graphql-sse's single connection mode.
    let reservation = if per_connection > 1 {
        let response = bench
            .http
            .put(format!("{}/graphql", bench.base))
            .bearer_auth(&bench.token)
            .send()
            .await?;
        Some(response.text().await?)
    } else {
        None
    };
    let request = match &reservation {
        None => format!(
            "POST /graphql HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\
             Authorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
            bench.server,
            bench.token,
            body.len(),
            body
        ),
        Some(token) => format!(
            "GET /graphql HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\
             Authorization: Bearer {}\r\nX-GraphQL-Event-Stream-Token: {token}\r\n\r\n",
            bench.server, bench.token,
        ),
    };
    stream.write_all(request.as_bytes()).await?;
    let mut buffer = vec![0u8; 2048];
    let read = stream.read(&mut buffer).await?;
    if !buffer[..read].starts_with(b"HTTP/1.1 200") {
        anyhow::bail!(
            "the stream did not open: {}",
            String::from_utf8_lossy(&buffer[..read])
        );
    }
    if let Some(token) = &reservation {
        for operation in 0..per_connection {
            let accepted = bench
                .http
                .post(format!("{}/graphql", bench.base))
                .bearer_auth(&bench.token)
                .header("x-graphql-event-stream-token", token)
                .json(&json!({ "query": EVENTS, "variables": { "p": project }, "extensions": { "operationId": format!("events-{operation}") } }))
                .send()
                .await?;
            if accepted.status() != 202 {
                anyhow::bail!("operation refused: {}", accepted.text().await?);
            }
        }
    }
    Ok(tokio::spawn(async move {
        let chunks = futures_util::stream::unfold(stream, |mut stream| async move {
            let mut buffer = vec![0u8; 2048];
            match stream.read(&mut buffer).await {
                Ok(read) if read > 0 => {
                    buffer.truncate(read);
                    Some((buffer, stream))
                }
                _ => None,
            }
        });
        count_next_events(Box::pin(chunks), receipts).await;
    }))
}

/// SSE events that carried errors (a refused or ended subscription): any spoils the figures.
static ERROR_EVENTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Counts the `next` events of one SSE stream into `receipts`, a frame possibly straddling two
/// chunks.
async fn count_next_events(
    mut chunks: impl futures_util::Stream<Item = Vec<u8>> + Unpin,
    receipts: mpsc::Sender<Instant>,
) {
    let pattern = b"event: next";
    let mut tail: Vec<u8> = Vec::new();
    while let Some(chunk) = chunks.next().await {
        tail.extend_from_slice(&chunk);
        if chunk.windows(8).any(|window| window == b"\"errors\"") {
            ERROR_EVENTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let (mut start, mut found) = (0, 0);
        while let Some(at) = tail[start..]
            .windows(pattern.len())
            .position(|window| window == pattern)
        {
            found += 1;
            start += at + pattern.len();
        }
        for _ in 0..found {
            let _ = receipts.send(Instant::now()).await;
        }
        let keep_from = start.max(tail.len().saturating_sub(pattern.len() - 1));
        tail.drain(..keep_from);
    }
}

/// One cleartext HTTP/2 connection (prior knowledge) carrying `per_connection` graphql-sse
/// distinct-mode subscriptions, each its own request and stream, as a browser's `EventSource`s
/// share a connection over HTTP/2; every `next` event is timed into `receipts`.
async fn sse_http2_connection(
    bench: &Bench,
    index: usize,
    project: &str,
    per_connection: usize,
    receipts: mpsc::Sender<Instant>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .local_address(std::net::IpAddr::V4(source_address(index)))
        .build()?;
    let body = json!({ "query": EVENTS, "variables": { "p": project } });
    let opened = futures_util::future::join_all((0..per_connection).map(|_| {
        client
            .post(format!("{}/graphql", bench.base))
            .bearer_auth(&bench.token)
            .header("accept", "text/event-stream")
            .json(&body)
            .send()
    }))
    .await;
    let mut streams = Vec::with_capacity(per_connection);
    for response in opened {
        let response = response?;
        if response.status() != 200 || response.version() != reqwest::Version::HTTP_2 {
            anyhow::bail!(
                "the stream did not open over HTTP/2: {:?} {}",
                response.version(),
                response.status()
            );
        }
        let chunks = futures_util::stream::unfold(response, |mut response| async move {
            match response.chunk().await {
                Ok(Some(chunk)) => Some((chunk.to_vec(), response)),
                _ => None,
            }
        });
        streams.push(count_next_events(Box::pin(chunks), receipts.clone()));
    }
    Ok(tokio::spawn(async move {
        // The client owns the connection: it lives as long as its streams are read.
        let _client = client;
        futures_util::future::join_all(streams).await;
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = env_or("BENCH_URL", "http://127.0.0.1:18091");
    let server: SocketAddr = base.trim_start_matches("http://").parse()?;
    let server_pid: u32 = env_or("BENCH_SERVER_PID", "0").parse()?;
    let transport = env_or("BENCH_TRANSPORT", "ws");
    let subscribers: usize = env_or("BENCH_SUBSCRIBERS", "10000").parse()?;
    let rounds: usize = env_or("BENCH_ROUNDS", "20").parse()?;
    let per_connection: usize = env_or("BENCH_PER_CONNECTION", "1").parse()?;
    // SSE only: distinct-mode streams over cleartext HTTP/2, `per_connection` per connection.
    let http2 = env_or("BENCH_HTTP2", "0") == "1";
    let connections = subscribers.div_ceil(per_connection);
    let subscribers = connections * per_connection;

    let mut bench = Bench {
        http: reqwest::Client::new(),
        base,
        server,
        token: String::new(),
    };
    let registered = bench
        .graphql(
            "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
            json!({ "input": { "email": "bench@example.com", "password": PASSWORD, "displayName": "Bench" } }),
        )
        .await?;
    bench.token = registered["data"]["register"]["accessToken"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let project = bench
        .graphql(
            "mutation { createProject(input: { name: \"Fan-out\" }) { id } }",
            json!({}),
        )
        .await?["data"]["createProject"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    // As long as after the subscriptions: the allocator returns start-up memory meanwhile.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_before = server_rss_kib(server_pid)?;
    let (receipts, mut received) = mpsc::channel::<Instant>(subscribers * 2);
    let mut readers = Vec::with_capacity(subscribers);
    let opening = Instant::now();
    // Many subscriptions per connection are set up in a burst the pool cannot queue for
    // long (each reads the project's log head): fewer connections at a time, then a pause.
    let chunk_size = (250 / per_connection).max(1);
    let pause = Duration::from_millis(if per_connection > 1 { 200 } else { 0 });
    for chunk in (0..connections).collect::<Vec<_>>().chunks(chunk_size) {
        tokio::time::sleep(pause).await;
        let opened = futures_util::future::join_all(chunk.iter().map(|&index| {
            let (bench, project, receipts) = (&bench, project.as_str(), receipts.clone());
            let transport = transport.as_str();
            async move {
                match transport {
                    "sse" if http2 => {
                        sse_http2_connection(bench, index, project, per_connection, receipts).await
                    }
                    "sse" => sse_subscriber(bench, index, project, per_connection, receipts).await,
                    _ => ws_subscriber(bench, index, project, per_connection, receipts).await,
                }
            }
        }))
        .await;
        for reader in opened {
            readers.push(reader?);
        }
    }
    let opened_in = opening.elapsed();
    // Let every subscription finish its setup (one log-head read each) and settle.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let rss_after = server_rss_kib(server_pid)?;
    let transport = match (transport.as_str(), http2) {
        ("sse", true) => "sse over HTTP/2 (distinct mode)".to_string(),
        ("sse", false) if per_connection > 1 => "sse (single connection mode)".to_string(),
        _ => transport,
    };
    println!(
        "{transport}: {subscribers} idle subscriptions ({per_connection} per connection, {connections} connections) \
         opened in {:.1} s; server RSS {:.1} -> {:.1} MiB: {:.1} KiB per idle subscription, connection share included",
        opened_in.as_secs_f64(),
        rss_before / 1024.0,
        rss_after / 1024.0,
        (rss_after - rss_before) / subscribers as f64,
    );

    let refused = ERROR_EVENTS.load(std::sync::atomic::Ordering::Relaxed);
    if refused > 0 {
        anyhow::bail!("{refused} subscriptions were refused or ended with an error; figures void");
    }
    let mut last_delivery = Vec::new();
    let mut every_delivery = Vec::new();
    for round in 0..rounds {
        let sent = Instant::now();
        bench
            .graphql(
                "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }",
                json!({ "input": { "projectId": project, "title": format!("Round {round}") } }),
            )
            .await?;
        let mut latest = 0.0_f64;
        for _ in 0..subscribers {
            let at = tokio::time::timeout(Duration::from_secs(60), received.recv())
                .await?
                .ok_or_else(|| anyhow::anyhow!("a subscriber went away"))?;
            let ms = at.duration_since(sent).as_secs_f64() * 1000.0;
            every_delivery.push(ms);
            latest = latest.max(ms);
        }
        last_delivery.push(latest);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if rounds > 0 {
        last_delivery.sort_by(|a, b| a.total_cmp(b));
        every_delivery.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{transport}: one event to {subscribers} subscribers ({rounds} events): mutation sent -> \
             last delivery p50 {:.1} ms p99 {:.1} ms; every delivery p50 {:.1} ms p99 {:.1} ms",
            percentile(&last_delivery, 0.50),
            percentile(&last_delivery, 0.99),
            percentile(&every_delivery, 0.50),
            percentile(&every_delivery, 0.99),
        );
    }
    for reader in readers {
        reader.abort();
    }
    Ok(())
}
