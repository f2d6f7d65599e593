//! GraphQL surface of bookmarks: create/update/delete with duplicate detection, ranked and fuzzy
//! search, tags and folders, related bookmarks, export, and imports of browser files (in the
//! background, with live progress, when large). Every access decision goes through
//! `authz::BookmarkAccess`; every mutation is one transaction.

use async_graphql::{
    connection::{Connection, Edge},
    Context, InputObject, MaybeUndefined, Object, SimpleObject, Subscription, Upload, ID,
};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::{stream::BoxStream, StreamExt};
use uuid::Uuid;

use crate::{
    auth::{
        authz::{
            self, BookmarkAccess, BookmarkPermission, ProjectAccess, ProjectPermission,
            ProjectRole, SignedIn,
        },
        viewer::AuthenticatedUser,
    },
    bookmarks::{
        import::{self, ImportWatch},
        model::{
            checked_text, clean_folder, clean_tags, Bookmark, BookmarkChanges, BookmarkImport,
            ImportProgress, ImportStatus, NewBookmark, SkippedItem, MAX_NOTES_CHARS,
            MAX_TITLE_CHARS,
        },
        store::{
            self, BookmarkCursor, BookmarkFilter, BookmarkHit, BookmarkScope, FolderCount,
            SNIPPET_START, SNIPPET_STOP,
        },
        transfer::{self, BookmarkFormat, FileBookmark},
        url::{BookmarkUrl, UrlProblem},
    },
    error::{bad_input, internal, not_found, AppError, AppResult},
    events::Topic,
    graphql::{
        ids::{decode_id, encode_id},
        loaders::Loaders,
        pagination::{decode_cursor, encode_cursor, page_size},
    },
    projects::{
        loaders::{MemberLoader, ProjectLoader},
        store as project_store,
        views::{ProjectNode, PROJECT_TYPE},
    },
    state::AppState,
    users::loaders::UserLoader,
    users::model::User,
};

pub const BOOKMARK_TYPE: &str = "Bookmark";
pub const BOOKMARK_IMPORT_TYPE: &str = "BookmarkImport";

/// Longest search query accepted; longer text is not a query anyone types.
const MAX_QUERY_CHARS: usize = 500;
const DEFAULT_RELATED: i32 = 10;
const MAX_TAG_LIST: i32 = 1_000;
/// A bookmark as one viewer sees it: the row, what the viewer may do with it, and, in search
/// results, its score and snippet.
pub struct BookmarkNode {
    bookmark: Bookmark,
    access: BookmarkAccess,
    score: Option<f64>,
    snippet: Option<String>,
}

