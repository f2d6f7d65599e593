//! Bookmark queries: rows, duplicates by normalized URL, ranked full-text and trigram search,
//! tag and folder counts, related bookmarks and import records. Takes a connection; knows
//! nothing of GraphQL.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, Bool, Double, Int8, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::authz::ProjectRole,
    bookmarks::model::{
        Bookmark, BookmarkChanges, BookmarkImport, ImportStatus, NewBookmark, NewBookmarkImport,
    },
    db::schema::{bookmark_imports, bookmarks, project_members},
    error::AppResult,
};

/// Inserts the bookmark unless its owner already has one with the same normalized URL; then
/// returns the existing one's id instead. Race-safe: the unique key decides.
pub async fn insert(
    connection: &mut AsyncPgConnection,
    bookmark: &NewBookmark,
) -> AppResult<Result<Bookmark, Uuid>> {
    let inserted = diesel::insert_into(bookmarks::table)
        .values(bookmark.clone())
        .on_conflict((bookmarks::owner_id, bookmarks::normalized_url))
        .do_nothing()
        .returning(Bookmark::as_returning())
        .get_result(connection)
        .await
        .optional()?;
    match inserted {
        Some(bookmark) => Ok(Ok(bookmark)),
        None => {
            let existing = find_duplicate(
                connection,
                bookmark.owner_id,
                &bookmark.normalized_url,
                None,
            )
            .await?;
            // The conflicting row can only vanish between the two statements by a concurrent
            // delete; then the caller's retry will succeed, so reporting it as a conflict is fine.
            Ok(Err(existing.unwrap_or(Uuid::nil())))
        }
    }
}

/// Inserts many bookmarks in one statement, skipping those whose owner already has the URL;
/// returns how many were inserted.
pub async fn insert_batch(
    connection: &mut AsyncPgConnection,
    batch: &[NewBookmark],
) -> AppResult<usize> {
    Ok(diesel::insert_into(bookmarks::table)
        .values(batch)
        .on_conflict((bookmarks::owner_id, bookmarks::normalized_url))
        .do_nothing()
        .execute(connection)
        .await?)
}

/// The id of `owner_id`'s bookmark with this normalized URL, other than `except`.
pub async fn find_duplicate(
    connection: &mut AsyncPgConnection,
    owner_id: Uuid,
    normalized_url: &str,
    except: Option<Uuid>,
) -> AppResult<Option<Uuid>> {
    let mut query = bookmarks::table
        .filter(bookmarks::owner_id.eq(owner_id))
        .filter(bookmarks::normalized_url.eq(normalized_url))
        .select(bookmarks::id)
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(bookmarks::id.ne(except));
    }
    Ok(query.first(connection).await.optional()?)
}

pub async fn find(
    connection: &mut AsyncPgConnection,
    bookmark_id: Uuid,
) -> AppResult<Option<Bookmark>> {
    Ok(bookmarks::table
        .find(bookmark_id)
        .select(Bookmark::as_select())
        .first(connection)
        .await
        .optional()?)
}

/// A bookmark with the viewer's role in the project it is shared into (if any).
pub async fn find_with_viewer_role(
    connection: &mut AsyncPgConnection,
    bookmark_id: Uuid,
    viewer_id: Uuid,
) -> AppResult<Option<(Bookmark, Option<ProjectRole>)>> {
    Ok(bookmarks::table
        .left_join(
            project_members::table.on(project_members::project_id
                .nullable()
                .eq(bookmarks::project_id)
                .and(project_members::user_id.eq(viewer_id))),
        )
        .filter(bookmarks::id.eq(bookmark_id))
        .select((Bookmark::as_select(), project_members::role.nullable()))
        .first(connection)
        .await
        .optional()?)
}

/// Locks the bookmark's row for the rest of the transaction and returns it.
pub async fn lock(connection: &mut AsyncPgConnection, bookmark_id: Uuid) -> AppResult<Bookmark> {
    Ok(bookmarks::table
        .find(bookmark_id)
        .select(Bookmark::as_select())
        .for_update()
        .first(connection)
        .await?)
}

pub async fn update(
    connection: &mut AsyncPgConnection,
    bookmark_id: Uuid,
    changes: &BookmarkChanges,
) -> AppResult<Bookmark> {
    Ok(diesel::update(bookmarks::table.find(bookmark_id))
        .set(changes)
        .returning(Bookmark::as_returning())
        .get_result(connection)
        .await?)
}

