//! GraphQL over WebSocket (`graphql-transport-ws`, and legacy `graphql-ws`) on `/graphql`.
//! The viewer comes from the `connection_init` payload; a bad token closes the socket with
//! 4403, no `connection_init` in time with 4408. A socket runs a bounded number of operations
//! at once and refuses oversized messages. On shutdown every socket is closed with 1001.

use std::{
    collections::HashSet,
    net::SocketAddr,
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
use futures_util::{future, SinkExt, StreamExt};

use super::{
    graphql::{client_info, request_id},
    HttpState,
};
use crate::{
    auth::viewer::{resolve_viewer, ClientInfo},
    error::REQUEST_ID,
    graphql::loaders::Loaders,
};

/// Close code for a rejected `connection_init`, as graphql-transport-ws specifies.
const CLOSE_FORBIDDEN: u16 = 4403;
/// graphql-transport-ws: no `connection_init` within the allowed time.
const CLOSE_INIT_TIMEOUT: u16 = 4408;
const CLOSE_GOING_AWAY: u16 = 1001;
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
    let client = client_info(headers, peer);
    let connection_id = request_id(headers);
    // GraphQL operations are small; a client message beyond this closes the socket.
    let max_message_bytes = state.app.settings.abuse.http.ws_max_message_bytes;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .max_write_buffer_size(MAX_QUEUED_WRITE_BYTES)
        .max_message_size(max_message_bytes)
        .max_frame_size(max_message_bytes)
        .on_upgrade(move |socket| async move {
            state.app.metrics.websocket_opened();
            REQUEST_ID
                .scope(
                    connection_id,
                    serve(socket, state.clone(), protocol, client),
                )
                .await;
            state.app.metrics.websocket_closed();
        })
}

async fn serve(
    socket: WebSocket,
    state: HttpState,
    protocol: WebSocketProtocols,
    client: ClientInfo,
) {
    let (mut sink, stream) = socket.split();
    let hardening = &state.app.settings.abuse.http;
    let operations = RunningOperations::new(hardening.ws_max_subscriptions, protocol);
    let (refusals, mut refused) = tokio::sync::mpsc::channel::<String>(16);
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map({
            let operations = operations.clone();
            move |message| {
                future::ready(match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        let data = message.into_data();
                        match operations.admit(&data) {
                            Ok(()) => Some(data),
                            Err(refusal) => {
                                // A client flooding refused operations loses some refusals.
                                let _ = refusals.try_send(refusal);
                                None
                            }
                        }
                    }
                    _ => None,
                })
            }
        });

    let init_rejected = Arc::new(AtomicBool::new(false));
    let initialized = Arc::new(AtomicBool::new(false));
    let on_init = {
        let state = state.clone();
        let init_rejected = init_rejected.clone();
        let initialized = initialized.clone();
        move |payload: serde_json::Value| async move {
            let authorization = payload
                .get("authorization")
                .or_else(|| payload.get("Authorization"))
                .and_then(|value| value.as_str());
            match resolve_viewer(authorization, &state.app.keys, &state.app.pool).await {
                Ok(viewer) => {
                    let mut data = Data::default();
                    data.insert(viewer);
                    data.insert(client);
                    // A socket lives for hours: rows cached for its lifetime would go stale.
                    data.insert(Loaders::without_cache(&state.app.pool));
                    initialized.store(true, Ordering::SeqCst);
                    Ok(data)
                }
                Err(error) => {
                    init_rejected.store(true, Ordering::SeqCst);
                    Err(error.into_graphql())
                }
            }
        }
    };

    let mut outgoing = async_graphql::http::WebSocket::new(state.schema.clone(), input, protocol)
        .on_connection_init(on_init);
    let server_stopping = server_stopping(state.app.shutdown.clone());
    tokio::pin!(server_stopping);
    let init_deadline = tokio::time::sleep(hardening.ws_init_timeout);
    tokio::pin!(init_deadline);

    loop {
        tokio::select! {
            message = outgoing.next() => {
                let Some(message) = message else { break };
                let frame = match message {
                    WsMessage::Text(text) => {
                        operations.observe_server_message(&text);
                        Message::Text(text.into())
                    }
                    WsMessage::Close(_, reason) if init_rejected.load(Ordering::SeqCst) => {
                        close_message(CLOSE_FORBIDDEN, if reason.is_empty() { "Forbidden".into() } else { reason })
                    }
                    WsMessage::Close(code, reason) => close_message(code, reason),
                };
                let closing = matches!(frame, Message::Close(_));
                match tokio::time::timeout(WRITE_TIMEOUT, sink.send(frame)).await {
                    Ok(Ok(())) if !closing => {}
                    Ok(_) => break,
                    Err(_) => {
                        tracing::warn!("closing a WebSocket whose client stopped reading");
                        let close = close_message(CLOSE_POLICY, "client too slow: stopped reading events; reconnect and resubscribe with `after`".into());
                        let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close)).await;
                        break;
                    }
                }
            }
            Some(refusal) = refused.recv() => {
                if !matches!(tokio::time::timeout(WRITE_TIMEOUT, sink.send(Message::Text(refusal.into()))).await, Ok(Ok(()))) {
                    break;
                }
            }
            _ = &mut init_deadline, if !initialized.load(Ordering::SeqCst) => {
                let close = close_message(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout".into());
                let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(close)).await;
                break;
            }
            _ = &mut server_stopping => {
                let _ = sink
                    .send(close_message(CLOSE_GOING_AWAY, "server shutting down".into()))
                    .await;
                break;
            }
        }
    }
    let _ = sink.close().await;
}

async fn server_stopping(mut shutdown: tokio::sync::watch::Receiver<bool>) {
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
