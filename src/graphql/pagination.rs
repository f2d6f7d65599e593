//! Relay cursor pagination: page-size policy and opaque cursors shared by every connection.

use async_graphql::connection::{Connection, CursorType, Edge};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{bad_input, AppResult};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
/// Every list is paginated with at most this many items per page, which bounds query cost.
pub const MAX_PAGE_SIZE: i32 = 100;

/// Validates `first`, defaulting when omitted.
pub fn page_size(first: Option<i32>) -> AppResult<i64> {
    match first.unwrap_or(DEFAULT_PAGE_SIZE) {
        size @ 0..=MAX_PAGE_SIZE => Ok(i64::from(size)),
        _ => Err(bad_input(
            "first",
            format!("must be between 0 and {MAX_PAGE_SIZE}"),
        )),
    }
}

pub fn encode_cursor(position: &impl Serialize) -> String {
    let json = serde_json::to_vec(position).expect("cursor positions are plain serializable data");
    URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_cursor<T: DeserializeOwned>(field: &str, cursor: &str) -> AppResult<T> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| bad_input(field, "is not a cursor returned by this API"))
}

/// An edge's cursor, encoded only when the client reads it (`cursor`, `pageInfo`): most
/// queries read the nodes of a page, and encoding every edge's position up front was a
/// measurable share of serving a large page.
pub enum PageCursor {
    Position(Box<dyn EncodePosition>),
    Encoded(String),
}

/// A page position that can become an opaque cursor.
pub trait EncodePosition: Send + Sync {
    fn encode(&self) -> String;
}

impl<P: Serialize + Send + Sync> EncodePosition for P {
    fn encode(&self) -> String {
        encode_cursor(self)
    }
}

impl PageCursor {
    pub fn at<P: Serialize + Send + Sync + 'static>(position: P) -> Self {
        PageCursor::Position(Box::new(position))
    }
}

impl CursorType for PageCursor {
    type Error = std::convert::Infallible;

    fn decode_cursor(cursor: &str) -> Result<Self, Self::Error> {
        Ok(PageCursor::Encoded(cursor.to_string()))
    }

    fn encode_cursor(&self) -> String {
        match self {
            PageCursor::Position(position) => position.encode(),
            PageCursor::Encoded(cursor) => cursor.clone(),
        }
    }
}

/// The validated `first` and decoded `after` position of a page request.
pub fn page_request<P: DeserializeOwned>(
    first: Option<i32>,
    after: Option<&str>,
) -> AppResult<(i64, Option<P>)> {
    let limit = page_size(first)?;
    let after = after
        .map(|cursor| decode_cursor("after", cursor))
        .transpose()?;
    Ok((limit, after))
}

/// Builds a connection from `limit + 1` fetched rows: the extra row only signals a next page.
pub fn connection_from_rows<T, P: Serialize + Send + Sync + 'static>(
    mut rows: Vec<T>,
    limit: i64,
    has_previous_page: bool,
    position: impl Fn(&T) -> P,
) -> Connection<PageCursor, T>
where
    T: async_graphql::OutputType,
{
    let has_next_page = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let mut connection = Connection::new(has_previous_page, has_next_page);
    connection.edges.extend(
        rows.into_iter()
            .map(|row| Edge::new(PageCursor::at(position(&row)), row)),
    );
    connection
}
