//! Bookmark mutations: create, update (sharing included), delete, and imports of files.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Upload, ID};
use chrono::Utc;

use super::{
    access::{conflict_with, load_with_access, parse_url, project_access, share_change, viewer},
    nodes::{BookmarkImportNode, BookmarkNode},
};
use crate::{
    auth::authz::{BookmarkAccess, BookmarkPermission, ProjectPermission, SignedIn},
    bookmarks::{
        import,
        model::{
            checked_text, clean_folder, clean_tags, BookmarkChanges, ImportStatus, NewBookmark,
            BOOKMARK_TYPE, MAX_NOTES_CHARS, MAX_TITLE_CHARS,
        },
        store,
        transfer::BookmarkFormat,
    },
    error::{bad_input, internal, AppResult},
    graphql::ids::decode_id,
    projects::views::PROJECT_TYPE,
    state::AppState,
    work,
};

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
        let state = AppState::from_ctx(ctx);
        let bookmark = work::run(state, async |change| {
            if let Some(project_id) = project_id {
                project_access(&mut change.db, viewer, project_id)
                    .await?
                    .require(ProjectPermission::ShareBookmark, "project")?;
            }
            match store::insert(&mut change.db, &new).await? {
                Ok(bookmark) => Ok(bookmark),
                Err(existing) => Err(conflict_with(&mut change.db, existing).await?),
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
        let state = AppState::from_ctx(ctx);
        let (bookmark, access) = work::run(state, async |change| {
            let (_, access) = load_with_access(&mut change.db, viewer, bookmark_id).await?;
            access.require(BookmarkPermission::Update)?;
            let current = store::lock(&mut change.db, bookmark_id).await?;
            if let Some(project_change) = changes.project_id {
                share_change(&mut change.db, viewer, access, project_change).await?;
            }
            if let Some(normalized) = &changes.normalized_url {
                let duplicate = store::find_duplicate(
                    &mut change.db,
                    current.owner_id,
                    normalized,
                    Some(bookmark_id),
                )
                .await?;
                if let Some(existing) = duplicate {
                    return Err(conflict_with(&mut change.db, existing).await?);
                }
            }
            if changes.is_empty() {
                return Ok((current, access));
            }
            Ok((
                store::update(&mut change.db, bookmark_id, &changes).await?,
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
        let state = AppState::from_ctx(ctx);
        work::run(state, async |change| {
            let (_, access) = load_with_access(&mut change.db, viewer, bookmark_id).await?;
            access.require(BookmarkPermission::Delete)?;
            store::lock(&mut change.db, bookmark_id).await?;
            store::delete(&mut change.db, bookmark_id).await
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
        if prepared.total > policy.import_background_threshold {
            let running = prepared.import_row(owner_id, format, ImportStatus::Running);
            let import = work::run(state, async |change| {
                store::insert_import(&mut change.db, &running).await
            })
            .await?;
            tokio::spawn(import::run_background_import(
                state.clone(),
                import.clone(),
                prepared,
            ));
            return Ok(BookmarkImportNode(import));
        }
        let import = import::import_now(state, &prepared, owner_id, format).await?;
        Ok(BookmarkImportNode(import))
    }
}
