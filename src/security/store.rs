//! Queries for TOTP credentials, recovery codes and MFA challenges. Takes a connection (inside
//! the mutation's transaction); knows nothing of GraphQL.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    db::schema::{mfa_challenges, recovery_codes, totp_credentials, users},
    error::AppResult,
    security::model::{MfaChallenge, TotpCredential},
    users::model::User,
};

/// The user's credential, locked so that code checks (and their replay guard) serialize.
pub async fn lock_totp(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
) -> AppResult<Option<TotpCredential>> {
    Ok(totp_credentials::table
        .find(user_id)
        .select(TotpCredential::as_select())
        .for_update()
        .first(connection)
        .await
        .optional()?)
}

/// Does the user sign in with a second factor?
pub async fn has_confirmed_totp(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
) -> AppResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        totp_credentials::table
            .find(user_id)
            .filter(totp_credentials::confirmed_at.is_not_null()),
    ))
    .get_result(connection)
    .await?)
}

/// Starts (or restarts) an enrollment with a new sealed secret, unconfirmed.
pub async fn put_pending_totp(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    secret_encrypted: Vec<u8>,
) -> AppResult<()> {
    diesel::insert_into(totp_credentials::table)
        .values((
            totp_credentials::user_id.eq(user_id),
            totp_credentials::secret_encrypted.eq(&secret_encrypted),
        ))
        .on_conflict(totp_credentials::user_id)
        .do_update()
        .set((
            totp_credentials::secret_encrypted.eq(&secret_encrypted),
            totp_credentials::confirmed_at.eq(None::<DateTime<Utc>>),
            totp_credentials::last_used_step.eq(None::<i64>),
            totp_credentials::created_at.eq(diesel::dsl::now),
        ))
        .execute(connection)
        .await?;
    Ok(())
}

/// Marks enrollment complete; `step` is the code that proved it, which may not be reused.
pub async fn confirm_totp(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    step: i64,
) -> AppResult<()> {
    diesel::update(totp_credentials::table.find(user_id))
        .set((
            totp_credentials::confirmed_at.eq(diesel::dsl::now),
            totp_credentials::last_used_step.eq(step),
        ))
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn record_used_step(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    step: i64,
) -> AppResult<()> {
    diesel::update(totp_credentials::table.find(user_id))
        .set(totp_credentials::last_used_step.eq(step))
        .execute(connection)
        .await?;
    Ok(())
}

/// Removes the second factor entirely: the credential and every recovery code.
pub async fn delete_totp(connection: &mut AsyncPgConnection, user_id: Uuid) -> AppResult<()> {
    diesel::delete(totp_credentials::table.find(user_id))
        .execute(connection)
        .await?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(connection)
        .await?;
    Ok(())
}

/// Replaces the user's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    code_hashes: &[String],
) -> AppResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(connection)
        .await?;
    let rows: Vec<_> = code_hashes
        .iter()
        .map(|hash| {
            (
                recovery_codes::id.eq(Uuid::now_v7()),
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
            )
        })
        .collect();
    diesel::insert_into(recovery_codes::table)
        .values(rows)
        .execute(connection)
        .await?;
    Ok(())
}

/// Spends an unused recovery code; false when there is none with this hash.
pub async fn spend_recovery_code(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    code_hash: &str,
) -> AppResult<bool> {
    let spent = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(code_hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(diesel::dsl::now))
    .execute(connection)
    .await?;
    Ok(spent == 1)
}

pub async fn unused_recovery_codes(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
) -> AppResult<i64> {
    Ok(recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(connection)
        .await?)
}

/// Opens a challenge, clearing away the user's spent and expired ones so they do not pile up.
pub async fn insert_challenge(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> AppResult<()> {
    diesel::delete(
        mfa_challenges::table
            .filter(mfa_challenges::user_id.eq(user_id))
            .filter(
                mfa_challenges::used_at
                    .is_not_null()
                    .or(mfa_challenges::expires_at.le(diesel::dsl::now)),
            ),
    )
    .execute(connection)
    .await?;
    diesel::insert_into(mfa_challenges::table)
        .values((
            mfa_challenges::id.eq(Uuid::now_v7()),
            mfa_challenges::user_id.eq(user_id),
            mfa_challenges::token_hash.eq(token_hash),
            mfa_challenges::expires_at.eq(expires_at),
        ))
        .execute(connection)
        .await?;
    Ok(())
}

/// The challenge with this token and its user, locked: one code attempt at a time.
pub async fn lock_challenge(
    connection: &mut AsyncPgConnection,
    token_hash: &str,
) -> AppResult<Option<(MfaChallenge, User)>> {
    Ok(mfa_challenges::table
        .inner_join(users::table)
        .filter(mfa_challenges::token_hash.eq(token_hash))
        .select((MfaChallenge::as_select(), User::as_select()))
        .for_update()
        .first(connection)
        .await
        .optional()?)
}

pub async fn count_challenge_failure(
    connection: &mut AsyncPgConnection,
    challenge_id: Uuid,
) -> AppResult<()> {
    diesel::update(mfa_challenges::table.find(challenge_id))
        .set(mfa_challenges::failed_attempts.eq(mfa_challenges::failed_attempts + 1))
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn close_challenge(
    connection: &mut AsyncPgConnection,
    challenge_id: Uuid,
) -> AppResult<()> {
    diesel::update(mfa_challenges::table.find(challenge_id))
        .set(mfa_challenges::used_at.eq(diesel::dsl::now))
        .execute(connection)
        .await?;
    Ok(())
}
