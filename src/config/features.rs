//! Settings of single features: the external reaction predictor, bookmark import limits and the
//! pipeline policy (limits, the job queue's lease and timeouts, workers).

use std::time::Duration;

use super::env::{invalid, parse_number, ConfigError};

/// An OpenAI-compatible chat-completions endpoint and how patiently to use it.
#[derive(Debug, Clone)]
pub struct PredictorSettings {
    pub url: url::Url,
    pub api_key: Option<String>,
    pub model: String,
    /// Per attempt: a player is waiting for the answer.
    pub timeout: Duration,
    /// Further attempts after a failed one.
    pub retries: u32,
    /// First retry delay; doubled for each further retry, with jitter.
    pub backoff: Duration,
    /// Consecutive failed attempts that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker refuses calls before letting one trial call through.
    pub breaker_cooldown: Duration,
}

pub(super) fn predictor_settings(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<PredictorSettings>, ConfigError> {
    let Some(raw_url) = get("REACTION_PREDICTOR_URL") else {
        return Ok(None);
    };
    let url = url::Url::parse(&raw_url)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .ok_or_else(|| {
            invalid(
                "REACTION_PREDICTOR_URL",
                "expected the http(s) URL of a chat-completions endpoint",
            )
        })?;
    Ok(Some(PredictorSettings {
        url,
        api_key: get("REACTION_PREDICTOR_API_KEY"),
        model: get("REACTION_PREDICTOR_MODEL").unwrap_or_else(|| "gpt-4o-mini".into()),
        timeout: Duration::from_millis(parse_number(
            get,
            "REACTION_PREDICTOR_TIMEOUT_MS",
            10_000,
            10..=120_000,
        )?),
        retries: parse_number(get, "REACTION_PREDICTOR_RETRIES", 3, 0..=10)? as u32,
        backoff: Duration::from_millis(parse_number(
            get,
            "REACTION_PREDICTOR_BACKOFF_MS",
            250,
            1..=60_000,
        )?),
        breaker_failures: parse_number(get, "REACTION_PREDICTOR_BREAKER_FAILURES", 5, 1..=1_000)?
            as u32,
        breaker_cooldown: Duration::from_secs(parse_number(
            get,
            "REACTION_PREDICTOR_BREAKER_COOLDOWN_SECONDS",
            60,
            1..=86_400,
        )?),
    }))
}

/// Limits on bookmark import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookmarkPolicy {
    /// Largest accepted import file; browsers' exports of 50,000 bookmarks stay well under 10 MiB.
    pub import_max_bytes: usize,
    /// Most bookmarks one import file may hold.
    pub import_max_items: usize,
    /// Imports with more items than this run in the background and report progress.
    pub import_background_threshold: usize,
    /// Rows per INSERT statement: 12 parameters a row must stay under PostgreSQL's 65,535.
    pub import_batch_size: usize,
}

impl BookmarkPolicy {
    pub(super) fn from_vars(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(BookmarkPolicy {
            import_max_bytes: parse_number(
                get,
                "BOOKMARK_IMPORT_MAX_BYTES",
                10 * 1024 * 1024,
                1024..=100 * 1024 * 1024,
            )? as usize,
            import_max_items: parse_number(get, "BOOKMARK_IMPORT_MAX_ITEMS", 50_000, 1..=1_000_000)?
                as usize,
            import_background_threshold: parse_number(
                get,
                "BOOKMARK_IMPORT_BACKGROUND_THRESHOLD",
                1_000,
                0..=1_000_000,
            )? as usize,
            import_batch_size: parse_number(get, "BOOKMARK_IMPORT_BATCH_SIZE", 1_000, 1..=5_000)?
                as usize,
        })
    }
}

/// Pipeline policy: limits, the job queue's lease and timeouts, the workers in this process.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// Workers inside `catalyst serve` (`catalyst worker` too); 0 runs none in this process.
    pub worker_concurrency: usize,
    /// How long a claimed run stays its worker's without a heartbeat; a dead worker's run is
    /// claimed again after this. Heartbeats go out three times per lease.
    pub lease: Duration,
    /// How often an idle worker looks for queued runs (it is also woken by new runs).
    pub poll_interval: Duration,
    pub run_timeout: Duration,
    /// A run whose workers died this many times fails instead of being claimed again.
    pub max_attempts: i32,
    pub max_nodes: usize,
    pub max_rows_per_run: usize,
    /// Output rows stored per run; the rest are counted, and the cap is reported.
    pub output_row_cap: usize,
    /// Tasks one run's `createTasks` sinks may create.
    pub max_tasks_per_run: usize,
    pub create_limit_per_hour: u64,
    pub run_limit_per_hour: u64,
}

impl PipelineSettings {
    pub(super) fn from_vars(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(PipelineSettings {
            worker_concurrency: parse_number(get, "WORKER_CONCURRENCY", 2, 0..=64)? as usize,
            lease: Duration::from_secs(parse_number(get, "PIPELINE_LEASE_SECONDS", 30, 1..=3_600)?),
            poll_interval: Duration::from_millis(parse_number(
                get,
                "PIPELINE_WORKER_POLL_MS",
                1_000,
                10..=60_000,
            )?),
            run_timeout: Duration::from_secs(parse_number(
                get,
                "PIPELINE_RUN_TIMEOUT_SECONDS",
                300,
                1..=86_400,
            )?),
            max_attempts: parse_number(get, "PIPELINE_MAX_ATTEMPTS", 3, 1..=100)? as i32,
            max_nodes: parse_number(get, "PIPELINE_MAX_NODES", 200, 1..=10_000)? as usize,
            max_rows_per_run: parse_number(
                get,
                "PIPELINE_MAX_ROWS_PER_RUN",
                1_000_000,
                1..=100_000_000,
            )? as usize,
            output_row_cap: parse_number(get, "PIPELINE_OUTPUT_ROW_CAP", 10_000, 1..=1_000_000)?
                as usize,
            max_tasks_per_run: parse_number(get, "PIPELINE_MAX_TASKS_PER_RUN", 1_000, 1..=100_000)?
                as usize,
            create_limit_per_hour: parse_number(
                get,
                "PIPELINE_CREATE_LIMIT_PER_HOUR",
                10,
                1..=1_000_000,
            )?,
            run_limit_per_hour: parse_number(
                get,
                "PIPELINE_RUN_LIMIT_PER_HOUR",
                20,
                1..=1_000_000,
            )?,
        })
    }
}

/// Presence on a project board: how long a viewer stays listed after their last heartbeat.
#[derive(Debug, Clone)]
pub struct PresenceSettings {
    /// A viewer not heard from (`updatePresence` or opening `projectPresence`) for this long is
    /// `LEFT`; expiry is checked every fifth of it, so `LEFT` follows within 6/5 of it.
    pub timeout: Duration,
}

impl PresenceSettings {
    pub(super) fn from_vars(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(PresenceSettings {
            // 25 s plus one sweep (5 s): a silent viewer is `LEFT` within 30 s.
            timeout: Duration::from_secs(parse_number(
                get,
                "PRESENCE_TIMEOUT_SECONDS",
                25,
                1..=3_600,
            )?),
        })
    }
}
