//! Settings read from the environment (and `.env` when present), validated once at start.
//! Every policy constant lives here with its env var; nothing else reads the environment.

mod abuse;
mod account_security;
mod env;
mod features;

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use rand::RngCore;

pub use abuse::{
    AbuseSettings, HttpHardeningSettings, IntrospectionPolicy, PersistedQuerySettings,
    QueryLimitSettings, RateLimitSettings, MAX_BATCH_OPERATIONS,
};
use account_security::account_security_settings;
pub use account_security::AccountSecuritySettings;
use env::{invalid, parse_flag, parse_number};
pub use env::{AppEnv, ConfigError};
use features::predictor_settings;
pub use features::{BookmarkPolicy, PipelineSettings, PredictorSettings, PresenceSettings};

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

/// Where and what to export as OpenTelemetry traces.
#[derive(Debug, Clone)]
pub struct TraceSettings {
    /// The collector's OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`.
    pub endpoint: String,
    pub service_name: String,
    /// Resolvers faster than this get no span of their own.
    pub resolver_threshold: Duration,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub app_env: AppEnv,
    pub bind_addr: SocketAddr,
    pub database_url: String,
    pub database_pool_size: u32,
    pub database_statement_timeout: Duration,
    /// The most keys one dataloader statement asks for; more go out as further statements.
    pub loader_max_batch: usize,
    pub redis_url: Option<String>,
    pub jwt_secret: Vec<u8>,
    pub jwt_secret_source: SecretSource,
    pub cors_origins: Vec<String>,
    pub log_format: LogFormat,
    pub access_token_ttl: Duration,
    pub refresh_session_ttl: Duration,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    /// On SIGTERM, how long readiness reports 503 while the server still accepts connections,
    /// so a load balancer stops routing here before the listener closes.
    pub shutdown_drain: Duration,
    /// Whether `serve` and `worker` apply pending migrations (under the advisory lock) or refuse
    /// to start on a database that is behind (when a migration Job owns migrations).
    pub migrate_on_start: bool,
    /// OTLP trace export; none (the default) exports nothing.
    pub traces: Option<TraceSettings>,
    /// Events buffered per topic for each subscriber; one that falls further behind is cut off.
    pub event_buffer: usize,
    /// How often, while the Redis bus is down, each instance reads the log heads of the
    /// projects its subscribers follow: how far behind live delivery may fall meanwhile.
    pub event_fallback_poll: Duration,
    /// The external model asked about mixtures the chemistry rules cannot decide; none when unset.
    pub reaction_predictor: Option<PredictorSettings>,
    pub account_security: AccountSecuritySettings,
    /// Abuse protection: query limits, rate limits, persisted documents, HTTP hardening.
    pub abuse: AbuseSettings,
    pub bookmarks: BookmarkPolicy,
    pub pipelines: PipelineSettings,
    pub presence: PresenceSettings,
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
        let loader_max_batch = parse_number(&get, "LOADER_MAX_BATCH", 1_000, 1..=10_000)?;
        let statement_timeout_ms =
            parse_number(&get, "DATABASE_STATEMENT_TIMEOUT", 10_000, 1..=3_600_000)?;
        let access_token_ttl_secs =
            parse_number(&get, "ACCESS_TOKEN_TTL_SECONDS", 900, 10..=86_400)?;
        let refresh_session_ttl_days = parse_number(&get, "REFRESH_SESSION_TTL_DAYS", 30, 1..=365)?;
        let request_timeout_secs = parse_number(&get, "REQUEST_TIMEOUT_SECONDS", 30, 1..=600)?;
        let shutdown_grace_secs = parse_number(&get, "SHUTDOWN_GRACE_SECONDS", 20, 0..=600)?;
        // A laptop has no load balancer to drain from: Ctrl-C should stop at once there.
        let default_drain_secs = if app_env == AppEnv::Production { 5 } else { 0 };
        let shutdown_drain_secs =
            parse_number(&get, "SHUTDOWN_DRAIN_SECONDS", default_drain_secs, 0..=300)?;
        let migrate_on_start = parse_flag(&get, "MIGRATE_ON_START", true)?;
        let traces = trace_settings(&get)?;
        let event_buffer = parse_number(&get, "EVENT_BUFFER", 256, 16..=65_536)?;
        // At most a second: the promise is delivery at most a second behind through an outage.
        let event_fallback_poll_ms = parse_number(&get, "EVENT_FALLBACK_POLL_MS", 500, 50..=1000)?;
        let reaction_predictor = predictor_settings(&get)?;
        let account_security = account_security_settings(&get, &jwt_secret)?;
        let abuse = AbuseSettings::from_vars(&get, app_env, &cors_origins)?;
        let bookmarks = BookmarkPolicy::from_vars(&get)?;
        let pipelines = PipelineSettings::from_vars(&get)?;
        let presence = PresenceSettings::from_vars(&get)?;

        Ok(Settings {
            app_env,
            bind_addr,
            database_url,
            database_pool_size: database_pool_size as u32,
            database_statement_timeout: Duration::from_millis(statement_timeout_ms),
            loader_max_batch: loader_max_batch as usize,
            redis_url,
            jwt_secret,
            jwt_secret_source,
            cors_origins,
            log_format,
            access_token_ttl: Duration::from_secs(access_token_ttl_secs),
            refresh_session_ttl: Duration::from_secs(refresh_session_ttl_days * 86_400),
            request_timeout: Duration::from_secs(request_timeout_secs),
            shutdown_grace: Duration::from_secs(shutdown_grace_secs),
            shutdown_drain: Duration::from_secs(shutdown_drain_secs),
            migrate_on_start,
            traces,
            event_buffer: event_buffer as usize,
            event_fallback_poll: Duration::from_millis(event_fallback_poll_ms),
            reaction_predictor,
            account_security,
            abuse,
            bookmarks,
            pipelines,
            presence,
        })
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }
}

fn trace_settings(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<TraceSettings>, ConfigError> {
    let Some(endpoint) = get("OTEL_EXPORTER_OTLP_ENDPOINT") else {
        return Ok(None);
    };
    match url::Url::parse(&endpoint) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {}
        _ => {
            return Err(invalid(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "expected the collector's http(s):// OTLP/HTTP base URL",
            ))
        }
    }
    let threshold_ms = parse_number(get, "TRACE_RESOLVER_THRESHOLD_MS", 10, 0..=60_000)?;
    Ok(Some(TraceSettings {
        endpoint,
        service_name: get("OTEL_SERVICE_NAME").unwrap_or_else(|| "catalyst".to_string()),
        resolver_threshold: Duration::from_millis(threshold_ms),
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

#[cfg(test)]
mod tests;
