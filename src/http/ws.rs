//! GraphQL over WebSocket (`graphql-transport-ws`, and legacy `graphql-ws`) on `/graphql`.
//! The viewer comes from the `connection_init` payload; a bad token closes the socket with
//! 4403, no `connection_init` in time with 4408. A socket runs a bounded number of operations
//! at once and refuses oversized messages. On shutdown every socket is closed with 1012
//! (service restart): the client reconnects, behind a balancer to another instance, and resumes
//! its subscriptions by cursor.

use std::{
    collections::{HashSet, VecDeque},
    net::SocketAddr,
    pin::Pin,
    str::FromStr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use async_graphql::{
    http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS},
    Data,
};
use axum::{
    extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use futures_util::{future, stream::SplitSink, Future, SinkExt, Stream, StreamExt};
use tokio::sync::{watch, Notify};

use super::{
    caller::{client_info, request_id},
    HttpState,
};
use crate::{
    auth::{client::ClientInfo, tokens::TokenKeys, viewer::resolve_viewer},
    db::DbPool,
    error::REQUEST_ID,
    graphql::loaders::Loaders,
    schema::CatalystSchema,
    telemetry::Metrics,
};

/// Close code for a rejected `connection_init`, as graphql-transport-ws specifies.
const CLOSE_FORBIDDEN: u16 = 4403;
/// graphql-transport-ws: no `connection_init` within the allowed time.
const CLOSE_INIT_TIMEOUT: u16 = 4408;
/// RFC 6455 1012: the server is restarting; reconnecting (elsewhere) is the right response.
const CLOSE_SERVICE_RESTART: u16 = 1012;
/// Policy violation: used for a client that stops reading what it subscribed to.
const CLOSE_POLICY: u16 = 1008;

/// Most sockets sit idle waiting for events; small buffers keep an idle subscriber cheap
/// (tungstenite's defaults are 128 KiB each way). Larger messages still work: buffers grow.
const SOCKET_BUFFER_BYTES: usize = 1024;
/// A client whose socket accepts nothing for this long is not reading: it is disconnected
/// rather than letting its undelivered events pile up in memory.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Outgoing bytes queued for one socket before writes wait (and the write timeout applies).
const MAX_QUEUED_WRITE_BYTES: usize = 1024 * 1024;

pub fn upgrade(
    state: HttpState,
    upgrade: WebSocketUpgrade,
    headers: &HeaderMap,
    peer: SocketAddr,
) -> Response {
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .split(',')
                .find_map(|candidate| WebSocketProtocols::from_str(candidate.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return (
            StatusCode::BAD_REQUEST,
            "use the graphql-transport-ws (or graphql-ws) WebSocket subprotocol\n",
        )
            .into_response();
    };
    let connection_id = request_id(headers);
    let metrics = state.app.metrics.clone();
    let hardening = &state.app.settings.abuse.http;
    // GraphQL operations are small; a client message beyond this closes the socket.
    let max_message_bytes = hardening.ws_max_message_bytes;
    let limits = ConnectionLimits {
        init_timeout: hardening.ws_init_timeout,
        operations: RunningOperations::new(hardening.ws_max_subscriptions, protocol),
    };
    let auth = ConnectionAuth {
        keys: state.app.keys.clone(),
        pool: state.app.pool.clone(),
        client: client_info(headers, peer),
        progress: Arc::default(),
    };
    let shutdown = state.app.shutdown.clone();
    let schema = state.schema;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .max_write_buffer_size(MAX_QUEUED_WRITE_BYTES)
        .max_message_size(max_message_bytes)
        .max_frame_size(max_message_bytes)
        .on_upgrade(move |socket| {
            metrics.websocket_opened();
            let session = serve(socket, schema, auth, limits, shutdown, protocol, metrics);
            // A task of its own: axum's upgrade task keeps the socket's setup state (about
            // 2 KiB) for as long as its callback runs, so the callback returns at once.
            tokio::spawn(REQUEST_ID.scope(connection_id, session));
            future::ready(())
        })
}

/// How far `connection_init` got, shared between the handler and the connection loop.
#[derive(Default)]
struct InitProgress {
    accepted: AtomicBool,
    rejected: AtomicBool,
}

/// What `connection_init` needs to resolve the viewer; kept apart from the whole application
/// state because every open socket holds it until its client says hello.
struct ConnectionAuth {
    keys: Arc<TokenKeys>,
    pool: DbPool,
    client: ClientInfo,
    progress: Arc<InitProgress>,
}

impl ConnectionAuth {
    async fn authenticate(self, payload: serde_json::Value) -> async_graphql::Result<Data> {
        let authorization = payload
            .get("authorization")
            .or_else(|| payload.get("Authorization"))
            .and_then(|value| value.as_str());
        match resolve_viewer(authorization, &self.keys, &self.pool).await {
            Ok(viewer) => {
                let mut data = Data::default();
                data.insert(viewer);
                data.insert(self.client);
                // A socket lives for hours: rows cached for its lifetime would go stale.
                data.insert(Loaders::without_cache(&self.pool));
                self.progress.accepted.store(true, Ordering::SeqCst);
                Ok(data)
            }
            Err(error) => {
                self.progress.rejected.store(true, Ordering::SeqCst);
                Err(error.into_graphql())
            }
        }
    }
}

struct ConnectionLimits {
    init_timeout: Duration,
    operations: RunningOperations,
}

/// The connection's session. Deliberately not an `async fn`: its arguments would stay in the
/// future for the socket's whole life, although the socket moves into its halves at once and
/// the rest into the protocol handler. Thousands of idle sockets make every byte count.
fn serve(
    socket: WebSocket,
    schema: CatalystSchema,
    auth: ConnectionAuth,
    limits: ConnectionLimits,
    shutdown: watch::Receiver<bool>,
    protocol: WebSocketProtocols,
    metrics: Arc<Metrics>,
) -> impl Future<Output = ()> + Send {
    let (sink, stream) = socket.split();
    let refusals = Arc::new(Refusals::default());
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map({
            let operations = limits.operations.clone();
            let refusals = refusals.clone();
            move |message| {
                future::ready(match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        let data = message.into_data();
                        match operations.admit(&data) {
                            Ok(()) => Some(data),
                            Err(refusal) => {
                                refusals.push(refusal);
                                None
                            }
                        }
                    }
                    _ => None,
                })
            }
        });
    let progress = auth.progress.clone();
    let outgoing = async_graphql::http::WebSocket::new(schema, input, protocol)
        .on_connection_init(move |payload| auth.authenticate(payload));
    relay(Relay {
        outgoing,
        sink,
        progress,
        refusals,
        operations: limits.operations,
        init_deadline: Some(Box::pin(tokio::time::sleep(limits.init_timeout))),
        shutdown,
        metrics,
    })
}

