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

/// What one look at a condition found: `Some`/`Ok` when it holds (with what the caller wants
/// back), `None` when not yet, or `Err` saying what was seen instead, for the failure message.
pub trait Look<T> {
    fn holds(self) -> Result<T, Option<String>>;
}

impl<T> Look<T> for Option<T> {
    fn holds(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T> Look<T> for Result<T, String> {
    fn holds(self) -> Result<T, Option<String>> {
        self.map_err(Some)
    }
}

/// Polls `probe` until the condition holds, and returns what it returned; fails the test,
/// naming `what` and the last thing seen, if `within` passes first. The deadline only bounds a
/// failing test: a passing one waits as long as its condition takes, and no longer.
pub async fn eventually<T, L, Fut>(
    what: &str,
    within: Duration,
    mut probe: impl FnMut() -> Fut,
) -> T
where
    L: Look<T>,
    Fut: Future<Output = L>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let seen = match probe().await.holds() {
            Ok(value) => return value,
            Err(seen) => seen,
        };
        if tokio::time::Instant::now() >= deadline {
            match seen {
                Some(seen) => panic!("gave up after {within:?} waiting for {what}: {seen}"),
                None => panic!("gave up after {within:?} waiting for {what}"),
            }
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Checks `probe` again and again for the whole of `bound`, failing the test as soon as it
/// does not hold: for something that must NOT happen. Each caller says why `bound` is long
/// enough for what it rules out; prefer a positive signal (a later event that must arrive
/// next) where the server offers one.
pub async fn throughout<Fut>(what: &str, bound: Duration, mut probe: impl FnMut() -> Fut)
where
    Fut: Future<Output = Result<(), String>>,
{
    let end = tokio::time::Instant::now() + bound;
    loop {
        if let Err(seen) = probe().await {
            panic!("expected {what} for {bound:?}: {seen}");
        }
        if tokio::time::Instant::now() >= end {
            return;
        }
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
