//! Browser-facing hardening: security headers on every response (a CSP strict enough for an
//! API yet loose enough for the vendored playground, HSTS when configured) and CORS from the
//! configured allowlist. The body-size limit lives with the GraphQL handler that enforces it.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderName, HeaderValue, Method},
    middleware::Next,
    response::Response,
};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::REQUEST_ID_HEADER;
use crate::config::Settings;

pub const RATE_LIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const RATE_LIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const RATE_LIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Everything the playground loads is served by us (`web-playground/`); GraphiQL sets inline
/// styles, and its only connections are to this origin (HTTP and WebSocket).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Two years, the preload list's minimum.
const HSTS: &str = "max-age=63072000; includeSubDomains";

pub fn security_headers(settings: &Settings) -> Arc<HeaderMap> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    if settings.abuse.http.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    Arc::new(headers)
}

pub async fn add_security_headers(
    State(headers): State<Arc<HeaderMap>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    for (name, value) in headers.iter() {
        response.headers_mut().insert(name, value.clone());
    }
    response
}

/// Browsers may call the API from the listed origins only. Settings already refused a
/// wildcard with credentials (and a wildcard at all in production).
pub fn cors_layer(settings: &Settings) -> anyhow::Result<CorsLayer> {
    let origins = &settings.cors_origins;
    let layer = CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            super::sse::STREAM_TOKEN_HEADER,
            super::sse::LAST_EVENT_ID_HEADER,
        ])
        .expose_headers([
            REQUEST_ID_HEADER,
            RATE_LIMIT_LIMIT,
            RATE_LIMIT_REMAINING,
            RATE_LIMIT_RESET,
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|origin| origin == "*") {
        return Ok(layer.allow_origin(AllowOrigin::any()));
    }
    let allowed = origins
        .iter()
        .map(|origin| HeaderValue::from_str(origin))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(layer
        .allow_origin(AllowOrigin::list(allowed))
        .allow_credentials(settings.abuse.http.cors_allow_credentials))
}
