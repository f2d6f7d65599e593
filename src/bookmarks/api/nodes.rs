//! The bookmark output types (`Bookmark`, tags, the folder tree, imports and their progress, an
//! export) and how search hits and folder counts become them. No query of its own besides the
//! loaders a field asks.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::access;
use crate::{
    auth::authz::{BookmarkAccess, BookmarkPermission, ProjectAccess, ProjectPermission},
    bookmarks::{
        model::{
            Bookmark, BookmarkImport, ImportProgress, ImportStatus, SkippedItem,
            BOOKMARK_IMPORT_TYPE, BOOKMARK_TYPE,
        },
        store::{BookmarkHit, FolderCount, SNIPPET_START, SNIPPET_STOP},
        transfer::BookmarkFormat,
        url::UrlProblem,
    },
    error::AppResult,
    graphql::{ids::encode_id, loaders::Loaders},
    projects::{
        loaders::{MemberLoader, ProjectLoader},
        views::{ProjectNode, PROJECT_TYPE},
    },
    users::{loaders::UserLoader, model::User},
};

/// A bookmark as one viewer sees it: the row, what the viewer may do with it, and, in search
/// results, its score and snippet.
pub struct BookmarkNode {
    pub(super) bookmark: Bookmark,
    pub(super) access: BookmarkAccess,
    pub(super) score: Option<f64>,
    pub(super) snippet: Option<String>,
}

impl BookmarkNode {
    pub(super) fn new(bookmark: Bookmark, access: BookmarkAccess) -> Self {
        BookmarkNode {
            bookmark,
            access,
            score: None,
            snippet: None,
        }
    }
}

/// A saved link. Private to its owner unless shared into a project, whose members may then
/// read it (and its EDITORs change it).
#[Object(name = "Bookmark")]
impl BookmarkNode {
    /// Opaque id of the bookmark.
    async fn id(&self) -> ID {
        encode_id(BOOKMARK_TYPE, self.bookmark.id)
    }

    /// As given, with the host lower-cased and in punycode.
    async fn url(&self) -> &str {
        &self.bookmark.url
    }

    /// The form duplicates are detected by: no fragment, default port or tracking parameters.
    async fn normalized_url(&self) -> &str {
        &self.bookmark.normalized_url
    }

    /// At most 1,000 characters; the URL when none was given.
    async fn title(&self) -> &str {
        &self.bookmark.title
    }

    /// Free text, at most 10,000 characters; empty when not set.
    async fn notes(&self) -> &str {
        &self.bookmark.notes
    }

    /// Lower-case, without duplicates.
    async fn tags(&self) -> &[String] {
        &self.bookmark.tags
    }

    /// Folder names from the root; empty at the top level.
    async fn folder(&self) -> &[String] {
        &self.bookmark.folder
    }

    /// Marked as a favourite by its owner.
    async fn favorite(&self) -> bool {
        self.bookmark.favorite
    }

    /// When it was bookmarked (for imports: the date the file gave, when it gave one).
    async fn created_at(&self) -> DateTime<Utc> {
        self.bookmark.created_at
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.bookmark.updated_at
    }

    /// The project this bookmark is shared into, whose members may read it.
    async fn project_id(&self) -> Option<ID> {
        self.bookmark
            .project_id
            .map(|id| encode_id(PROJECT_TYPE, id))
    }

    /// The project it is shared into, when the viewer may see that project.
    async fn project(&self, ctx: &Context<'_>) -> AppResult<Option<ProjectNode>> {
        let Some(project_id) = self.bookmark.project_id else {
            return Ok(None);
        };
        let viewer = access::viewer(ctx)?;
        let members = Loaders::get::<MemberLoader>(ctx)
            .load_one(project_id)
            .await?
            .unwrap_or_default();
        let role = members
            .iter()
            .find(|(member, _)| member.user_id == viewer.user_id())
            .map(|(member, _)| member.role);
        let access = ProjectAccess::for_viewer(viewer, role);
        if !access.allows(ProjectPermission::ReadProject) {
            return Ok(None);
        }
        let project = Loaders::get::<ProjectLoader>(ctx)
            .load_one(project_id)
            .await?;
        Ok(project.map(|project| ProjectNode { project, access }))
    }

