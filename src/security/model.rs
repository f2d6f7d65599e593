//! Rows behind the second factor: a user's TOTP credential and pending sign-in challenges.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{mfa_challenges, totp_credentials};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = totp_credentials, check_for_backend(diesel::pg::Pg))]
pub struct TotpCredential {
    pub user_id: Uuid,
    pub secret_encrypted: Vec<u8>,
    /// Null while enrollment waits for the first correct code.
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_used_step: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl TotpCredential {
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mfa_challenges, check_for_backend(diesel::pg::Pg))]
pub struct MfaChallenge {
    pub id: Uuid,
    pub user_id: Uuid,
    pub token_hash: String,
    pub failed_attempts: i32,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl MfaChallenge {
    pub fn is_open(&self, max_attempts: u32) -> bool {
        self.used_at.is_none()
            && self.expires_at > Utc::now()
            && self.failed_attempts < max_attempts as i32
    }
}
