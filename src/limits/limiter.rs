//! Fixed-window counters: each bucket (a user's points, an address's login attempts) may spend
//! `max` units per window; windows are aligned to the Unix epoch so every instance agrees on
//! when one resets. Counters live in Redis when configured (one Lua script per charge, so
//! check-and-add is atomic across instances) and in process otherwise or during an outage.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use chrono::{DateTime, Utc};

use super::link::RedisLink;

/// Adds `cost` to the window's counter unless that would pass the limit; returns the counter
/// and whether the charge was taken. Refused charges spend nothing, so a client that waits is
/// not punished for the attempts it made while over budget.
const CHARGE_SCRIPT: &str = r"
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
if used + cost > tonumber(ARGV[2]) then
  return {used, 0}
end
used = redis.call('INCRBY', KEYS[1], cost)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {used, 1}
";

/// In-process buckets kept at most; beyond it expired ones are dropped first, then any.
const MAX_MEMORY_BUCKETS: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimit {
    pub max: u64,
    pub window: Duration,
}

/// The result of charging a bucket.
#[derive(Debug, Clone)]
pub struct Charge {
    pub limit: u64,
    pub cost: u64,
    pub remaining: u64,
    pub reset_at: DateTime<Utc>,
    pub allowed: bool,
}

impl Charge {
    /// Whole seconds until the window resets, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        let seconds = (self.reset_at - Utc::now()).num_milliseconds().max(0) as u64;
        seconds.div_ceil(1000).max(1)
    }
}

#[derive(Clone)]
pub struct RateLimiter {
    redis: Option<RedisLink>,
    script: Arc<redis::Script>,
    memory: Arc<Mutex<HashMap<String, MemoryBucket>>>,
}

#[derive(Debug, Clone, Copy)]
struct MemoryBucket {
    window_end_ms: u64,
    used: u64,
}

impl RateLimiter {
    pub fn new(redis: Option<RedisLink>) -> Self {
        RateLimiter {
            redis,
            script: Arc::new(redis::Script::new(CHARGE_SCRIPT)),
            memory: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Charges `cost` units to `bucket`; a cost of 0 only reads the bucket.
    pub async fn charge(&self, bucket: &str, limit: WindowLimit, cost: u64) -> Charge {
        let window_ms = limit.window.as_millis().max(1) as u64;
        let now_ms = now_millis();
        let window_index = now_ms / window_ms;
        let window_end_ms = (window_index + 1) * window_ms;
        let (used, allowed) = match self
            .charge_in_redis(
                bucket,
                window_index,
                window_end_ms - now_ms,
                limit.max,
                cost,
            )
            .await
        {
            Some(counted) => counted,
            None => self.charge_in_memory(bucket, window_end_ms, now_ms, limit.max, cost),
        };
        Charge {
            limit: limit.max,
            cost,
            remaining: limit.max.saturating_sub(used),
            reset_at: DateTime::from_timestamp_millis(window_end_ms as i64)
                .unwrap_or_else(Utc::now),
            allowed,
        }
    }

    async fn charge_in_redis(
        &self,
        bucket: &str,
        window_index: u64,
        ttl_ms: u64,
        max: u64,
        cost: u64,
    ) -> Option<(u64, bool)> {
        let redis = self.redis.as_ref()?;
        let key = redis.key(&["rl", bucket, &window_index.to_string()]);
        let script = self.script.clone();
        let (used, allowed): (u64, u8) = redis
            .run("rate limit", |mut connection| async move {
                script
                    .key(key)
                    .arg(cost)
                    .arg(max)
                    // A little past the window's end, so a slow clock never revives a counter.
                    .arg(ttl_ms + 1_000)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Some((used, allowed == 1))
    }

    fn charge_in_memory(
        &self,
        bucket: &str,
        window_end_ms: u64,
        now_ms: u64,
        max: u64,
        cost: u64,
    ) -> (u64, bool) {
        let Ok(mut buckets) = self.memory.lock() else {
            // A poisoned lock means a panic mid-update; failing open keeps the API up.
            return (0, true);
        };
        if buckets.len() >= MAX_MEMORY_BUCKETS && !buckets.contains_key(bucket) {
            buckets.retain(|_, counted| counted.window_end_ms > now_ms);
            if buckets.len() >= MAX_MEMORY_BUCKETS {
                let evict: Vec<String> = buckets
                    .keys()
                    .take(MAX_MEMORY_BUCKETS / 10)
                    .cloned()
                    .collect();
                for key in evict {
                    buckets.remove(&key);
                }
            }
        }
        // A bucket in use is found without allocating its key: subscriptions charge here on
        // every delivered event.
        if !buckets.contains_key(bucket) {
            buckets.insert(
                bucket.to_string(),
                MemoryBucket {
                    window_end_ms,
                    used: 0,
                },
            );
        }
        let counted = buckets
            .get_mut(bucket)
            .expect("the bucket is there: inserted just above if it was missing");
        if counted.window_end_ms != window_end_ms {
            *counted = MemoryBucket {
                window_end_ms,
                used: 0,
            };
        }
        if counted.used.saturating_add(cost) > max {
            return (counted.used, false);
        }
        counted.used += cost;
        (counted.used, true)
    }
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN_PER_HOUR: WindowLimit = WindowLimit {
        max: 10,
        window: Duration::from_secs(3600),
    };

    #[tokio::test]
    async fn in_process_counters_refuse_what_would_pass_the_limit_and_spend_nothing() {
        let limiter = RateLimiter::new(None);
        let first = limiter.charge("user:a", TEN_PER_HOUR, 7).await;
        assert!(first.allowed);
        assert_eq!(first.remaining, 3);
        let refused = limiter.charge("user:a", TEN_PER_HOUR, 4).await;
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 3);
        assert!(limiter.charge("user:a", TEN_PER_HOUR, 3).await.allowed);
        assert!(limiter.charge("user:b", TEN_PER_HOUR, 10).await.allowed);
        let peek = limiter.charge("user:a", TEN_PER_HOUR, 0).await;
        assert_eq!((peek.remaining, peek.allowed), (0, true));
        assert!(peek.retry_after_secs() >= 1 && peek.retry_after_secs() <= 3600);
    }
}
