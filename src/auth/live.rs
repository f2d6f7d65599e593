//! Credentials that follow a live connection (a WebSocket, an SSE operation): which session or
//! API key it authenticated with and until when, replaced in place by `renewConnectionAuth`,
//! and the bus notices that tell every instance a session or key has ended. It ends no stream
//! itself: `graphql::connection` does, by reading what is held here.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use crate::{
    auth::{
        api_keys,
        sessions::{self, RevokeReason},
        viewer::{AuthenticatedUser, Credential},
    },
    db::DbPool,
    error::{AppError, AppResult},
    events::{BusEvent, Topic},
};

/// Why a connection's credentials stopped holding: the `extensions.reason` of the
/// `UNAUTHENTICATED` error that ends its streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialEnd {
    TokenExpired,
    SignedOut,
    SessionRevoked,
    PasswordChanged,
    ApiKeyRevoked,
    ApiKeyExpired,
}

impl CredentialEnd {
    pub fn reason(self) -> &'static str {
        match self {
            CredentialEnd::TokenExpired => "TOKEN_EXPIRED",
            CredentialEnd::SignedOut => "SIGNED_OUT",
            CredentialEnd::SessionRevoked => "SESSION_REVOKED",
            CredentialEnd::PasswordChanged => "PASSWORD_CHANGED",
            CredentialEnd::ApiKeyRevoked => "API_KEY_REVOKED",
            CredentialEnd::ApiKeyExpired => "API_KEY_EXPIRED",
        }
    }

    fn explanation(self) -> &'static str {
        match self {
            CredentialEnd::TokenExpired => {
                "the connection's access token expired; renew it before expiry with \
                 `renewConnectionAuth`, or reconnect with a fresh token"
            }
            CredentialEnd::SignedOut => "the connection's session was signed out",
            CredentialEnd::SessionRevoked => "the connection's session was revoked",
            CredentialEnd::PasswordChanged => {
                "the password was changed, which ended the connection's session"
            }
            CredentialEnd::ApiKeyRevoked => "the connection's API key was revoked",
            CredentialEnd::ApiKeyExpired => "the connection's API key expired",
        }
    }

    /// The `UNAUTHENTICATED` error a stream ends with, `extensions.reason` saying why.
    pub fn into_error(self) -> async_graphql::Error {
        use async_graphql::ErrorExtensions;
        AppError::Unauthenticated(self.explanation().into())
            .into_graphql()
            .extend_with(|_, extensions| extensions.set("reason", self.reason()))
    }
}

impl From<RevokeReason> for CredentialEnd {
    fn from(reason: RevokeReason) -> Self {
        match reason {
            RevokeReason::Logout => CredentialEnd::SignedOut,
            RevokeReason::PasswordChanged => CredentialEnd::PasswordChanged,
            RevokeReason::RefreshTokenReuse | RevokeReason::RevokedByUser => {
                CredentialEnd::SessionRevoked
            }
        }
    }
}

/// Which of a user's credentials a notice ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndedCredentials {
    Session(Uuid),
    /// Every session but this one (a password change keeps the session that made it).
    SessionsExcept(Uuid),
    ApiKey(Uuid),
}

/// Published after the commit that ended credentials, on `Topic::Credentials(user)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsEnded {
    pub user_id: Uuid,
    pub ended: EndedCredentials,
    pub reason: CredentialEnd,
}

impl CredentialsEnded {
    pub fn into_event(self) -> BusEvent {
        BusEvent::notice(Topic::Credentials(self.user_id), &self)
            .expect("a struct of ids and unit enums always serializes")
    }