    /// Who saved it; null once that account is deleted.
    async fn owner(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        Loaders::get::<UserLoader>(ctx)
            .load_one(self.bookmark.owner_id)
            .await
    }

    /// Whether the viewer may change or delete this bookmark.
    async fn viewer_can_edit(&self) -> bool {
        self.access.allows(BookmarkPermission::Update)
    }

    /// In search results: the relevance score (higher is better); null elsewhere.
    async fn score(&self) -> Option<f64> {
        self.score
    }

    /// In search results: HTML-escaped text around the matched words, each inside `<mark>`;
    /// null elsewhere.
    async fn snippet(&self) -> Option<&str> {
        self.snippet.as_deref()
    }
}

/// A tag with how many bookmarks carry it.
#[derive(SimpleObject)]
pub struct BookmarkTag {
    /// The tag, lower-case.
    pub(super) name: String,
    /// How many of the listed bookmarks carry it.
    pub(super) count: i64,
}

/// A folder of the tree, with the bookmarks directly in it and in it and below.
#[derive(SimpleObject, Default)]
pub struct BookmarkFolder {
    /// This folder's own name.
    name: String,
    /// Names from the root down to this folder.
    path: Vec<String>,
    /// Bookmarks directly in this folder.
    bookmark_count: i64,
    /// Bookmarks in this folder and every folder below it.
    total_count: i64,
    /// The folders directly inside this one.
    children: Vec<BookmarkFolder>,
}

/// A bookmark of an import file that was not imported.
#[derive(SimpleObject)]
pub struct SkippedBookmark {
    /// Zero-based position in the file.
    position: i32,
    /// The URL as the file gave it.
    url: String,
    /// The title as the file gave it.
    title: String,
    /// Why it was not imported.
    reason: UrlProblem,
}

/// An import and its report. Background imports are RUNNING until they commit or fail.
pub struct BookmarkImportNode(pub(super) BookmarkImport);

/// An import of a bookmarks file and its report. Visible to the user who imported it.
#[Object(name = "BookmarkImport")]
impl BookmarkImportNode {
    /// Opaque id; pass it to `bookmarkImport` or `bookmarkImportProgress`.
    async fn id(&self) -> ID {
        encode_id(BOOKMARK_IMPORT_TYPE, self.0.id)
    }

    /// The file format given to `importBookmarks`.
    async fn format(&self) -> Option<BookmarkFormat> {
        Some(self.0.format)
    }

    /// Where the import stands.
    async fn status(&self) -> ImportStatus {
        self.0.status
    }

    /// Bookmarks the file holds.
    async fn total(&self) -> i32 {
        self.0.total
    }

    /// Bookmarks written.
    async fn imported(&self) -> i32 {
        self.0.imported
    }

    /// Bookmarks already present, or repeated within the file.
    async fn duplicates(&self) -> i32 {
        self.0.duplicates
    }

    /// Bookmarks refused for a reason of their own (unsafe scheme, malformed URL, too long).
    async fn skipped(&self) -> Vec<SkippedBookmark> {
        serde_json::from_value::<Vec<SkippedItem>>(self.0.skipped.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|item| SkippedBookmark {
                position: item.position as i32,
                url: item.url,
                title: item.title,
                reason: item.reason,
            })
            .collect()
    }