impl BookmarkNode {
    fn new(bookmark: Bookmark, access: BookmarkAccess) -> Self {
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
        let viewer = viewer(ctx)?;
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
    name: String,
    /// How many of the listed bookmarks carry it.
    count: i64,
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

/// An import and its report. Background imports are RUNNING until their transaction ends.
pub struct BookmarkImportNode(BookmarkImport);

/// An import of a bookmarks file and its report. Visible to the user who imported it.
#[Object(name = "BookmarkImport")]
impl BookmarkImportNode {
    /// Opaque id; pass it to `bookmarkImport` or `bookmarkImportProgress`.
    async fn id(&self) -> ID {
        encode_id(BOOKMARK_IMPORT_TYPE, self.0.id)
    }

    /// The file format given to `importBookmarks`.
    async fn format(&self) -> Option<BookmarkFormat> {
        BookmarkFormat::parse(&self.0.format)
    }

    /// Where the import stands.
    async fn status(&self) -> ImportStatus {
        ImportStatus::parse(&self.0.status)
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
    format: BookmarkFormat,
    /// A file name to save it under, e.g. `bookmarks.html`.
    file_name: String,
    /// The MIME type to save or serve it with.
    content_type: String,
    /// Bookmarks in the file.
    count: i32,
    /// The whole file, as text.
    content: String,
}

/// A new bookmark.
#[derive(InputObject)]
pub struct CreateBookmarkInput {
    /// http or https, at most 2,048 characters.
    url: String,
    /// At most 1,000 characters; the URL when omitted or empty.
    title: Option<String>,
    /// Free text, at most 10,000 characters.
    notes: Option<String>,
    /// At most 50 tags of at most 64 characters; stored lower-case, without duplicates.
    tags: Option<Vec<String>>,
    /// Folder names from the root, at most 32 levels of at most 255 characters; top level when
    /// omitted.
    folder: Option<Vec<String>>,
    /// False when omitted.
    favorite: Option<bool>,
    /// Share into this project (needs EDITOR there): its members can then read it.
    project_id: Option<ID>,
}

/// Changes to a bookmark; omitted fields stay.
#[derive(InputObject)]
pub struct UpdateBookmarkInput {
    /// http or https, at most 2,048 characters; `CONFLICT` when another of the owner's
    /// bookmarks has it.
    url: Option<String>,
    /// At most 1,000 characters.
    title: Option<String>,
    /// Free text, at most 10,000 characters.
    notes: Option<String>,
    /// Replaces every tag: at most 50 of at most 64 characters.
    tags: Option<Vec<String>>,
    /// Folder names from the root, at most 32 levels; empty for the top level.
    folder: Option<Vec<String>>,
    /// Marks or unmarks it as a favourite.
    favorite: Option<bool>,
    /// Only the owner may share or unshare; null unshares.
    project_id: MaybeUndefined<ID>,
}

fn viewer<'a>(ctx: &Context<'a>) -> AppResult<&'a AuthenticatedUser> {
    authz::require_user(authz::viewer(ctx))
}

fn parse_url(raw: &str) -> AppResult<BookmarkUrl> {
    BookmarkUrl::parse(raw).map_err(|problem| {
        let mut error = bad_input("url", problem.describe());
        if let AppError::BadUserInput { details, .. } = &mut error {
            details.push(("reason", async_graphql::Value::from(problem.as_str())));
        }
        error
    })
}

fn duplicate_of(existing: &Bookmark) -> AppError {
    AppError::Conflict {
        message: format!(
            "this URL is already bookmarked as \"{}\"",
            existing.title.chars().take(100).collect::<String>()
        ),
        details: vec![(
            "existingBookmarkId",
            async_graphql::Value::from(encode_id(BOOKMARK_TYPE, existing.id).0),
        )],
    }
}

async fn conflict_with(
    connection: &mut AsyncPgConnection,
    existing_id: Uuid,
) -> AppResult<AppError> {
    let existing = store::find(connection, existing_id)
        .await?
        .ok_or_else(|| internal(anyhow::anyhow!("duplicate bookmark {existing_id} vanished")))?;
    Ok(duplicate_of(&existing))
}

/// The viewer's access to a project they want to share into or list.
async fn project_access(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    project_id: Uuid,
) -> AppResult<ProjectAccess> {
    let (_, role) = project_store::find_with_role(connection, project_id, viewer.user_id())
        .await?
        .ok_or_else(|| not_found("project"))?;
    Ok(ProjectAccess::for_viewer(viewer, role))
}

async fn load_with_access(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    bookmark_id: Uuid,
) -> AppResult<(Bookmark, BookmarkAccess)> {
    let (bookmark, role) = store::find_with_viewer_role(connection, bookmark_id, viewer.user_id())
        .await?
        .ok_or_else(|| not_found("bookmark"))?;
    let access = BookmarkAccess::for_viewer(
        viewer,
        bookmark.owner_id,
        bookmark.project_id.is_some(),
        role.as_deref().and_then(ProjectRole::from_stored_name),
    );
    Ok((bookmark, access))
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

fn hit_node(hit: BookmarkHit, access: BookmarkAccess, searched: bool) -> BookmarkNode {
    BookmarkNode {
        bookmark: hit.bookmark,
        access,
        score: searched.then_some(hit.score),
        snippet: hit.snippet.as_deref().map(snippet_html),
    }
}

fn folder_tree(counts: Vec<FolderCount>) -> Vec<BookmarkFolder> {
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

#[derive(Default)]
pub struct BookmarkQuery;

#[Object]
impl BookmarkQuery {
    /// One bookmark: the viewer's own, or one shared into a project they belong to.
    #[graphql(guard = "SignedIn")]
    async fn bookmark(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The bookmark's id; `NOT_FOUND` when the viewer may not read it.")] id: ID,
    ) -> AppResult<BookmarkNode> {
        let viewer = viewer(ctx)?;
        let bookmark_id = decode_id(BOOKMARK_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (bookmark, access) = load_with_access(&mut connection, viewer, bookmark_id).await?;
        access.require(BookmarkPermission::Read)?;
        Ok(BookmarkNode::new(bookmark, access))
    }

    /// The viewer's bookmarks, or with `projectId` those shared into that project. With
    /// `query`: ranked full-text search (title > tags > notes > url) that tolerates typos,
    /// best first; without: newest first. Filters combine with the query.
    #[graphql(guard = "SignedIn")]
    #[allow(clippy::too_many_arguments)]
    async fn bookmarks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Words to search for, at most 500 characters (else `BAD_USER_INPUT`).")]
        query: Option<String>,
        #[graphql(desc = "Bookmarks carrying all of these tags.")] tags: Option<Vec<String>>,
        #[graphql(desc = "Bookmarks in this folder or below it.")] folder: Option<Vec<String>>,
        #[graphql(desc = "true: only favourites; false: only the others; omitted: both.")]
        favorite: Option<bool>,
        #[graphql(desc = "A project the viewer belongs to: list its shared bookmarks instead of the viewer's own.")]
        project_id: Option<ID>,
        #[graphql(desc = "Page size: 0 to 100, default 20 (else `BAD_USER_INPUT`).")]
        first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page of the same listing.")]
        after: Option<String>,
    ) -> AppResult<Connection<String, BookmarkNode>> {
        let viewer = viewer(ctx)?;
        let limit = page_size(first)?;
        let after: Option<BookmarkCursor> = after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        if query
            .as_deref()
            .is_some_and(|query| query.chars().count() > MAX_QUERY_CHARS)
        {
            return Err(bad_input(
                "query",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let filter = BookmarkFilter {
            query,
            tags: clean_tags(&tags.unwrap_or_default())?,
            folder: folder.as_deref().map(clean_folder).transpose()?,
            favorite,
        };
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (scope, project) = match project_id {
            Some(id) => {
                let project_id = decode_id(PROJECT_TYPE, "projectId", &id)?;
                let access = project_access(&mut connection, viewer, project_id).await?;
                access.require(ProjectPermission::ReadSharedBookmarks, "project")?;
                (BookmarkScope::Project(project_id), Some(access))
            }
            None => (BookmarkScope::Owner(viewer.user_id()), None),
        };
        let searched = filter
            .query
            .as_deref()
            .is_some_and(|q| !q.trim().is_empty());
        let hits = store::page(&mut connection, scope, &filter, after, limit).await?;
        let has_next_page = hits.len() as i64 > limit;
        let mut page = Connection::new(after.is_some(), has_next_page);
        page.edges
            .extend(hits.into_iter().take(limit as usize).map(|hit| {
                let access = match project {
                    Some(access) if hit.bookmark.owner_id != viewer.user_id() => {
                        BookmarkAccess::Shared(access)
                    }
                    _ => BookmarkAccess::Owner,
                };
                let cursor = encode_cursor(&hit.cursor());
                Edge::new(cursor, hit_node(hit, access, searched))
            }));
        Ok(page)
    }

    /// The viewer's tags (or a project's shared bookmarks' tags), most used first.
    #[graphql(guard = "SignedIn")]
    async fn bookmark_tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A project the viewer belongs to: list its shared bookmarks instead of the viewer's own.")]
        project_id: Option<ID>,
        #[graphql(default = 100, desc = "How many tags, 0 to 1000 (else `BAD_USER_INPUT`).")]
        first: i32,
    ) -> AppResult<Vec<BookmarkTag>> {
        if !(0..=MAX_TAG_LIST).contains(&first) {
            return Err(bad_input(
                "first",
                format!("must be between 0 and {MAX_TAG_LIST}"),
            ));
        }
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let scope = listing_scope(ctx, &mut connection, project_id).await?;
        let counts = store::tag_counts(&mut connection, scope, i64::from(first)).await?;
        Ok(counts
            .into_iter()
            .map(|count| BookmarkTag {
                name: count.tag,
                count: count.count,
            })
            .collect())
    }

    /// The folder tree of the viewer's bookmarks (or a project's shared ones).
    #[graphql(guard = "SignedIn")]
    async fn bookmark_folders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A project the viewer belongs to: list its shared bookmarks instead of the viewer's own.")]
        project_id: Option<ID>,
    ) -> AppResult<Vec<BookmarkFolder>> {
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let scope = listing_scope(ctx, &mut connection, project_id).await?;
        Ok(folder_tree(
            store::folder_counts(&mut connection, scope).await?,
        ))
    }

    /// The viewer's other bookmarks most like this one: shared tags first, then similar text.
    #[graphql(guard = "SignedIn")]
    async fn related_bookmarks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The bookmark to find relatives of; `NOT_FOUND` when not readable.")]
        id: ID,
        #[graphql(desc = "How many, 0 to 100; 10 by default.")] first: Option<i32>,
    ) -> AppResult<Vec<BookmarkNode>> {
        let viewer = viewer(ctx)?;
        let bookmark_id = decode_id(BOOKMARK_TYPE, "id", &id)?;
        let limit = page_size(Some(first.unwrap_or(DEFAULT_RELATED)))?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (bookmark, access) = load_with_access(&mut connection, viewer, bookmark_id).await?;
        access.require(BookmarkPermission::Read)?;
        let hits = store::related(&mut connection, viewer.user_id(), &bookmark, limit).await?;
        Ok(hits
            .into_iter()
            .map(|hit| hit_node(hit, BookmarkAccess::Owner, true))
            .collect())
    }

    /// One of the viewer's imports and its report.
    #[graphql(guard = "SignedIn")]
    async fn bookmark_import(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `BookmarkImport.id`; `NOT_FOUND` unless it is one of yours.")] id: ID,
    ) -> AppResult<BookmarkImportNode> {
        let viewer = viewer(ctx)?;
        let import_id = decode_id(BOOKMARK_IMPORT_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let import = import::current_import(&mut connection, viewer, import_id).await?;
        Ok(BookmarkImportNode(import))
    }

    /// All the viewer's bookmarks as a file any browser (NETSCAPE_HTML) or tool (JSON) imports.
    #[graphql(guard = "SignedIn")]
    async fn export_bookmarks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file format to write.")] format: BookmarkFormat,
    ) -> AppResult<BookmarkExport> {
        let viewer = viewer(ctx)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let bookmarks = store::all_of_owner(&mut connection, viewer.user_id()).await?;
        drop(connection);
        let count = bookmarks.len() as i32;
        let content = tokio::task::spawn_blocking(move || {
            let records: Vec<FileBookmark> = bookmarks.into_iter().map(file_record).collect();
            transfer::write_file(format, &records)
        })
        .await
        .map_err(internal)?;
        Ok(BookmarkExport {
            format,
            file_name: format.file_name().to_string(),
            content_type: format.content_type().to_string(),
            count,
            content,
        })
    }
}

async fn listing_scope(
    ctx: &Context<'_>,
    connection: &mut AsyncPgConnection,
    project_id: Option<ID>,
) -> AppResult<BookmarkScope> {
    let viewer = viewer(ctx)?;
    match project_id {
        Some(id) => {
            let project_id = decode_id(PROJECT_TYPE, "projectId", &id)?;
            project_access(connection, viewer, project_id)
                .await?
                .require(ProjectPermission::ReadSharedBookmarks, "project")?;
            Ok(BookmarkScope::Project(project_id))
        }
        None => Ok(BookmarkScope::Owner(viewer.user_id())),
    }
}

fn file_record(bookmark: Bookmark) -> FileBookmark {
    FileBookmark {
        url: bookmark.url,
        title: bookmark.title,
        tags: bookmark.tags,
        folder: bookmark.folder,
        notes: bookmark.notes,
        created_at: Some(bookmark.created_at),
    }
}

#[derive(Default)]
pub struct BookmarkMutation;

#[Object]
impl BookmarkMutation {
    /// Bookmarks a URL. A URL the viewer already bookmarked (in normalized form) is a CONFLICT
    /// whose `existingBookmarkId` names the bookmark they have.
    #[graphql(guard = "SignedIn")]
    async fn create_bookmark(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The URL and what to file it with.")] input: CreateBookmarkInput,
    ) -> AppResult<BookmarkNode> {
        let viewer = viewer(ctx)?;
        let url = parse_url(&input.url)?;
        let title = checked_text(
            "title",
            input.title.as_deref().unwrap_or(""),
            MAX_TITLE_CHARS,
        )?;
        let notes = checked_text(
            "notes",
            input.notes.as_deref().unwrap_or(""),
            MAX_NOTES_CHARS,
        )?;
        let tags = clean_tags(&input.tags.unwrap_or_default())?;
        let folder = clean_folder(&input.folder.unwrap_or_default())?;
        let project_id = input
            .project_id
            .as_ref()
            .map(|id| decode_id(PROJECT_TYPE, "projectId", id))
            .transpose()?;
        let new = NewBookmark {
            project_id,
            notes,
            tags,
            folder,
            favorite: input.favorite.unwrap_or(false),
            ..NewBookmark::of(viewer.user_id(), url, title, Utc::now())
        };
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let bookmark = connection
            .transaction::<_, AppError, _>(async |connection| {
                if let Some(project_id) = project_id {
                    project_access(connection, viewer, project_id)
                        .await?
                        .require(ProjectPermission::ShareBookmark, "project")?;
                }
                match store::insert(connection, &new).await? {
                    Ok(bookmark) => Ok(bookmark),
                    Err(existing) => Err(conflict_with(connection, existing).await?),
                }
            })
            .await?;
        Ok(BookmarkNode::new(bookmark, BookmarkAccess::Owner))
    }

    /// Changes a bookmark: its owner, or an EDITOR of the project it is shared into.
    #[graphql(guard = "SignedIn")]
    async fn update_bookmark(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The bookmark to change; `NOT_FOUND` when not readable.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdateBookmarkInput,
    ) -> AppResult<BookmarkNode> {
        let viewer = viewer(ctx)?;
        let bookmark_id = decode_id(BOOKMARK_TYPE, "id", &id)?;
        let url = input.url.as_deref().map(parse_url).transpose()?;
        let project_change = match &input.project_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(decode_id(PROJECT_TYPE, "projectId", id)?)),
        };
        let changes = BookmarkChanges {
            project_id: project_change,
            normalized_url: url.as_ref().map(|url| url.normalized.clone()),
            url: url.map(|url| url.url),
            title: input
                .title
                .as_deref()
                .map(|title| checked_text("title", title, MAX_TITLE_CHARS))
                .transpose()?,
            notes: input
                .notes
                .as_deref()
                .map(|notes| checked_text("notes", notes, MAX_NOTES_CHARS))
                .transpose()?,
            tags: input.tags.as_deref().map(clean_tags).transpose()?,
            folder: input.folder.as_deref().map(clean_folder).transpose()?,
            favorite: input.favorite,
        };
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (bookmark, access) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (_, access) = load_with_access(connection, viewer, bookmark_id).await?;
                access.require(BookmarkPermission::Update)?;
                let current = store::lock(connection, bookmark_id).await?;
                if let Some(project_change) = changes.project_id {
                    share_change(connection, viewer, access, project_change).await?;
                }
                if let Some(normalized) = &changes.normalized_url {
                    let duplicate = store::find_duplicate(
                        connection,
                        current.owner_id,
                        normalized,
                        Some(bookmark_id),
                    )
                    .await?;
                    if let Some(existing) = duplicate {
                        return Err(conflict_with(connection, existing).await?);
                    }
                }
                if changes.is_empty() {
                    return Ok((current, access));
                }
                Ok((
                    store::update(connection, bookmark_id, &changes).await?,
                    access,
                ))
            })
            .await?;
        Ok(BookmarkNode::new(bookmark, access))
    }

    /// Deletes a bookmark (its owner, or an EDITOR of the project it is shared into); returns
    /// its id.
    #[graphql(guard = "SignedIn")]
    async fn delete_bookmark(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The bookmark to delete; `NOT_FOUND` when not readable.")] id: ID,
    ) -> AppResult<ID> {
        let viewer = viewer(ctx)?;
        let bookmark_id = decode_id(BOOKMARK_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        connection
            .transaction::<_, AppError, _>(async |connection| {
                let (_, access) = load_with_access(connection, viewer, bookmark_id).await?;
                access.require(BookmarkPermission::Delete)?;
                store::lock(connection, bookmark_id).await?;
                store::delete(connection, bookmark_id).await
            })
            .await?;
        Ok(id)
    }

    /// Imports a browser export (NETSCAPE_HTML) or a JSON array, sent as a GraphQL multipart
    /// upload. A malformed file is refused whole. Up to the background threshold the import
    /// finishes before the answer; larger ones answer RUNNING at once and report progress
    /// through `bookmarkImportProgress`, their final report through `bookmarkImport`.
    #[graphql(guard = "SignedIn")]
    async fn import_bookmarks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The file, at most 10 MiB and 50,000 bookmarks by default (`BOOKMARK_IMPORT_MAX_BYTES`, `BOOKMARK_IMPORT_MAX_ITEMS`)."
        )]
        file: Upload,
        #[graphql(desc = "The file's format.")] format: BookmarkFormat,
    ) -> AppResult<BookmarkImportNode> {
        let viewer = viewer(ctx)?;
        let state = AppState::from_ctx(ctx);
        let policy = state.settings.bookmarks;
        let upload = file
            .value(ctx)
            .map_err(|_| bad_input("file", "the uploaded file could not be read"))?;
        let owner_id = viewer.user_id();
        let prepared = tokio::task::spawn_blocking(move || {
            import::read_import_file(upload.content, format, policy, owner_id)
        })
        .await
        .map_err(internal)??;
        let mut connection = state.pool.get().await?;
        if prepared.total > policy.import_background_threshold {
            let import = store::insert_import(
                &mut connection,
                &prepared.import_row(owner_id, format, ImportStatus::Running),
            )
            .await?;
            tokio::spawn(import::run_background_import(
                state.pool.clone(),
                state.events.clone(),
                policy,
                import.clone(),
                prepared,
            ));
            return Ok(BookmarkImportNode(import));
        }
        let import =
            import::import_now(&mut connection, &prepared, owner_id, format, policy).await?;
        Ok(BookmarkImportNode(import))
    }
}

