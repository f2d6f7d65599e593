//! Presence on a project board: `projectPresence` (who is viewing, with `JOINED`,
//! `FOCUS_CHANGED` and `LEFT`, the current viewers first) and `updatePresence` (the viewer's
//! focus and heartbeat). Members only, through `ProjectPermission::ViewPresence`. The shared set
//! itself is `projects::presence`.

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
};

use async_graphql::{Context, Enum, Object, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::{stream::BoxStream, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

use crate::{
    auth::{
        authz::{self, ProjectPermission, SignedIn},
        live::LiveCredentials,
        project_roles,
        viewer::AuthenticatedUser,
    },
    error::{internal, not_found, AppResult},
    events::{bus::BusMessage, BusEvent, Topic},
    graphql::ids::{decode_id, encode_id},
    projects::{
        presence::{Focus, PresenceBoard, PresenceNotice, PresenceStream, Viewing},
        views::PROJECT_TYPE,
        watch::MembershipWatch,
    },
    state::AppState,
    tasks::{store as task_store, views::TASK_TYPE},
    users::{loaders::UserLoader, model::User},
};

/// What happened to one viewer of a project.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PresenceEventKind {
    /// They started viewing the project (the first events of a stream list those already there).
    Joined,
    /// They focus another task, or no task.
    FocusChanged,
    /// They stopped viewing: their last `projectPresence` stream ended, or they were not heard
    /// from (`updatePresence`) within the presence timeout.
    Left,
}

pub struct ProjectViewer(Viewing);

/// Someone viewing a project.
#[Object]
impl ProjectViewer {
    /// Who is viewing.
    async fn user(&self, ctx: &Context<'_>) -> AppResult<User> {
        viewer_user(ctx, self.0.user_id).await
    }

    /// The task they focus (open, edit), or null when they look at the board as a whole.
    async fn focus_task_id(&self) -> Option<ID> {
        self.0.focus_task_id.map(|task| encode_id(TASK_TYPE, task))
    }
}

async fn viewer_user(ctx: &Context<'_>, user_id: Uuid) -> AppResult<User> {
    crate::graphql::loaders::Loaders::get::<UserLoader>(ctx)
        .load_one(user_id)
        .await?
        .ok_or_else(|| not_found("user"))
}

pub struct PresenceEvent {
    kind: PresenceEventKind,
    viewing: Viewing,
    viewers: Arc<Vec<Viewing>>,
}

/// One change in who is viewing a project.
#[Object]
impl PresenceEvent {
    /// What happened.
    async fn kind(&self) -> PresenceEventKind {
        self.kind
    }

    /// Whom it happened to.
    async fn user(&self, ctx: &Context<'_>) -> AppResult<User> {
        viewer_user(ctx, self.viewing.user_id).await
    }

    /// Their focus after the event (for `LEFT`, the last one they had); null for none.
    async fn focus_task_id(&self) -> Option<ID> {
        self.viewing
            .focus_task_id
            .map(|task| encode_id(TASK_TYPE, task))
    }

    /// Everyone viewing the project after this event, as this stream has seen it.
    async fn viewers(&self) -> Vec<ProjectViewer> {
        self.viewers.iter().copied().map(ProjectViewer).collect()
    }
}

pub struct PresenceUpdate {
    viewing: Viewing,
    expires_at: DateTime<Utc>,
    heartbeat_interval_seconds: i32,
}

/// The answer to `updatePresence`: the viewer's entry and when it lapses.
#[Object]
impl PresenceUpdate {
    /// The viewer as others see them now.
    async fn viewer(&self) -> ProjectViewer {
        ProjectViewer(self.viewing)
    }

    /// When the viewer is `LEFT` unless heard from again (another `updatePresence`).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// How often a client should call `updatePresence` while the board is open: two fifths of
    /// the presence timeout (10 s by default), so one lost heartbeat does not drop the viewer.
    async fn heartbeat_interval_seconds(&self) -> i32 {
        self.heartbeat_interval_seconds
    }
}

fn board<'a>(ctx: &Context<'a>) -> AppResult<&'a PresenceBoard> {
    ctx.data::<PresenceBoard>().map_err(|_| {
        internal(anyhow::anyhow!(
            "the schema was built without a presence board"
        ))
    })
}

/// The viewer may see (and be seen in) the project's presence: non-members get `NOT_FOUND`.
async fn require_presence(
    state: &AppState,
    viewer: &AuthenticatedUser,
    project_id: Uuid,
) -> AppResult<project_roles::ProjectStanding> {
    let mut connection = state.pool.get().await?;
    let standing = project_roles::standing(&mut connection, viewer, project_id).await?;
    standing
        .access
        .require(ProjectPermission::ViewPresence, "project")?;
    Ok(standing)
}

