//! GraphQL over HTTP, following the GraphQL-over-HTTP spec: POST with a JSON body, GET with
//! URL parameters (queries only), `application/graphql-response+json` or `application/json`
//! chosen by `Accept`, and status codes that tell request errors from field errors.

use std::net::SocketAddr;

use async_graphql::{parser::types::OperationType, Variables};
use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};

use super::{
    caller::request_id,
    hardening::{RATE_LIMIT_LIMIT, RATE_LIMIT_REMAINING, RATE_LIMIT_RESET},
    request_caller::{caller_refused, resolve_caller, Caller},
    sse, ws, HttpState,
};
use crate::{
    error::REQUEST_ID,
    graphql::{
        loaders::Loaders,
        observer::{ArrivedOverGet, OperationFacts, OperationRecord},
        persisted::PersistedQueryError,
        storable_text,
    },
    limits::{Charge, OperationCharge},
    traces,
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// The response media type the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResponseMedia {
    GraphqlResponseJson,
    Json,
}

impl ResponseMedia {
    fn content_type(self) -> HeaderValue {
        match self {
            ResponseMedia::GraphqlResponseJson => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
            ResponseMedia::Json => HeaderValue::from_static("application/json; charset=utf-8"),
        }
    }
}

/// Picks the media type from `Accept`. No header means a legacy client: `application/json`.
pub(super) fn negotiate(headers: &HeaderMap) -> Option<ResponseMedia> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(ResponseMedia::Json);
    };
    let mut best: Option<(f32, ResponseMedia)> = None;
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let quality = parts
            .filter_map(|param| param.strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let candidate = match media.as_str() {
            GRAPHQL_RESPONSE_JSON => ResponseMedia::GraphqlResponseJson,
            APPLICATION_JSON | "application/*" | "*/*" => ResponseMedia::Json,
            _ => continue,
        };
        if quality <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((best_quality, best_media)) => {
                quality > best_quality
                    || (quality == best_quality
                        && candidate == ResponseMedia::GraphqlResponseJson
                        && best_media == ResponseMedia::Json)
            }
        };
        if better {
            best = Some((quality, candidate));
        }
    }
    best.map(|(_, media)| media)
}

/// A GraphQL-over-HTTP request before execution. `query` may be absent when the request names
/// a persisted document by hash instead.
pub(super) struct RawGraphqlRequest {
    pub(super) query: Option<String>,
    pub(super) operation_name: Option<String>,
    pub(super) variables: Variables,
    pub(super) extensions: serde_json::Map<String, Value>,
    /// Files of a multipart request (see `multipart.rs`), referenced from `variables`.
    pub(super) uploads: Vec<async_graphql::UploadValue>,
}

/// A response for a request that never reached GraphQL execution.
pub(super) fn request_error(
    status: StatusCode,
    media: ResponseMedia,
    message: &str,
    code: Option<&str>,
) -> Response {
    let mut error = json!({ "message": message });
    if let Some(code) = code {
        error["extensions"] = json!({ "code": code });
    }
    let mut response = (status, axum::Json(json!({ "errors": [error] }))).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

pub(super) fn parse_request_object(value: Value) -> Result<RawGraphqlRequest, String> {
    let Value::Object(mut object) = value else {
        return Err("the request body must be a JSON object".into());
    };
    let query = match object.remove("query") {
        Some(Value::String(query)) => Some(query),
        None | Some(Value::Null) => None,
        Some(_) => return Err("`query` must be a string".into()),
    };
    let operation_name = match object.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(_) => return Err("`operationName` must be a string".into()),
    };
    let variables = match object.remove("variables") {
        None | Some(Value::Null) => Variables::default(),
        Some(value @ Value::Object(_)) => Variables::from_json(value),
        Some(_) => return Err("`variables` must be an object".into()),
    };
    let extensions = match object.remove("extensions") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err("`extensions` must be an object".into()),
    };
    Ok(RawGraphqlRequest {
        query,
        operation_name,
        variables,
        extensions,
        uploads: Vec::new(),
    })
}

