//! The event bus: committed events fanned out to local subscribers by topic, and, when Redis is
//! configured, to every other instance through ONE pub/sub connection per instance. It carries
//! no state of record: a subscriber that misses something recovers it from the activity log.
//! While the Redis subscription is down, one task per instance polls the log heads of the
//! projects its subscribers follow (one query per interval, whatever their number) and tells
//! each topic how far its log reaches, so delivery continues from the log until Redis returns.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock, Weak},
    time::Duration,
};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use tracing::Instrument;
use uuid::Uuid;

use super::log::{self, ActivityEvent};
use crate::db::DbPool;

/// What a subscriber listens to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    Project(Uuid),
    /// The world-first discovery feed of the chemistry sandbox.
    Discoveries,
    /// Progress of one background bookmark import.
    BookmarkImport(Uuid),
    /// Progress of one pipeline run (the events themselves are in `pipeline_run_events`).
    PipelineRun(Uuid),
    /// New runs were queued: idle pipeline workers on every instance look for work.
    PipelineQueue,
    /// Who is viewing one project (ephemeral notices, never in the activity log).
    ProjectPresence(Uuid),
    /// One user's sessions or API keys ended (sign-out, revocation, password change): their
    /// live connections stop streaming (`auth::live`).
    Credentials(Uuid),
}

/// An event worth telling subscribers about. Serialized across instances.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum BusEvent {
    /// Shared: every subscriber of the topic reads the same event without copying it.
    Activity(Arc<ActivityEvent>),
    /// The project and its log are gone; its streams end.
    ProjectDeleted {
        project_id: Uuid,
    },
    /// A feature's notice on one of its own topics (a discovery, an import's progress), as
    /// JSON: the feature that publishes it reads it back (`BusEvent::notice`, `decode_notice`),
    /// so the bus carries it without knowing its type.
    Notice {
        topic: Topic,
        body: Arc<serde_json::Value>,
    },
    /// A run's progress event `seq` was committed, or its cancellation was requested: readers
    /// fetch from the run's event table, so a lost or reordered notice loses nothing.
    PipelineRunChanged {
        run_id: Uuid,
    },
    PipelineRunQueued,
    /// Someone asked to cancel a running run: its worker stops it at once.
    PipelineRunCancelRequested {
        run_id: Uuid,
    },
}

impl BusEvent {
    pub fn topic(&self) -> Topic {
        match self {
            BusEvent::Activity(event) => Topic::Project(event.project_id),
            BusEvent::ProjectDeleted { project_id } => Topic::Project(*project_id),
            BusEvent::Notice { topic, .. } => *topic,
            BusEvent::PipelineRunChanged { run_id } => Topic::PipelineRun(*run_id),
            BusEvent::PipelineRunQueued => Topic::PipelineQueue,
            BusEvent::PipelineRunCancelRequested { run_id } => Topic::PipelineRun(*run_id),
        }
    }
}

impl BusEvent {
    /// A notice of `body` on `topic`.
    pub fn notice<T: Serialize>(topic: Topic, body: &T) -> Result<BusEvent, serde_json::Error> {
        Ok(BusEvent::Notice {
            topic,
            body: Arc::new(serde_json::to_value(body)?),
        })
    }

    /// The notice's body as `T`; `None` for other events or a body of another shape.
    pub fn decode_notice<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        match self {
            BusEvent::Notice { body, .. } => T::deserialize(body.as_ref()).ok(),
            _ => None,
        }
    }
}

/// What a local subscriber receives.
#[derive(Debug, Clone)]
pub enum BusMessage {
    Event(Arc<BusEvent>),
    /// Delivery may have been interrupted (Redis reconnected), or is interrupted (Redis is down
    /// and this is a poll tick): check the source of record for missed events.
    Resync,
    /// Redis is down; the project's activity log reaches this seq: read what is not delivered.
    LogHead(i64),
}

/// How an instance feeds its subscribers from the log while its Redis subscription is down.
pub struct LogFallback {
    pub pool: DbPool,
    /// At most this far behind the log; `EVENT_FALLBACK_POLL_MS`.
    pub interval: Duration,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: Uuid,
    event: BusEvent,
}

