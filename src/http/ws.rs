//! GraphQL over WebSocket (`graphql-transport-ws`, and legacy `graphql-ws`) on `/graphql`.
//! The viewer comes from the `connection_init` payload. A socket runs a bounded number of
//! operations at once and refuses oversized messages. Every close carries a reason and a
//! standard code: graphql-transport-ws's 4400 (a message that is not of the protocol), 4401
//! (an operation before `connection_ack`), 4403 (a bad token), 4408 (no `connection_init` in
//! time), 4429 (a second `connection_init`); RFC 6455's 1009 (a message over
//! `WS_MAX_MESSAGE_BYTES`), 1007 (text that is not UTF-8), 1002 (a broken frame), 1008 (a
//! client that stops reading), 1013 (a `connection_init` that could not be checked) and 1012
//! (the server restarting: the client reconnects, behind a balancer to another instance, and
//! resumes its subscriptions by cursor).

use std::{
    collections::{HashSet, VecDeque},
    net::SocketAddr,
    pin::Pin,
    str::FromStr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, OnceLock,
    },
    time::Duration,
};

use async_graphql::{
    http::{WebSocketProtocols, WsMessage, ALL_WEBSOCKET_PROTOCOLS},
    Data,
};
use axum::{
    body::Bytes,
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
    auth::{
        client::ClientInfo,
        live::{HeldCredential, LiveCredentials},
        session_memo::SessionMemo,
        tokens::TokenKeys,
        viewer::{resolve_credentials, CredentialSources, ResolvedCredentials, Viewer},
    },
    db::DbPool,
    error::{AppError, REQUEST_ID},
    graphql::{loaders::Loaders, storable_text},
    schema::CatalystSchema,
    telemetry::Metrics,
};

/// graphql-transport-ws: a message the protocol does not know, or not JSON.
const CLOSE_BAD_REQUEST: u16 = 4400;
/// graphql-transport-ws: `subscribe` before the connection was acknowledged.
const CLOSE_UNAUTHORIZED: u16 = 4401;
/// Close code for a rejected `connection_init`, as graphql-transport-ws specifies.
const CLOSE_FORBIDDEN: u16 = 4403;
/// graphql-transport-ws: no `connection_init` within the allowed time.
const CLOSE_INIT_TIMEOUT: u16 = 4408;
/// RFC 6455 1012: the server is restarting; reconnecting (elsewhere) is the right response.
const CLOSE_SERVICE_RESTART: u16 = 1012;
/// RFC 6455 "try again later": `connection_init` could not be checked because the database is
/// unreachable; the credentials may be fine, so this is not 4403.
const CLOSE_TRY_AGAIN_LATER: u16 = 1013;
/// Policy violation: used for a client that stops reading what it subscribed to.
const CLOSE_POLICY: u16 = 1008;
/// RFC 6455: a frame broke the protocol.
const CLOSE_PROTOCOL_ERROR: u16 = 1002;
/// RFC 6455: a text message that is not UTF-8.
const CLOSE_INVALID_PAYLOAD: u16 = 1007;
/// RFC 6455: a message larger than the endpoint accepts.
const CLOSE_MESSAGE_TOO_BIG: u16 = 1009;
/// What async-graphql closes with for `subscribe` before `connection_ack` (RFC 6455's
/// "internal error"; graphql-transport-ws says 4401).
const ASYNC_GRAPHQL_HANDSHAKE_INCOMPLETE: u16 = 1011;

