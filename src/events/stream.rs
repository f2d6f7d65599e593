//! A project's event stream: replay from the activity log after a cursor, then live events from
//! the bus, with no gap and no duplicate. Each event names its predecessor (`prev_seq`); when
//! one arrives whose predecessor was never delivered (a lost or reordered publish, a Redis
//! outage), the missing events are read from the log before it. While Redis is down the bus
//! says how far the log reaches (`LogHead`), and the stream reads up to there: every event is
//! delivered once, in seq order, whichever way (bus or log) it arrives first.

use std::{collections::VecDeque, sync::Arc};

use futures_util::Stream;
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

use super::{
    bus::{BusEvent, BusMessage, EventBus, Topic},
    log::{self, ActivityEvent},
};
use crate::{
    db::DbPool,
    error::{not_found, AppError, AppResult},
};

/// Log reads during replay are paged so a long absence does not load everything at once.
const REPLAY_PAGE: i64 = 500;

/// Why a stream stopped on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd {
    ProjectDeleted,
    /// The subscriber fell so far behind that the bus dropped events for it.
    TooSlow,
}

pub enum StreamItem {
    Event(Arc<ActivityEvent>),
    Ended(StreamEnd),
    Failed(AppError),
}

pub struct ProjectEventStream {
    pool: DbPool,
    project_id: Uuid,
    receiver: broadcast::Receiver<BusMessage>,
    last_delivered: i64,
    /// The log head when the stream opened: replay runs up to here before going live.
    replay_through: i64,
    backlog: VecDeque<Arc<ActivityEvent>>,
    finished: bool,
}

impl ProjectEventStream {
    /// Opens a stream of `project_id` events after `after` (or from now). The bus subscription
    /// is taken before the log head is read, so nothing committed in between is missed.
    pub async fn open(
        pool: &DbPool,
        bus: &EventBus,
        project_id: Uuid,
        after: Option<i64>,
    ) -> AppResult<Self> {
        let receiver = bus.subscribe(Topic::Project(project_id));
        let mut connection = pool.get().await?;
        let head = log::head(&mut connection, project_id)
            .await?
            .ok_or_else(|| not_found("project"))?;
        let start = after.map_or(head, |after| after.clamp(0, head));
        Ok(ProjectEventStream {
            pool: pool.clone(),
            project_id,
            receiver,
            last_delivered: start,
            replay_through: head,
            backlog: VecDeque::new(),
            finished: false,
        })
    }

    pub fn into_stream(self) -> impl Stream<Item = StreamItem> + Send {
        futures_util::stream::unfold(self, |mut stream| async move {
            let item = stream.next_item().await?;
            Some((item, stream))
        })
    }

    async fn next_item(&mut self) -> Option<StreamItem> {
        if self.finished {
            return None;
        }
        match self.next_event().await {
            Ok(Some(event)) => {
                self.last_delivered = event.seq;
                Some(StreamItem::Event(event))
            }
            Ok(None) => None,
            Err(end) => {
                self.finished = true;
                Some(end)
            }
        }
    }

    async fn next_event(&mut self) -> Result<Option<Arc<ActivityEvent>>, StreamItem> {
        loop {
            if let Some(event) = self.backlog.pop_front() {
                if event.seq > self.last_delivered {
                    return Ok(Some(event));
                }
                continue;
            }
            if self.last_delivered < self.replay_through {
                // Boxed, like every query here: an idle stream's future then stays small, and
                // thousands of idle subscribers add up.
                Box::pin(self.read_log(Some(self.replay_through))).await?;
                if self.backlog.is_empty() {
                    self.replay_through = self.last_delivered;
                }
                continue;
            }
            match self.receiver.recv().await {
                Ok(BusMessage::Event(event)) => match event.as_ref() {
                    BusEvent::Activity(activity) if activity.seq <= self.last_delivered => {}
                    BusEvent::Activity(activity) if activity.prev_seq <= self.last_delivered => {
                        return Ok(Some(Arc::clone(activity)));
                    }
                    // Something before this event never reached us: catch up from the log.
                    BusEvent::Activity(activity) => self.replay_through = activity.seq,
                    BusEvent::ProjectDeleted { .. } => {
                        return Err(StreamItem::Ended(StreamEnd::ProjectDeleted))
                    }
                    // Another topic's event; a project channel never carries one.
                    BusEvent::Notice { .. }
                    | BusEvent::PipelineRunChanged { .. }
                    | BusEvent::PipelineRunQueued
                    | BusEvent::PipelineRunCancelRequested { .. } => {}
                },
                Ok(BusMessage::Resync) => {
                    self.replay_through = Box::pin(self.current_head()).await?
                }
                Ok(BusMessage::LogHead(head)) => {
                    self.replay_through = self.replay_through.max(head)
                }
                Err(RecvError::Lagged(_)) => return Err(StreamItem::Ended(StreamEnd::TooSlow)),
                Err(RecvError::Closed) => return Ok(None),
            }
        }
    }

    async fn current_head(&self) -> Result<i64, StreamItem> {
        let read = async {
            let mut connection = self.pool.get().await?;
            log::head(&mut connection, self.project_id).await
        };
        match read.await {
            Ok(Some(head)) => Ok(head),
            Ok(None) => Err(StreamItem::Ended(StreamEnd::ProjectDeleted)),
            Err(error) => Err(StreamItem::Failed(error)),
        }
    }

    /// Queues logged events after the last delivered one (up to `through`, one page).
    async fn read_log(&mut self, through: Option<i64>) -> Result<(), StreamItem> {
        let read = async {
            let mut connection = self.pool.get().await?;
            log::events_after(
                &mut connection,
                self.project_id,
                self.last_delivered,
                through,
                REPLAY_PAGE,
            )
            .await
        };
        let events = read.await.map_err(StreamItem::Failed)?;
        self.backlog.extend(events.into_iter().map(Arc::new));
        Ok(())
    }
}