/// Told, synchronously and before any subscriber reads it, of every event delivered to this
/// instance (its own published ones and other instances' from Redis), and of every moment
/// delivery may have skipped some: for in-process caches that must forget what an event
/// invalidates before the next request could read it (`auth::session_memo`).
pub trait DeliveryObserver: Send + Sync {
    fn delivered(&self, event: &BusEvent);
    /// Events of other instances may have been missed (the Redis subscription was down).
    fn resynced(&self);
}

/// The single Redis channel every instance publishes to and subscribes to; topics are
/// demultiplexed locally, so an instance holds one subscription whatever its subscribers.
const REDIS_CHANNEL: &str = "catalyst:events";
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct EventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    instance_id: Uuid,
    capacity: usize,
    topics: Mutex<HashMap<Topic, broadcast::Sender<BusMessage>>>,
    redis: Option<RedisLink>,
    /// Whether the Redis subscription is live; the log fallback runs while it is not.
    subscribed: watch::Sender<bool>,
    observers: RwLock<Vec<Arc<dyn DeliveryObserver>>>,
}

struct RedisLink {
    client: redis::Client,
    publisher: tokio::sync::Mutex<Option<redis::aio::MultiplexedConnection>>,
}

impl EventBus {
    /// A bus for one instance: events reach subscribers of this process only.
    pub fn in_process(capacity: usize) -> Self {
        Self::build(capacity, None)
    }

    /// A bus shared by every instance connected to the same Redis. The subscriber task runs
    /// until `shutdown` flips, reconnecting with backoff when Redis drops; meanwhile `fallback`
    /// keeps local subscribers fed from the log.
    pub fn with_redis(
        capacity: usize,
        client: redis::Client,
        shutdown: watch::Receiver<bool>,
        fallback: LogFallback,
    ) -> Self {
        let bus = Self::build(
            capacity,
            Some(RedisLink {
                client: client.clone(),
                publisher: tokio::sync::Mutex::new(None),
            }),
        );
        tokio::spawn(run_redis_subscriber(
            client,
            Arc::downgrade(&bus.inner),
            shutdown.clone(),
        ));
        tokio::spawn(run_log_fallback(
            Arc::downgrade(&bus.inner),
            bus.inner.subscribed.subscribe(),
            fallback,
            shutdown,
        ));
        bus
    }

    fn build(capacity: usize, redis: Option<RedisLink>) -> Self {
        EventBus {
            inner: Arc::new(BusInner {
                instance_id: Uuid::new_v4(),
                capacity,
                topics: Mutex::new(HashMap::new()),
                redis,
                subscribed: watch::channel(false).0,
                observers: RwLock::new(Vec::new()),
            }),
        }
    }

    /// A receiver of everything published on `topic` from now on. The channel is bounded:
    /// a receiver that falls `capacity` messages behind is told it lagged.
    pub fn subscribe(&self, topic: Topic) -> broadcast::Receiver<BusMessage> {
        let mut topics = self
            .inner
            .topics
            .lock()
            .expect("bus topic map lock is never poisoned");
        topics
            .entry(topic)
            .or_insert_with(|| broadcast::channel(self.inner.capacity).0)
            .subscribe()
    }

    /// Publishes a committed event: local subscribers get it at once, other instances through
    /// Redis (in the background, so a slow Redis never delays the mutation's answer).
    pub fn publish(&self, event: BusEvent) {
        let event = Arc::new(event);
        self.inner.deliver_locally(event.clone());
        if self.inner.redis.is_some() {
            let inner = self.inner.clone();
            // A child of the request's span: the trace shows the publish that fanned it out.
            let span = tracing::info_span!("redis PUBLISH");
            tokio::spawn(async move { inner.publish_to_redis(&event).await }.instrument(span));
        }
    }

    /// Adds an observer of every delivery from now on.
    pub fn observe(&self, observer: Arc<dyn DeliveryObserver>) {
        if let Ok(mut observers) = self.inner.observers.write() {
            observers.push(observer);
        }
    }

