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
    pub pipelines: PipelineSettings,
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
            pipelines,
        })
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }
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
