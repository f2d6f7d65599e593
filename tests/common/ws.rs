//! A minimal graphql-transport-ws client over a real WebSocket, as a browser client would speak it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, http::HeaderValue, protocol::CloseFrame, Message},
    MaybeTlsStream, WebSocketStream,
};

pub struct GraphqlWs {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How a connection attempt ended when it did not get `connection_ack`.
#[derive(Debug)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

const WAIT: Duration = Duration::from_secs(10);

impl GraphqlWs {
    /// Opens a socket with the graphql-transport-ws subprotocol and sends `connection_init`.
    pub async fn connect(url: &str, init_payload: Value) -> Result<GraphqlWs, Closed> {
        let mut client = Self::open(url).await;
        client
            .send(json!({ "type": "connection_init", "payload": init_payload }))
            .await;
        match client.next_event().await {
            Event::Message(message) if message["type"] == "connection_ack" => Ok(client),
            Event::Closed(closed) => Err(closed),
            Event::Message(other) => panic!("expected connection_ack, got {other}"),
        }
    }

    /// Opens a socket with the graphql-transport-ws subprotocol and sends nothing.
    pub async fn open(url: &str) -> GraphqlWs {
        let mut request = url.into_client_request().expect("a valid ws url");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket handshake succeeds");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        GraphqlWs { socket }
    }

    /// Reads until the server closes the socket; panics on anything but a close.
    pub async fn closed(&mut self) -> Closed {
        match self.next_event().await {
            Event::Closed(closed) => closed,
            Event::Message(message) => panic!("expected the socket to close, got {message}"),
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("the socket accepts messages");
    }

    /// Sends a text frame exactly as written (for messages serde_json cannot produce).
    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::Text(text.to_string().into()))
            .await
            .expect("the socket accepts messages");
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message or close frame if one comes within `wait`.
    pub async fn next_event_within(&mut self, wait: Duration) -> Option<Event> {
        tokio::time::timeout(wait, self.next_event()).await.ok()
    }

    /// The next protocol message or the close frame, skipping pings.
    pub async fn next_event(&mut self) -> Event {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("the server sends something within the wait");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value =
                        serde_json::from_str(&text).expect("server messages are JSON");
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Event::Message(message);
                }
                Some(Ok(Message::Close(frame))) => return Event::Closed(closed_from(frame)),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    return Event::Closed(Closed {
                        code: 1006,
                        reason: "connection dropped".into(),
                    })
                }
            }
        }
    }

    /// The next protocol message if one arrives within `wait`; None when none does.
    pub async fn next_message_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value =
                        serde_json::from_str(&text).expect("server messages are JSON");
                    if message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    panic!("socket closed unexpectedly: {:?}", closed_from(frame))
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => panic!("socket dropped unexpectedly"),
            }
        }
    }

    /// The next protocol message; panics if the socket closes instead.
    pub async fn next_message(&mut self) -> Value {
        match self.next_event().await {
            Event::Message(message) => message,
            Event::Closed(closed) => panic!("socket closed unexpectedly: {closed:?}"),
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

pub enum Event {
    Message(Value),
    Closed(Closed),
}

fn closed_from(frame: Option<CloseFrame>) -> Closed {
    match frame {
        Some(frame) => Closed {
            code: frame.code.into(),
            reason: frame.reason.to_string(),
        },
        None => Closed {
            code: 1005,
            reason: String::new(),
        },
    }
}
