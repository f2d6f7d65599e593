//! The sign-in sequence: the per-account lock, the password, then either a session or (with
//! MFA on) a challenge that `verifyMfa` exchanges for a session after a TOTP or recovery code.
//! Every outcome leaves an audit row, committed even when the answer is an error.

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{
        model::{AuditEntry, AuditEventKind},
        store as audit_store,
    },
    auth::{
        client::ClientInfo,
        login_throttle::{self, locked_error},
        passwords::{verify_password, DECOY_HASH},
        sessions::{self, Session},
        tokens::{generate_opaque_token, hash_opaque_token},
        totp::{self, SecretSealer},
    },
    error::{internal, AppError, AppResult},
    graphql::ids::encode_id,
    security::store,
    state::AppState,
    users::{
        model::{Email, User},
        payload::{auth_payload, AuthPayload, LoginPayload},
        store as user_store,
    },
    work,
};

pub const SESSION_TYPE: &str = "Session";

fn invalid_credentials() -> AppError {
    AppError::Unauthenticated("invalid email or password".into())
}

pub async fn sign_in_with_password(
    state: &AppState,
    client: &ClientInfo,
    raw_email: &str,
    password: String,
) -> AppResult<LoginPayload> {
    let Ok(email) = Email::parse("email", raw_email) else {
        // Not an address anyone can own; spend the same time as a wrong password anyway.
        verify_password(password, DECOY_HASH.clone()).await?;
        return Err(invalid_credentials());
    };
    let user = {
        let mut connection = state.pool.get().await?;
        if let Some(until) = login_throttle::locked_until(&mut connection, email.as_str()).await? {
            return Err(locked_error(until));
        }
        user_store::find_by_email(&mut connection, &email).await?
    };
    let stored_hash = user
        .as_ref()
        .map(|user| user.password_hash.clone())
        .unwrap_or_else(|| DECOY_HASH.clone());
    let password_matches = verify_password(password, stored_hash).await?;
    let user = match user {
        Some(user) if password_matches => user,
        user => {
            let user_id = user.map(|user| user.id);
            let locked = work::run(state, async |change| {
                record_failed_attempt(
                    &mut change.db,
                    state,
                    client,
                    email.as_str(),
                    user_id,
                    "wrong_password",
                )
                .await
            })
            .await?;
            return Err(locked.map(locked_error).unwrap_or_else(invalid_credentials));
        }
    };
    let settings = &state.settings;
    let payload = work::run(state, async |change| {
        if store::has_confirmed_totp(&mut change.db, user.id).await? {
            let challenge = generate_opaque_token("mfa_");
            let expires_at = Utc::now() + settings.account_security.mfa_challenge_ttl;
            store::insert_challenge(
                &mut change.db,
                user.id,
                &hash_opaque_token(&challenge),
                expires_at,
            )
            .await?;
            return Ok(LoginPayload::awaiting_second_factor(challenge, expires_at));
        }
        let (session, refresh_token) =
            start_signed_in_session(&mut change.db, state, client, &user, None).await?;
        Ok(LoginPayload::signed_in(auth_payload(
            state,
            user.clone(),
            session.id,
            refresh_token,
        )?))
    })
    .await?;
    Ok(payload)
}

/// Counts a failure against the account and audits it (and the lock, when this failure is the
/// one that locks). Returns the lock's end in that case.
pub async fn record_failed_attempt(
    connection: &mut AsyncPgConnection,
    state: &AppState,
    client: &ClientInfo,
    email: &str,
    user_id: Option<Uuid>,
    reason: &str,
) -> AppResult<Option<DateTime<Utc>>> {
    let policy = &state.settings.account_security;
    let locked = login_throttle::record_failure(connection, email, policy).await?;
    let failure = AuditEntry {
        kind: AuditEventKind::LoginFailed,
        actor_id: None,
        target_user_id: user_id,
        target: Some(email.to_string()),
        details: json!({ "reason": reason }),
    };
    audit_store::record(connection, client, failure.clone()).await?;
    if let Some(until) = locked {
        tracing::warn!(%email, "account locked after repeated failed sign-ins");
        let lock = AuditEntry {
            kind: AuditEventKind::AccountLocked,
            details: json!({ "lockedUntil": until, "failures": policy.login_max_failures }),
            ..failure
        };
        audit_store::record(connection, client, lock).await?;
    }
    Ok(locked)
}

/// Which second factor proved the sign-in; named in the audit row's details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
}

