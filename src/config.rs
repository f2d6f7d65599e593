//! Settings read from the environment (and `.env` when present), validated once at start.
//! Every policy constant lives here with its env var; nothing else reads the environment.

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use rand::RngCore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where the JWT signing secret came from; a generated one is only acceptable in development.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretSource {
    Configured,
    GeneratedForThisProcess,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    pub bind_addr: SocketAddr,
    pub database_url: String,
    pub database_pool_size: u32,
    pub database_statement_timeout: Duration,
    pub redis_url: Option<String>,
    pub jwt_secret: Vec<u8>,
    pub jwt_secret_source: SecretSource,
    pub cors_origins: Vec<String>,
    pub log_format: LogFormat,
    pub access_token_ttl: Duration,
    pub refresh_session_ttl: Duration,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    /// Events buffered per topic for each subscriber; one that falls further behind is cut off.
    pub event_buffer: usize,
    /// The external model asked about mixtures the chemistry rules cannot decide; none when unset.
    pub reaction_predictor: Option<PredictorSettings>,
    pub account_security: AccountSecuritySettings,
    /// Abuse protection: query limits, rate limits, persisted documents, HTTP hardening.
    pub abuse: AbuseSettings,
    pub bookmarks: BookmarkPolicy,
    pub pipelines: PipelineSettings,
}

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

/// Policy for logins, MFA and API keys (see README "Account security").
#[derive(Debug, Clone)]
pub struct AccountSecuritySettings {
    /// Failed logins (or MFA codes) per account within `login_failure_window` before it locks.
    pub login_max_failures: u32,
    pub login_failure_window: Duration,
    pub login_lockout: Duration,
    /// How long the challenge from a password-verified login stays valid for `verifyMfa`.
    pub mfa_challenge_ttl: Duration,
    /// Wrong codes one challenge tolerates before it dies and the password must be retyped.
    pub mfa_challenge_max_attempts: u32,
    /// The `issuer` shown by authenticator apps.
    pub totp_issuer: String,
    /// AES-256-GCM key for stored TOTP secrets.
    pub totp_encryption_key: [u8; 32],
    /// Keys without `expiresAt` expire after this; later dates are refused.
    pub api_key_max_lifetime: Duration,
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
    fn from_vars(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
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
    fn from_vars(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
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

/// A setting that is missing or invalid; its Display is the one line printed before exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

fn invalid(variable: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        reason: reason.into(),
    }
}

/// The minimum secret length for HS256: a shorter key weakens the MAC below its 256-bit design.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Settings {
    /// Reads the process environment, loading `.env` first when one exists.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_vars(std::env::vars().collect())
    }

    /// Builds settings from an explicit variable map, so tests can vary any setting.
    pub fn from_vars(vars: HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            vars.get(name)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };

        let app_env = match get("APP_ENV").as_deref() {
            None | Some("development") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some(other) => {
                return Err(invalid(
                    "APP_ENV",
                    format!("expected `development` or `production`, got `{other}`"),
                ))
            }
        };

        let bind_addr = get("BIND_ADDR")
            .unwrap_or_else(|| "127.0.0.1:8000".into())
            .parse()
            .map_err(|_| invalid("BIND_ADDR", "expected host:port, e.g. 127.0.0.1:8000"))?;

        let database_url = get("DATABASE_URL")
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/catalyst".into());
        validate_database_url(&database_url)?;

