//! Bookmark subscriptions: the live progress of a background import.

use async_graphql::{Context, Subscription, ID};
use futures_util::{stream::BoxStream, StreamExt};

use super::{access::viewer, nodes::BookmarkImportProgress};
use crate::{
    bookmarks::{
        import::{self, ImportWatch},
        model::BOOKMARK_IMPORT_TYPE,
    },
    events::Topic,
    graphql::ids::decode_id,
    state::AppState,
};

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
        let import = import::current_import(state, viewer, import_id).await?;
        let watch = ImportWatch::new(state.clone(), &import, receiver);
        Ok(futures_util::stream::unfold(watch, |mut watch| async move {
            let progress = watch.next().await?;
            Some((BookmarkImportProgress::from(&progress), watch))
        })
        .boxed())
    }
}
