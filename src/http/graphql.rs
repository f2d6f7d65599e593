//! GraphQL over HTTP, following the GraphQL-over-HTTP spec: POST with a JSON body, GET with
//! URL parameters (queries only), `application/graphql-response+json` or `application/json`
//! chosen by `Accept`, and status codes that tell request errors from field errors.

use std::net::SocketAddr;

use async_graphql::{parser::types::OperationType, Variables};
use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};

use super::{ws, HttpState, REQUEST_ID_HEADER};
use crate::{
    auth::viewer::{resolve_viewer, ClientInfo},
    error::{AppError, REQUEST_ID},
    graphql::{
        loaders::Loaders,
        observer::{ArrivedOverGet, OperationRecord},
    },
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

/// A GraphQL-over-HTTP request before execution.
pub(super) struct RawGraphqlRequest {
    pub(super) query: String,
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

fn parse_request_object(value: Value) -> Result<RawGraphqlRequest, String> {
    let Value::Object(mut object) = value else {
        return Err("the request body must be a JSON object".into());
    };
    let query = match object.remove("query") {
        Some(Value::String(query)) => query,
        Some(_) => return Err("`query` must be a string".into()),
        None => return Err("the request has no `query`".into()),
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
    headers: HeaderMap,
    body: Bytes,
) -> Response {
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
            "send GraphQL requests as application/json",
            None,
        );
    }
    let parsed = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(_)) => Err("batched requests are not enabled on this server".to_string()),
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

fn parse_get_parameters(query_string: &str) -> Result<RawGraphqlRequest, String> {
    let mut object = serde_json::Map::new();
    for (key, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        let value = match key.as_ref() {
            "query" | "operationName" => Value::String(value.into_owned()),
            "variables" | "extensions" => serde_json::from_str(&value)
                .map_err(|_| format!("`{key}` must be URL-encoded JSON"))?,
            _ => continue,
        };
        object.insert(key.into_owned(), value);
    }
    parse_request_object(Value::Object(object))
}

fn not_acceptable() -> Response {
    (
        StatusCode::NOT_ACCEPTABLE,
        format!("acceptable response types: {GRAPHQL_RESPONSE_JSON}, {APPLICATION_JSON}\n"),
    )
        .into_response()
}

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

pub(super) async fn execute(
    state: HttpState,
    peer: SocketAddr,
    headers: &HeaderMap,
    media: ResponseMedia,
    raw: RawGraphqlRequest,
    over_get: bool,
) -> Response {
    let request_id = request_id(headers);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let viewer = REQUEST_ID
        .scope(
            request_id.clone(),
            resolve_viewer(authorization, &state.app.keys, &state.app.pool),
        )
        .await;
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(error) => return authentication_failed(media, error),
    };

    let record = OperationRecord::default();
    let mut request = async_graphql::Request::new(raw.query)
        .variables(raw.variables)
        .data(viewer)
        .data(Loaders::new(&state.app.pool))
        .data(client_info(headers, peer))
        .data(record.clone());
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
        .scope(request_id, state.schema.execute(request))
        .await;
    for error in &mut response.errors {
        ensure_error_code(error);
    }
    let facts = record.facts();
    let operation_type = match facts.operation_type {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    };
    let outcome = match (facts.executed, response.errors.is_empty()) {
        (false, _) => "request_error",
        (true, true) => "ok",
        (true, false) => "error",
    };
    state.app.metrics.record_graphql(
        operation_type,
        facts.operation_name.as_deref().unwrap_or("anonymous"),
        outcome,
    );

    if facts.refused_mutation_over_get {
        let mut refused = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "mutations are not allowed over GET; send them with POST",
            Some("BAD_USER_INPUT"),
        );
        refused
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return refused;
    }

    // A request error (unparsable document, failed validation, bad variables) has no `data`.
    let (status, body) = if facts.executed {
        (StatusCode::OK, serde_json::to_value(&response))
    } else {
        let status = match media {
            ResponseMedia::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            ResponseMedia::Json => StatusCode::OK,
        };
        (
            status,
            serde_json::to_value(json!({ "errors": response.errors })),
        )
    };
    let body = body.unwrap_or_else(|_| json!({ "errors": [{ "message": "internal error", "extensions": { "code": "INTERNAL" } }] }));
    let mut http_response = (status, axum::Json(body)).into_response();
    http_response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    for (name, value) in response.http_headers.iter() {
        http_response.headers_mut().append(name, value.clone());
    }
    http_response
}

/// Errors raised by async-graphql itself (parsing, validation, input coercion) carry no code;
/// they are all the client's doing, except the depth and complexity limits, which get theirs.
fn ensure_error_code(error: &mut async_graphql::ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_some() {
        return;
    }
    let code = if error.message.contains("nested too deep") || error.message.contains("too complex")
    {
        "QUERY_TOO_COMPLEX"
    } else {
        "BAD_USER_INPUT"
    };
    extensions.set("code", code);
}

/// Credentials were presented and did not hold: 401, so clients know to refresh or sign in.
fn authentication_failed(media: ResponseMedia, error: AppError) -> Response {
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