#[derive(Default)]
pub struct PresenceMutation;

#[Object]
impl PresenceMutation {
    /// Says what the viewer is looking at in a project, and that they are still there: also the
    /// heartbeat of presence. Call it when the focus changes and every
    /// `heartbeatIntervalSeconds` (10 s by default) while the board is open; a viewer not heard
    /// from within `PRESENCE_TIMEOUT_SECONDS` (25 s by default) is `LEFT` within 30 s. Nothing is
    /// stored or logged: presence is ephemeral. Members only (`NOT_FOUND` otherwise).
    #[graphql(guard = "SignedIn")]
    async fn update_presence(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project being viewed.")] project_id: ID,
        #[graphql(
            desc = "The task the viewer focuses (it must be in this project, else `NOT_FOUND`); null or omitted: none."
        )]
        focus_task_id: Option<ID>,
    ) -> AppResult<PresenceUpdate> {
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let focus = focus_task_id
            .map(|id| decode_id(TASK_TYPE, "focusTaskId", &id))
            .transpose()?;
        let state = AppState::from_ctx(ctx);
        // No unit of work: nothing in PostgreSQL changes, so there is no transaction to open
        // and no project log to lock; a heartbeat every few seconds must not queue writers.
        require_presence(state, viewer, project_id).await?;
        if let Some(task_id) = focus {
            let mut connection = state.pool.get().await?;
            let tasks = task_store::find_by_ids(&mut connection, &[task_id]).await?;
            if !tasks.iter().any(|task| task.project_id == project_id) {
                return Err(not_found("task"));
            }
        }
        let timeout = state.settings.presence.timeout;
        let heard = board(ctx)?
            .heartbeat(project_id, viewer.user_id(), Focus::Set(focus))
            .await;
        Ok(PresenceUpdate {
            viewing: heard.viewing,
            expires_at: DateTime::from_timestamp_millis(heard.expires_at_ms as i64)
                .unwrap_or_else(Utc::now),
            heartbeat_interval_seconds: (timeout.as_secs() * 2 / 5).max(1) as i32,
        })
    }
}

#[derive(Default)]
pub struct PresenceSubscription;

#[Subscription]
impl PresenceSubscription {
    /// Who is viewing a project right now: first one `JOINED` event for each current viewer
    /// (the subscriber among them: opening this stream makes them a viewer), then `JOINED`,
    /// `FOCUS_CHANGED` and `LEFT` as they happen, on every instance. The subscriber stays listed
    /// while this stream is open and they call `updatePresence` as its answer says. Members
    /// only (`NOT_FOUND` otherwise); removal from the project ends the stream with `FORBIDDEN`.
    async fn project_presence(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project to watch; the viewer must be a member (else `NOT_FOUND`).")]
        project_id: ID,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<PresenceEvent>>> {
        let viewer = authz::signed_in(ctx)?.clone();
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let state = AppState::from_ctx(ctx).clone();
        let board = board(ctx)?.clone();
        // Boxed: the setup's state is freed once the stream is open.
        let live = LiveCredentials::of_operation(ctx);
        let follower = Box::pin(PresenceFollower::open(
            state, board, viewer, live, project_id,
        ))
        .await?;
        Ok(
            futures_util::stream::unfold(follower, |mut follower| async move {
                let item = follower.next().await?;
                Some((item, follower))
            })
            .boxed(),
        )
    }
}

/// One subscriber's view of the project's presence, kept from the notices it receives.
struct PresenceFollower {
    state: AppState,
    viewer: AuthenticatedUser,
    project_id: Uuid,
    board: PresenceBoard,
    presence: broadcast::Receiver<BusMessage>,
    project: broadcast::Receiver<BusMessage>,
    membership: MembershipWatch,
    seen: HashMap<Uuid, Option<Uuid>>,
    pending: VecDeque<PresenceEvent>,
    /// Counts this stream as one of its viewer's; dropped with the stream.
    _stream: PresenceStream,
}

impl PresenceFollower {
    async fn open(
        state: AppState,
        board: PresenceBoard,
        viewer: AuthenticatedUser,
        live: Option<Arc<LiveCredentials>>,
        project_id: Uuid,
    ) -> AppResult<Self> {
        let standing = require_presence(&state, &viewer, project_id).await?;
        // Listening before joining and reading the set: nothing falls between the two.
        let presence = state.events.subscribe(Topic::ProjectPresence(project_id));
        let project = state.events.subscribe(Topic::Project(project_id));
        let stream = board.open_stream(project_id, viewer.user_id()).await;
        board
            .heartbeat(project_id, viewer.user_id(), Focus::Keep)
            .await;
        let mut follower = PresenceFollower {
            membership: MembershipWatch::new(&viewer, standing.access, live),
            state,
            viewer,
            project_id,
            board,
            presence,
            project,
            seen: HashMap::new(),
            pending: VecDeque::new(),
            _stream: stream,
        };
        follower.catch_up().await;
        Ok(follower)
    }