pub async fn delete(connection: &mut AsyncPgConnection, bookmark_id: Uuid) -> AppResult<bool> {
    let deleted = diesel::delete(bookmarks::table.find(bookmark_id))
        .execute(connection)
        .await?;
    Ok(deleted == 1)
}

/// Whose bookmarks a listing covers.
#[derive(Debug, Clone, Copy)]
pub enum BookmarkScope {
    /// One user's own bookmarks.
    Owner(Uuid),
    /// Bookmarks shared into one project (the caller checked membership).
    Project(Uuid),
}

/// A page position: search results are ordered by score, plain listings by creation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BookmarkCursor {
    pub score: f64,
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

#[derive(Debug, Clone, Default)]
pub struct BookmarkFilter {
    /// Free text; ranked full-text match, or fuzzy (trigram) match for misspellings.
    pub query: Option<String>,
    /// Bookmarks carrying all of these tags.
    pub tags: Vec<String>,
    /// Bookmarks in this folder or below it.
    pub folder: Option<Vec<String>>,
    pub favorite: Option<bool>,
}

/// A bookmark as a listing returns it, with its search score and highlighted snippet.
#[derive(Debug, Clone, QueryableByName)]
pub struct BookmarkHit {
    #[diesel(embed)]
    pub bookmark: Bookmark,
    #[diesel(sql_type = Double)]
    pub score: f64,
    #[diesel(sql_type = Nullable<Text>)]
    pub snippet: Option<String>,
}

impl BookmarkHit {
    pub fn cursor(&self) -> BookmarkCursor {
        BookmarkCursor {
            score: self.score,
            created_at: self.bookmark.created_at,
            id: self.bookmark.id,
        }
    }
}

/// Marks ts_headline puts around matches: private-use characters that never occur in titles, so
/// the api can escape the snippet as HTML and then turn them into `<mark>` tags.
pub const SNIPPET_START: char = '\u{E000}';
pub const SNIPPET_STOP: char = '\u{E001}';

const BOOKMARK_COLUMNS: &str = "b.id, b.owner_id, b.project_id, b.url, b.normalized_url, b.title, \
     b.notes, b.tags, b.folder, b.favorite, b.created_at, b.updated_at";

/// One page of bookmarks in `scope` matching `filter`, `limit + 1` rows to detect a next page.
/// With a query: full-text matches first, by weighted rank (title > tags > notes > url), scored
/// above 1; then, when they do not fill the page, trigram matches by word similarity (below 1),
/// so misspellings still find something. Ties go to the newest. Without a query: newest first.
pub async fn page(
    connection: &mut AsyncPgConnection,
    scope: BookmarkScope,
    filter: &BookmarkFilter,
    after: Option<BookmarkCursor>,
    limit: i64,
) -> AppResult<Vec<BookmarkHit>> {
    let query_text = filter
        .query
        .as_deref()
        .map(str::trim)
        .filter(|query| !query.is_empty());
    let Some(text) = query_text else {
        return run_pass(connection, scope, filter, Pass::Listing, after, limit + 1).await;
    };
    // The fuzzy pass only scores below 1: a cursor there is past every full-text match.
    let mut hits = match after {
        Some(cursor) if cursor.score < 1.0 => Vec::new(),
        _ => {
            run_pass(
                connection,
                scope,
                filter,
                Pass::FullText(text),
                after,
                limit + 1,
            )
            .await?
        }
    };
    let wanted = limit + 1 - hits.len() as i64;
    if wanted > 0 {
        let fuzzy_after = after.filter(|cursor| cursor.score < 1.0);
        hits.extend(
            run_pass(
                connection,
                scope,
                filter,
                Pass::Fuzzy(text),
                fuzzy_after,
                wanted,
            )
            .await?,
        );
    }
    Ok(hits)
}

