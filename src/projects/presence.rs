//! Who is viewing a project right now: one entry per user (their focus, a task or none, and
//! when they were last heard from), shared by every instance through Redis (in process without
//! it, or while it is unreachable). Presence is ephemeral: it is never in PostgreSQL or the
//! activity log; changes travel as `BusEvent::Notice` on the project's presence topic.
//!
//! A viewer is listed while heard from (`updatePresence`, or opening `projectPresence`) within
//! the timeout, and until their last `projectPresence` stream ends. Each instance sweeps the
//! projects its subscribers watch every fifth of the timeout, so a silent viewer is `LEFT` within
//! 6/5 of it; the sweep that removes an entry (atomically, in Redis) is the one that reports it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    events::{BusEvent, EventBus, Topic},
    limits::RedisLink,
};

/// What one viewer is doing: `None` focus means the board, no task in particular.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewing {
    pub user_id: Uuid,
    pub focus_task_id: Option<Uuid>,
}

/// A change of one viewer's entry, as published on the bus: present (with their focus) or gone.
/// Subscribers turn it into `JOINED`, `FOCUS_CHANGED` or `LEFT` against what they have seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceNotice {
    pub user_id: Uuid,
    /// `None`: the viewer left.
    pub viewing: Option<Viewing>,
}

/// How a heartbeat treats the viewer's focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// Opening a stream: keep the focus a live entry has (none for a new one).
    Keep,
    Set(Option<Uuid>),
}

/// The viewer's entry after a heartbeat.
#[derive(Debug, Clone, Copy)]
pub struct Heard {
    pub viewing: Viewing,
    /// When the entry lapses without another heartbeat (Unix milliseconds).
    pub expires_at_ms: u64,
}

/// Writes the viewer's entry (`expires:focus`), keeping a live entry's focus when asked to;
/// returns the focus written and whether anything a subscriber sees changed.
/// KEYS[1]: the project's viewers; ARGV: user, now, expires, keep (1/0), focus, key ttl (ms).
const HEARTBEAT_SCRIPT: &str = r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
local focus = ARGV[5]
local changed = 1
if old then
  local split = string.find(old, ':', 1, true)
  local live = tonumber(string.sub(old, 1, split - 1)) > tonumber(ARGV[2])
  local old_focus = string.sub(old, split + 1)
  if live and ARGV[4] == '1' then focus = old_focus end
  if live and focus == old_focus then changed = 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. ':' .. focus)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return {focus, changed}
";

/// Removes the lapsed entries and returns their users. KEYS[1]: viewers; ARGV[1]: now.
const SWEEP_SCRIPT: &str = r"
local gone = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local value = entries[i + 1]
  if tonumber(string.sub(value, 1, string.find(value, ':', 1, true) - 1)) <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], entries[i])
    table.insert(gone, entries[i])
  end
end
return gone
";

/// Counts one stream fewer for the user; the last one removes their entry (returns 1 then).
/// KEYS[1]: viewers; KEYS[2]: streams; ARGV[1]: user.
const CLOSE_SCRIPT: &str = r"
local left = redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
if left > 0 then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
";

#[derive(Clone)]
pub struct PresenceBoard {
    inner: Arc<BoardInner>,
}

struct BoardInner {
    redis: Option<RedisLink>,
    events: EventBus,
    timeout: Duration,
    /// Without Redis (or during an outage): every project's entries and open streams.
    memory: Mutex<HashMap<Uuid, MemoryProject>>,
    /// Projects this instance's subscribers watch (with how many streams): what it sweeps.
    watched: Mutex<HashMap<Uuid, usize>>,
    heartbeat: redis::Script,
    sweep: redis::Script,
    close: redis::Script,
}

#[derive(Default)]
struct MemoryProject {
    viewers: HashMap<Uuid, (Option<Uuid>, u64)>,
    streams: HashMap<Uuid, u64>,
}

/// One open `projectPresence` stream; dropping it (the client went away) may make its viewer
/// `LEFT`.
pub struct PresenceStream {
    board: Arc<BoardInner>,
    project_id: Uuid,
    user_id: Uuid,
}

impl PresenceBoard {
    /// Sweeps until `shutdown` flips or the board is dropped.
    pub fn new(
        redis: Option<RedisLink>,
        events: EventBus,
        timeout: Duration,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let board = PresenceBoard {
            inner: Arc::new(BoardInner {
                redis,
                events,
                timeout,
                memory: Mutex::new(HashMap::new()),
                watched: Mutex::new(HashMap::new()),
                heartbeat: redis::Script::new(HEARTBEAT_SCRIPT),
                sweep: redis::Script::new(SWEEP_SCRIPT),
                close: redis::Script::new(CLOSE_SCRIPT),
            }),
        };
        tokio::spawn(sweep_until_stopped(Arc::downgrade(&board.inner), shutdown));
        board
    }

