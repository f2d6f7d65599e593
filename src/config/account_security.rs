//! Account security policy: the per-account login lock, MFA challenges, TOTP and API keys.

use std::time::Duration;

use super::env::{invalid, parse_number, ConfigError};

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
    /// How long a session found live is trusted without asking the database again
    /// (`auth::session_memo`; zero asks on every request).
    pub session_memo: Duration,
}

pub(super) fn account_security_settings(
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
        session_memo: Duration::from_millis(parse_number(
            get,
            "SESSION_MEMO_MS",
            2_000,
            0..=5_000,
        )?),
    })
}