    /// Follows whether the Redis subscription is live (`None` without Redis).
    pub fn subscription_state(&self) -> Option<watch::Receiver<bool>> {
        self.inner
            .redis
            .as_ref()
            .map(|_| self.inner.subscribed.subscribe())
    }

    /// `Some(true)` while the Redis subscription is live, `Some(false)` while the log fallback
    /// feeds subscribers, `None` without Redis.
    pub fn redis_subscribed(&self) -> Option<bool> {
        self.inner
            .redis
            .as_ref()
            .map(|_| *self.inner.subscribed.borrow())
    }

    pub fn local_subscriber_count(&self, topic: Topic) -> usize {
        let topics = self
            .inner
            .topics
            .lock()
            .expect("bus topic map lock is never poisoned");
        topics
            .get(&topic)
            .map_or(0, broadcast::Sender::receiver_count)
    }
}

impl BusInner {
    fn deliver_locally(&self, event: Arc<BusEvent>) {
        if let Ok(observers) = self.observers.read() {
            for observer in observers.iter() {
                observer.delivered(&event);
            }
        }
        let topic = event.topic();
        let mut topics = self
            .topics
            .lock()
            .expect("bus topic map lock is never poisoned");
        if let Some(sender) = topics.get(&topic) {
            if sender.send(BusMessage::Event(event)).is_err() {
                // Nobody listens any more: forget the topic so the map does not grow forever.
                topics.remove(&topic);
            }
        }
    }

    /// Sends `message` to a topic's local subscribers, if it has any.
    fn deliver_to(&self, topic: Topic, message: BusMessage) {
        let topics = self
            .topics
            .lock()
            .expect("bus topic map lock is never poisoned");
        if let Some(sender) = topics.get(&topic) {
            let _ = sender.send(message);
        }
    }

    /// The topics that have local subscribers: projects apart, since their logs are polled.
    fn listened_topics(&self) -> (Vec<Uuid>, Vec<Topic>) {
        let topics = self
            .topics
            .lock()
            .expect("bus topic map lock is never poisoned");
        let (mut projects, mut others) = (Vec::new(), Vec::new());
        for (topic, sender) in topics.iter() {
            match topic {
                _ if sender.receiver_count() == 0 => {}
                Topic::Project(project_id) => projects.push(*project_id),
                other => others.push(*other),
            }
        }
        (projects, others)
    }

    /// One fallback poll: every topic with subscribers is told to look at its source of record;
    /// a project only when its log head moved since the last poll (`known`).
    async fn poll_log(&self, pool: &DbPool, known: &mut HashMap<Uuid, i64>) {
        let (projects, others) = self.listened_topics();
        for topic in others {
            self.deliver_to(topic, BusMessage::Resync);
        }
        if projects.is_empty() {
            return;
        }
        let heads = async {
            let mut connection = pool.get().await?;
            log::heads(&mut connection, &projects).await
        };
        let heads: HashMap<Uuid, i64> = match heads.await {
            Ok(heads) => heads.into_iter().collect(),
            // The database is down too: nothing to read; the next tick tries again.
            Err(_) => return,
        };
        for project_id in projects {
            match heads.get(&project_id) {
                Some(head) if known.get(&project_id) == Some(head) => {}
                Some(head) => {
                    self.deliver_to(Topic::Project(project_id), BusMessage::LogHead(*head))
                }
                // No head: the project is gone; its streams find out on a resync.
                None => self.deliver_to(Topic::Project(project_id), BusMessage::Resync),
            }
        }
        *known = heads;
    }

    fn notify_resynced(&self) {
        if let Ok(observers) = self.observers.read() {
            for observer in observers.iter() {
                observer.resynced();
            }
        }
    }

    fn resync_all(&self) {
        let topics = self
            .topics
            .lock()
            .expect("bus topic map lock is never poisoned");
        for sender in topics.values() {
            let _ = sender.send(BusMessage::Resync);
        }
    }

