//! Bookmark and bookmark-import rows, the validated values that may become one, and the import
//! progress that travels over the event bus.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    bookmarks::{
        transfer::BookmarkFormat,
        url::{BookmarkUrl, UrlProblem},
    },
    db::schema::{bookmark_imports, bookmarks},
    error::{bad_input, AppResult},
};

/// GraphQL type names in bookmark and import ids.
pub const BOOKMARK_TYPE: &str = "Bookmark";
pub const BOOKMARK_IMPORT_TYPE: &str = "BookmarkImport";

/// Limits on what one bookmark holds; longer titles and notes are refused on create and update,
/// cut on import (a browser file is not the user's typing).
pub const MAX_TITLE_CHARS: usize = 1_000;
pub const MAX_NOTES_CHARS: usize = 10_000;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;
pub const MAX_FOLDER_DEPTH: usize = 32;
pub const MAX_FOLDER_NAME_CHARS: usize = 255;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = bookmarks, check_for_backend(diesel::pg::Pg))]
pub struct Bookmark {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub project_id: Option<Uuid>,
    pub url: String,
    pub normalized_url: String,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub folder: Vec<String>,
    pub favorite: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = bookmarks)]
pub struct NewBookmark {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub project_id: Option<Uuid>,
    pub url: String,
    pub normalized_url: String,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub folder: Vec<String>,
    pub favorite: bool,
    pub created_at: DateTime<Utc>,
}

impl NewBookmark {
    /// A private bookmark of `url` with nothing else set; an empty title falls back to the URL,
    /// so every bookmark has something to show.
    pub fn of(owner_id: Uuid, url: BookmarkUrl, title: String, created_at: DateTime<Utc>) -> Self {
        NewBookmark {
            id: Uuid::now_v7(),
            owner_id,
            project_id: None,
            title: if title.is_empty() {
                url.url.clone()
            } else {
                title
            },
            url: url.url,
            normalized_url: url.normalized,
            notes: String::new(),
            tags: Vec::new(),
            folder: Vec::new(),
            favorite: false,
            created_at,
        }
    }
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = bookmarks)]
pub struct BookmarkChanges {
    pub project_id: Option<Option<Uuid>>,
    pub url: Option<String>,
    pub normalized_url: Option<String>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    pub folder: Option<Vec<String>>,
    pub favorite: Option<bool>,
}

impl BookmarkChanges {
    pub fn is_empty(&self) -> bool {
        self.project_id.is_none()
            && self.url.is_none()
            && self.title.is_none()
            && self.notes.is_none()
            && self.tags.is_none()
            && self.folder.is_none()
            && self.favorite.is_none()
    }
}

