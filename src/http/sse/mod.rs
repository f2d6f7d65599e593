//! GraphQL over Server-Sent Events (the graphql-sse protocol) on `/graphql`. Distinct
//! connections mode: a GET or POST accepting `text/event-stream` runs one operation and streams
//! its results as `next` events, then `complete`. Single connection mode (`reservations`): a
//! PUT reserves a stream, a GET with its token opens it, POSTs with the token run operations
//! onto it, a DELETE stops one. Credentials come from the `Authorization` header of each
//! request, never from the URL. Every operation runs through the schema with the same session
//! data as a WebSocket operation (viewer, client, loaders, live credentials), so limits and
//! credential following apply alike. A resumable subscription's events carry `id:` = their
//! cursor, and a request with `Last-Event-ID` resumes right after it.

mod reservations;

use std::{convert::Infallible, net::SocketAddr, pin::Pin, sync::Arc, time::Duration};

use async_graphql::{
    parser::types::{DocumentOperations, OperationDefinition, OperationType},
    Data, Response as GraphqlResponse,
};
use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use futures_util::{stream::BoxStream, Stream, StreamExt};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::watch;

pub use reservations::Reservations;

use super::{
    detach::DetachOverHttp1,
    graphql::{ensure_error_code, parse_get_parameters, parse_request_object, RawGraphqlRequest},
    request_caller::{authentication_failed, resolve_caller, Caller},
    HttpState,
};
use crate::{
    auth::{
        live::{HeldCredential, LiveCredentials},
        viewer::Viewer,
    },
    error::REQUEST_ID,
    graphql::{
        loaders::Loaders,
        observer::ArrivedOverGet,
        persisted::PersistedQueryError,
        resume::{DeliveredCursor, ResumeAfter},
    },
};

/// Names the reservation of the single connection mode, as graphql-sse specifies.
pub const STREAM_TOKEN_HEADER: HeaderName = HeaderName::from_static("x-graphql-event-stream-token");
pub const LAST_EVENT_ID_HEADER: HeaderName = HeaderName::from_static("last-event-id");
const EVENT_STREAM: &str = "text/event-stream";
/// The longest `Last-Event-ID` taken as a cursor; ours are short numbers.
const MAX_LAST_EVENT_ID_BYTES: usize = 128;

/// Whether the client asks for an event stream (`Accept: text/event-stream`).
pub fn accepts_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|entry| {
                let mut parts = entry.split(';').map(str::trim);
                let media = parts.next().unwrap_or_default();
                let refused = parts.any(|param| param == "q=0" || param == "q=0.0");
                media.eq_ignore_ascii_case(EVENT_STREAM) && !refused
            })
        })
}

/// The reservation token of a single-connection request: the header, else the `token` search
/// parameter (the one thing `EventSource` can send).
pub fn stream_token(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(token) = headers
        .get(STREAM_TOKEN_HEADER)
        .and_then(|value| value.to_str().ok())
    {
        return Some(token.to_string());
    }
    search_parameter(uri, "token")
}

fn search_parameter(uri: &Uri, name: &str) -> Option<String> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// `GET /graphql` with `Accept: text/event-stream`.
pub async fn get(state: HttpState, peer: SocketAddr, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if let Some(token) = stream_token(&parts.headers, &parts.uri) {
        if let Some(reservation) = state.sse.find(&token) {
            return reservations::open_stream(state, peer, &parts.headers, reservation).await;
        }
    }
    match parse_get_parameters(parts.uri.query().unwrap_or_default()) {
        Ok(raw) => distinct(state, peer, &parts.headers, raw, true).await,
        Err(message) => plain_error(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT"),
    }
}

/// `POST /graphql` that accepts an event stream or names a reservation.
pub async fn post(state: HttpState, peer: SocketAddr, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let token = stream_token(&parts.headers, &parts.uri);
    let reservation = token.as_deref().and_then(|token| state.sse.find(token));
    let wants_stream = accepts_event_stream(&parts.headers);
    if let (true, Some(reservation)) = (wants_stream, &reservation) {
        return reservations::open_stream(state, peer, &parts.headers, reservation.clone()).await;
    }
    let raw = match read_request(&state, &parts.headers, body).await {
        Ok(raw) => raw,
        Err(response) => return response,
    };
    match (wants_stream, reservation) {
        (true, _) => distinct(state, peer, &parts.headers, raw, false).await,
        (false, Some(reservation)) => {
            reservations::run_operation(state, peer, &parts.headers, reservation, raw).await
        }
        (false, None) => plain_error(
            StatusCode::NOT_FOUND,
            "no event stream is reserved under this token on this server; reserve one with PUT",
            "NOT_FOUND",
        ),
    }
}

/// `PUT /graphql`: reserves a single-connection stream.
pub async fn reserve(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    reservations::reserve(state, peer, &headers).await
}

/// `DELETE /graphql?operationId=…`: stops one operation of a single-connection stream.
pub async fn stop(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    reservations::stop(state, peer, &headers, &uri).await
}

async fn read_request(
    state: &HttpState,
    headers: &HeaderMap,
    body: Body,
) -> Result<RawGraphqlRequest, Response> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().starts_with("application/json"));
    if !is_json {
        return Err(plain_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send GraphQL requests as application/json",
            "BAD_USER_INPUT",
        ));
    }
    let max_body_bytes = state.app.settings.abuse.http.max_body_bytes;
    let body = axum::body::to_bytes(body, max_body_bytes)
        .await
        .map_err(|_| {
            plain_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the request body is larger than {max_body_bytes} bytes (`MAX_BODY_BYTES`)"
                ),
                "BAD_USER_INPUT",
            )
        })?;
    let value = serde_json::from_slice::<Value>(&body).map_err(|_| {
        plain_error(
            StatusCode::BAD_REQUEST,
            "the request body is not valid JSON",
            "BAD_USER_INPUT",
        )
    })?;
    parse_request_object(value)
        .map_err(|message| plain_error(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT"))
}

/// Distinct connections mode: this response streams the one operation.
async fn distinct(
    state: HttpState,
    peer: SocketAddr,
    headers: &HeaderMap,
    raw: RawGraphqlRequest,
    over_get: bool,
) -> Response {
    let caller = match resolve_caller(&state, peer, headers).await {
        Ok(caller) => caller,
        Err(error) => return authentication_failed(super::graphql::ResponseMedia::Json, error),
    };
    let request_id = caller.request_id.clone();
    let operation =
        operation_frames(&state, caller, raw, over_get, last_event_id(headers), None).await;
    let mut response = event_stream_response(
        Scoped::new(request_id, operation.frames),
        state.app.settings.abuse.http.sse_keep_alive,
        state.app.shutdown.clone(),
    );
    // A query's stream ends with its one result, and its connection stays open for the next
    // request; a subscription's stays for hours.
    if operation.is_subscription {
        response.extensions_mut().insert(DetachOverHttp1);
    }
    response
}

fn last_event_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(LAST_EVENT_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= MAX_LAST_EVENT_ID_BYTES)
        .map(str::to_string)
}

