//! Settings as tests vary them: defaults, production refusals, and each group's bounds.

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
    let batch = Settings::from_vars(vars(&[("BOOKMARK_IMPORT_BATCH_SIZE", "10000")])).unwrap_err();
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
    let explicit = Settings::from_vars(vars(&[("TOTP_ENCRYPTION_KEY", &"ab".repeat(32))])).unwrap();
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

#[test]
fn subscription_metering_and_presence_have_generous_defaults_and_bounds() {
    let settings = Settings::from_vars(HashMap::new()).expect("defaults are valid");
    let rate = &settings.abuse.rate;
    assert_eq!(rate.subscription_event_points, 10);
    assert_eq!(rate.subscription_max_per_user, 200);
    assert!(rate.subscription_max_per_user > settings.abuse.http.ws_max_subscriptions);
    assert_eq!(rate.subscription_lease, Duration::from_secs(60));
    // 25 s and a sweep every fifth of it: LEFT within 30 s.
    assert_eq!(settings.presence.timeout, Duration::from_secs(25));
    for (variable, value) in [
        ("SUBSCRIPTION_MAX_PER_USER", "0"),
        ("SUBSCRIPTION_LEASE_SECONDS", "1"),
        ("PRESENCE_TIMEOUT_SECONDS", "0"),
    ] {
        let error = Settings::from_vars(vars(&[(variable, value)])).unwrap_err();
        assert_eq!(error.variable, variable);
    }
}
