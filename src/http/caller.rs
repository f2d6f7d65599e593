//! What a request's headers and socket say about its caller: the client address and agent, and
//! the request id the tracing layer assigned. Shared by the HTTP and WebSocket transports; it
//! resolves no credentials.

use std::net::SocketAddr;

use axum::http::{header, HeaderMap};

use super::REQUEST_ID_HEADER;
use crate::auth::client::ClientInfo;

pub fn client_info(headers: &HeaderMap, peer: SocketAddr) -> ClientInfo {
    ClientInfo {
        ip_address: Some(peer.ip().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(512).collect()),
    }
}

pub fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-")
        .to_string()
}