/// The SSE frames of one operation: a `next` event per result, then `complete`.
struct OperationFrames {
    frames: BoxStream<'static, Bytes>,
    is_subscription: bool,
}

/// Runs one operation as SSE frames. `operation_id` is the single connection mode's id,
/// wrapped around each payload.
async fn operation_frames(
    state: &HttpState,
    caller: Caller,
    raw: RawGraphqlRequest,
    over_get: bool,
    resume: Option<String>,
    operation_id: Option<Arc<str>>,
) -> OperationFrames {
    let complete = complete_frame(operation_id.as_deref());
    let document = match state
        .app
        .persisted
        .resolve(raw.query, &raw.extensions)
        .await
    {
        Ok(document) => document,
        Err(error) => {
            let refusal = next_frame(operation_id.as_deref(), None, &persisted_refusal(error));
            return OperationFrames {
                frames: futures_util::stream::iter([refusal, complete]).boxed(),
                is_subscription: false,
            };
        }
    };
    let is_subscription = names_subscription(&document.query, raw.operation_name.as_deref());
    let mut request = async_graphql::Request::new(document.query).variables(raw.variables);
    request.operation_name = raw.operation_name;
    request.extensions = async_graphql::Extensions(
        raw.extensions
            .into_iter()
            .map(|(key, value)| {
                (
                    key,
                    async_graphql::Value::from_json(value).unwrap_or_default(),
                )
            })
            .collect(),
    );
    let cursor = DeliveredCursor::default();
    let session = session_data(state, caller, over_get, resume, &cursor);
    let frames = state
        .schema
        .execute_stream_with_session_data(request, Arc::new(session))
        .map(move |mut response| {
            for error in &mut response.errors {
                ensure_error_code(error);
            }
            next_frame(operation_id.as_deref(), cursor.take(), &response)
        })
        .chain(futures_util::stream::once(async move { complete }))
        .boxed();
    OperationFrames {
        frames,
        is_subscription,
    }
}

/// Whether the operation the request runs is a subscription. A document that does not parse or
/// name one is not: it ends with its error at once.
fn names_subscription(query: &str, operation_name: Option<&str>) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    let is_subscription =
        |operation: &OperationDefinition| operation.ty == OperationType::Subscription;
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), _) => is_subscription(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .get(name)
            .is_some_and(|operation| is_subscription(&operation.node)),
        (DocumentOperations::Multiple(_), None) => false,
    }
}

/// What a WebSocket's `connection_init` would give its operations, for one SSE operation.
fn session_data(
    state: &HttpState,
    caller: Caller,
    over_get: bool,
    resume: Option<String>,
    cursor: &DeliveredCursor,
) -> Data {
    let mut data = Data::default();
    if let (Viewer::User(user), Some(expires_at)) = (&caller.viewer, caller.expires_at) {
        data.insert(LiveCredentials::new(
            HeldCredential::of(user, expires_at),
            false,
        ));
    }
    data.insert(caller.viewer);
    data.insert(caller.client);
    // A stream lives for hours: rows cached for its lifetime would go stale.
    data.insert(Loaders::without_cache(
        &state.app.pool,
        state.app.settings.loader_max_batch,
    ));
    data.insert(cursor.clone());
    if let Some(resume) = resume {
        data.insert(ResumeAfter(resume));
    }
    if over_get {
        data.insert(ArrivedOverGet);
    }
    data
}

