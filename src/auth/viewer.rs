//! The identity behind one request or WebSocket connection, resolved once from its credentials.

use chrono::{DateTime, Utc};
use uuid::Uuid;

// Kept reachable here too: the viewer and its client are resolved together from one request.
pub use crate::auth::client::ClientInfo;
use crate::{
    auth::{
        account::User,
        api_keys::{self, ApiScope, API_KEY_PREFIX},
        session_memo::SessionMemo,
        sessions,
        tokens::TokenKeys,
    },
    db::DbPool,
    error::{unauthenticated, AppError, AppResult},
};

#[derive(Debug, Clone)]
pub enum Viewer {
    Anonymous,
    User(AuthenticatedUser),
}

#[derive(Debug, Clone)]
pub struct AuthenticatedUser {
    pub user: User,
    pub credential: Credential,
}

/// What the request proved identity with.
#[derive(Debug, Clone)]
pub enum Credential {
    /// An access token of this session: full powers of the user.
    Session(Uuid),
    /// An API key: the user's powers, narrowed to the key's scopes.
    ApiKey { key_id: Uuid, scopes: Vec<ApiScope> },
}

impl AuthenticatedUser {
    /// The session behind the request; `None` for API keys.
    pub fn session_id(&self) -> Option<Uuid> {
        match &self.credential {
            Credential::Session(session_id) => Some(*session_id),
            Credential::ApiKey { .. } => None,
        }
    }

    pub fn user_id(&self) -> Uuid {
        self.user.id
    }

    pub fn is_platform_admin(&self) -> bool {
        self.user.is_admin
    }
}

impl Viewer {
    pub fn authenticated(&self) -> AppResult<&AuthenticatedUser> {
        match self {
            Viewer::User(user) => Ok(user),
            Viewer::Anonymous => Err(unauthenticated()),
        }
    }
}

/// A viewer and the moment its credentials stop working: the access token's expiry, or the API
/// key's. Live connections end their streams then (`auth::live`).
#[derive(Debug, Clone)]
pub struct ResolvedCredentials {
    pub viewer: Viewer,
    /// `None` for an anonymous viewer.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What turns credentials into a viewer: the token keys, the session memo and the pool.
#[derive(Clone, Copy)]
pub struct CredentialSources<'a> {
    pub keys: &'a TokenKeys,
    pub sessions: &'a SessionMemo,
    pub pool: &'a DbPool,
}

/// Resolves an `Authorization` header value, keeping when the credentials expire. No header
/// means anonymous; a header that does not prove a live session is an error, never a silent
/// downgrade to anonymous.
pub async fn resolve_credentials(
    authorization: Option<&str>,
    sources: CredentialSources<'_>,
) -> AppResult<ResolvedCredentials> {
    let Some(header) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(ResolvedCredentials {
            viewer: Viewer::Anonymous,
            expires_at: None,
        });
    };
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            AppError::Unauthenticated("expected `Authorization: Bearer <token>`".into())
        })?;
    if token.starts_with(API_KEY_PREFIX) {
        return resolve_api_key(token, sources.pool).await;
    }
    let claims = sources
        .keys
        .verify_access_token(token)
        .ok_or_else(invalid_token)?;
    let user = match sources.sessions.recall(claims.sid, claims.sub) {
        Some(user) => user,
        None => {
            let lookup = sources.sessions.lookup_epoch();
            let mut connection = sources.pool.get().await?;
            let (user, session_expires_at) =
                sessions::find_live_session_user(&mut connection, claims.sid, claims.sub)
                    .await?
                    .ok_or_else(invalid_token)?;
            if let Some(lookup) = lookup {
                sources
                    .sessions
                    .remember(lookup, claims.sid, &user, session_expires_at);
            }
            user
        }
    };
    Ok(ResolvedCredentials {
        viewer: Viewer::User(AuthenticatedUser {
            user,
            credential: Credential::Session(claims.sid),
        }),
        expires_at: DateTime::from_timestamp(claims.exp, 0),
    })
}

async fn resolve_api_key(secret: &str, pool: &DbPool) -> AppResult<ResolvedCredentials> {
    let mut connection = pool.get().await?;
    let (key, user) = api_keys::find_live_key_user(&mut connection, secret)
        .await?
        .ok_or_else(|| {
            AppError::Unauthenticated("the API key is invalid, expired or revoked".into())
        })?;
    Ok(ResolvedCredentials {
        viewer: Viewer::User(AuthenticatedUser {
            credential: Credential::ApiKey {
                key_id: key.id,
                scopes: key.scopes(),
            },
            user,
        }),
        expires_at: Some(key.expires_at),
    })
}

fn invalid_token() -> AppError {
    AppError::Unauthenticated("the access token is invalid, expired or revoked".into())
}
