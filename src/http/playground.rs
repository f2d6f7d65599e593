//! GraphiQL for developers exploring the API, served entirely from assets vendored in
//! `web-playground/` and compiled into the binary: the playground works offline.

use axum::{
    extract::Path,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};

const INDEX: &str = include_str!("../../web-playground/index.html");

/// (file name, content type, bytes) of every asset `index.html` loads.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../web-playground/graphiql.min.css"),
    ),
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web-playground/graphiql.min.js"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web-playground/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web-playground/react-dom.production.min.js"),
    ),
    (
        "examples.json",
        "application/json",
        include_bytes!("../../web-playground/examples.json"),
    ),
    (
        "playground.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../web-playground/playground.js"),
    ),
];

pub async fn playground() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX).into_response()
}

pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                // Assets change only with a new binary; a day of caching is safe.
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such playground asset\n").into_response(),
    }
}