    async fn publish_to_redis(&self, event: &BusEvent) {
        let Some(link) = &self.redis else { return };
        let payload = match serde_json::to_string(&Envelope {
            origin: self.instance_id,
            event: event.clone(),
        }) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(%error, "could not serialize a bus event");
                return;
            }
        };
        let mut publisher = link.publisher.lock().await;
        // A connection from before a Redis restart fails once: then one fresh connection is
        // tried, so the first event after a restart is not lost to the other instances.
        for _ in 0..2 {
            if publisher.is_none() {
                match tokio::time::timeout(
                    REDIS_TIMEOUT,
                    link.client.get_multiplexed_async_connection(),
                )
                .await
                {
                    Ok(Ok(connection)) => *publisher = Some(connection),
                    _ => {
                        tracing::warn!("Redis unreachable: event delivered to this instance only; other instances read it from the log");
                        return;
                    }
                }
            }
            let Some(connection) = publisher.as_mut() else {
                return;
            };
            let published = tokio::time::timeout(
                REDIS_TIMEOUT,
                redis::cmd("PUBLISH")
                    .arg(REDIS_CHANNEL)
                    .arg(&payload)
                    .query_async::<i64>(connection),
            )
            .await;
            if matches!(published, Ok(Ok(_))) {
                return;
            }
            *publisher = None;
        }
        tracing::warn!("Redis publish failed; other instances read the event from the log");
    }
}

async fn run_redis_subscriber(
    client: redis::Client,
    bus: Weak<BusInner>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut delay = Duration::from_millis(100);
    let mut first_connection = true;
    loop {
        if *shutdown.borrow() {
            return;
        }
        match subscribe(&client).await {
            Ok(pubsub) => {
                delay = Duration::from_millis(100);
                let Some(inner) = bus.upgrade() else { return };
                if !first_connection {
                    tracing::info!("Redis event subscription restored; leaving the log fallback");
                }
                first_connection = false;
                // Live from here on; whatever was published before the subscription took
                // hold is in the log, and every topic reads up to its head once. Observers
                // forget first, so nothing they kept from before is trusted again.
                inner.notify_resynced();
                inner.subscribed.send_replace(true);
                inner.resync_all();
                drop(inner);
                let mut messages = pubsub.into_on_message();
                loop {
                    tokio::select! {
                        message = messages.next() => {
                            let Some(message) = message else { break };
                            let Some(inner) = bus.upgrade() else { return };
                            inner.receive(message.get_payload_bytes());
                        }
                        _ = shutdown.changed() => return,
                    }
                }
                tracing::warn!("Redis event subscription lost; reconnecting, and feeding subscribers from the log meanwhile");
            }
            Err(error) => tracing::warn!(%error, "Redis event subscription failed; retrying"),
        }
        if let Some(inner) = bus.upgrade() {
            inner.subscribed.send_replace(false);
        }
        let jitter = Duration::from_millis(rand::random::<u64>() % 100);
        tokio::select! {
            _ = tokio::time::sleep(delay + jitter) => {}
            _ = shutdown.changed() => return,
        }
        delay = (delay * 2).min(MAX_RECONNECT_DELAY);
    }
}

/// While the subscription is down, polls the log every `fallback.interval`.
async fn run_log_fallback(
    bus: Weak<BusInner>,
    mut subscribed: watch::Receiver<bool>,
    fallback: LogFallback,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            down = subscribed.wait_for(|live| !*live) => if down.is_err() { return },
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        }
        let mut known = HashMap::new();
        let mut ticks = tokio::time::interval(fallback.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                up = subscribed.wait_for(|live| *live) => if up.is_err() { return } else { break },
                _ = shutdown.wait_for(|stopping| *stopping) => return,
            }
            let Some(inner) = bus.upgrade() else { return };
            inner.poll_log(&fallback.pool, &mut known).await;
        }
    }
}

async fn subscribe(client: &redis::Client) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(REDIS_CHANNEL).await?;
    Ok(pubsub)
}

impl BusInner {
    fn receive(&self, payload: &[u8]) {
        match serde_json::from_slice::<Envelope>(payload) {
            // Our own events were delivered locally when published.
            Ok(envelope) if envelope.origin == self.instance_id => {}
            Ok(envelope) => self.deliver_locally(Arc::new(envelope.event)),
            Err(error) => tracing::warn!(%error, "ignoring an undecodable bus message"),
        }
    }
}