/// One of the statements a page is read with.
#[derive(Clone, Copy)]
enum Pass<'a> {
    Listing,
    FullText(&'a str),
    /// Trigram matches that are not full-text matches.
    Fuzzy(&'a str),
}

async fn run_pass(
    connection: &mut AsyncPgConnection,
    scope: BookmarkScope,
    filter: &BookmarkFilter,
    pass: Pass<'_>,
    after: Option<BookmarkCursor>,
    rows: i64,
) -> AppResult<Vec<BookmarkHit>> {
    let mut conditions: Vec<String> = Vec::new();
    let mut next = 1;
    let mut placeholder = || {
        let name = format!("${next}");
        next += 1;
        name
    };
    let (scope_column, scope_id) = scope_filter(scope);
    conditions.push(format!("{scope_column} = {}", placeholder()));
    let tsquery = |raw: &str| format!("websearch_to_tsquery('english', {raw})");
    let headline = |tsquery: &str| {
        format!(
            "ts_headline('english', concat_ws(' · ', page.title, page.notes, \
             bookmark_words(page.tags)), {tsquery}, \
             'StartSel={SNIPPET_START}, StopSel={SNIPPET_STOP}, MaxWords=24, MinWords=8, \
             MaxFragments=2, FragmentDelimiter=\" … \"')"
        )
    };
    let (score, snippet) = match pass {
        Pass::Listing => ("0::float8".to_string(), "NULL::text".to_string()),
        Pass::FullText(_) => {
            let query = tsquery(&placeholder());
            conditions.push(format!("b.search_document @@ {query}"));
            (
                format!("(1 + ts_rank(b.search_document, {query}, 32))::float8"),
                headline(&query),
            )
        }
        Pass::Fuzzy(_) => {
            let (raw, lowered) = (placeholder(), placeholder());
            let query = tsquery(&raw);
            conditions.push(format!(
                "{lowered} <% b.search_text AND NOT (b.search_document @@ {query})"
            ));
            (
                format!("word_similarity({lowered}, b.search_text)::float8"),
                headline(&query),
            )
        }
    };
    if !filter.tags.is_empty() {
        conditions.push(format!("b.tags @> {}", placeholder()));
    }
    let folder = filter.folder.as_ref().filter(|folder| !folder.is_empty());
    if folder.is_some() {
        let path = placeholder();
        conditions.push(format!("b.folder[1:cardinality({path}::text[])] = {path}"));
    }
    if filter.favorite.is_some() {
        conditions.push(format!("b.favorite = {}", placeholder()));
    }
    let cursor_condition = match after {
        Some(_) => format!(
            "WHERE (ranked.score, ranked.created_at, ranked.id) < ({}, {}, {})",
            placeholder(),
            placeholder(),
            placeholder()
        ),
        None => String::new(),
    };
    let limit_placeholder = placeholder();
    let sql = format!(
        "SELECT page.*, {snippet} AS snippet FROM (
           SELECT ranked.* FROM (
             SELECT {BOOKMARK_COLUMNS}, {score} AS score FROM bookmarks b
             WHERE {conditions}
           ) ranked {cursor_condition}
           ORDER BY ranked.score DESC, ranked.created_at DESC, ranked.id DESC
           LIMIT {limit_placeholder}
         ) page
         ORDER BY page.score DESC, page.created_at DESC, page.id DESC",
        conditions = conditions.join(" AND "),
    );

    let mut query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<SqlUuid, _>(scope_id);
    match pass {
        Pass::Listing => {}
        Pass::FullText(text) => query = query.bind::<Text, _>(text.to_string()),
        Pass::Fuzzy(text) => {
            query = query
                .bind::<Text, _>(text.to_string())
                .bind::<Text, _>(text.to_lowercase());
        }
    }
    if !filter.tags.is_empty() {
        query = query.bind::<Array<Text>, _>(filter.tags.clone());
    }
    if let Some(folder) = folder {
        query = query.bind::<Array<Text>, _>(folder.clone());
    }
    if let Some(favorite) = filter.favorite {
        query = query.bind::<Bool, _>(favorite);
    }
    if let Some(cursor) = after {
        query = query
            .bind::<Double, _>(cursor.score)
            .bind::<Timestamptz, _>(cursor.created_at)
            .bind::<SqlUuid, _>(cursor.id);
    }
    query = query.bind::<Int8, _>(rows);
    Ok(query.load(connection).await?)
}

