//! What signing in answers: the tokens of a new or refreshed session (`AuthPayload`), or, for an
//! account with MFA, the challenge `verifyMfa` completes (`LoginPayload`). Shared by the account
//! mutations here and the sign-in sequence in `security`; it issues tokens and runs no query.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    error::{internal, AppResult},
    state::AppState,
    users::model::User,
};

/// Tokens for a new or refreshed session.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`; valid until `expiresAt`.
    access_token: String,
    /// Single use: exchange it with `refreshSession` for a new pair. Reusing an old one ends
    /// the session.
    refresh_token: String,
    /// When the access token expires (15 minutes after issue by default,
    /// `ACCESS_TOKEN_TTL_SECONDS`); refresh before then.
    expires_at: DateTime<Utc>,
    /// The signed-in user.
    user: User,
}

/// The answer to `login`: the tokens of a new session, or, for an account with MFA, no tokens
/// but `mfaRequired` and a challenge to complete with `verifyMfa`.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Null when `mfaRequired`.
    access_token: Option<String>,
    /// Single use, for `refreshSession`; null when `mfaRequired`.
    refresh_token: Option<String>,
    /// When the access token expires; null when `mfaRequired`.
    expires_at: Option<DateTime<Utc>>,
    /// The signed-in user; null when `mfaRequired`.
    user: Option<User>,
    /// True when the password was right and a second factor is needed: call `verifyMfa`.
    mfa_required: bool,
    /// Pass to `verifyMfa` with a code; short-lived and good for a few attempts.
    mfa_challenge: Option<String>,
    /// When the challenge stops working; null unless `mfaRequired`.
    mfa_challenge_expires_at: Option<DateTime<Utc>>,
}

impl LoginPayload {
    pub fn signed_in(payload: AuthPayload) -> Self {
        LoginPayload {
            access_token: Some(payload.access_token),
            refresh_token: Some(payload.refresh_token),
            expires_at: Some(payload.expires_at),
            user: Some(payload.user),
            mfa_required: false,
            mfa_challenge: None,
            mfa_challenge_expires_at: None,
        }
    }

    pub fn awaiting_second_factor(challenge: String, expires_at: DateTime<Utc>) -> Self {
        LoginPayload {
            access_token: None,
            refresh_token: None,
            expires_at: None,
            user: None,
            mfa_required: true,
            mfa_challenge: Some(challenge),
            mfa_challenge_expires_at: Some(expires_at),
        }
    }
}

pub fn auth_payload(
    state: &AppState,
    user: User,
    session_id: Uuid,
    refresh_token: String,
) -> AppResult<AuthPayload> {
    let access = state
        .keys
        .issue_access_token(user.id, session_id)
        .map_err(internal)?;
    Ok(AuthPayload {
        access_token: access.token,
        refresh_token,
        expires_at: access.expires_at,
        user,
    })
}
