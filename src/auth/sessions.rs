//! Refresh sessions: one row per login, with a family of rotating refresh tokens. Presenting a
//! token that was already rotated means it leaked, so the whole session is revoked.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    auth::{
        account::User,
        client::ClientInfo,
        tokens::{generate_refresh_token, hash_opaque_token},
    },
    db::schema::{refresh_tokens, sessions, users},
    error::AppResult,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg))]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<RevokeReason>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
struct NewSession<'a> {
    id: Uuid,
    user_id: Uuid,
    user_agent: Option<&'a str>,
    ip_address: Option<&'a str>,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshToken {
    pub id: Uuid,
    pub session_id: Uuid,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub rotated_at: Option<DateTime<Utc>>,
}

/// Why a session was ended; stored for the user's session list and the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::AsExpression, diesel::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum RevokeReason {
    Logout,
    PasswordChanged,
    RefreshTokenReuse,
    RevokedByUser,
}

crate::stored_as_text!(RevokeReason {
    Logout => "logout",
    PasswordChanged => "password_changed",
    RefreshTokenReuse => "refresh_token_reuse",
    RevokedByUser => "revoked_by_user",
});

/// Session activity is recorded at most this often, so authenticated reads stay read-only.
const LAST_USED_RESOLUTION: ChronoDuration = ChronoDuration::minutes(1);

/// Starts a session and returns it with its first refresh token (the only time it exists in
/// clear).
pub async fn start_session(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    client: &ClientInfo,
    lifetime: std::time::Duration,
) -> AppResult<(Session, String)> {
    let expires_at = Utc::now() + lifetime;
    let session: Session = diesel::insert_into(sessions::table)
        .values(NewSession {
            id: Uuid::now_v7(),
            user_id,
            user_agent: client.user_agent.as_deref(),
            ip_address: client.ip_address.as_deref(),
            expires_at,
        })
        .returning(Session::as_returning())
        .get_result(connection)
        .await?;
    let refresh_token = add_refresh_token(connection, session.id).await?;
    Ok((session, refresh_token))
}

async fn add_refresh_token(
    connection: &mut AsyncPgConnection,
    session_id: Uuid,
) -> AppResult<String> {
    let token = generate_refresh_token();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(Uuid::now_v7()),
            refresh_tokens::session_id.eq(session_id),
            refresh_tokens::token_hash.eq(hash_opaque_token(&token)),
        ))
        .execute(connection)
        .await?;
    Ok(token)
}

pub enum Rotation {
    Rotated {
        session_id: Uuid,
        user: Box<User>,
        refresh_token: String,
    },
    /// The token is unknown, or its session has ended or expired.
    Rejected,
    /// The token had already been rotated: its session is now revoked (the caller tells the
    /// session's live connections).
    ReuseDetected { session_id: Uuid, user_id: Uuid },
}

/// Exchanges a refresh token for its successor. Must run inside a transaction: the token row
/// is locked so two concurrent uses of one token cannot both succeed.
pub async fn rotate_refresh_token(
    connection: &mut AsyncPgConnection,
    presented: &str,
) -> AppResult<Rotation> {
    let found: Option<(RefreshToken, Session, User)> = refresh_tokens::table
        .inner_join(sessions::table.inner_join(users::table))
        .filter(refresh_tokens::token_hash.eq(hash_opaque_token(presented)))
        .select((
            RefreshToken::as_select(),
            Session::as_select(),
            User::as_select(),
        ))
        .for_update()
        .first(connection)
        .await
        .optional()?;
    let Some((token, session, user)) = found else {
        return Ok(Rotation::Rejected);
    };
    if session.revoked_at.is_some() || session.expires_at <= Utc::now() {
        return Ok(Rotation::Rejected);
    }
    if token.rotated_at.is_some() {
        revoke_session(connection, session.id, RevokeReason::RefreshTokenReuse).await?;
        return Ok(Rotation::ReuseDetected {
            session_id: session.id,
            user_id: session.user_id,
        });
    }
    diesel::update(refresh_tokens::table.find(token.id))
        .set(refresh_tokens::rotated_at.eq(diesel::dsl::now))
        .execute(connection)
        .await?;
    diesel::update(sessions::table.find(session.id))
        .set(sessions::last_used_at.eq(diesel::dsl::now))
        .execute(connection)
        .await?;
    let refresh_token = add_refresh_token(connection, session.id).await?;
    Ok(Rotation::Rotated {
        session_id: session.id,
        user: Box::new(user),
        refresh_token,
    })
}

