//! Password policy and hashing. Hashes are argon2id in PHC format; hashing runs on the blocking
//! pool because it is deliberately slow and would otherwise stall the async workers.

use std::{collections::HashSet, sync::LazyLock};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use crate::error::{bad_input, internal, AppResult};

pub const MIN_PASSWORD_CHARS: usize = 10;
/// argon2 hashes any length, but an unbounded input is a cheap way to burn our CPU.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Passwords of at least `MIN_PASSWORD_CHARS` from the zxcvbn frequency list (MIT licence):
/// the ones attackers try first.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect()
});

/// Checks a new password against the policy; `email` is the (normalized) account email.
pub fn check_password_policy(field: &str, password: &str, email: &str) -> AppResult<()> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_CHARS {
        return Err(bad_input(
            field,
            format!("password must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if length > MAX_PASSWORD_CHARS {
        return Err(bad_input(
            field,
            format!("password must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let lowered = password.to_lowercase();
    if COMMON_PASSWORDS.contains(lowered.as_str()) {
        return Err(bad_input(
            field,
            "password is too common; choose one that is not on lists attackers use",
        ));
    }
    let local_part = email.split('@').next().unwrap_or_default().to_lowercase();
    if local_part.chars().count() >= 3 && lowered.contains(&local_part) {
        return Err(bad_input(
            field,
            "password must not contain your email address",
        ));
    }
    Ok(())
}

pub async fn hash_password(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| internal(anyhow::anyhow!("password hashing failed: {error}")))
    })
    .await
    .map_err(internal)?
}

pub async fn verify_password(password: String, stored_hash: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored_hash).map_err(|error| {
            internal(anyhow::anyhow!("stored password hash is invalid: {error}"))
        })?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(internal)?
}

/// A real argon2id hash of a random password, verified against when the email is unknown so a
/// login for a missing account costs as much time as one with a wrong password.
pub static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(b"decoy password that matches nothing", &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_short_common_and_email_based_passwords() {
        let email = "marie.curie@example.com";
        assert!(check_password_policy("password", "short", email).is_err());
        assert!(check_password_policy("password", "Password123", email).is_err());
        assert!(check_password_policy("password", "xxMarie.Curie99", email).is_err());
        assert!(check_password_policy("password", "radium and polonium", email).is_ok());
    }

    #[tokio::test]
    async fn hashes_verify_only_the_original_password() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse battery".into(), hash)
            .await
            .unwrap());
    }
}