pub async fn graphql_post(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if sse::accepts_event_stream(request.headers())
        || sse::stream_token(request.headers(), request.uri()).is_some()
    {
        return sse::post(state, peer, request).await;
    }
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !content_type.starts_with(APPLICATION_JSON) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "send GraphQL requests as application/json (or multipart/form-data for uploads)",
            Some("BAD_USER_INPUT"),
        );
    }
    let max_body_bytes = state.app.settings.abuse.http.max_body_bytes;
    let Ok(body) = axum::body::to_bytes(body, max_body_bytes).await else {
        return request_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            &format!("the request body is larger than {max_body_bytes} bytes (`MAX_BODY_BYTES`)"),
            Some("BAD_USER_INPUT"),
        );
    };
    let parsed = match storable_text::parse_json::<Value>(&body) {
        Ok(Value::Array(items)) => {
            let max_batch = state.app.settings.abuse.query.max_batch;
            return match check_batch_size(items.len(), max_batch) {
                Ok(()) => execute_batch(state, peer, &headers, media, items).await,
                Err(message) => request_error(
                    StatusCode::BAD_REQUEST,
                    media,
                    &message,
                    Some("BAD_USER_INPUT"),
                ),
            };
        }
        Ok(value) => parse_request_object(value),
        Err(_) => Err("the request body is not valid JSON".to_string()),
    };
    match parsed {
        Ok(raw) => execute(state, peer, &headers, media, raw, false).await,
        Err(message) => request_error(
            StatusCode::BAD_REQUEST,
            media,
            &message,
            Some("BAD_USER_INPUT"),
        ),
    }
}

fn check_batch_size(size: usize, max_batch: usize) -> Result<(), String> {
    match size {
        _ if max_batch == 0 => Err("batched requests are not enabled on this server (`BATCH`)".into()),
        0 => Err("a batched request needs at least one operation".into()),
        size if size > max_batch => Err(format!(
            "a batched request may hold at most {max_batch} operations (`BATCH`); this one has {size}"
        )),
        _ => Ok(()),
    }
}

pub async fn graphql_get(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    if is_websocket_upgrade(request.headers()) {
        let (mut parts, _) = request.into_parts();
        return match axum::extract::ws::WebSocketUpgrade::from_request_parts(&mut parts, &state)
            .await
        {
            Ok(upgrade) => ws::upgrade(state, upgrade, &parts.headers, peer),
            Err(rejection) => rejection.into_response(),
        };
    }
    if sse::accepts_event_stream(request.headers()) {
        return sse::get(state, peer, request).await;
    }
    let headers = request.headers().clone();
    let Some(media) = negotiate(&headers) else {
        return not_acceptable();
    };
    let query_string = request.uri().query().unwrap_or_default();
    match parse_get_parameters(query_string) {
        Ok(raw) => execute(state, peer, &headers, media, raw, true).await,
        Err(message) => request_error(
            StatusCode::BAD_REQUEST,
            media,
            &message,
            Some("BAD_USER_INPUT"),
        ),
    }
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

pub(super) fn parse_get_parameters(query_string: &str) -> Result<RawGraphqlRequest, String> {
    let mut object = serde_json::Map::new();
    for (key, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        let value = match key.as_ref() {
            "query" | "operationName" => Value::String(value.into_owned()),
            "variables" | "extensions" => storable_text::parse_json(value.as_bytes())
                .map_err(|_| format!("`{key}` must be URL-encoded JSON"))?,
            _ => continue,
        };
        object.insert(key.into_owned(), value);
    }
    parse_request_object(Value::Object(object))
}

/// The client accepts neither response type; the refusal itself still comes as JSON, the one
/// shape every error has.
pub(super) fn not_acceptable() -> Response {
    request_error(
        StatusCode::NOT_ACCEPTABLE,
        ResponseMedia::Json,
        &format!("acceptable response types: {GRAPHQL_RESPONSE_JSON}, {APPLICATION_JSON}"),
        Some("BAD_USER_INPUT"),
    )
}

pub(super) async fn execute(
    state: HttpState,
    peer: SocketAddr,
    headers: &HeaderMap,
    media: ResponseMedia,
    raw: RawGraphqlRequest,
    over_get: bool,
) -> Response {
    let caller = match resolve_caller(&state, peer, headers).await {
        Ok(caller) => caller,
        Err(error) => return caller_refused(media, error, &request_id(headers)),
    };
    let outcome = run_operation(&state, &caller, media, raw, over_get).await;
    let mut response = (outcome.status, outcome.body).into_response();
    response.headers_mut().extend(outcome.headers);
    finish_response(
        response,
        media,
        outcome.charge.as_ref(),
        outcome.retry_after,
    )
}

/// Runs each operation of a batch in order, as separate requests of the same caller.
async fn execute_batch(
    state: HttpState,
    peer: SocketAddr,
    headers: &HeaderMap,
    media: ResponseMedia,
    items: Vec<Value>,
) -> Response {
    let caller = match resolve_caller(&state, peer, headers).await {
        Ok(caller) => caller,
        Err(error) => return caller_refused(media, error, &request_id(headers)),
    };
    let (mut bodies, mut last_charge, mut retry_after) = (Vec::new(), None, None);
    for item in items {
        let outcome = match parse_request_object(item) {
            Ok(raw) => run_operation(&state, &caller, media, raw, false).await,
            Err(message) => {
                OperationOutcome::refused(StatusCode::BAD_REQUEST, &message, "BAD_USER_INPUT")
            }
        };
        bodies.push(outcome.body);
        last_charge = outcome.charge.or(last_charge);
        retry_after = retry_after.max(outcome.retry_after);
    }
    let status = if retry_after.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::OK
    };
    let response = (status, json_array(bodies)).into_response();
    finish_response(response, media, last_charge.as_ref(), retry_after)
}