    /// Why a FAILED import wrote nothing.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// When the import started.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it completed or failed; null while RUNNING.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

/// Where a background import stands.
#[derive(SimpleObject)]
pub struct BookmarkImportProgress {
    /// The `BookmarkImport.id`.
    import_id: ID,
    /// RUNNING until the last report, then COMPLETED or FAILED.
    status: ImportStatus,
    /// Bookmarks the file holds.
    total: i32,
    /// Items of the file handled so far.
    processed: i32,
    /// Bookmarks written so far.
    imported: i32,
    /// Bookmarks already present, or repeated within the file, so far.
    duplicates: i32,
    /// Bookmarks refused so far (see `BookmarkImport.skipped` for which and why).
    skipped: i32,
}

impl From<&ImportProgress> for BookmarkImportProgress {
    fn from(progress: &ImportProgress) -> Self {
        BookmarkImportProgress {
            import_id: encode_id(BOOKMARK_IMPORT_TYPE, progress.import_id),
            status: progress.status,
            total: progress.total,
            processed: progress.processed,
            imported: progress.imported,
            duplicates: progress.duplicates,
            skipped: progress.skipped,
        }
    }
}

/// An exported file.
#[derive(SimpleObject)]
pub struct BookmarkExport {
    /// The format asked for.
    pub(super) format: BookmarkFormat,
    /// A file name to save it under, e.g. `bookmarks.html`.
    pub(super) file_name: String,
    /// The MIME type to save or serve it with.
    pub(super) content_type: String,
    /// Bookmarks in the file.
    pub(super) count: i32,
    /// The whole file, as text.
    pub(super) content: String,
}

/// HTML-escapes a ts_headline snippet and turns its match markers into `<mark>` tags.
fn snippet_html(raw: &str) -> String {
    let mut html = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            SNIPPET_START => html.push_str("<mark>"),
            SNIPPET_STOP => html.push_str("</mark>"),
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            other => html.push(other),
        }
    }
    html
}

pub(super) fn hit_node(hit: BookmarkHit, access: BookmarkAccess, searched: bool) -> BookmarkNode {
    BookmarkNode {
        bookmark: hit.bookmark,
        access,
        score: searched.then_some(hit.score),
        snippet: hit.snippet.as_deref().map(snippet_html),
    }
}

pub(super) fn folder_tree(counts: Vec<FolderCount>) -> Vec<BookmarkFolder> {
    let mut roots = Vec::new();
    for FolderCount { folder, count } in counts {
        if !folder.is_empty() {
            add_to_tree(&mut roots, &folder, 0, count);
        }
    }
    roots
}

fn add_to_tree(level: &mut Vec<BookmarkFolder>, path: &[String], depth: usize, count: i64) {
    let name = &path[depth];
    let index = match level.iter().position(|folder| &folder.name == name) {
        Some(index) => index,
        None => {
            level.push(BookmarkFolder {
                name: name.clone(),
                path: path[..=depth].to_vec(),
                ..BookmarkFolder::default()
            });
            level.len() - 1
        }
    };
    let folder = &mut level[index];
    folder.total_count += count;
    if depth + 1 == path.len() {
        folder.bookmark_count += count;
    } else {
        add_to_tree(&mut folder.children, path, depth + 1, count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_counts_become_a_tree_with_totals() {
        let path = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let tree = folder_tree(vec![
            FolderCount {
                folder: vec![],
                count: 4,
            },
            FolderCount {
                folder: path(&["Dev"]),
                count: 2,
            },
            FolderCount {
                folder: path(&["Dev", "Rust"]),
                count: 3,
            },
            FolderCount {
                folder: path(&["News"]),
                count: 1,
            },
        ]);
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[0].name, "Dev");
        assert_eq!((tree[0].bookmark_count, tree[0].total_count), (2, 5));
        assert_eq!(tree[0].children[0].path, path(&["Dev", "Rust"]));
        assert_eq!(tree[1].total_count, 1);
    }

    #[test]
    fn snippets_are_escaped_and_marked() {
        assert_eq!(
            snippet_html("a <b> \u{E000}rust\u{E001} & co"),
            "a &lt;b&gt; <mark>rust</mark> &amp; co"
        );
    }
}
