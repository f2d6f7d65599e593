//! The per-account login lock: failed passwords (and MFA codes) are counted per normalized
//! email in PostgreSQL, so every instance shares one count; enough failures inside the window
//! lock the account for a while. Unknown emails are counted the same way, so the lock says
//! nothing about which accounts exist.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Integer, Nullable, Text, Timestamptz},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::{
    config::AccountSecuritySettings,
    db::schema::login_throttles,
    error::{internal, AppError, AppResult},
};

/// When the account's current lock ends, if it is locked now.
pub async fn locked_until(
    connection: &mut AsyncPgConnection,
    email: &str,
) -> AppResult<Option<DateTime<Utc>>> {
    let locked: Option<Option<DateTime<Utc>>> = login_throttles::table
        .find(email)
        .select(login_throttles::locked_until)
        .first(connection)
        .await
        .optional()?;
    Ok(locked.flatten().filter(|until| *until > Utc::now()))
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    failures: i32,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    locked_until: Option<DateTime<Utc>>,
}

/// Counts one failure. Returns the lock's end when this failure is the one that locks the
/// account (exactly one concurrent failure gets it, so the lock is audited once).
pub async fn record_failure(
    connection: &mut AsyncPgConnection,
    email: &str,
    policy: &AccountSecuritySettings,
) -> AppResult<Option<DateTime<Utc>>> {
    let counted: Counted = diesel::sql_query(
        "INSERT INTO login_throttles AS t (email, failures, window_started_at) \
         VALUES ($1, 1, now()) \
         ON CONFLICT (email) DO UPDATE SET \
           failures = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) \
                      THEN 1 ELSE t.failures + 1 END, \
           window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $2) \
                      THEN now() ELSE t.window_started_at END \
         RETURNING failures",
    )
    .bind::<Text, _>(email)
    .bind::<BigInt, _>(seconds(policy.login_failure_window)?)
    .get_result(connection)
    .await?;
    forget_stale_counts(connection, policy).await?;
    if counted.failures < policy.login_max_failures as i32 {
        return Ok(None);
    }
    // A fresh count starts with the lock, so an expired lock gives back the full allowance.
    let locked: Option<Locked> = diesel::sql_query(
        "UPDATE login_throttles \
         SET locked_until = now() + make_interval(secs => $2), failures = 0, window_started_at = now() \
         WHERE email = $1 AND failures >= $3 \
         RETURNING locked_until",
    )
    .bind::<Text, _>(email)
    .bind::<BigInt, _>(seconds(policy.login_lockout)?)
    .bind::<Integer, _>(policy.login_max_failures as i32)
    .get_result(connection)
    .await
    .optional()?;
    Ok(locked.and_then(|locked| locked.locked_until))
}

/// Guessed emails leave rows nobody will clear by signing in; each failure drops a few that
/// no longer count (window over, no lock in force), so the table stays the size of current abuse.
async fn forget_stale_counts(
    connection: &mut AsyncPgConnection,
    policy: &AccountSecuritySettings,
) -> AppResult<()> {
    diesel::sql_query(
        "DELETE FROM login_throttles WHERE email IN ( \
           SELECT email FROM login_throttles \
           WHERE window_started_at < now() - make_interval(secs => $1) \
             AND (locked_until IS NULL OR locked_until < now()) \
           LIMIT 16 FOR UPDATE SKIP LOCKED)",
    )
    .bind::<BigInt, _>(seconds(policy.login_failure_window)?)
    .execute(connection)
    .await?;
    Ok(())
}

/// A successful sign-in forgets earlier failures.
pub async fn clear(connection: &mut AsyncPgConnection, email: &str) -> AppResult<()> {
    diesel::delete(login_throttles::table.find(email))
        .execute(connection)
        .await?;
    Ok(())
}

/// The error for a locked account, with how long to wait.
pub fn locked_error(until: DateTime<Utc>) -> AppError {
    let retry_after_secs = (until - Utc::now()).num_seconds().max(1) as u64;
    let minutes = retry_after_secs.div_ceil(60);
    AppError::RateLimited {
        message: format!(
            "too many failed sign-in attempts: this account is locked for {minutes} more minute{}; \
             try again later",
            if minutes == 1 { "" } else { "s" }
        ),
        retry_after_secs,
    }
}

fn seconds(duration: Duration) -> AppResult<i64> {
    i64::try_from(duration.as_secs()).map_err(internal)
}
