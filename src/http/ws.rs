//! GraphQL over WebSocket (`graphql-transport-ws`, and legacy `graphql-ws`) on `/graphql`.
//! The viewer comes from the `connection_init` payload; a bad token closes the socket with
//! 4403. On shutdown every socket is closed with 1001 (going away).

use std::{
    net::SocketAddr,
    str::FromStr,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
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
const CLOSE_GOING_AWAY: u16 = 1001;
/// Policy violation: used for a client that stops reading what it subscribed to.
const CLOSE_POLICY: u16 = 1008;

/// Most sockets sit idle waiting for events; small buffers keep an idle subscriber cheap
/// (tungstenite's defaults are 128 KiB each way). Larger messages still work: buffers grow.
const SOCKET_BUFFER_BYTES: usize = 1024;
/// GraphQL operations are small; a client message beyond this closes the socket.
const MAX_CLIENT_MESSAGE_BYTES: usize = 256 * 1024;
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
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .max_write_buffer_size(MAX_QUEUED_WRITE_BYTES)
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
        .max_frame_size(MAX_CLIENT_MESSAGE_BYTES)
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
    let input = stream
        .take_while(|message| future::ready(message.is_ok()))
        .filter_map(|message| {
            future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });

    let init_rejected = Arc::new(AtomicBool::new(false));
    let on_init = {
        let state = state.clone();
        let init_rejected = init_rejected.clone();
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

    loop {
        tokio::select! {
            message = outgoing.next() => {
                let Some(message) = message else { break };
                let frame = match message {
                    WsMessage::Text(text) => Message::Text(text.into()),
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
