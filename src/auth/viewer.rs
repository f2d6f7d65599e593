//! The identity behind one request or WebSocket connection, resolved once from its credentials.

use uuid::Uuid;

use crate::{
    auth::{sessions, tokens::TokenKeys},
    db::DbPool,
    error::{unauthenticated, AppError, AppResult},
    users::model::User,
};

#[derive(Debug, Clone)]
pub enum Viewer {
    Anonymous,
    User(AuthenticatedUser),
}

#[derive(Debug, Clone)]
pub struct AuthenticatedUser {
    pub user: User,
    pub session_id: Uuid,
}

impl AuthenticatedUser {
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

/// Where a request came from; recorded on the sessions it creates.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// Resolves an `Authorization` header value. No header means anonymous; a header that does not
/// prove a live session is an error, never a silent downgrade to anonymous.
pub async fn resolve_viewer(
    authorization: Option<&str>,
    keys: &TokenKeys,
    pool: &DbPool,
) -> AppResult<Viewer> {
    let Some(header) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(Viewer::Anonymous);
    };
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            AppError::Unauthenticated("expected `Authorization: Bearer <token>`".into())
        })?;
    let claims = keys.verify_access_token(token).ok_or_else(invalid_token)?;
    let mut connection = pool.get().await?;
    let user = sessions::find_live_session_user(&mut connection, claims.sid, claims.sub)
        .await?
        .ok_or_else(invalid_token)?;
    Ok(Viewer::User(AuthenticatedUser {
        user,
        session_id: claims.sid,
    }))
}

fn invalid_token() -> AppError {
    AppError::Unauthenticated("the access token is invalid, expired or revoked".into())
}