struct Relay<Outgoing> {
    outgoing: Outgoing,
    sink: SplitSink<WebSocket, Message>,
    progress: Arc<InitProgress>,
    refusals: Arc<Refusals>,
    operations: RunningOperations,
    /// Dropped (and its timer with it) once the client has said hello.
    init_deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    shutdown: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
}

/// Sends the protocol handler's messages and our refusals to the client until either side
/// ends or the server stops. A plain function returning an `async` block that uses `relay` in
/// place: an `async fn` would keep a second copy of its argument for the connection's life.
/// Rare paths (closing, slow clients) are boxed so an idle connection does not carry their
/// timers and pending writes either.
#[allow(clippy::manual_async_fn)] // deliberate: see above
fn relay(
    mut relay: Relay<impl Stream<Item = WsMessage> + Unpin + Send>,
) -> impl Future<Output = ()> + Send {
    async move {
        let server_stopping = server_stopping(relay.shutdown.clone());
        tokio::pin!(server_stopping);
        loop {
            if relay.init_deadline.is_some() && relay.progress.accepted.load(Ordering::SeqCst) {
                relay.init_deadline = None;
            }
            let frame = tokio::select! {
                message = relay.outgoing.next() => match message {
                    None => break,
                    Some(WsMessage::Text(text)) => {
                        relay.operations.observe_server_message(&text);
                        Message::Text(text.into())
                    }
                    Some(WsMessage::Close(_, reason)) if relay.progress.rejected.load(Ordering::SeqCst) => {
                        close_message(CLOSE_FORBIDDEN, if reason.is_empty() { "Forbidden".into() } else { reason })
                    }
                    Some(WsMessage::Close(code, reason)) => close_message(code, reason),
                },
                refusal = relay.refusals.next() => Message::Text(refusal.into()),
                _ = async { if let Some(deadline) = relay.init_deadline.as_mut() { deadline.await } }, if relay.init_deadline.is_some() => {
                    close_message(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout".into())
                }
                _ = &mut server_stopping => close_message(CLOSE_SERVICE_RESTART, "server restarting: reconnect and resume with `after`".into()),
            };
            let closing = matches!(frame, Message::Close(_));
            match Box::pin(tokio::time::timeout(WRITE_TIMEOUT, relay.sink.send(frame))).await {
                Ok(Ok(())) if !closing => {}
                Ok(_) => break,
                Err(_) => {
                    tracing::warn!("closing a WebSocket whose client stopped reading");
                    let close = close_message(CLOSE_POLICY, "client too slow: stopped reading events; reconnect and resubscribe with `after`".into());
                    let _ = Box::pin(tokio::time::timeout(
                        Duration::from_secs(1),
                        relay.sink.send(close),
                    ))
                    .await;
                    break;
                }
            }
        }
        let _ = Box::pin(relay.sink.close()).await;
        relay.metrics.websocket_closed();
    }
}

/// Error messages for operations refused at the door, waiting to be sent. A queue that
/// allocates nothing until used: most connections never see a refusal.
#[derive(Default)]
struct Refusals {
    queue: Mutex<VecDeque<String>>,
    ready: Notify,
}

impl Refusals {
    /// A client flooding refused operations loses the refusals beyond this.
    const MAX_QUEUED: usize = 16;

    fn push(&self, refusal: String) {
        if let Ok(mut queue) = self.queue.lock() {
            if queue.len() < Self::MAX_QUEUED {
                queue.push_back(refusal);
            }
        }
        self.ready.notify_one();
    }

    async fn next(&self) -> String {
        loop {
            let waiting = self.ready.notified();
            if let Some(refusal) = self
                .queue
                .lock()
                .ok()
                .and_then(|mut queue| queue.pop_front())
            {
                return refusal;
            }
            waiting.await;
        }
    }
}

async fn server_stopping(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stopping| *stopping).await;
}

