//! Who an HTTP request's caller is: credentials resolved once per request (a batch and an SSE
//! stream share them), with the client's address and the request id; and the answer when they
//! cannot be resolved.

use std::net::SocketAddr;

use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    caller::{client_info, request_id},
    graphql::{finish_response, request_error, ResponseMedia},
    HttpState,
};
use crate::{
    auth::{
        client::ClientInfo,
        viewer::{resolve_credentials, Viewer},
    },
    error::{AppError, REQUEST_ID},
};

/// Who is asking, resolved once per HTTP request (a batch shares it).
pub(in crate::http) struct Caller {
    pub(in crate::http) viewer: Viewer,
    pub(in crate::http) client: ClientInfo,
    pub(in crate::http) request_id: String,
    /// When the credentials stop working (an SSE stream ends then).
    pub(in crate::http) expires_at: Option<DateTime<Utc>>,
}

pub(in crate::http) async fn resolve_caller(
    state: &HttpState,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<Caller, AppError> {
    let request_id = request_id(headers);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let resolved = REQUEST_ID
        .scope(
            request_id.clone(),
            resolve_credentials(authorization, state.app.credential_sources()),
        )
        .await?;
    Ok(Caller {
        viewer: resolved.viewer,
        client: client_info(headers, peer),
        request_id,
        expires_at: resolved.expires_at,
    })
}

/// The caller could not be resolved. Credentials that did not hold are 401, so clients know to
/// refresh or sign in; a database that could not be asked is 503 (the credentials may be
/// fine), and anything else is the server's fault, never a reason to sign in again.
pub(in crate::http) fn caller_refused(
    media: ResponseMedia,
    error: AppError,
    request_id: &str,
) -> Response {
    match error {
        AppError::Unauthenticated(_) => authentication_failed(media, error),
        AppError::ServiceUnavailable {
            retry_after_secs, ..
        } => {
            let body = json!({ "errors": [{ "message": error.client_message(), "extensions": {
                "code": error.code(), "retryAfterSeconds": retry_after_secs, "requestId": request_id } }] });
            let response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
            finish_response(response, media, None, Some(retry_after_secs))
        }
        other => {
            // Logs the cause with the request id; the client gets the id only.
            let message = REQUEST_ID
                .sync_scope(request_id.to_string(), || other.clone().into_graphql())
                .message;
            let body = json!({ "errors": [{ "message": message, "extensions": {
                "code": other.code(), "requestId": request_id } }] });
            let response = (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
            finish_response(response, media, None, None)
        }
    }
}

/// Credentials were presented and did not hold: 401, so clients know to refresh or sign in.
pub(in crate::http) fn authentication_failed(media: ResponseMedia, error: AppError) -> Response {
    let code = error.code();
    let mut response = request_error(
        StatusCode::UNAUTHORIZED,
        media,
        error.client_message(),
        Some(code),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}
