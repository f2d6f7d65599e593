//! One shared, lazily opened Redis connection for request-path features (rate-limit counters,
//! persisted queries). It never blocks a request for long: every command has a short timeout,
//! and after a failure the connection is left alone for a moment so callers use their
//! in-process fallback instead of waiting on a dead server.

use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;
use tracing::Instrument;

/// Loopback and LAN round trips are well under a millisecond; anything slower is an outage.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(250);
/// How long after a failure requests skip Redis before trying it again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct RedisLink {
    inner: Arc<LinkInner>,
}

struct LinkInner {
    client: redis::Client,
    /// Keys this server writes all start with this.
    prefix: String,
    connection: Mutex<LinkState>,
    /// Whether the last attempt failed, so an outage and a recovery are each logged once.
    down: AtomicBool,
}

#[derive(Default)]
struct LinkState {
    connection: Option<MultiplexedConnection>,
    retry_at: Option<Instant>,
}

impl RedisLink {
    pub fn new(client: redis::Client, prefix: &str) -> Self {
        RedisLink {
            inner: Arc::new(LinkInner {
                client,
                prefix: prefix.to_string(),
                connection: Mutex::new(LinkState::default()),
                down: AtomicBool::new(false),
            }),
        }
    }

    pub fn key(&self, parts: &[&str]) -> String {
        let mut key = self.inner.prefix.clone();
        key.push_str(&parts.join(":"));
        key
    }

    /// Runs `command` on the shared connection, or returns None when Redis is unreachable
    /// (the caller falls back to its in-process state). `what` names the feature in logs.
    pub async fn run<T, F, Fut>(&self, what: &'static str, command: F) -> Option<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let connection = self.connection().await?;
        let span = tracing::info_span!("redis", feature = what);
        match tokio::time::timeout(COMMAND_TIMEOUT, command(connection).instrument(span)).await {
            Ok(Ok(value)) => {
                if self.inner.down.swap(false, Ordering::Relaxed) {
                    tracing::info!(feature = what, "Redis is back; using shared state again");
                }
                Some(value)
            }
            Ok(Err(error)) if !error.is_io_error() && !error.is_timeout() => {
                tracing::error!(feature = what, %error, "Redis refused a command");
                None
            }
            _ => {
                self.mark_failed(what).await;
                None
            }
        }
    }

    async fn connection(&self) -> Option<MultiplexedConnection> {
        let mut state = self.inner.connection.lock().await;
        if let Some(connection) = &state.connection {
            return Some(connection.clone());
        }
        if state.retry_at.is_some_and(|at| Instant::now() < at) {
            return None;
        }
        let opened = tokio::time::timeout(
            COMMAND_TIMEOUT,
            self.inner.client.get_multiplexed_async_connection(),
        )
        .await;
        match opened {
            Ok(Ok(connection)) => {
                state.connection = Some(connection.clone());
                state.retry_at = None;
                Some(connection)
            }
            _ => {
                state.retry_at = Some(Instant::now() + RETRY_AFTER_FAILURE);
                drop(state);
                self.log_outage("connect");
                None
            }
        }
    }

    async fn mark_failed(&self, what: &'static str) {
        let mut state = self.inner.connection.lock().await;
        state.connection = None;
        state.retry_at = Some(Instant::now() + RETRY_AFTER_FAILURE);
        drop(state);
        self.log_outage(what);
    }

    fn log_outage(&self, what: &'static str) {
        if !self.inner.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                feature = what,
                "Redis unreachable: rate limits and persisted queries use in-process state \
                 until it returns (limits are then per instance)"
            );
        }
    }
}