fn close_message(code: u16, reason: String) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// The ids of the operations a socket is running, so it cannot start more than its share.
#[derive(Clone)]
struct RunningOperations {
    ids: Arc<Mutex<HashSet<String>>>,
    max: usize,
    protocol: WebSocketProtocols,
}

impl RunningOperations {
    fn new(max: usize, protocol: WebSocketProtocols) -> Self {
        RunningOperations {
            ids: Arc::default(),
            max,
            protocol,
        }
    }

    /// Passes every client message on except a new operation beyond the limit, which gets
    /// the error message to send back for its id instead.
    fn admit(&self, data: &[u8]) -> Result<(), String> {
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(data) else {
            return Ok(());
        };
        let kind = message.get("type").and_then(|kind| kind.as_str());
        let Some(id) = message.get("id").and_then(|id| id.as_str()) else {
            return Ok(());
        };
        let Ok(mut ids) = self.ids.lock() else {
            return Ok(());
        };
        match kind {
            Some("subscribe" | "start") => {
                if ids.contains(id) || ids.len() < self.max {
                    ids.insert(id.to_string());
                    return Ok(());
                }
                Err(self.refusal(id))
            }
            Some("complete" | "stop") => {
                ids.remove(id);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Forgets operations the server completed (their stream ended, or they failed).
    fn observe_server_message(&self, text: &str) {
        let finished =
            text.starts_with(r#"{"type":"complete""#) || text.starts_with(r#"{"type":"error""#);
        if !finished {
            return;
        }
        let id = serde_json::from_str::<serde_json::Value>(text)
            .ok()
            .and_then(|message| message.get("id")?.as_str().map(str::to_string));
        if let (Some(id), Ok(mut ids)) = (id, self.ids.lock()) {
            ids.remove(&id);
        }
    }

    fn refusal(&self, id: &str) -> String {
        let error = serde_json::json!({
            "message": format!("at most {} operations may run at once on one connection (`WS_MAX_SUBSCRIPTIONS`)", self.max),
            "extensions": { "code": "RATE_LIMITED", "limit": "maxSubscriptions", "max": self.max },
        });
        let payload = match self.protocol {
            WebSocketProtocols::GraphQLWS => serde_json::json!([error]),
            _ => error,
        };
        serde_json::json!({ "type": "error", "id": id, "payload": payload }).to_string()
    }
}