        let redis_url = get("REDIS_URL");
        if let Some(url) = &redis_url {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(invalid("REDIS_URL", "expected a redis:// or rediss:// URL"));
            }
        }

        let (jwt_secret, jwt_secret_source) = match get("JWT_SECRET") {
            Some(secret) if secret.len() < MIN_JWT_SECRET_BYTES => {
                return Err(invalid(
                    "JWT_SECRET",
                    format!("must be at least {MIN_JWT_SECRET_BYTES} bytes"),
                ))
            }
            Some(secret) => (secret.into_bytes(), SecretSource::Configured),
            None if app_env == AppEnv::Production => {
                return Err(invalid("JWT_SECRET", "is required when APP_ENV=production"))
            }
            None => {
                let mut secret = vec![0u8; 48];
                rand::thread_rng().fill_bytes(&mut secret);
                (secret, SecretSource::GeneratedForThisProcess)
            }
        };

        let cors_origins: Vec<String> = get("CORS_ORIGINS")
            .map(|list| {
                list.split(',')
                    .map(|origin| origin.trim().trim_end_matches('/').to_string())
                    .filter(|origin| !origin.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        for origin in &cors_origins {
            if origin == "*" {
                if app_env == AppEnv::Production {
                    return Err(invalid(
                        "CORS_ORIGINS",
                        "a wildcard origin is refused in production; list the allowed origins",
                    ));
                }
            } else if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(invalid(
                    "CORS_ORIGINS",
                    format!("`{origin}` is not an http(s) origin"),
                ));
            }
        }

        let log_format = match get("LOG_FORMAT").as_deref() {
            None if app_env == AppEnv::Production => LogFormat::Json,
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "LOG_FORMAT",
                    format!("expected `pretty` or `json`, got `{other}`"),
                ))
            }
        };

        let database_pool_size = parse_number(&get, "DATABASE_POOL_SIZE", 16, 1..=1000)?;
        let statement_timeout_ms =
            parse_number(&get, "DATABASE_STATEMENT_TIMEOUT", 10_000, 1..=3_600_000)?;
        let access_token_ttl_secs =
            parse_number(&get, "ACCESS_TOKEN_TTL_SECONDS", 900, 10..=86_400)?;
        let refresh_session_ttl_days = parse_number(&get, "REFRESH_SESSION_TTL_DAYS", 30, 1..=365)?;
        let request_timeout_secs = parse_number(&get, "REQUEST_TIMEOUT_SECONDS", 30, 1..=600)?;
        let shutdown_grace_secs = parse_number(&get, "SHUTDOWN_GRACE_SECONDS", 20, 0..=600)?;
        let event_buffer = parse_number(&get, "EVENT_BUFFER", 256, 16..=65_536)?;
        let reaction_predictor = predictor_settings(&get)?;
        let account_security = account_security_settings(&get, &jwt_secret)?;
        let abuse = AbuseSettings::from_vars(&get, app_env, &cors_origins)?;
        let bookmarks = BookmarkPolicy::from_vars(&get)?;
        let pipelines = PipelineSettings::from_vars(&get)?;

        Ok(Settings {
            app_env,
            bind_addr,
            database_url,
            database_pool_size: database_pool_size as u32,
            database_statement_timeout: Duration::from_millis(statement_timeout_ms),
            redis_url,
            jwt_secret,
            jwt_secret_source,
            cors_origins,
            log_format,
            access_token_ttl: Duration::from_secs(access_token_ttl_secs),
            refresh_session_ttl: Duration::from_secs(refresh_session_ttl_days * 86_400),
            request_timeout: Duration::from_secs(request_timeout_secs),
            shutdown_grace: Duration::from_secs(shutdown_grace_secs),
            event_buffer: event_buffer as usize,
            reaction_predictor,
            account_security,
            abuse,
            bookmarks,
            pipelines,
        })
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }
}

fn account_security_settings(
    get: &impl Fn(&str) -> Option<String>,
    jwt_secret: &[u8],
) -> Result<AccountSecuritySettings, ConfigError> {
    let totp_encryption_key = match get("TOTP_ENCRYPTION_KEY") {
        Some(hex_key) => hex::decode(&hex_key)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| invalid("TOTP_ENCRYPTION_KEY", "expected 64 hex digits (32 bytes)"))?,
        // Derived so a deployment with JWT_SECRET needs nothing more; rotating JWT_SECRET then
        // requires setting the old derived key here explicitly.
        None => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, jwt_secret);
            let tag = ring::hmac::sign(&key, b"catalyst totp secret encryption key");
            <[u8; 32]>::try_from(tag.as_ref()).expect("an HMAC-SHA256 tag is 32 bytes")
        }
    };
    Ok(AccountSecuritySettings {
        login_max_failures: parse_number(get, "LOGIN_MAX_FAILURES", 5, 1..=1000)? as u32,
        login_failure_window: Duration::from_secs(parse_number(
            get,
            "LOGIN_FAILURE_WINDOW_SECONDS",
            900,
            10..=86_400,
        )?),
        login_lockout: Duration::from_secs(parse_number(
            get,
            "LOGIN_LOCKOUT_SECONDS",
            900,
            1..=86_400,
        )?),
        mfa_challenge_ttl: Duration::from_secs(parse_number(
            get,
            "MFA_CHALLENGE_TTL_SECONDS",
            300,
            30..=3_600,
        )?),
        mfa_challenge_max_attempts: parse_number(get, "MFA_CHALLENGE_MAX_ATTEMPTS", 5, 1..=20)?
            as u32,
        totp_issuer: get("TOTP_ISSUER").unwrap_or_else(|| "Catalyst".into()),
        totp_encryption_key,
        api_key_max_lifetime: Duration::from_secs(
            parse_number(get, "API_KEY_MAX_LIFETIME_DAYS", 365, 1..=3_650)? * 86_400,
        ),
    })
}

