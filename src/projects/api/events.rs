//! The live `projectEvents` stream: replay after a cursor, then live events, each admitted by
//! the subscriber's current membership.

use std::sync::Arc;

use async_graphql::{Context, Subscription, ID};
use futures_util::{stream::BoxStream, StreamExt};
use uuid::Uuid;

use crate::{
    auth::{authz, live::LiveCredentials, project_roles, viewer::AuthenticatedUser},
    error::AppResult,
    events::stream::ProjectEventStream,
    graphql::{
        ids::decode_id,
        plain::Plain,
        resume::{resume_after, CursorMarks},
    },
    projects::{
        views::{ProjectEventNode, PROJECT_TYPE},
        watch::MembershipWatch,
    },
    state::AppState,
};

use super::types::parse_event_cursor;

#[derive(Default)]
pub struct ProjectSubscription;

#[Subscription]
impl ProjectSubscription {
    /// Live events of a project. With `after` (a `cursor` from an earlier event or from
    /// `project.activity`), everything after it is replayed first, then live events follow with
    /// no gap and no duplicate. Removal from the project ends the stream with `FORBIDDEN`.
    async fn project_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project to follow; the viewer must be a member (else `NOT_FOUND`).")]
        project_id: ID,
        #[graphql(
            desc = "Replay everything after this event `cursor`; omitted: live events only."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<Plain<ProjectEventNode>>>>
    {
        let viewer = authz::signed_in(ctx)?.clone();
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let after_seq = resume_after(ctx, after)
            .as_deref()
            .map(parse_event_cursor)
            .transpose()?;
        let state = AppState::from_ctx(ctx).clone();
        let marks = CursorMarks::of(ctx);
        // Setup runs in its own boxed future: its query state is freed once the stream is
        // open, instead of staying inside every idle subscription.
        let live = LiveCredentials::of_operation(ctx);
        Ok(Box::pin(open_project_events(
            state, viewer, live, project_id, after_seq, marks,
        ))
        .await?)
    }
}

async fn open_project_events(
    state: AppState,
    viewer: AuthenticatedUser,
    live: Option<Arc<LiveCredentials>>,
    project_id: Uuid,
    after_seq: Option<i64>,
    marks: CursorMarks,
) -> AppResult<BoxStream<'static, async_graphql::Result<Plain<ProjectEventNode>>>> {
    let access = {
        let mut connection = state.pool.get().await?;
        project_roles::standing(&mut connection, &viewer, project_id)
            .await?
            .access
    };
    let stream =
        ProjectEventStream::open(&state.pool, &state.events, project_id, after_seq).await?;
    let watcher = MembershipWatch::new(&viewer, access, live);
    let events = Box::pin(stream.into_stream());
    Ok(futures_util::stream::unfold(
        (events, watcher, marks),
        |(mut events, mut watcher, marks)| async move {
            if watcher.ended {
                return None;
            }
            let item = events.next().await?;
            let output = watcher.admit(item);
            if let Ok(node) = &output {
                marks.mark(node.event.seq);
            }
            Some((output.map(Plain), (events, watcher, marks)))
        },
    )
    .boxed())
}