/// The answers of a batch, already serialized, as one JSON array.
fn json_array(bodies: Vec<Vec<u8>>) -> Vec<u8> {
    let mut array = Vec::with_capacity(bodies.iter().map(|body| body.len() + 1).sum::<usize>() + 2);
    array.push(b'[');
    for (index, body) in bodies.into_iter().enumerate() {
        if index > 0 {
            array.push(b',');
        }
        array.extend_from_slice(&body);
    }
    array.push(b']');
    array
}

/// One operation's answer before it becomes (part of) an HTTP response: its JSON, serialized
/// once, straight from the response (no intermediate JSON tree).
struct OperationOutcome {
    status: StatusCode,
    body: Vec<u8>,
    headers: HeaderMap,
    charge: Option<Charge>,
    /// Set when the operation was refused by a rate limit.
    retry_after: Option<u64>,
}

impl OperationOutcome {
    fn refused(status: StatusCode, message: &str, code: &str) -> Self {
        OperationOutcome {
            status,
            body: json!({ "errors": [{ "message": message, "extensions": { "code": code } }] })
                .to_string()
                .into_bytes(),
            headers: HeaderMap::new(),
            charge: None,
            retry_after: None,
        }
    }
}

/// A request error (one that stopped the operation before execution) is 400 for clients that
/// accept `application/graphql-response+json` and 200 for legacy `application/json` ones.
fn request_error_status(media: ResponseMedia) -> StatusCode {
    match media {
        ResponseMedia::GraphqlResponseJson => StatusCode::BAD_REQUEST,
        ResponseMedia::Json => StatusCode::OK,
    }
}

fn persisted_query_refusal(media: ResponseMedia, error: PersistedQueryError) -> OperationOutcome {
    // Apollo clients recognize these two by message and code, and expect them with 200.
    let (status, message, code) = match error {
        PersistedQueryError::NotFound => (
            StatusCode::OK,
            "PersistedQueryNotFound".to_string(),
            "PERSISTED_QUERY_NOT_FOUND",
        ),
        PersistedQueryError::NotSupported => (
            StatusCode::OK,
            "PersistedQueryNotSupported".to_string(),
            "PERSISTED_QUERY_NOT_SUPPORTED",
        ),
        PersistedQueryError::HashMismatch => (
            request_error_status(media),
            "provided sha does not match query".to_string(),
            "BAD_USER_INPUT",
        ),
        PersistedQueryError::BadExtension(message) => {
            (StatusCode::BAD_REQUEST, message, "BAD_USER_INPUT")
        }
        PersistedQueryError::NotTrusted => (
            request_error_status(media),
            "this server only runs trusted documents; this operation is not in its manifest"
                .to_string(),
            "FORBIDDEN",
        ),
    };
    OperationOutcome::refused(status, &message, code)
}

