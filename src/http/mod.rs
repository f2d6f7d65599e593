//! The HTTP surface: routes, and the tower layers every request passes through
//! (request id → trace span → error shape → security headers / CORS → body limit → timeout →
//! metrics).

mod caller;
mod detach;
mod error_shape;
mod graphql;
mod hardening;
mod health;
mod multipart;
mod playground;
mod request_caller;
mod sse;
mod ws;

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{header, HeaderName, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{schema::CatalystSchema, state::AppState, traces};

pub use detach::{Connections, DetachableListener};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: CatalystSchema,
    /// Single-connection SSE streams reserved on this instance.
    sse: Arc<sse::Reservations>,
}

pub fn router(app: AppState, schema: CatalystSchema) -> anyhow::Result<Router> {
    let cors = hardening::cors_layer(&app.settings)?;
    let security_headers = hardening::security_headers(&app.settings);
    let max_body_bytes = app.settings.abuse.http.max_body_bytes;
    let timeout = app.settings.request_timeout;
    let state = HttpState {
        app,
        schema,
        sse: Arc::default(),
    };
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let request_id = request
                .headers()
                .get(REQUEST_ID_HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("-");
            let span = tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id, trace_id = tracing::field::Empty);
            traces::continue_trace(&span, request.headers());
            span
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        // Outside the timeout and body limit, so their refusals get the error shape too.
        .layer(middleware::from_fn(error_shape::ensure_error_shape))
        .layer(middleware::from_fn_with_state(
            security_headers,
            hardening::add_security_headers,
        ))
        .layer(cors)
        // Routes that take larger bodies (uploads) raise this with their own layer.
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(middleware::from_fn_with_state(state.clone(), record_metrics));

    Ok(Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_get)
                .post(graphql::graphql_post)
                .put(sse::reserve)
                .delete(sse::stop)
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    multipart::accept_uploads,
                )),
        )
        .route("/playground", get(playground::playground))
        .route("/playground/assets/{name}", get(playground::asset))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(layers)
        .with_state(state))
}

async fn record_metrics(State(state): State<HttpState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    state.app.metrics.record_http(
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn metrics(State(state): State<HttpState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.app.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}