fn persisted_refusal(error: PersistedQueryError) -> GraphqlResponse {
    let (message, code) = match error {
        PersistedQueryError::NotFound => (
            "PersistedQueryNotFound".to_string(),
            "PERSISTED_QUERY_NOT_FOUND",
        ),
        PersistedQueryError::NotSupported => (
            "PersistedQueryNotSupported".to_string(),
            "PERSISTED_QUERY_NOT_SUPPORTED",
        ),
        PersistedQueryError::HashMismatch => (
            "provided sha does not match query".to_string(),
            "BAD_USER_INPUT",
        ),
        PersistedQueryError::BadExtension(message) => (message, "BAD_USER_INPUT"),
        PersistedQueryError::NotTrusted => (
            "this server only runs trusted documents; this operation is not in its manifest"
                .to_string(),
            "FORBIDDEN",
        ),
    };
    let mut error = async_graphql::ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    GraphqlResponse::from_errors(vec![error])
}

fn next_frame(
    operation_id: Option<&str>,
    cursor: Option<String>,
    response: &GraphqlResponse,
) -> Bytes {
    /// The single connection mode's envelope, written straight into the frame: one event goes
    /// to thousands of subscribers, each serializing it.
    #[derive(Serialize)]
    struct Addressed<'a> {
        id: &'a str,
        payload: &'a GraphqlResponse,
    }
    let mut frame = Vec::with_capacity(256);
    frame.extend_from_slice(b"event: next\n");
    // A cursor is a number; anything that could break the framing is left out.
    if let Some(cursor) = cursor.filter(|cursor| !cursor.contains(['\r', '\n'])) {
        frame.extend_from_slice(b"id: ");
        frame.extend_from_slice(cursor.as_bytes());
        frame.push(b'\n');
    }
    frame.extend_from_slice(b"data: ");
    // JSON escapes every line break inside strings, so the data stays on one line.
    let data_start = frame.len();
    let written = match operation_id {
        Some(id) => serde_json::to_writer(
            &mut frame,
            &Addressed {
                id,
                payload: response,
            },
        ),
        None => serde_json::to_writer(&mut frame, response),
    };
    if written.is_err() {
        frame.truncate(data_start);
        let failed = json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] });
        let failed = match operation_id {
            Some(id) => json!({ "id": id, "payload": failed }),
            None => failed,
        };
        frame.extend_from_slice(failed.to_string().as_bytes());
    }
    frame.extend_from_slice(b"\n\n");
    Bytes::from(frame)
}

fn complete_frame(operation_id: Option<&str>) -> Bytes {
    match operation_id {
        // `data` present but empty: EventSource fires no listener for an event without it.
        None => Bytes::from_static(b"event: complete\ndata: \n\n"),
        Some(id) => Bytes::from(format!(
            "event: complete\ndata: {}\n\n",
            json!({ "id": id })
        )),
    }
}

/// Keep-alive comment; also sent first, so the client sees the stream open at once.
const KEEP_ALIVE: &[u8] = b":\n\n";

/// A `text/event-stream` response of `frames`, with keep-alive comments between them, ending
/// with the frames or when the server stops.
fn event_stream_response(
    frames: impl Stream<Item = Bytes> + Send + 'static,
    keep_alive: Duration,
    shutdown: watch::Receiver<bool>,
) -> Response {
    let mut ticks = tokio::time::interval(keep_alive);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let frames: Pin<Box<dyn Stream<Item = Bytes> + Send>> = Box::pin(frames);
    let body = futures_util::stream::unfold(
        (frames, ticks, shutdown),
        |(mut frames, mut ticks, mut shutdown)| async move {
            let frame = tokio::select! {
                biased;
                _ = shutdown.wait_for(|stopping| *stopping) => return None,
                frame = frames.next() => frame?,
                _ = ticks.tick() => Bytes::from_static(KEEP_ALIVE),
            };
            Some((Ok::<_, Infallible>(frame), (frames, ticks, shutdown)))
        },
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            // nginx and others buffer responses unless told not to.
            (
                HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// A request refused before any stream: JSON with the error code, as over plain HTTP.
fn plain_error(status: StatusCode, message: &str, code: &str) -> Response {
    (
        status,
        axum::Json(json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })),
    )
        .into_response()
}

/// Polls a stream inside its request's id, so what it logs names the request.
struct Scoped<S> {
    request_id: String,
    inner: S,
}

impl<S> Scoped<S> {
    fn new(request_id: String, inner: S) -> Self {
        Scoped { request_id, inner }
    }
}

impl<S: Stream + Unpin> Stream for Scoped<S> {
    type Item = S::Item;

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        REQUEST_ID.sync_scope(this.request_id.clone(), || this.inner.poll_next_unpin(cx))
    }
}