    async fn next(&mut self) -> Option<async_graphql::Result<PresenceEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.membership.ended {
                return None;
            }
            tokio::select! {
                message = self.presence.recv() => match message {
                    Ok(BusMessage::Event(event)) => {
                        if let Some(notice) = event.decode_notice::<PresenceNotice>() {
                            self.apply(notice.user_id, notice.viewing);
                        }
                    }
                    Ok(BusMessage::Resync | BusMessage::LogHead(_)) | Err(RecvError::Lagged(_)) => {
                        self.catch_up().await
                    }
                    Err(RecvError::Closed) => return None,
                },
                message = self.project.recv() => match message {
                    Ok(BusMessage::Event(event)) => {
                        if let Err(error) = self.follow_project(&event) {
                            self.membership.ended = true;
                            return Some(Err(error.into()));
                        }
                    }
                    // While Redis is down, a log head that moved may hide a membership change.
                    Ok(BusMessage::Resync | BusMessage::LogHead(_)) | Err(RecvError::Lagged(_)) => {
                        if let Err(error) = self.recheck_membership().await {
                            self.membership.ended = true;
                            return Some(Err(error.into()));
                        }
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }

    fn follow_project(&mut self, event: &BusEvent) -> AppResult<()> {
        match event {
            BusEvent::Activity(activity) => self
                .membership
                .follow(activity, ProjectPermission::ViewPresence),
            BusEvent::ProjectDeleted { .. } => Err(not_found("project")),
            _ => Ok(()),
        }
    }

    /// Project events may have been missed: ask the membership table again.
    async fn recheck_membership(&mut self) -> AppResult<()> {
        let renewed = self.membership.renewed_viewer();
        let viewer = renewed.as_deref().unwrap_or(&self.viewer);
        let standing = require_presence(&self.state, viewer, self.project_id).await?;
        self.membership.restart(standing.access);
        Ok(())
    }

    /// Notices may have been missed: compare the shared set with what this stream has seen.
    async fn catch_up(&mut self) {
        let viewers = self.board.viewers(self.project_id).await;
        let listed: HashMap<Uuid, Option<Uuid>> = viewers
            .iter()
            .map(|viewing| (viewing.user_id, viewing.focus_task_id))
            .collect();
        let gone: Vec<Uuid> = self
            .seen
            .keys()
            .filter(|user_id| !listed.contains_key(user_id))
            .copied()
            .collect();
        for user_id in gone {
            self.apply(user_id, None);
        }
        for viewing in viewers {
            self.apply(viewing.user_id, Some(viewing));
        }
    }

    /// The event (if any) that `viewing` (None: gone) makes of what this stream has seen.
    fn apply(&mut self, user_id: Uuid, viewing: Option<Viewing>) {
        let before = self.seen.get(&user_id).copied();
        let (kind, viewing) = match (before, viewing) {
            (None, Some(now)) => (PresenceEventKind::Joined, now),
            (Some(focus), Some(now)) if focus != now.focus_task_id => {
                (PresenceEventKind::FocusChanged, now)
            }
            (Some(focus), None) => (
                PresenceEventKind::Left,
                Viewing {
                    user_id,
                    focus_task_id: focus,
                },
            ),
            _ => return,
        };
        match kind {
            PresenceEventKind::Left => self.seen.remove(&user_id),
            _ => self.seen.insert(user_id, viewing.focus_task_id),
        };
        let mut viewers: Vec<Viewing> = self
            .seen
            .iter()
            .map(|(user_id, focus_task_id)| Viewing {
                user_id: *user_id,
                focus_task_id: *focus_task_id,
            })
            .collect();
        viewers.sort_by_key(|viewing| viewing.user_id);
        self.pending.push_back(PresenceEvent {
            kind,
            viewing,
            viewers: Arc::new(viewers),
        });
    }
}