pub async fn revoke_session(
    connection: &mut AsyncPgConnection,
    session_id: Uuid,
    reason: RevokeReason,
) -> AppResult<()> {
    diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(diesel::dsl::now),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(connection)
    .await?;
    Ok(())
}

/// Position of a session in a user's listing (creation order).
pub type SessionCursor = (DateTime<Utc>, Uuid);

/// One page of a user's live (unrevoked, unexpired) sessions, oldest first; `limit + 1` rows.
pub async fn list_live_sessions(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    after: Option<SessionCursor>,
    limit: i64,
) -> AppResult<Vec<Session>> {
    let mut query = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .select(Session::as_select())
        .order((sessions::created_at.asc(), sessions::id.asc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some((created_at, id)) = after {
        query = query.filter(
            sessions::created_at
                .gt(created_at)
                .or(sessions::created_at.eq(created_at).and(sessions::id.gt(id))),
        );
    }
    Ok(query.load(connection).await?)
}

/// Revokes one of `user_id`'s live sessions; false when they have no such live session.
pub async fn revoke_own_session(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    session_id: Uuid,
    reason: RevokeReason,
) -> AppResult<bool> {
    let revoked = diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(diesel::dsl::now)),
    )
    .set((
        sessions::revoked_at.eq(diesel::dsl::now),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(connection)
    .await?;
    Ok(revoked == 1)
}

/// Revokes every live session of `user_id` except `keep`.
pub async fn revoke_other_sessions(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    keep: Uuid,
    reason: RevokeReason,
) -> AppResult<usize> {
    let revoked = diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(diesel::dsl::now),
        sessions::revoked_reason.eq(reason),
    ))
    .execute(connection)
    .await?;
    Ok(revoked)
}

/// Why `session_id` ended, or `None` while it is live. A session that is gone, or revoked
/// without a recorded reason, counts as revoked by its user.
pub async fn end_of_session(
    connection: &mut AsyncPgConnection,
    session_id: Uuid,
) -> AppResult<Option<RevokeReason>> {
    let found: Option<(Option<DateTime<Utc>>, Option<RevokeReason>)> = sessions::table
        .find(session_id)
        .select((sessions::revoked_at, sessions::revoked_reason))
        .first(connection)
        .await
        .optional()?;
    Ok(match found {
        None => Some(RevokeReason::RevokedByUser),
        Some((None, _)) => None,
        Some((Some(_), reason)) => Some(reason.unwrap_or(RevokeReason::RevokedByUser)),
    })
}

/// The user behind a live (unrevoked, unexpired) session and when the session expires, in one
/// statement: this runs on every authenticated request the session memo cannot answer.
pub async fn find_live_session_user(
    connection: &mut AsyncPgConnection,
    session_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<(User, DateTime<Utc>)>> {
    let found: Option<(DateTime<Utc>, DateTime<Utc>, User)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id))
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .select((
            sessions::last_used_at,
            sessions::expires_at,
            User::as_select(),
        ))
        .first(connection)
        .await
        .optional()?;
    let Some((last_used_at, expires_at, user)) = found else {
        return Ok(None);
    };
    if Utc::now() - last_used_at > LAST_USED_RESOLUTION {
        diesel::update(sessions::table.find(session_id))
            .set(sessions::last_used_at.eq(diesel::dsl::now))
            .execute(connection)
            .await?;
    }
    Ok(Some((user, expires_at)))
}
