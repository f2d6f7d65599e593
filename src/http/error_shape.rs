//! The error shape of every error response: whatever answers with a 4xx or 5xx status — a
//! GraphQL request error, a refusal by a tower layer (timeout, body limit), axum's own 405 or a
//! 404 — reaches the client as `{"errors": [{"message", "extensions": {"code", "requestId"}}]}`,
//! the request id matching the `X-Request-Id` header. Handlers that already answer in this
//! shape keep their messages and codes; only what is missing is added. `/health/*` keeps its
//! own documented shape for probes.

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::Response,
};
use serde_json::{json, Map, Value};

use super::caller::request_id;

/// Error bodies are a few hundred bytes; one larger than this is passed on untouched.
const MAX_ERROR_BODY_BYTES: usize = 256 * 1024;

/// The code an error without one gets, from its status.
fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
        StatusCode::FORBIDDEN => "FORBIDDEN",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::REQUEST_TIMEOUT => "REQUEST_TIMEOUT",
        StatusCode::TOO_MANY_REQUESTS => "RATE_LIMITED",
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => "SERVICE_UNAVAILABLE",
        status if status.is_server_error() => "INTERNAL",
        _ => "BAD_USER_INPUT",
    }
}

pub async fn ensure_error_shape(request: Request, next: Next) -> Response {
    let request_id = request_id(request.headers());
    let own_shape = request.uri().path().starts_with("/health/");
    let response = next.run(request).await;
    let status = response.status();
    if own_shape || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY_BYTES)
        .await
        .unwrap_or_default();
    let mut body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(value) if holds_errors(&value) => value,
        _ => {
            let text = String::from_utf8_lossy(&bytes);
            let message = match text.trim() {
                "" => status.canonical_reason().unwrap_or("error").to_lowercase(),
                text => text.to_string(),
            };
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            json!({ "errors": [{ "message": message }] })
        }
    };
    complete_errors(&mut body, status, &request_id);
    parts.headers.remove(header::CONTENT_LENGTH);
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, Body::from(bytes))
}

/// A GraphQL response, or a batch of them, with errors.
fn holds_errors(value: &Value) -> bool {
    match value {
        Value::Object(object) => object.get("errors").is_some_and(Value::is_array),
        Value::Array(items) => !items.is_empty() && items.iter().all(Value::is_object),
        _ => false,
    }
}

fn complete_errors(body: &mut Value, status: StatusCode, request_id: &str) {
    let responses: Vec<&mut Value> = match body {
        Value::Array(items) => items.iter_mut().collect(),
        single => vec![single],
    };
    for response in responses {
        let Some(Value::Array(errors)) = response.get_mut("errors") else {
            continue;
        };
        for error in errors.iter_mut().filter_map(Value::as_object_mut) {
            let extensions = error
                .entry("extensions")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(extensions) = extensions.as_object_mut() {
                extensions
                    .entry("code")
                    .or_insert_with(|| Value::from(code_for_status(status)));
                extensions.insert("requestId".into(), Value::from(request_id));
            }
        }
    }
}
