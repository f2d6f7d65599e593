//! The live `pipelineEvents` stream: a pipeline's edits, filtered from its project's activity
//! log and admitted by the subscriber's current membership.

use std::sync::Arc;

use async_graphql::{Context, Subscription, ID};
use futures_util::{stream::BoxStream, StreamExt};
use uuid::Uuid;

use crate::{
    auth::{authz, live::LiveCredentials, viewer::AuthenticatedUser},
    error::{bad_input, AppResult},
    events::stream::{ProjectEventStream, StreamItem},
    graphql::{
        ids::decode_id,
        resume::{resume_after, CursorMarks},
    },
    pipelines::{
        model::PIPELINE_TYPE,
        views::{PipelineEventView, PipelineView},
    },
    projects::{activity::Activity, watch::MembershipWatch},
    state::AppState,
};

#[derive(Default)]
pub struct PipelineSubscription;

#[Subscription]
impl PipelineSubscription {
    /// Live edits of a pipeline. With `after` (a `cursor` from an earlier event), everything
    /// after it is replayed first, then live events follow with no gap and no duplicate; the
    /// stream ends after PIPELINE_DELETED. Removal from the project ends it with `FORBIDDEN`.
    async fn pipeline_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pipeline to follow; `NOT_FOUND` when the viewer may not see it.")]
        pipeline_id: ID,
        #[graphql(
            desc = "Replay everything after this event `cursor`; omitted: live events only."
        )]
        after: Option<String>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<PipelineEventView>>> {
        let viewer = authz::signed_in(ctx)?.clone();
        let pipeline_id = decode_id(PIPELINE_TYPE, "pipelineId", &pipeline_id)?;
        let after_seq = resume_after(ctx, after)
            .as_deref()
            .map(|cursor| {
                cursor
                    .parse::<i64>()
                    .ok()
                    .filter(|seq| *seq >= 0)
                    .ok_or_else(|| bad_input("after", "is not a cursor returned by this API"))
            })
            .transpose()?;
        let state = AppState::from_ctx(ctx).clone();
        let marks = CursorMarks::of(ctx);
        let live = LiveCredentials::of_operation(ctx);
        Ok(Box::pin(open_pipeline_events(
            state,
            viewer,
            live,
            pipeline_id,
            after_seq,
            marks,
        ))
        .await?)
    }
}

async fn open_pipeline_events(
    state: AppState,
    viewer: AuthenticatedUser,
    live: Option<Arc<LiveCredentials>>,
    pipeline_id: Uuid,
    after_seq: Option<i64>,
    marks: CursorMarks,
) -> AppResult<BoxStream<'static, async_graphql::Result<PipelineEventView>>> {
    let view = {
        let mut connection = state.pool.get().await?;
        PipelineView::load(&mut connection, &viewer, pipeline_id).await?
    };
    let stream = ProjectEventStream::open(
        &state.pool,
        &state.events,
        view.pipeline.project_id,
        after_seq,
    )
    .await?;
    let watcher = MembershipWatch::new(&viewer, view.access, live);
    let events = Box::pin(stream.into_stream());
    let wanted = (pipeline_id, marks);
    Ok(futures_util::stream::unfold(
        (events, watcher, wanted),
        |(mut events, mut watcher, wanted)| async move {
            loop {
                if watcher.ended {
                    return None;
                }
                let item: StreamItem = events.next().await?;
                match watcher.admit(item) {
                    Err(error) => return Some((Err(error), (events, watcher, wanted))),
                    Ok(node) => {
                        let activity = match Activity::of(&node.event) {
                            Ok(activity) => activity,
                            Err(error) => {
                                watcher.ended = true;
                                return Some((Err(error.into()), (events, watcher, wanted)));
                            }
                        };
                        if activity.pipeline_id() != Some(wanted.0) {
                            continue;
                        }
                        if matches!(activity, Activity::PipelineDeleted(_)) {
                            watcher.ended = true;
                        }
                        wanted.1.mark(node.event.seq);
                        let view = PipelineEventView {
                            event: node.event,
                            access: node.access,
                        };
                        return Some((Ok(view), (events, watcher, wanted)));
                    }
                }
            }
        },
    )
    .boxed())
}