    /// The viewer was heard from: listed (or kept listed) for another timeout.
    pub async fn heartbeat(&self, project_id: Uuid, user_id: Uuid, focus: Focus) -> Heard {
        let now = now_ms();
        let expires_at_ms = now + self.inner.timeout.as_millis() as u64;
        let (focus_task_id, changed) = match self
            .inner
            .heartbeat_in_redis(project_id, user_id, now, expires_at_ms, focus)
            .await
        {
            Some(written) => written,
            None => self
                .inner
                .heartbeat_in_memory(project_id, user_id, now, expires_at_ms, focus),
        };
        let viewing = Viewing {
            user_id,
            focus_task_id,
        };
        if changed {
            self.inner.announce(project_id, user_id, Some(viewing));
        }
        Heard {
            viewing,
            expires_at_ms,
        }
    }

    /// Everyone listed now, in a stable order.
    pub async fn viewers(&self, project_id: Uuid) -> Vec<Viewing> {
        let now = now_ms();
        let mut viewers = match self.inner.viewers_in_redis(project_id, now).await {
            Some(viewers) => viewers,
            None => self.inner.viewers_in_memory(project_id, now),
        };
        viewers.sort_by_key(|viewing| viewing.user_id);
        viewers
    }

    /// Counts a stream of `user_id` watching the project, until the returned guard drops.
    pub async fn open_stream(&self, project_id: Uuid, user_id: Uuid) -> PresenceStream {
        if let Ok(mut watched) = self.inner.watched.lock() {
            *watched.entry(project_id).or_default() += 1;
        }
        if !self.inner.open_in_redis(project_id, user_id).await {
            if let Ok(mut memory) = self.inner.memory.lock() {
                *memory
                    .entry(project_id)
                    .or_default()
                    .streams
                    .entry(user_id)
                    .or_default() += 1;
            }
        }
        PresenceStream {
            board: self.inner.clone(),
            project_id,
            user_id,
        }
    }
}

impl BoardInner {
    fn announce(&self, project_id: Uuid, user_id: Uuid, viewing: Option<Viewing>) {
        let notice = PresenceNotice { user_id, viewing };
        match BusEvent::notice(Topic::ProjectPresence(project_id), &notice) {
            Ok(event) => self.events.publish(event),
            Err(error) => tracing::error!(%error, "could not encode a presence notice"),
        }
    }

    fn keys(redis: &RedisLink, project_id: Uuid) -> (String, String) {
        let project = project_id.simple().to_string();
        (
            redis.key(&["presence", &project]),
            redis.key(&["presence", &project, "streams"]),
        )
    }

    /// Keys outlive the longest timeout a little, so an abandoned project's keys vanish.
    fn key_ttl_ms(&self) -> u64 {
        self.timeout.as_millis() as u64 * 4 + 60_000
    }