/// Most sockets sit idle waiting for events; small buffers keep an idle subscriber cheap
/// (tungstenite's defaults are 128 KiB each way). Larger messages still work: buffers grow.
const SOCKET_BUFFER_BYTES: usize = 1024;
/// A client whose socket accepts nothing for this long is not reading: it is disconnected
/// rather than letting its undelivered events pile up in memory.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a socket closed for a bad message stays open before it is dropped.
const READ_FAULT_LINGER: Duration = Duration::from_millis(500);
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
        max_message_bytes,
        operations: RunningOperations::new(hardening.ws_max_subscriptions, protocol),
    };
    let auth = ConnectionAuth {
        keys: state.app.keys.clone(),
        sessions: state.app.sessions.clone(),
        pool: state.app.pool.clone(),
        loader_max_batch: state.app.settings.loader_max_batch,
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
    unavailable: AtomicBool,
}

/// What `connection_init` needs to resolve the viewer; kept apart from the whole application
/// state because every open socket holds it until its client says hello.
struct ConnectionAuth {
    keys: Arc<TokenKeys>,
    sessions: Arc<SessionMemo>,
    pool: DbPool,
    loader_max_batch: usize,
    client: ClientInfo,
    progress: Arc<InitProgress>,
}

impl ConnectionAuth {
    async fn authenticate(self, payload: serde_json::Value) -> async_graphql::Result<Data> {
        let authorization = payload
            .get("authorization")
            .or_else(|| payload.get("Authorization"))
            .and_then(|value| value.as_str());
        let sources = CredentialSources {
            keys: &self.keys,
            sessions: &self.sessions,
            pool: &self.pool,
        };
        match resolve_credentials(authorization, sources).await {
            Ok(ResolvedCredentials { viewer, expires_at }) => {
                let mut data = Data::default();
                // The socket's credentials follow it: they end its operations when they
                // expire or are revoked, and `renewConnectionAuth` replaces them.
                if let (Viewer::User(user), Some(expires_at)) = (&viewer, expires_at) {
                    data.insert(LiveCredentials::new(
                        HeldCredential::of(user, expires_at),
                        true,
                    ));
                }
                data.insert(viewer);
                data.insert(self.client);
                // A socket lives for hours: rows cached for its lifetime would go stale.
                data.insert(Loaders::without_cache(&self.pool, self.loader_max_batch));
                self.progress.accepted.store(true, Ordering::SeqCst);
                Ok(data)
            }
            Err(error) => {
                if matches!(error, AppError::ServiceUnavailable { .. }) {
                    self.progress.unavailable.store(true, Ordering::SeqCst);
                }
                self.progress.rejected.store(true, Ordering::SeqCst);
                Err(error.into_graphql())
            }
        }
    }
}

