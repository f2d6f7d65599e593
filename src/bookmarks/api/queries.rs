//! Bookmark queries: one bookmark, the ranked and filtered listing, tags, the folder tree,
//! related bookmarks, an import's report and the export file.

use async_graphql::{
    connection::{Connection, Edge},
    Context, Object, ID,
};

use super::{
    access::{listing_scope, load_with_access, project_access, viewer},
    nodes::{
        folder_tree, hit_node, BookmarkExport, BookmarkFolder, BookmarkImportNode, BookmarkNode,
        BookmarkTag,
    },
};
use crate::{
    auth::authz::{BookmarkAccess, BookmarkPermission, ProjectPermission, SignedIn},
    bookmarks::{
        import,
        model::{clean_folder, clean_tags, Bookmark, BOOKMARK_IMPORT_TYPE, BOOKMARK_TYPE},
        record::FileBookmark,
        store::{self, BookmarkCursor, BookmarkFilter, BookmarkScope},
        transfer::{self, BookmarkFormat},
    },
    error::{bad_input, internal, AppResult},
    graphql::{
        ids::decode_id,
        pagination::{decode_cursor, page_size, PageCursor},
    },
    projects::views::PROJECT_TYPE,
    state::AppState,
};

/// Longest search query accepted; longer text is not a query anyone types.
const MAX_QUERY_CHARS: usize = 500;
const DEFAULT_RELATED: i32 = 10;
const MAX_TAG_LIST: i32 = 1_000;

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
        #[graphql(
            desc = "A project the viewer belongs to: list its shared bookmarks instead of the viewer's own."
        )]
        project_id: Option<ID>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Start after this `cursor` from an earlier page of the same listing.")]
        after: Option<String>,
    ) -> AppResult<Connection<PageCursor, BookmarkNode>> {
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
                let cursor = PageCursor::at(hit.cursor());
                Edge::new(cursor, hit_node(hit, access, searched))
            }));
        Ok(page)
    }

    /// The viewer's tags (or a project's shared bookmarks' tags), most used first.
    #[graphql(guard = "SignedIn")]
    async fn bookmark_tags(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A project the viewer belongs to: list its shared bookmarks instead of the viewer's own."
        )]
        project_id: Option<ID>,
        #[graphql(
            default = 100,
            desc = "How many tags, 0 to 1000 (else `BAD_USER_INPUT`)."
        )]
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
        #[graphql(
            desc = "A project the viewer belongs to: list its shared bookmarks instead of the viewer's own."
        )]
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
        let import = import::current_import(AppState::from_ctx(ctx), viewer, import_id).await?;
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
