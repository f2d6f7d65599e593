//! Waiting on signals instead of sleeping: a poll of an observable condition with a deadline,
//! and stories kept inside one window of a wall-clock cycle the server counts in.

use std::{
    future::Future,
    panic::AssertUnwindSafe,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use futures_util::FutureExt;

/// How often `eventually` looks again: often enough that a test waits little past the moment
/// its condition holds, seldom enough that the polling is no load on the server.
const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Polls `probe` until it returns `Some`, and returns what it returned; fails the test, naming
/// `what`, if `within` passes first. The deadline only bounds a failing test: a passing one
/// waits as long as its condition takes, and no longer.
pub async fn eventually<T, Fut>(what: &str, within: Duration, mut probe: impl FnMut() -> Fut) -> T
where
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {within:?} waiting for {what}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

fn window_index(window: Duration) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    now.as_secs() / window.as_secs().max(1)
}

/// Runs `story` within one window of a cycle aligned to the Unix epoch (a TOTP step, a
/// per-minute limit). A story that straddles a boundary sees the server change its mind
/// halfway (codes move a step, counters reset). Rather than wait for a fresh window before
/// starting, the story starts at once and, only when a boundary passed while it ran, runs again
/// from the start: right after that boundary, so with a whole window ahead. A story that failed
/// within one window fails the test; the second run's outcome stands whatever it is.
pub async fn within_one_window<Fut>(window: Duration, story: impl Fn() -> Fut)
where
    Fut: Future<Output = ()>,
{
    let started = window_index(window);
    let outcome = AssertUnwindSafe(story()).catch_unwind().await;
    if window_index(window) == started {
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
        return;
    }
    eprintln!("the story crossed a {window:?} boundary: running it again inside one window");
    let started = window_index(window);
    story().await;
    assert_eq!(
        window_index(window),
        started,
        "the story takes longer than one {window:?} window"
    );
}