    /// Whether this notice ends `held`.
    pub fn ends(&self, held: &HeldCredential) -> bool {
        if held.user_id != self.user_id {
            return false;
        }
        match (self.ended, held.credential) {
            (EndedCredentials::Session(ended), HeldKind::Session(session)) => ended == session,
            (EndedCredentials::SessionsExcept(kept), HeldKind::Session(session)) => kept != session,
            (EndedCredentials::ApiKey(ended), HeldKind::ApiKey(key)) => ended == key,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldKind {
    Session(Uuid),
    ApiKey(Uuid),
}

/// What a live connection is authenticated with right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldCredential {
    pub user_id: Uuid,
    pub credential: HeldKind,
    pub expires_at: DateTime<Utc>,
    /// Set once any operation of the connection learned that the credential ended, so that
    /// every other one, and any started later, ends too.
    pub ended: Option<CredentialEnd>,
}

impl HeldCredential {
    pub fn of(user: &AuthenticatedUser, expires_at: DateTime<Utc>) -> Self {
        let credential = match &user.credential {
            Credential::Session(session_id) => HeldKind::Session(*session_id),
            Credential::ApiKey { key_id, .. } => HeldKind::ApiKey(*key_id),
        };
        HeldCredential {
            user_id: user.user_id(),
            credential,
            expires_at,
            ended: None,
        }
    }

    /// What ends this credential when its time is up.
    pub fn expiry(&self) -> CredentialEnd {
        match self.credential {
            HeldKind::Session(_) => CredentialEnd::TokenExpired,
            HeldKind::ApiKey(_) => CredentialEnd::ApiKeyExpired,
        }
    }

    /// Asks the database whether the credential still holds: for when a notice may have been
    /// missed (the bus lost its Redis connection, or the subscriber lagged behind).
    pub async fn check(&self, pool: &DbPool) -> AppResult<Option<CredentialEnd>> {
        let mut connection = pool.get().await?;
        Ok(match self.credential {
            HeldKind::Session(session_id) => sessions::end_of_session(&mut connection, session_id)
                .await?
                .map(CredentialEnd::from),
            HeldKind::ApiKey(key_id) => api_keys::is_revoked(&mut connection, key_id)
                .await?
                .then_some(CredentialEnd::ApiKeyRevoked),
        })
    }
}

/// The credentials of one live connection, shared by all its operations. Only a WebSocket is
/// `renewable`: an SSE request carries its credentials in its own headers, and reconnects with
/// `Last-Event-ID` and a fresh token instead.
pub struct LiveCredentials {
    held: watch::Sender<HeldCredential>,
    /// Who the latest renewal proved the connection to be (its session or key, scopes, and the
    /// user as of then); none until the first renewal, so an idle connection holds one viewer.
    renewed: Mutex<Option<Arc<AuthenticatedUser>>>,
    renewable: bool,
}

impl LiveCredentials {
    pub fn new(held: HeldCredential, renewable: bool) -> Arc<Self> {
        Arc::new(LiveCredentials {
            held: watch::Sender::new(held),
            renewed: Mutex::new(None),
            renewable,
        })
    }

    /// The live credentials of the connection an operation runs on; none over plain HTTP.
    pub fn of_operation(ctx: &async_graphql::Context<'_>) -> Option<Arc<Self>> {
        ctx.data_opt::<Arc<Self>>().cloned()
    }

    /// The viewer of the latest renewal, which replaces the connection's first one for every
    /// operation started since and for the permission checks of running ones.
    pub fn renewed_viewer(&self) -> Option<Arc<AuthenticatedUser>> {
        self.renewed.lock().ok().and_then(|renewed| renewed.clone())
    }

    pub fn current(&self) -> HeldCredential {
        *self.held.borrow()
    }

    pub fn renewable(&self) -> bool {
        self.renewable
    }

    /// A receiver that wakes whenever the credentials are replaced.
    pub fn follow(&self) -> watch::Receiver<HeldCredential> {
        self.held.subscribe()
    }

    /// Replaces the credentials of every operation of the connection at once.
    pub fn renew(&self, user: &AuthenticatedUser, expires_at: DateTime<Utc>) {
        if let Ok(mut renewed) = self.renewed.lock() {
            *renewed = Some(Arc::new(user.clone()));
        }
        self.held.send_replace(HeldCredential::of(user, expires_at));
    }

    /// Records that `held` ended, unless the connection holds other credentials by now.
    pub fn mark_ended(&self, held: &HeldCredential, end: CredentialEnd) {
        self.held.send_if_modified(|current| {
            let same = current.user_id == held.user_id
                && current.credential == held.credential
                && current.expires_at == held.expires_at;
            if same && current.ended.is_none() {
                current.ended = Some(end);
                return true;
            }
            false
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(user_id: Uuid, credential: HeldKind) -> HeldCredential {
        HeldCredential {
            user_id,
            credential,
            expires_at: Utc::now(),
            ended: None,
        }
    }

    #[test]
    fn a_notice_ends_only_the_credentials_it_names() {
        let (user, other_user) = (Uuid::new_v4(), Uuid::new_v4());
        let (session, kept, key) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let notice = |ended| CredentialsEnded {
            user_id: user,
            ended,
            reason: CredentialEnd::SessionRevoked,
        };
        let on_session = held(user, HeldKind::Session(session));
        assert!(notice(EndedCredentials::Session(session)).ends(&on_session));
        assert!(!notice(EndedCredentials::Session(kept)).ends(&on_session));
        assert!(notice(EndedCredentials::SessionsExcept(kept)).ends(&on_session));
        assert!(!notice(EndedCredentials::SessionsExcept(session)).ends(&on_session));
        assert!(!notice(EndedCredentials::ApiKey(session)).ends(&on_session));
        assert!(notice(EndedCredentials::ApiKey(key)).ends(&held(user, HeldKind::ApiKey(key))));
        assert!(!notice(EndedCredentials::Session(session))
            .ends(&held(other_user, HeldKind::Session(session))));
    }
}