/// After a bulk import: merges the GIN indexes' pending entries (which every search would
/// otherwise scan) and refreshes planner statistics, so searches stay on their indexes.
pub async fn settle_after_bulk_import(connection: &mut AsyncPgConnection) -> AppResult<()> {
    diesel::sql_query(
        "SELECT gin_clean_pending_list('bookmarks_search_document_idx'::regclass),
                gin_clean_pending_list('bookmarks_search_text_trgm_idx'::regclass),
                gin_clean_pending_list('bookmarks_tags_idx'::regclass)",
    )
    .execute(connection)
    .await?;
    diesel::sql_query("ANALYZE bookmarks")
        .execute(connection)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, QueryableByName)]
pub struct TagCount {
    #[diesel(sql_type = Text)]
    pub tag: String,
    #[diesel(sql_type = Int8)]
    pub count: i64,
}

/// Every tag in `scope` with how many bookmarks carry it, most used first.
pub async fn tag_counts(
    connection: &mut AsyncPgConnection,
    scope: BookmarkScope,
    limit: i64,
) -> AppResult<Vec<TagCount>> {
    let (column, id) = scope_filter(scope);
    Ok(diesel::sql_query(format!(
        "SELECT tag, count(*) AS count FROM bookmarks b, unnest(b.tags) AS tag
         WHERE {column} = $1 GROUP BY tag ORDER BY count DESC, tag ASC LIMIT $2"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Int8, _>(limit)
    .load(connection)
    .await?)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct FolderCount {
    #[diesel(sql_type = Array<Text>)]
    pub folder: Vec<String>,
    #[diesel(sql_type = Int8)]
    pub count: i64,
}

/// Every folder path holding bookmarks in `scope`, with how many it holds directly.
pub async fn folder_counts(
    connection: &mut AsyncPgConnection,
    scope: BookmarkScope,
) -> AppResult<Vec<FolderCount>> {
    let (column, id) = scope_filter(scope);
    Ok(diesel::sql_query(format!(
        "SELECT b.folder, count(*) AS count FROM bookmarks b
         WHERE {column} = $1 GROUP BY b.folder ORDER BY b.folder"
    ))
    .bind::<SqlUuid, _>(id)
    .load(connection)
    .await?)
}

fn scope_filter(scope: BookmarkScope) -> (&'static str, Uuid) {
    match scope {
        BookmarkScope::Owner(id) => ("b.owner_id", id),
        BookmarkScope::Project(id) => ("b.project_id", id),
    }
}

/// `owner_id`'s other bookmarks ranked by how many tags they share with `bookmark`, then by
/// trigram similarity of title and tags.
pub async fn related(
    connection: &mut AsyncPgConnection,
    owner_id: Uuid,
    bookmark: &Bookmark,
    limit: i64,
) -> AppResult<Vec<BookmarkHit>> {
    let sql = format!(
        "SELECT {BOOKMARK_COLUMNS}, (
           cardinality(ARRAY(SELECT unnest(b.tags) INTERSECT SELECT unnest($3::text[])))
           + similarity(b.search_text, $4))::float8 AS score,
           NULL::text AS snippet
         FROM bookmarks b
         WHERE b.owner_id = $1 AND b.id <> $2 AND (b.tags && $3 OR b.search_text % $4)
         ORDER BY score DESC, b.created_at DESC, b.id DESC
         LIMIT $5"
    );
    let text = format!("{} {}", bookmark.title, bookmark.tags.join(" ")).to_lowercase();
    Ok(diesel::sql_query(sql)
        .bind::<SqlUuid, _>(owner_id)
        .bind::<SqlUuid, _>(bookmark.id)
        .bind::<Array<Text>, _>(&bookmark.tags)
        .bind::<Text, _>(text)
        .bind::<Int8, _>(limit)
        .load(connection)
        .await?)
}

/// A user's first `limit` bookmarks, oldest first (a pipeline's `myBookmarks` source).
pub async fn oldest_of_owner(
    connection: &mut AsyncPgConnection,
    owner_id: Uuid,
    limit: i64,
) -> AppResult<Vec<Bookmark>> {
    Ok(bookmarks::table
        .filter(bookmarks::owner_id.eq(owner_id))
        .order((bookmarks::created_at.asc(), bookmarks::id.asc()))
        .limit(limit)
        .select(Bookmark::as_select())
        .load(connection)
        .await?)
}

/// All of a user's bookmarks, for export: by folder, then oldest first.
pub async fn all_of_owner(
    connection: &mut AsyncPgConnection,
    owner_id: Uuid,
) -> AppResult<Vec<Bookmark>> {
    Ok(bookmarks::table
        .filter(bookmarks::owner_id.eq(owner_id))
        .order((
            bookmarks::folder.asc(),
            bookmarks::created_at.asc(),
            bookmarks::id.asc(),
        ))
        .select(Bookmark::as_select())
        .load(connection)
        .await?)
}

pub async fn insert_import(
    connection: &mut AsyncPgConnection,
    import: &NewBookmarkImport,
) -> AppResult<BookmarkImport> {
    Ok(diesel::insert_into(bookmark_imports::table)
        .values(import.clone())
        .returning(BookmarkImport::as_returning())
        .get_result(connection)
        .await?)
}

/// The final report of an import.
pub struct ImportOutcome<'a> {
    pub processed: i32,
    pub imported: i32,
    pub duplicates: i32,
    pub skipped: &'a serde_json::Value,
    pub error: Option<&'a str>,
}

pub async fn finish_import(
    connection: &mut AsyncPgConnection,
    import_id: Uuid,
    status: ImportStatus,
    outcome: ImportOutcome<'_>,
) -> AppResult<BookmarkImport> {
    Ok(diesel::update(bookmark_imports::table.find(import_id))
        .set((
            bookmark_imports::status.eq(status),
            bookmark_imports::processed.eq(outcome.processed),
            bookmark_imports::imported.eq(outcome.imported),
            bookmark_imports::duplicates.eq(outcome.duplicates),
            bookmark_imports::skipped.eq(outcome.skipped),
            bookmark_imports::error.eq(outcome.error),
            bookmark_imports::finished_at.eq(Some(Utc::now())),
        ))
        .returning(BookmarkImport::as_returning())
        .get_result(connection)
        .await?)
}

/// The advisory-lock key of an import: its uuid's random tail.
fn import_lock_key(import_id: Uuid) -> i64 {
    let bytes = import_id.as_bytes();
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&bytes[8..]);
    i64::from_be_bytes(tail)
}