/// Sharing and unsharing are the owner's decision, and need EDITOR in the target project.
async fn share_change(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    access: BookmarkAccess,
    project_id: Option<Uuid>,
) -> AppResult<()> {
    if access != BookmarkAccess::Owner {
        return Err(crate::error::forbidden(
            "only the bookmark's owner can share or unshare it",
        ));
    }
    if let Some(project_id) = project_id {
        project_access(connection, viewer, project_id)
            .await?
            .require(ProjectPermission::ShareBookmark, "project")?;
    }
    Ok(())
}

#[derive(Default)]
pub struct BookmarkSubscription;

#[Subscription]
impl BookmarkSubscription {
    /// Progress of one of the viewer's imports, from whichever instance runs it; ends after the
    /// final (COMPLETED or FAILED) report. An import already finished yields its report once.
    async fn bookmark_import_progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `BookmarkImport.id` from `importBookmarks`.")] import_id: ID,
    ) -> async_graphql::Result<BoxStream<'static, BookmarkImportProgress>> {
        let viewer = viewer(ctx)?;
        let import_id = decode_id(BOOKMARK_IMPORT_TYPE, "importId", &import_id)?;
        let state = AppState::from_ctx(ctx);
        // Subscribed before reading the row, so nothing published in between is missed.
        let receiver = state.events.subscribe(Topic::BookmarkImport(import_id));
        let mut connection = state.pool.get().await?;
        let import = import::current_import(&mut connection, viewer, import_id).await?;
        drop(connection);
        let watch = ImportWatch::new(state.pool.clone(), &import, receiver);
        Ok(futures_util::stream::unfold(watch, |mut watch| async move {
            let progress = watch.next().await?;
            Some((BookmarkImportProgress::from(&progress), watch))
        })
        .boxed())
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