struct ConnectionLimits {
    init_timeout: Duration,
    max_message_bytes: usize,
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
    let read_fault = Arc::new(OnceLock::new());
    let max_message_bytes = limits.max_message_bytes;
    let input = stream
        .take_while({
            let read_fault = read_fault.clone();
            move |message| {
                future::ready(match message {
                    Ok(_) => true,
                    Err(error) => {
                        if let Some(close) = close_for_read_error(error, max_message_bytes) {
                            let _ = read_fault.set(close);
                        }
                        false
                    }
                })
            }
        })
        .filter_map({
            let operations = limits.operations.clone();
            let refusals = refusals.clone();
            move |message| {
                future::ready(match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        match operations.admit(message.into_data()) {
                            Ok(data) => Some(data),
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
        read_fault,
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
    /// Why the client's messages stopped, when a read failed in a way the client should hear.
    read_fault: Arc<OnceLock<(u16, String)>>,
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
                    None => match relay.read_fault.get() {
                        Some((code, reason)) => close_message(*code, reason.clone()),
                        None => break,
                    },
                    Some(WsMessage::Text(text)) => {
                        relay.operations.observe_server_message(&text);
                        Message::Text(text.into())
                    }
                    Some(WsMessage::Close(_, _)) if relay.progress.unavailable.load(Ordering::SeqCst) => {
                        close_message(CLOSE_TRY_AGAIN_LATER, "the database is unavailable; reconnect shortly".into())
                    }
                    Some(WsMessage::Close(_, reason)) if relay.progress.rejected.load(Ordering::SeqCst) => {
                        close_message(CLOSE_FORBIDDEN, if reason.is_empty() { "Forbidden".into() } else { reason })
                    }
                    Some(WsMessage::Close(code, reason)) => {
                        let (code, reason) = relay.operations.standard_close(code, reason);
                        close_message(code, reason)
                    }
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
        if relay.read_fault.get().is_some() {
            // The client's refused message may still be arriving: dropping the connection with
            // it unread would reset it, and the client could lose the close frame (and its
            // code) before reading it. A moment's linger lets the frame be read first.
            Box::pin(tokio::time::sleep(READ_FAULT_LINGER)).await;
        }
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

/// The close a failed read deserves, or None when the connection itself is gone.
fn close_for_read_error(error: &axum::Error, max_message_bytes: usize) -> Option<(u16, String)> {
    use tungstenite::Error as E;
    let error = std::error::Error::source(error)?.downcast_ref::<tungstenite::Error>()?;
    match error {
        E::Capacity(_) => Some((
            CLOSE_MESSAGE_TOO_BIG,
            format!("a message may be at most {max_message_bytes} bytes (`WS_MAX_MESSAGE_BYTES`)"),
        )),
        E::Utf8(_) => Some((
            CLOSE_INVALID_PAYLOAD,
            "a text message must be UTF-8".to_string(),
        )),
        E::Protocol(problem) => Some((CLOSE_PROTOCOL_ERROR, problem.to_string())),
        _ => None,
    }
}

/// RFC 6455 leaves 123 bytes of a close frame for its reason; a longer one is not sent at all.
const MAX_CLOSE_REASON_BYTES: usize = 123;

fn close_message(code: u16, mut reason: String) -> Message {
    if reason.len() > MAX_CLOSE_REASON_BYTES {
        let mut end = MAX_CLOSE_REASON_BYTES - '…'.len_utf8();
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
        reason.push('…');
    }
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
    /// the error message to send back for its id instead. A message whose strings hold an
    /// unpaired surrogate escape is passed on with it read as NUL, so that the operation is
    /// refused naming its argument (see `storable_text`).
    fn admit(&self, data: Bytes) -> Result<Bytes, String> {
        let (message, data) = match serde_json::from_slice::<serde_json::Value>(&data) {
            Ok(message) => (message, data),
            Err(_) => match storable_text::mark_lone_surrogates(&data) {
                Some(marked) => match serde_json::from_slice(&marked) {
                    Ok(message) => (message, Bytes::from(marked)),
                    Err(_) => return Ok(data),
                },
                None => return Ok(data),
            },
        };
        let kind = message.get("type").and_then(|kind| kind.as_str());
        let Some(id) = message.get("id").and_then(|id| id.as_str()) else {
            return Ok(data);
        };
        let Ok(mut ids) = self.ids.lock() else {
            return Ok(data);
        };
        match kind {
            Some("subscribe" | "start") => {
                if ids.contains(id) || ids.len() < self.max {
                    ids.insert(id.to_string());
                    return Ok(data);
                }
                Err(self.refusal(id))
            }
            Some("complete" | "stop") => {
                ids.remove(id);
                Ok(data)
            }
            _ => Ok(data),
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

    /// async-graphql's closes, in graphql-transport-ws's codes: 1002 for a message it could
    /// not read is 4400 (Bad Request), 1011 for an operation before the handshake is 4401.
    fn standard_close(&self, code: u16, reason: String) -> (u16, String) {
        if self.protocol != WebSocketProtocols::GraphQLWS {
            return (code, reason);
        }
        match code {
            CLOSE_PROTOCOL_ERROR => (CLOSE_BAD_REQUEST, format!("invalid message: {reason}")),
            ASYNC_GRAPHQL_HANDSHAKE_INCOMPLETE => (CLOSE_UNAUTHORIZED, "Unauthorized".to_string()),
            _ => (code, reason),
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