#[derive(QueryableByName)]
struct Acquired {
    #[diesel(sql_type = Bool)]
    acquired: bool,
}

/// Held by the transaction running a background import until it ends, so any instance can tell
/// a running import from one whose instance stopped mid-way.
pub async fn hold_import_lock(
    connection: &mut AsyncPgConnection,
    import_id: Uuid,
) -> AppResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1) IS NULL AS acquired")
        .bind::<Int8, _>(import_lock_key(import_id))
        .get_result::<Acquired>(connection)
        .await?;
    Ok(())
}

/// Marks a RUNNING import FAILED when no transaction holds its lock any more (its instance
/// stopped mid-import, so its transaction rolled back) and it is older than `grace` (a fresh
/// import may not have taken its lock yet). Returns the row as it now stands. Must run inside a
/// transaction: the lock it tries is held until that transaction ends.
pub async fn fail_if_abandoned(
    connection: &mut AsyncPgConnection,
    import: BookmarkImport,
    grace: chrono::Duration,
) -> AppResult<BookmarkImport> {
    if !import.may_be_abandoned(grace) {
        return Ok(import);
    }
    let free = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS acquired")
        .bind::<Int8, _>(import_lock_key(import.id))
        .get_result::<Acquired>(connection)
        .await?
        .acquired;
    if !free {
        return Ok(import);
    }
    match find_import(connection, import.id).await? {
        Some(current) if current.status == ImportStatus::Running => {
            finish_import(
                connection,
                import.id,
                ImportStatus::Failed,
                ImportOutcome {
                    processed: 0,
                    imported: 0,
                    duplicates: 0,
                    skipped: &current.skipped,
                    error: Some(
                        "the import was interrupted (its server stopped); nothing was imported",
                    ),
                },
            )
            .await
        }
        Some(current) => Ok(current),
        None => Ok(import),
    }
}

pub async fn find_import(
    connection: &mut AsyncPgConnection,
    import_id: Uuid,
) -> AppResult<Option<BookmarkImport>> {
    Ok(bookmark_imports::table
        .find(import_id)
        .select(BookmarkImport::as_select())
        .first(connection)
        .await
        .optional()?)
}