    async fn heartbeat_in_redis(
        &self,
        project_id: Uuid,
        user_id: Uuid,
        now: u64,
        expires: u64,
        focus: Focus,
    ) -> Option<(Option<Uuid>, bool)> {
        let redis = self.redis.as_ref()?;
        let (viewers, _) = Self::keys(redis, project_id);
        let (keep, written) = match focus {
            Focus::Keep => (1, String::new()),
            Focus::Set(task) => (0, task.map(|task| task.to_string()).unwrap_or_default()),
        };
        let mut invocation = self.heartbeat.key(viewers);
        invocation
            .arg(user_id.to_string())
            .arg(now)
            .arg(expires)
            .arg(keep)
            .arg(written)
            .arg(self.key_ttl_ms());
        let (focus, changed): (String, u8) = redis
            .run("presence", |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        Some((Uuid::parse_str(&focus).ok(), changed == 1))
    }

    fn heartbeat_in_memory(
        &self,
        project_id: Uuid,
        user_id: Uuid,
        now: u64,
        expires: u64,
        focus: Focus,
    ) -> (Option<Uuid>, bool) {
        let Ok(mut memory) = self.memory.lock() else {
            return (None, false);
        };
        let project = memory.entry(project_id).or_default();
        let live = project
            .viewers
            .get(&user_id)
            .filter(|(_, expires)| *expires > now)
            .map(|(focus, _)| *focus);
        let focus = match focus {
            Focus::Keep => live.flatten(),
            Focus::Set(task) => task,
        };
        project.viewers.insert(user_id, (focus, expires));
        (focus, live != Some(focus))
    }

    async fn viewers_in_redis(&self, project_id: Uuid, now: u64) -> Option<Vec<Viewing>> {
        let redis = self.redis.as_ref()?;
        let (viewers, _) = Self::keys(redis, project_id);
        let entries: HashMap<String, String> = redis
            .run("presence", |mut connection| async move {
                redis::cmd("HGETALL")
                    .arg(viewers)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Some(
            entries
                .into_iter()
                .filter_map(|(user, entry)| {
                    let (expires, focus) = entry.split_once(':')?;
                    (expires.parse::<u64>().ok()? > now).then_some(Viewing {
                        user_id: Uuid::parse_str(&user).ok()?,
                        focus_task_id: Uuid::parse_str(focus).ok(),
                    })
                })
                .collect(),
        )
    }

    fn viewers_in_memory(&self, project_id: Uuid, now: u64) -> Vec<Viewing> {
        let Ok(memory) = self.memory.lock() else {
            return Vec::new();
        };
        memory.get(&project_id).map_or_else(Vec::new, |project| {
            project
                .viewers
                .iter()
                .filter(|(_, (_, expires))| *expires > now)
                .map(|(user_id, (focus, _))| Viewing {
                    user_id: *user_id,
                    focus_task_id: *focus,
                })
                .collect()
        })
    }

    /// False when Redis could not count it (the memory board does then).
    async fn open_in_redis(&self, project_id: Uuid, user_id: Uuid) -> bool {
        let Some(redis) = self.redis.as_ref() else {
            return false;
        };
        let (_, streams) = Self::keys(redis, project_id);
        let ttl = self.key_ttl_ms();
        let mut pipe = redis::pipe();
        pipe.cmd("HINCRBY")
            .arg(&streams)
            .arg(user_id.to_string())
            .arg(1)
            .ignore();
        pipe.cmd("PEXPIRE").arg(&streams).arg(ttl).ignore();
        redis
            .run("presence", |mut connection| async move {
                pipe.query_async::<()>(&mut connection).await
            })
            .await
            .is_some()
    }

    /// A stream ended: when it was its viewer's last, they leave at once.
    async fn close(&self, project_id: Uuid, user_id: Uuid) {
        if let Ok(mut watched) = self.watched.lock() {
            if let Some(count) = watched.get_mut(&project_id) {
                *count -= 1;
                if *count == 0 {
                    watched.remove(&project_id);
                }
            }
        }
        let removed = match self.close_in_redis(project_id, user_id).await {
            Some(removed) => removed,
            None => self.close_in_memory(project_id, user_id),
        };
        if removed {
            self.announce(project_id, user_id, None);
        }
    }

    async fn close_in_redis(&self, project_id: Uuid, user_id: Uuid) -> Option<bool> {
        let redis = self.redis.as_ref()?;
        let (viewers, streams) = Self::keys(redis, project_id);
        let mut invocation = self.close.key(viewers);
        invocation.key(streams).arg(user_id.to_string());
        let removed: i64 = redis
            .run("presence", |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        Some(removed == 1)
    }

    fn close_in_memory(&self, project_id: Uuid, user_id: Uuid) -> bool {
        let Ok(mut memory) = self.memory.lock() else {
            return false;
        };
        let Some(project) = memory.get_mut(&project_id) else {
            return false;
        };
        let streams = project.streams.entry(user_id).or_default();
        *streams = streams.saturating_sub(1);
        if *streams > 0 {
            return false;
        }
        project.streams.remove(&user_id);
        let removed = project.viewers.remove(&user_id).is_some();
        if project.viewers.is_empty() && project.streams.is_empty() {
            memory.remove(&project_id);
        }
        removed
    }

    /// Removes lapsed entries of the projects watched here, and from memory, announcing each.
    async fn sweep_once(&self) {
        let now = now_ms();
        let watched: Vec<Uuid> = match self.watched.lock() {
            Ok(watched) => watched.keys().copied().collect(),
            Err(_) => return,
        };
        if let Some(redis) = &self.redis {
            for project_id in watched {
                let (viewers, _) = Self::keys(redis, project_id);
                let mut invocation = self.sweep.key(viewers);
                invocation.arg(now);
                let gone: Option<Vec<String>> = redis
                    .run("presence", |mut connection| async move {
                        invocation.invoke_async(&mut connection).await
                    })
                    .await;
                for user in gone.unwrap_or_default() {
                    if let Ok(user_id) = Uuid::parse_str(&user) {
                        self.announce(project_id, user_id, None);
                    }
                }
            }
        }
        for (project_id, user_id) in self.sweep_memory(now) {
            self.announce(project_id, user_id, None);
        }
    }

    fn sweep_memory(&self, now: u64) -> Vec<(Uuid, Uuid)> {
        let Ok(mut memory) = self.memory.lock() else {
            return Vec::new();
        };
        let mut gone = Vec::new();
        for (project_id, project) in memory.iter_mut() {
            project.viewers.retain(|user_id, (_, expires)| {
                let live = *expires > now;
                if !live {
                    gone.push((*project_id, *user_id));
                }
                live
            });
        }
        memory.retain(|_, project| !(project.viewers.is_empty() && project.streams.is_empty()));
        gone
    }
}

impl Drop for PresenceStream {
    fn drop(&mut self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (board, project_id, user_id) = (self.board.clone(), self.project_id, self.user_id);
        runtime.spawn(async move { board.close(project_id, user_id).await });
    }
}

async fn sweep_until_stopped(board: Weak<BoardInner>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let Some(inner) = board.upgrade() else { return };
        let interval = (inner.timeout / 5).max(Duration::from_millis(100));
        inner.sweep_once().await;
        drop(inner);
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or_default()
}
