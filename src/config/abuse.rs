//! Abuse protection settings: what one GraphQL document may ask for, the points budgets and
//! named limits, persisted documents, and HTTP/WebSocket hardening. Unsafe choices (limits off,
//! open introspection, credentials for a wildcard origin) are refused in production.

use std::time::Duration;

use super::env::{invalid, parse_flag, parse_number, AppEnv, ConfigError};

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
    /// Points every delivered subscription event spends (opening one spends its complexity).
    pub subscription_event_points: u64,
    /// Subscriptions one user (or address) may run at once, over every connection and instance.
    pub subscription_max_per_user: usize,
    /// How long an instance's count of running subscriptions outlives its last heartbeat in
    /// Redis, so a dead instance's subscriptions stop counting after this.
    pub subscription_lease: Duration,
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
    /// How often an SSE stream sends a keep-alive comment, so proxies keep idle streams open.
    pub sse_keep_alive: Duration,
    /// A single-connection SSE reservation not claimed by its stream within this is dropped.
    pub sse_reservation_timeout: Duration,
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

impl AbuseSettings {
    pub(super) fn from_vars(
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
            // A busy board delivers a few hundred events an hour: a few thousand points of a
            // budget of a million.
            subscription_event_points: number("SUBSCRIPTION_EVENT_POINTS", 10, 0..=1_000_000)?,
            // A board tab runs two or three; the WebSocket cap is 100 per connection.
            subscription_max_per_user: number("SUBSCRIPTION_MAX_PER_USER", 200, 1..=10_000_000)?
                as usize,
            subscription_lease: Duration::from_secs(number(
                "SUBSCRIPTION_LEASE_SECONDS",
                60,
                3..=3_600,
            )?),
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
            sse_keep_alive: Duration::from_secs(number("SSE_KEEP_ALIVE_SECONDS", 12, 1..=300)?),
            sse_reservation_timeout: Duration::from_secs(number(
                "SSE_RESERVATION_TIMEOUT_SECONDS",
                30,
                1..=3_600,
            )?),
        };
        Ok(AbuseSettings {
            query,
            rate,
            persisted,
            http,
        })
    }
}