fn parse_number(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: u64,
    allowed: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(raw) = get(variable) else {
        return Ok(default);
    };
    let value: u64 = raw
        .parse()
        .map_err(|_| invalid(variable, format!("expected a whole number, got `{raw}`")))?;
    if !allowed.contains(&value) {
        return Err(invalid(
            variable,
            format!(
                "{value} is outside the allowed range {}..={}",
                allowed.start(),
                allowed.end()
            ),
        ));
    }
    Ok(value)
}

fn predictor_settings(
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

fn validate_database_url(raw: &str) -> Result<(), ConfigError> {
    let url = url::Url::parse(raw).map_err(|_| {
        invalid(
            "DATABASE_URL",
            "expected postgres://user@host:port/database",
        )
    })?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(invalid("DATABASE_URL", "the scheme must be postgres://"));
    }
    if url.path().trim_start_matches('/').is_empty() {
        return Err(invalid("DATABASE_URL", "the URL must name a database"));
    }
    Ok(())
}

/// Who may run introspection queries (`__schema`, `__type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntrospectionPolicy {
    Everyone,
    PlatformAdmins,
    Nobody,
}

/// Limits on what one GraphQL document may ask for, checked before execution.
#[derive(Debug, Clone)]
pub struct QueryLimitSettings {
    /// Off only for benchmarking the limits' own cost; refused in production.
    pub enabled: bool,
    pub max_depth: usize,
    /// Field cost summed with list multipliers (`first`/`last`, or the default page size).
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_document_bytes: usize,
    pub max_directives: usize,
    /// Operations accepted in one JSON array request; 0 means batching is off.
    pub max_batch: usize,
    pub execution_timeout: Duration,
    pub introspection: IntrospectionPolicy,
    /// "Did you mean …" hints in validation errors; they spell out the schema.
    pub field_suggestions: bool,
}

/// Points budgets (the GitHub model: an operation costs its complexity) and the named limits.
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    /// Off only for benchmarking the limiter's own cost; refused in production.
    pub enabled: bool,
    pub user_points: u64,
    pub anonymous_points: u64,
    pub window: Duration,
    pub register_per_minute: u64,
    pub login_per_minute: u64,
    pub predict_reaction_per_minute: u64,
    /// Prepended to every Redis key this server writes (counters, persisted queries), so
    /// deployments and test runs sharing one Redis never share counters.
    pub redis_key_prefix: String,
}

#[derive(Debug, Clone)]
pub struct PersistedQuerySettings {
    /// Apollo Automatic Persisted Queries.
    pub apq_enabled: bool,
    /// Queries remembered in process when there is no Redis.
    pub apq_memory_entries: usize,
    pub apq_ttl: Duration,
    /// A manifest of the only operations this server runs (`TRUSTED_DOCUMENTS`).
    pub trusted_documents: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone)]
pub struct HttpHardeningSettings {
    pub hsts: bool,
    pub cors_allow_credentials: bool,
    pub max_body_bytes: usize,
    pub ws_init_timeout: Duration,
    pub ws_max_subscriptions: usize,
    pub ws_max_message_bytes: usize,
}

#[derive(Debug, Clone)]
pub struct AbuseSettings {
    pub query: QueryLimitSettings,
    pub rate: RateLimitSettings,
    pub persisted: PersistedQuerySettings,
    pub http: HttpHardeningSettings,
}

/// The most operations one batched request may carry, whatever `BATCH` says.
pub const MAX_BATCH_OPERATIONS: usize = 10;