/// A title or notes within its limit, or the input field's error.
pub fn checked_text(field: &str, text: &str, max_chars: usize) -> AppResult<String> {
    let text = text.trim();
    if text.chars().count() > max_chars {
        return Err(bad_input(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(text.to_string())
}

/// Text cut to its limit, for imported files.
pub fn cut_text(text: &str, max_chars: usize) -> String {
    text.trim().chars().take(max_chars).collect()
}

/// Tags trimmed and lower-cased (so `Rust` and `rust` count as one), duplicates removed in
/// order, empty ones dropped.
pub fn clean_tags(tags: &[String]) -> AppResult<Vec<String>> {
    let cleaned = dedupe_tags(tags);
    if cleaned.len() > MAX_TAGS {
        return Err(bad_input("tags", format!("at most {MAX_TAGS} tags")));
    }
    if cleaned
        .iter()
        .any(|tag| tag.chars().count() > MAX_TAG_CHARS)
    {
        return Err(bad_input(
            "tags",
            format!("each tag must be at most {MAX_TAG_CHARS} characters"),
        ));
    }
    Ok(cleaned)
}

/// Tags for an imported bookmark: cleaned like `clean_tags`, cut to the limits instead of refused.
pub fn imported_tags(tags: &[String]) -> Vec<String> {
    dedupe_tags(tags)
        .into_iter()
        .map(|tag| tag.chars().take(MAX_TAG_CHARS).collect())
        .take(MAX_TAGS)
        .collect()
}

fn dedupe_tags(tags: &[String]) -> Vec<String> {
    let mut cleaned: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_lowercase();
        if !tag.is_empty() && !cleaned.contains(&tag) {
            cleaned.push(tag);
        }
    }
    cleaned
}

/// A folder path: names trimmed, empty levels dropped.
pub fn clean_folder(folder: &[String]) -> AppResult<Vec<String>> {
    let cleaned = imported_folder(folder);
    if cleaned.len() > MAX_FOLDER_DEPTH {
        return Err(bad_input(
            "folder",
            format!("at most {MAX_FOLDER_DEPTH} levels deep"),
        ));
    }
    if cleaned
        .iter()
        .any(|name| name.chars().count() > MAX_FOLDER_NAME_CHARS)
    {
        return Err(bad_input(
            "folder",
            format!("each folder name must be at most {MAX_FOLDER_NAME_CHARS} characters"),
        ));
    }
    Ok(cleaned)
}

pub fn imported_folder(folder: &[String]) -> Vec<String> {
    folder
        .iter()
        .map(|name| cut_text(name, MAX_FOLDER_NAME_CHARS))
        .filter(|name| !name.is_empty())
        .take(MAX_FOLDER_DEPTH)
        .collect()
}

/// Where a bookmark import stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    async_graphql::Enum,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[graphql(name = "BookmarkImportStatus")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ImportStatus {
    /// Still writing; progress comes through `bookmarkImportProgress`.
    Running,
    /// Done: every bookmark of the file was imported, found duplicate or skipped.
    Completed,
    /// Nothing was written; `error` says why.
    Failed,
}

crate::stored_as_text!(ImportStatus {
    Running => "RUNNING",
    Completed => "COMPLETED",
    Failed => "FAILED",
});

impl ImportStatus {
    pub fn is_final(self) -> bool {
        self != ImportStatus::Running
    }
}

/// An item of an import file that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    /// Zero-based position of the bookmark in the file.
    pub position: usize,
    pub url: String,
    pub title: String,
    pub reason: UrlProblem,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bookmark_imports, check_for_backend(diesel::pg::Pg))]
pub struct BookmarkImport {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub format: BookmarkFormat,
    pub status: ImportStatus,
    pub total: i32,
    pub processed: i32,
    pub imported: i32,
    pub duplicates: i32,
    pub skipped: serde_json::Value,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl BookmarkImport {
    /// RUNNING and older than `grace`: its instance may have stopped mid-way (a fresh import may
    /// not have taken its lock yet). Only the import's lock can tell for sure.
    pub fn may_be_abandoned(&self, grace: chrono::Duration) -> bool {
        self.status == ImportStatus::Running && self.created_at <= Utc::now() - grace
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = bookmark_imports)]
pub struct NewBookmarkImport {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub format: BookmarkFormat,
    pub status: ImportStatus,
    pub total: i32,
    pub processed: i32,
    pub imported: i32,
    pub duplicates: i32,
    pub skipped: serde_json::Value,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Where an import stands; published on the bus as it advances, so subscribers on every
/// instance follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgress {
    pub import_id: Uuid,
    pub owner_id: Uuid,
    pub status: ImportStatus,
    pub total: i32,
    pub processed: i32,
    pub imported: i32,
    pub duplicates: i32,
    pub skipped: i32,
}

impl ImportProgress {
    pub fn of(row: &BookmarkImport) -> Self {
        ImportProgress {
            import_id: row.id,
            owner_id: row.owner_id,
            status: row.status,
            total: row.total,
            processed: row.processed,
            imported: row.imported,
            duplicates: row.duplicates,
            skipped: row.skipped.as_array().map_or(0, |items| items.len() as i32),
        }
    }
}
