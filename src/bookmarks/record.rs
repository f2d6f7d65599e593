//! The record a bookmark file holds per bookmark, shared by every format (`transfer` for JSON,
//! `netscape` for HTML). Nothing here is validated: the importer decides what becomes a bookmark.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One bookmark as a file holds it, before any validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileBookmark {
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "folder_path")]
    pub folder: Vec<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// A folder is a list of names from the root; a `"A/B"` string is accepted too, as other tools
/// write it.
fn folder_path<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Folder {
        Path(Vec<String>),
        Joined(String),
        None(()),
    }
    Ok(match Folder::deserialize(deserializer)? {
        Folder::Path(path) => path,
        Folder::Joined(joined) => joined
            .split('/')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect(),
        Folder::None(()) => Vec::new(),
    })
}
