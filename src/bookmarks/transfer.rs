//! Bookmark files in and out: the formats, and the JSON format (an array of `{url, title, tags,
//! folder, notes, createdAt}`); `netscape` holds the HTML one. Pure: bytes in, records out;
//! deciding which records become bookmarks is the api's job.

use super::{netscape, record::FileBookmark};
use crate::graphql::storable_text::{self, holds_unstorable_text};

/// A bookmarks file format, for import and export.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum, diesel::AsExpression, diesel::FromSqlRow,
)]
#[graphql(name = "BookmarkFileFormat")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum BookmarkFormat {
    /// `<!DOCTYPE NETSCAPE-Bookmark-file-1>`, what Chrome, Firefox, Safari and Edge export.
    NetscapeHtml,
    /// An array of `{url, title, tags, folder, notes, createdAt}`.
    Json,
}

// Imports record the format of their file.
crate::stored_as_text!(BookmarkFormat {
    NetscapeHtml => "NETSCAPE_HTML",
    Json => "JSON",
});

impl BookmarkFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            BookmarkFormat::NetscapeHtml => "text/html; charset=utf-8",
            BookmarkFormat::Json => "application/json",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            BookmarkFormat::NetscapeHtml => "bookmarks.html",
            BookmarkFormat::Json => "bookmarks.json",
        }
    }
}

/// Reads a whole file; any structural problem refuses the file with a message saying where.
pub fn parse_file(format: BookmarkFormat, bytes: &[u8]) -> Result<Vec<FileBookmark>, String> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        format!(
            "the file is not UTF-8 text (invalid byte at offset {})",
            error.valid_up_to()
        )
    })?;
    let records = match format {
        BookmarkFormat::NetscapeHtml => netscape::parse(text)?,
        BookmarkFormat::Json => parse_json(text.trim_start_matches('\u{feff}'))?,
    };
    match records.iter().enumerate().find_map(|(position, record)| {
        unstorable_field(record).map(|field| (position, field))
    }) {
        Some((position, field)) => Err(format!(
            "item {position}'s {field} holds a NUL character (or an unpaired UTF-16 surrogate escape); such text cannot be stored"
        )),
        None => Ok(records),
    }
}

/// The first field of `record` holding text PostgreSQL cannot store.
fn unstorable_field(record: &FileBookmark) -> Option<&'static str> {
    let lists = |values: &[String]| values.iter().any(|value| holds_unstorable_text(value));
    [
        ("url", holds_unstorable_text(&record.url)),
        ("title", holds_unstorable_text(&record.title)),
        ("notes", holds_unstorable_text(&record.notes)),
        ("tags", lists(&record.tags)),
        ("folder", lists(&record.folder)),
    ]
    .into_iter()
    .find_map(|(field, unstorable)| unstorable.then_some(field))
}

fn parse_json(text: &str) -> Result<Vec<FileBookmark>, String> {
    let items: Vec<serde_json::Value> =
        storable_text::parse_json(text.as_bytes()).map_err(|error| {
            format!(
                "the file is not a JSON array of bookmarks (line {}, column {})",
                error.line(),
                error.column()
            )
        })?;
    items
        .into_iter()
        .enumerate()
        .map(|(position, item)| {
            serde_json::from_value(item)
                .map_err(|error| format!("item {position} is not a bookmark: {error}"))
        })
        .collect()
}

pub fn write_file(format: BookmarkFormat, bookmarks: &[FileBookmark]) -> String {
    match format {
        BookmarkFormat::NetscapeHtml => netscape::write(bookmarks),
        BookmarkFormat::Json => serde_json::to_string_pretty(bookmarks)
            .expect("bookmark records are plain serializable data"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn json_accepts_folder_paths_as_lists_or_strings_and_refuses_bad_shapes() {
        let parsed = parse_file(
            BookmarkFormat::Json,
            br#"[{"url":"https://a.example","folder":"Dev / Rust"},{"url":"https://b.example","folder":["X","Y/Z"],"tags":["t"],"createdAt":"2020-01-02T03:04:05Z"}]"#,
        )
        .unwrap();
        assert_eq!(parsed[0].folder, vec!["Dev", "Rust"]);
        assert_eq!(parsed[1].folder, vec!["X", "Y/Z"]);
        assert_eq!(parsed[1].created_at.unwrap().timestamp(), 1_577_934_245);
        assert!(parse_file(BookmarkFormat::Json, b"{}").is_err());
        let nul = parse_file(
            BookmarkFormat::Json,
            br#"[{"url":"https://a.example"},{"url":"https://b.example","title":"a\u0000b"}]"#,
        )
        .unwrap_err();
        assert!(nul.contains("item 1's title holds a NUL"), "{nul}");
        let surrogate = parse_file(
            BookmarkFormat::Json,
            br#"[{"url":"https://a.example","tags":["\ud800"]}]"#,
        )
        .unwrap_err();
        assert!(surrogate.contains("item 0's tags"), "{surrogate}");
        let missing_url = parse_file(BookmarkFormat::Json, br#"[{"title":"x"}]"#).unwrap_err();
        assert!(missing_url.contains("item 0"), "{missing_url}");
        assert!(parse_file(BookmarkFormat::Json, &[0xff, 0xfe]).is_err());
    }

    #[test]
    fn json_round_trips() {
        let bookmarks = vec![FileBookmark {
            url: "https://a.example/".into(),
            title: "Ä".into(),
            tags: vec!["x".into()],
            folder: vec!["F".into()],
            notes: "n".into(),
            created_at: Some(Utc::now()),
        }];
        let written = write_file(BookmarkFormat::Json, &bookmarks);
        assert_eq!(
            parse_file(BookmarkFormat::Json, written.as_bytes()).unwrap(),
            bookmarks
        );
    }
}
