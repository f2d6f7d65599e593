//! What the bookmark roots check before they act: the signed-in viewer, their access to a
//! bookmark or to a project they share into or list, a URL's validity, and the conflict a
//! duplicate URL raises. Access itself is decided by `authz`.

use async_graphql::{Context, ID};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    auth::{
        authz::{self, BookmarkAccess, ProjectAccess, ProjectPermission},
        viewer::AuthenticatedUser,
    },
    bookmarks::{
        model::{Bookmark, BOOKMARK_TYPE},
        store::{self, BookmarkScope},
        url::BookmarkUrl,
    },
    error::{bad_input, internal, not_found, AppError, AppResult},
    graphql::ids::{decode_id, encode_id},
    projects::{store as project_store, views::PROJECT_TYPE},
};

pub(super) fn viewer<'a>(ctx: &Context<'a>) -> AppResult<&'a AuthenticatedUser> {
    authz::require_user(authz::viewer(ctx))
}

pub(super) fn parse_url(raw: &str) -> AppResult<BookmarkUrl> {
    BookmarkUrl::parse(raw).map_err(|problem| {
        let mut error = bad_input("url", problem.describe());
        if let AppError::BadUserInput { details, .. } = &mut error {
            details.push(("reason", async_graphql::Value::from(problem.as_str())));
        }
        error
    })
}

pub(super) fn duplicate_of(existing: &Bookmark) -> AppError {
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

pub(super) async fn conflict_with(
    connection: &mut AsyncPgConnection,
    existing_id: Uuid,
) -> AppResult<AppError> {
    let existing = store::find(connection, existing_id)
        .await?
        .ok_or_else(|| internal(anyhow::anyhow!("duplicate bookmark {existing_id} vanished")))?;
    Ok(duplicate_of(&existing))
}

/// The viewer's access to a project they want to share into or list.
pub(super) async fn project_access(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    project_id: Uuid,
) -> AppResult<ProjectAccess> {
    let (_, role) = project_store::find_with_role(connection, project_id, viewer.user_id())
        .await?
        .ok_or_else(|| not_found("project"))?;
    Ok(ProjectAccess::for_viewer(viewer, role))
}

pub(super) async fn load_with_access(
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
        role,
    );
    Ok((bookmark, access))
}

pub(super) async fn listing_scope(
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

/// Sharing and unsharing are the owner's decision, and need EDITOR in the target project.
pub(super) async fn share_change(
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