async fn run_operation(
    state: &HttpState,
    caller: &Caller,
    media: ResponseMedia,
    raw: RawGraphqlRequest,
    over_get: bool,
) -> OperationOutcome {
    let document = match state
        .app
        .persisted
        .resolve(raw.query, &raw.extensions)
        .await
    {
        Ok(document) => document,
        Err(error) => return persisted_query_refusal(media, error),
    };
    let registration = document
        .register_as
        .map(|hash| (hash, document.query.clone()));
    let record = OperationRecord::default();
    let charge = OperationCharge::default();
    let mut request = async_graphql::Request::new(document.query)
        .variables(raw.variables)
        .data(caller.viewer.clone())
        .data(Loaders::new(
            &state.app.pool,
            state.app.settings.loader_max_batch,
        ))
        .data(caller.client.clone())
        .data(record.clone())
        .data(charge.clone());
    request.operation_name = raw.operation_name;
    request.uploads = raw.uploads;
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
    if over_get {
        request = request.data(ArrivedOverGet);
    }

    let mut response = REQUEST_ID
        .scope(caller.request_id.clone(), state.schema.execute(request))
        .await;
    let trace_id = traces::current_trace_id();
    for error in &mut response.errors {
        ensure_error_code(error);
        if let Some(trace_id) = &trace_id {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("traceId", trace_id.as_str());
        }
    }
    let facts = record.facts();
    record_operation_metrics(state, &facts, response.errors.is_empty());
    if let (Some((hash, query)), true) = (registration, facts.executed) {
        state.app.persisted.register(hash, query).await;
    }

    if facts.refused_mutation_over_get {
        let mut refused = OperationOutcome::refused(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations are not allowed over GET; send them with POST",
            "BAD_USER_INPUT",
        );
        refused
            .headers
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return refused;
    }

    let retry_after = response.errors.iter().filter_map(retry_after_of).max();
    let unavailable = response.errors.iter().filter_map(unavailable_for).max();
    // A request error (unparsable document, failed validation, bad variables) has no `data`.
    let (status, body) = if facts.executed {
        (StatusCode::OK, serde_json::to_vec(&response))
    } else {
        (
            request_error_status(media),
            serde_json::to_vec(&json!({ "errors": response.errors })),
        )
    };
    let (status, retry_after) = match (unavailable, retry_after) {
        // The database is gone: whatever else happened, the answer is "come back later".
        (Some(seconds), _) => (StatusCode::SERVICE_UNAVAILABLE, Some(seconds)),
        (None, Some(seconds)) => (StatusCode::TOO_MANY_REQUESTS, Some(seconds)),
        (None, None) => (status, None),
    };
    let body = body.unwrap_or_else(|_| {
        br#"{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}"#.to_vec()
    });
    let mut headers = HeaderMap::new();
    for (name, value) in response.http_headers.iter() {
        headers.append(name, value.clone());
    }
    OperationOutcome {
        status,
        body,
        headers,
        charge: charge.get(),
        retry_after,
    }
}

fn record_operation_metrics(state: &HttpState, facts: &OperationFacts, succeeded: bool) {
    let operation_type = match facts.operation_type {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    };
    let outcome = match (facts.executed, succeeded) {
        (false, _) => "request_error",
        (true, true) => "ok",
        (true, false) => "error",
    };
    state.app.metrics.record_graphql(
        operation_type,
        facts.operation_name.as_deref().unwrap_or("anonymous"),
        outcome,
    );
}

/// `retryAfterSeconds` of a RATE_LIMITED error.
fn retry_after_of(error: &async_graphql::ServerError) -> Option<u64> {
    let extensions = error.extensions.as_ref()?;
    if extensions.get("code") != Some(&async_graphql::Value::from("RATE_LIMITED")) {
        return None;
    }
    match extensions.get("retryAfterSeconds") {
        Some(async_graphql::Value::Number(seconds)) => seconds.as_u64(),
        _ => Some(1),
    }
}

/// `retryAfterSeconds` of a SERVICE_UNAVAILABLE error.
fn unavailable_for(error: &async_graphql::ServerError) -> Option<u64> {
    let extensions = error.extensions.as_ref()?;
    if extensions.get("code") != Some(&async_graphql::Value::from("SERVICE_UNAVAILABLE")) {
        return None;
    }
    match extensions.get("retryAfterSeconds") {
        Some(async_graphql::Value::Number(seconds)) => seconds.as_u64(),
        _ => Some(1),
    }
}

/// Content type, the points budget (`X-RateLimit-*`) and, when refused, `Retry-After`.
pub(super) fn finish_response(
    mut response: Response,
    media: ResponseMedia,
    charge: Option<&Charge>,
    retry_after: Option<u64>,
) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, media.content_type());
    if let Some(charge) = charge {
        headers.insert(RATE_LIMIT_LIMIT, HeaderValue::from(charge.limit));
        headers.insert(RATE_LIMIT_REMAINING, HeaderValue::from(charge.remaining));
        headers.insert(
            RATE_LIMIT_RESET,
            HeaderValue::from(charge.reset_at.timestamp().max(0) as u64),
        );
    }
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Errors raised by async-graphql itself (parsing, validation, input coercion) carry no code;
/// they are all the client's doing, except the depth and complexity limits, which get theirs.
pub(super) fn ensure_error_code(error: &mut async_graphql::ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_some() {
        return;
    }
    let too_complex = [
        "nested too deep",
        "too complex",
        "recursion depth",
        "number of directives",
    ];
    let code = if too_complex
        .iter()
        .any(|phrase| error.message.contains(phrase))
    {
        "QUERY_TOO_COMPLEX"
    } else {
        "BAD_USER_INPUT"
    };
    extensions.set("code", code);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn negotiation_prefers_graphql_response_json_and_honours_quality() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(ResponseMedia::Json));
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Some(ResponseMedia::GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Some(ResponseMedia::Json)
        );
        assert_eq!(negotiate(&accept("*/*")), Some(ResponseMedia::Json));
        assert_eq!(negotiate(&accept("text/html")), None);
    }
}
