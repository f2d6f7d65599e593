//! File uploads over the GraphQL multipart request spec
//! (https://github.com/jaydenseric/graphql-multipart-request-spec): a `multipart/form-data` POST
//! with `operations`, `map` and the files. It runs in front of the JSON handler and has its own,
//! larger body limit (the import file limit plus form overhead); every other request passes
//! through untouched, still bound by the 1 MiB JSON limit.

use std::net::SocketAddr;

use async_graphql::http::MultipartOptions;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::Response,
};

use super::{
    graphql::{execute, negotiate, request_error, RawGraphqlRequest, ResponseMedia},
    HttpState,
};

/// Room for the `operations` and `map` parts and the part headers around the file.
pub const MULTIPART_OVERHEAD_BYTES: usize = 64 * 1024;

/// A request may carry a few files (the spec allows several); each is bounded by the file limit
/// and the whole body by the file limit plus overhead.
const MAX_FILES: usize = 4;

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Middleware on `POST /graphql`: executes multipart requests, forwards the rest.
pub async fn accept_uploads(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if !is_multipart(request.headers()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Some(media) = negotiate(&parts.headers) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let file_limit = state.app.settings.bookmarks.import_max_bytes;
    let too_large = || {
        request_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            media,
            &format!("an uploaded file may be at most {file_limit} bytes"),
            Some("BAD_USER_INPUT"),
        )
    };
    let Ok(bytes) = axum::body::to_bytes(body, file_limit + MULTIPART_OVERHEAD_BYTES).await else {
        return too_large();
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let options = MultipartOptions::default()
        .max_file_size(file_limit)
        .max_num_files(MAX_FILES);
    let parsed = async_graphql::http::receive_body(Some(content_type), &bytes[..], options).await;
    let raw = match parsed {
        Ok(request) => raw_request(request),
        Err(error) => return refused(media, error, too_large),
    };
    execute(state, peer, &parts.headers, media, raw, false).await
}

fn raw_request(request: async_graphql::Request) -> RawGraphqlRequest {
    RawGraphqlRequest {
        query: Some(request.query),
        operation_name: request.operation_name,
        variables: request.variables,
        extensions: request
            .extensions
            .0
            .into_iter()
            .filter_map(|(key, value)| Some((key, value.into_json().ok()?)))
            .collect(),
        uploads: request.uploads,
    }
}

fn refused(
    media: ResponseMedia,
    error: async_graphql::ParseRequestError,
    too_large: impl Fn() -> Response,
) -> Response {
    use async_graphql::ParseRequestError as E;
    let message = match error {
        E::InvalidMultipart(
            multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. },
        )
        | E::PayloadTooLarge => return too_large(),
        E::UnsupportedBatch => "batched requests are not enabled on this server",
        E::MissingOperatorsPart => "the multipart request has no `operations` part",
        E::MissingMapPart => "the multipart request has no `map` part",
        E::MissingFiles => "the `map` names a file the request does not carry",
        E::InvalidFilesMap(_) => "the `map` part must be a JSON object of file names to paths",
        E::InvalidRequest(error) if error.to_string().contains("surrogate") => {
            "the `operations` part holds an unpaired UTF-16 surrogate escape (such as \\ud800); such text cannot be stored"
        }
        E::InvalidRequest(_) => "the `operations` part is not a valid GraphQL request",
        _ => "the multipart request is malformed",
    };
    request_error(
        StatusCode::BAD_REQUEST,
        media,
        message,
        Some("BAD_USER_INPUT"),
    )
}