/// Checks `code` as the user's current TOTP code (not used before) or an unused recovery code,
/// and spends it. Must run in a transaction: the credential row is locked for the replay guard.
/// A recovery code used here is audited.
pub async fn check_second_factor(
    connection: &mut AsyncPgConnection,
    state: &AppState,
    client: &ClientInfo,
    user_id: Uuid,
    code: &str,
) -> AppResult<Option<SecondFactor>> {
    let Some(credential) = store::lock_totp(connection, user_id)
        .await?
        .filter(|credential| credential.is_confirmed())
    else {
        return Ok(None);
    };
    let sealer = SecretSealer::new(&state.settings.account_security.totp_encryption_key);
    let secret = sealer
        .open(user_id.as_bytes(), &credential.secret_encrypted)
        .ok_or_else(|| {
            internal(anyhow::anyhow!(
                "TOTP secret of {user_id} does not decrypt: was TOTP_ENCRYPTION_KEY changed?"
            ))
        })?;
    let now = Utc::now().timestamp();
    if let Some(step) = totp::verify(&secret, code, now, credential.last_used_step) {
        store::record_used_step(connection, user_id, step).await?;
        return Ok(Some(SecondFactor::Totp));
    }
    let Some(recovery_code) = totp::normalize_recovery_code(code) else {
        return Ok(None);
    };
    if !store::spend_recovery_code(connection, user_id, &hash_opaque_token(&recovery_code)).await? {
        return Ok(None);
    }
    let remaining = store::unused_recovery_codes(connection, user_id).await?;
    let entry = AuditEntry::by_user(AuditEventKind::RecoveryCodeUsed, user_id)
        .with_details(json!({ "remaining": remaining }));
    audit_store::record(connection, client, entry).await?;
    Ok(Some(SecondFactor::RecoveryCode))
}

/// A successful sign-in: failures forgotten, a session started, the success audited.
async fn start_signed_in_session(
    connection: &mut AsyncPgConnection,
    state: &AppState,
    client: &ClientInfo,
    user: &User,
    second_factor: Option<SecondFactor>,
) -> AppResult<(Session, String)> {
    login_throttle::clear(connection, &user.email).await?;
    let (session, refresh_token) = sessions::start_session(
        connection,
        user.id,
        client,
        state.settings.refresh_session_ttl,
    )
    .await?;
    let entry = AuditEntry::by_user(AuditEventKind::LoginSucceeded, user.id)
        .on_target(encode_id(SESSION_TYPE, session.id).0)
        .with_details(json!({ "mfa": second_factor }));
    audit_store::record(connection, client, entry).await?;
    Ok((session, refresh_token))
}

enum MfaAttempt {
    SignedIn {
        user: Box<User>,
        session_id: Uuid,
        refresh_token: String,
    },
    WrongCode {
        locked_until: Option<DateTime<Utc>>,
    },
    ChallengeClosed,
    Locked(DateTime<Utc>),
}

/// The second step of signing in: a challenge from `login` and a code. Wrong codes count
/// against the challenge and against the account's lock; their audit rows are committed.
pub async fn complete_mfa_sign_in(
    state: &AppState,
    client: &ClientInfo,
    challenge: &str,
    code: &str,
) -> AppResult<AuthPayload> {
    let max_attempts = state.settings.account_security.mfa_challenge_max_attempts;
    let attempt = work::run(state, async |change| {
        let Some((challenge, user)) =
            store::lock_challenge(&mut change.db, &hash_opaque_token(challenge)).await?
        else {
            return Ok(MfaAttempt::ChallengeClosed);
        };
        if !challenge.is_open(max_attempts) {
            return Ok(MfaAttempt::ChallengeClosed);
        }
        if let Some(until) = login_throttle::locked_until(&mut change.db, &user.email).await? {
            return Ok(MfaAttempt::Locked(until));
        }
        match check_second_factor(&mut change.db, state, client, user.id, code).await? {
            Some(factor) => {
                store::close_challenge(&mut change.db, challenge.id).await?;
                let (session, refresh_token) =
                    start_signed_in_session(&mut change.db, state, client, &user, Some(factor))
                        .await?;
                Ok(MfaAttempt::SignedIn {
                    user: Box::new(user),
                    session_id: session.id,
                    refresh_token,
                })
            }
            None => {
                store::count_challenge_failure(&mut change.db, challenge.id).await?;
                let locked_until = record_failed_attempt(
                    &mut change.db,
                    state,
                    client,
                    &user.email,
                    Some(user.id),
                    "wrong_mfa_code",
                )
                .await?;
                if locked_until.is_some() {
                    store::close_challenge(&mut change.db, challenge.id).await?;
                }
                Ok(MfaAttempt::WrongCode { locked_until })
            }
        }
    })
    .await?;
    match attempt {
        MfaAttempt::SignedIn {
            user,
            session_id,
            refresh_token,
        } => auth_payload(state, *user, session_id, refresh_token),
        MfaAttempt::WrongCode {
            locked_until: Some(until),
        }
        | MfaAttempt::Locked(until) => Err(locked_error(until)),
        MfaAttempt::WrongCode { locked_until: None } => Err(AppError::Unauthenticated(
            "the code is incorrect or was already used".into(),
        )),
        MfaAttempt::ChallengeClosed => Err(AppError::Unauthenticated(
            "this MFA challenge is invalid, expired or used up; sign in again".into(),
        )),
    }
}