fn parse_flag(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(variable).as_deref() {
        None => Ok(default),
        Some("true" | "on" | "1") => Ok(true),
        Some("false" | "off" | "0") => Ok(false),
        Some(other) => Err(invalid(
            variable,
            format!("expected `true` or `false`, got `{other}`"),
        )),
    }
}

impl AbuseSettings {
    fn from_vars(
        get: &impl Fn(&str) -> Option<String>,
        app_env: AppEnv,
        cors_origins: &[String],
    ) -> Result<Self, ConfigError> {
        let production = app_env == AppEnv::Production;
        let number = |variable, default, allowed| parse_number(get, variable, default, allowed);

        let query_limits_enabled = parse_flag(get, "QUERY_LIMITS_ENABLED", true)?;
        let rate_limit_enabled = parse_flag(get, "RATE_LIMIT_ENABLED", true)?;
        if production && !(query_limits_enabled && rate_limit_enabled) {
            return Err(invalid(
                if query_limits_enabled {
                    "RATE_LIMIT_ENABLED"
                } else {
                    "QUERY_LIMITS_ENABLED"
                },
                "limits cannot be turned off in production",
            ));
        }
        let max_batch = match get("BATCH").as_deref() {
            None | Some("off" | "false" | "0") => 0,
            Some("on" | "true") => MAX_BATCH_OPERATIONS,
            Some(raw) => match raw.parse::<usize>() {
                Ok(size @ 1..=MAX_BATCH_OPERATIONS) => size,
                _ => {
                    return Err(invalid(
                        "BATCH",
                        format!("expected `off`, `on` or 1..={MAX_BATCH_OPERATIONS}, got `{raw}`"),
                    ))
                }
            },
        };
        let introspection = match get("INTROSPECTION").as_deref() {
            None if production => IntrospectionPolicy::PlatformAdmins,
            None | Some("everyone") => IntrospectionPolicy::Everyone,
            Some("admins") => IntrospectionPolicy::PlatformAdmins,
            Some("off") => IntrospectionPolicy::Nobody,
            Some(other) => {
                return Err(invalid(
                    "INTROSPECTION",
                    format!("expected `everyone`, `admins` or `off`, got `{other}`"),
                ))
            }
        };
        if production && introspection == IntrospectionPolicy::Everyone {
            return Err(invalid(
                "INTROSPECTION",
                "introspection for anonymous users is refused in production; use `admins` or `off`",
            ));
        }
        let query = QueryLimitSettings {
            enabled: query_limits_enabled,
            max_depth: number("MAX_QUERY_DEPTH", 12, 2..=100)? as usize,
            max_complexity: number("MAX_QUERY_COMPLEXITY", 50_000, 10..=10_000_000)? as usize,
            max_aliases: number("MAX_QUERY_ALIASES", 30, 0..=10_000)? as usize,
            max_root_fields: number("MAX_ROOT_FIELDS", 20, 1..=1_000)? as usize,
            max_document_bytes: number("MAX_DOCUMENT_BYTES", 16 * 1024, 256..=1024 * 1024)?
                as usize,
            max_directives: number("MAX_QUERY_DIRECTIVES", 50, 0..=10_000)? as usize,
            max_batch,
            execution_timeout: Duration::from_millis(number(
                "EXECUTION_TIMEOUT_MS",
                10_000,
                1..=600_000,
            )?),
            introspection,
            field_suggestions: parse_flag(get, "FIELD_SUGGESTIONS", !production)?,
        };

        let redis_key_prefix = get("REDIS_KEY_PREFIX").unwrap_or_else(|| "catalyst:".into());
        if redis_key_prefix.len() > 64 || redis_key_prefix.chars().any(char::is_whitespace) {
            return Err(invalid(
                "REDIS_KEY_PREFIX",
                "at most 64 characters, no whitespace",
            ));
        }
        let rate = RateLimitSettings {
            enabled: rate_limit_enabled,
            // Costs are raw complexity, so a budget holds several operations of the largest size
            // allowed (a user: twenty; an address without a token: one).
            user_points: number("RATE_LIMIT_USER_POINTS", 1_000_000, 1..=u64::MAX / 4)?,
            anonymous_points: number("RATE_LIMIT_ANONYMOUS_POINTS", 50_000, 1..=u64::MAX / 4)?,
            window: Duration::from_secs(number("RATE_LIMIT_WINDOW_SECONDS", 3_600, 1..=86_400)?),
            register_per_minute: number("RATE_LIMIT_REGISTER_PER_MINUTE", 5, 1..=1_000_000)?,
            login_per_minute: number("RATE_LIMIT_LOGIN_PER_MINUTE", 10, 1..=1_000_000)?,
            predict_reaction_per_minute: number(
                "RATE_LIMIT_PREDICT_REACTION_PER_MINUTE",
                60,
                1..=1_000_000,
            )?,
            redis_key_prefix,
        };

        let persisted = PersistedQuerySettings {
            apq_enabled: parse_flag(get, "APQ_ENABLED", true)?,
            apq_memory_entries: number("APQ_MEMORY_ENTRIES", 1_000, 1..=1_000_000)? as usize,
            apq_ttl: Duration::from_secs(number("APQ_TTL_SECONDS", 86_400, 1..=30 * 86_400)?),
            trusted_documents: get("TRUSTED_DOCUMENTS").map(std::path::PathBuf::from),
        };

        let cors_allow_credentials = parse_flag(get, "CORS_ALLOW_CREDENTIALS", false)?;
        if cors_allow_credentials && cors_origins.iter().any(|origin| origin == "*") {
            return Err(invalid(
                "CORS_ALLOW_CREDENTIALS",
                "credentials cannot be allowed for a wildcard origin; list the allowed origins",
            ));
        }
        let http = HttpHardeningSettings {
            hsts: parse_flag(get, "HSTS", false)?,
            cors_allow_credentials,
            max_body_bytes: number("MAX_BODY_BYTES", 1024 * 1024, 1024..=64 * 1024 * 1024)?
                as usize,
            ws_init_timeout: Duration::from_secs(number("WS_INIT_TIMEOUT_SECONDS", 10, 1..=300)?),
            ws_max_subscriptions: number("WS_MAX_SUBSCRIPTIONS", 100, 1..=10_000)? as usize,
            ws_max_message_bytes: number(
                "WS_MAX_MESSAGE_BYTES",
                256 * 1024,
                1024..=16 * 1024 * 1024,
            )? as usize,
        };
        Ok(AbuseSettings {
            query,
            rate,
            persisted,
            http,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn development_defaults_need_no_variables() {
        let settings = Settings::from_vars(HashMap::new()).expect("defaults are valid");
        assert_eq!(settings.app_env, AppEnv::Development);
        assert_eq!(settings.bind_addr.to_string(), "127.0.0.1:8000");
        assert_eq!(
            settings.jwt_secret_source,
            SecretSource::GeneratedForThisProcess
        );
        assert!(settings.jwt_secret.len() >= MIN_JWT_SECRET_BYTES);
    }

    #[test]
    fn production_without_jwt_secret_is_refused() {
        let error = Settings::from_vars(vars(&[("APP_ENV", "production")])).unwrap_err();
        assert_eq!(error.variable, "JWT_SECRET");
    }

    #[test]
    fn short_secret_wildcard_cors_and_bad_numbers_are_refused() {
        let short = Settings::from_vars(vars(&[("JWT_SECRET", "short")])).unwrap_err();
        assert_eq!(short.variable, "JWT_SECRET");
        let wildcard = Settings::from_vars(vars(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", &"x".repeat(40)),
            ("CORS_ORIGINS", "*"),
        ]))
        .unwrap_err();
        assert_eq!(wildcard.variable, "CORS_ORIGINS");
        let pool = Settings::from_vars(vars(&[("DATABASE_POOL_SIZE", "lots")])).unwrap_err();
        assert_eq!(pool.variable, "DATABASE_POOL_SIZE");
        let url = Settings::from_vars(vars(&[("DATABASE_URL", "mysql://x/y")])).unwrap_err();
        assert_eq!(url.variable, "DATABASE_URL");
        let batch =
            Settings::from_vars(vars(&[("BOOKMARK_IMPORT_BATCH_SIZE", "10000")])).unwrap_err();
        assert_eq!(batch.variable, "BOOKMARK_IMPORT_BATCH_SIZE");
    }

    #[test]
    fn account_security_policy_has_safe_defaults_and_refuses_bad_values() {
        let secret = "y".repeat(40);
        let defaults = Settings::from_vars(vars(&[("JWT_SECRET", &secret)])).unwrap();
        let policy = &defaults.account_security;
        assert_eq!(policy.login_max_failures, 5);
        assert_eq!(policy.login_failure_window, Duration::from_secs(900));
        // Derived from JWT_SECRET: the same secret gives the same key on every instance.
        let again = Settings::from_vars(vars(&[("JWT_SECRET", &secret)])).unwrap();
        assert_eq!(
            policy.totp_encryption_key,
            again.account_security.totp_encryption_key
        );
        let explicit =
            Settings::from_vars(vars(&[("TOTP_ENCRYPTION_KEY", &"ab".repeat(32))])).unwrap();
        assert_eq!(explicit.account_security.totp_encryption_key, [0xab; 32]);
        for (variable, value) in [
            ("TOTP_ENCRYPTION_KEY", "not hex"),
            ("TOTP_ENCRYPTION_KEY", "abcd"),
            ("LOGIN_MAX_FAILURES", "0"),
            ("LOGIN_LOCKOUT_SECONDS", "0"),
            ("API_KEY_MAX_LIFETIME_DAYS", "100000"),
        ] {
            let error = Settings::from_vars(vars(&[(variable, value)])).unwrap_err();
            assert_eq!(error.variable, variable, "{value}");
        }
    }

    #[test]
    fn abuse_limits_have_the_documented_defaults_and_refuse_unsafe_production() {
        let settings = Settings::from_vars(HashMap::new()).expect("defaults are valid");
        let query = &settings.abuse.query;
        assert_eq!(
            (query.max_depth, query.max_aliases, query.max_root_fields),
            (12, 30, 20)
        );
        assert_eq!(
            (
                query.max_document_bytes,
                query.max_directives,
                query.max_batch
            ),
            (16_384, 50, 0)
        );
        assert_eq!(settings.abuse.rate.user_points, 1_000_000);
        assert_eq!(settings.abuse.rate.anonymous_points, 50_000);
        assert_eq!(settings.abuse.http.max_body_bytes, 1024 * 1024);
        let production = |extra: (&str, &str)| {
            let secret = "x".repeat(40);
            Settings::from_vars(vars(&[
                ("APP_ENV", "production"),
                ("JWT_SECRET", &secret),
                extra,
            ]))
        };
        let defaults = production(("HSTS", "true")).expect("production defaults are valid");
        assert_eq!(
            defaults.abuse.query.introspection,
            IntrospectionPolicy::PlatformAdmins
        );
        assert!(!defaults.abuse.query.field_suggestions);
        assert_eq!(
            production(("INTROSPECTION", "everyone"))
                .unwrap_err()
                .variable,
            "INTROSPECTION"
        );
        assert_eq!(
            production(("RATE_LIMIT_ENABLED", "false"))
                .unwrap_err()
                .variable,
            "RATE_LIMIT_ENABLED"
        );
        assert_eq!(
            Settings::from_vars(vars(&[("BATCH", "11")]))
                .unwrap_err()
                .variable,
            "BATCH"
        );
        let wildcard_with_credentials = Settings::from_vars(vars(&[
            ("CORS_ORIGINS", "*"),
            ("CORS_ALLOW_CREDENTIALS", "true"),
        ]));
        assert_eq!(
            wildcard_with_credentials.unwrap_err().variable,
            "CORS_ALLOW_CREDENTIALS"
        );
    }

    #[test]
    fn pipeline_limits_default_to_the_issue_and_bad_values_are_refused() {
        let settings = Settings::from_vars(HashMap::new()).expect("defaults are valid");
        assert_eq!(settings.pipelines.max_nodes, 200);
        assert_eq!(settings.pipelines.max_rows_per_run, 1_000_000);
        assert_eq!(settings.pipelines.create_limit_per_hour, 10);
        assert_eq!(settings.pipelines.run_limit_per_hour, 20);
        let workers = Settings::from_vars(vars(&[("WORKER_CONCURRENCY", "many")])).unwrap_err();
        assert_eq!(workers.variable, "WORKER_CONCURRENCY");
        let lease = Settings::from_vars(vars(&[("PIPELINE_LEASE_SECONDS", "0")])).unwrap_err();
        assert_eq!(lease.variable, "PIPELINE_LEASE_SECONDS");
    }
}
