//! Running subscriptions per subscriber (a user, or an address when anonymous), counted over
//! every connection and instance, so one account cannot hold more than its share of streams.
//! With Redis, each subscriber has a hash of counts by instance; an instance heartbeats its own
//! liveness key, and counts of instances whose key lapsed (a crash, a partition) are dropped by
//! the next admission, so a dead instance's subscriptions stop counting within the lease.
//! Without Redis, or while it is unreachable, the instance counts in process.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use tokio::sync::watch;
use uuid::Uuid;

use super::link::RedisLink;

/// Sums the live instances' counts (forgetting dead ones) and takes a slot if one is free.
/// KEYS[1]: the subscriber's hash; ARGV: instance id, max, lease (ms), liveness key prefix.
const ADMIT_SCRIPT: &str = r"
local total = 0
local counts = redis.call('HGETALL', KEYS[1])
for i = 1, #counts, 2 do
  local instance = counts[i]
  if instance == ARGV[1] or redis.call('EXISTS', ARGV[4] .. instance) == 1 then
    total = total + tonumber(counts[i + 1])
  else
    redis.call('HDEL', KEYS[1], instance)
  end
end
if total >= tonumber(ARGV[2]) then
  return {total, 0}
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', ARGV[4] .. ARGV[1], 1, 'PX', ARGV[3])
return {total + 1, 1}
";

/// KEYS[1]: the subscriber's hash; ARGV[1]: instance id.
const RELEASE_SCRIPT: &str = r"
local left = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if left <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return left
";

#[derive(Clone)]
pub struct SubscriptionSlots {
    inner: Arc<SlotsInner>,
}

struct SlotsInner {
    redis: Option<RedisLink>,
    instance: String,
    lease: Duration,
    /// This instance's running subscriptions by subscriber: the truth the heartbeat restores in
    /// Redis, and the whole count without it.
    local: Mutex<HashMap<String, u64>>,
    admit: redis::Script,
    release: redis::Script,
}

/// A running subscription's slot; dropping it frees the slot.
pub struct SubscriptionSlot {
    slots: Arc<SlotsInner>,
    subscriber: String,
}

/// A subscriber already running `max` subscriptions; `running` is what was counted.
#[derive(Debug)]
pub struct SlotsFull {
    pub running: u64,
}

impl SubscriptionSlots {
    /// Slots counted in Redis when `redis` is set (heartbeating until `shutdown`), else here.
    pub fn new(redis: Option<RedisLink>, lease: Duration, shutdown: watch::Receiver<bool>) -> Self {
        let slots = SubscriptionSlots {
            inner: Arc::new(SlotsInner {
                redis,
                instance: Uuid::new_v4().simple().to_string(),
                lease,
                local: Mutex::new(HashMap::new()),
                admit: redis::Script::new(ADMIT_SCRIPT),
                release: redis::Script::new(RELEASE_SCRIPT),
            }),
        };
        if slots.inner.redis.is_some() {
            tokio::spawn(heartbeat(Arc::downgrade(&slots.inner), shutdown));
        }
        slots
    }

    /// Takes one of `max` slots of `subscriber` ("user:<id>" or "ip:<address>").
    pub async fn acquire(&self, subscriber: &str, max: u64) -> Result<SubscriptionSlot, SlotsFull> {
        // Counted here first, so a heartbeat racing with this admission over-counts for a moment
        // rather than under-counts.
        let local = self.inner.adjust_local(subscriber, 1);
        let (running, admitted) = match self.inner.admit_in_redis(subscriber, max).await {
            Some(counted) => counted,
            None => (local, local <= max),
        };
        if !admitted {
            // Not admitted in Redis either: only the local count is undone.
            self.inner.adjust_local(subscriber, -1);
            return Err(SlotsFull {
                running: running.min(max),
            });
        }
        Ok(SubscriptionSlot {
            slots: self.inner.clone(),
            subscriber: subscriber.to_string(),
        })
    }
}

impl SlotsInner {
    fn adjust_local(&self, subscriber: &str, by: i64) -> u64 {
        let Ok(mut local) = self.local.lock() else {
            return 0;
        };
        let count = local.entry(subscriber.to_string()).or_default();
        *count = count.saturating_add_signed(by);
        let now = *count;
        if now == 0 {
            local.remove(subscriber);
        }
        now
    }

    fn key(redis: &RedisLink, subscriber: &str) -> String {
        redis.key(&["subscriptions", subscriber])
    }

    fn liveness_prefix(redis: &RedisLink) -> String {
        redis.key(&["subscriptions", "instance", ""])
    }

    async fn admit_in_redis(&self, subscriber: &str, max: u64) -> Option<(u64, bool)> {
        let redis = self.redis.as_ref()?;
        let mut invocation = self.admit.key(Self::key(redis, subscriber));
        invocation
            .arg(&self.instance)
            .arg(max)
            .arg(self.lease.as_millis() as u64)
            .arg(Self::liveness_prefix(redis));
        let (running, admitted): (u64, u8) = redis
            .run("subscription slots", |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await?;
        Some((running, admitted == 1))
    }

    async fn release_in_redis(&self, subscriber: &str) {
        let Some(redis) = &self.redis else { return };
        let mut invocation = self.release.key(Self::key(redis, subscriber));
        invocation.arg(&self.instance);
        let _: Option<i64> = redis
            .run("subscription slots", |mut connection| async move {
                invocation.invoke_async(&mut connection).await
            })
            .await;
    }

    /// Renews this instance's liveness and rewrites its counts (healing any drift, or a Redis
    /// that restarted empty).
    async fn beat(&self) {
        let Some(redis) = &self.redis else { return };
        let lease_ms = self.lease.as_millis() as u64;
        let counts: Vec<(String, u64)> = match self.local.lock() {
            Ok(local) => local
                .iter()
                .map(|(subscriber, count)| (subscriber.clone(), *count))
                .collect(),
            Err(_) => return,
        };
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(format!("{}{}", Self::liveness_prefix(redis), self.instance))
            .arg(1)
            .arg("PX")
            .arg(lease_ms)
            .ignore();
        for (subscriber, count) in counts {
            let key = Self::key(redis, &subscriber);
            pipe.cmd("HSET")
                .arg(&key)
                .arg(&self.instance)
                .arg(count)
                .ignore();
            pipe.cmd("PEXPIRE").arg(&key).arg(lease_ms).ignore();
        }
        let _: Option<()> = redis
            .run("subscription slots", |mut connection| async move {
                pipe.query_async(&mut connection).await
            })
            .await;
    }
}

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        self.slots.adjust_local(&self.subscriber, -1);
        if self.slots.redis.is_none() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let slots = self.slots.clone();
        let subscriber = std::mem::take(&mut self.subscriber);
        runtime.spawn(async move { slots.release_in_redis(&subscriber).await });
    }
}

/// Three beats per lease: one lost beat never lets a live instance lapse.
async fn heartbeat(slots: Weak<SlotsInner>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let Some(inner) = slots.upgrade() else { return };
        let interval = inner.lease / 3;
        inner.beat().await;
        drop(inner);
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = shutdown.wait_for(|stopping| *stopping) => return,
        }
    }
}
