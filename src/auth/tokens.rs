//! Access tokens (HS256 JWTs naming a user and a session) and refresh tokens (random opaque
//! strings of which only a sha256 hash is stored). Decoding accepts exactly one algorithm.

use std::{sync::Arc, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::memo::RecentMemo;

/// Seconds an access token stays accepted past its `exp`: clock skew between our own instances
/// is small; a minute would stretch a 15-minute token.
const EXPIRY_LEEWAY_SECS: u64 = 5;
/// Access tokens whose signature was checked, per instance: enough for every client active at
/// once on a busy instance; a token seen again skips the HMAC and the JSON decoding.
const VERIFIED_TOKENS: usize = 16_384;
/// Our tokens are about 250 bytes; anything far longer is not remembered.
const MAX_REMEMBERED_TOKEN: usize = 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

/// Signs and verifies access tokens with the configured secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
    /// Tokens whose signature held, with their claims. Expiry is still checked on every use;
    /// whether the session is live is the caller's question, asked every time.
    verified: Arc<RecentMemo<AccessClaims>>,
}

pub struct IssuedAccessToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_required_spec_claims(&["sub", "exp", "iat"]);
        validation.leeway = EXPIRY_LEEWAY_SECS;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            verified: Arc::new(RecentMemo::new(VERIFIED_TOKENS, MAX_REMEMBERED_TOKEN)),
        }
    }

    pub fn issue_access_token(
        &self,
        user_id: Uuid,
        session_id: Uuid,
    ) -> anyhow::Result<IssuedAccessToken> {
        let now = Utc::now();
        let expires_at = now + self.access_ttl;
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(IssuedAccessToken { token, expires_at })
    }

    /// Verifies signature, algorithm and expiry. Whether the session is still live is the
    /// caller's question: it needs the database.
    pub fn verify_access_token(&self, token: &str) -> Option<AccessClaims> {
        if let Some(claims) = self.verified.get(token) {
            // The rule jsonwebtoken applies: expired once `exp` is more than the leeway ago.
            let now = jsonwebtoken::get_current_timestamp() as i64;
            return (claims.exp >= now - EXPIRY_LEEWAY_SECS as i64).then_some(claims);
        }
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        self.verified.insert(token, claims.clone());
        Some(claims)
    }
}

/// A fresh refresh token: 256 random bits, URL-safe.
pub fn generate_refresh_token() -> String {
    generate_opaque_token("rt_")
}

/// `prefix` followed by 256 random bits, URL-safe; the prefix tells a reader what it is.
pub fn generate_opaque_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of an opaque secret. A fast hash is right here: the input has 256 bits of
/// entropy, so there is nothing for a slow hash to protect against.
pub fn hash_opaque_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_the_same_key() {
        let keys = TokenKeys::new(&[7u8; 32], Duration::from_secs(60));
        let other = TokenKeys::new(&[8u8; 32], Duration::from_secs(60));
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let issued = keys.issue_access_token(user, session).unwrap();
        let claims = keys
            .verify_access_token(&issued.token)
            .expect("valid token");
        assert_eq!((claims.sub, claims.sid), (user, session));
        assert!(other.verify_access_token(&issued.token).is_none());
    }

    #[test]
    fn a_remembered_token_is_still_refused_once_expired_and_only_the_exact_text_is_remembered() {
        let keys = TokenKeys::new(&[7u8; 32], Duration::from_secs(60));
        let issued = keys
            .issue_access_token(Uuid::new_v4(), Uuid::new_v4())
            .unwrap();
        let mut claims = keys
            .verify_access_token(&issued.token)
            .expect("valid token");
        assert!(
            keys.verify_access_token(&issued.token).is_some(),
            "from the memo"
        );
        let mut tampered = issued.token.clone();
        tampered.push('x');
        assert!(keys.verify_access_token(&tampered).is_none());

        let now = jsonwebtoken::get_current_timestamp() as i64;
        claims.exp = now - EXPIRY_LEEWAY_SECS as i64;
        keys.verified.insert(&issued.token, claims.clone());
        assert!(
            keys.verify_access_token(&issued.token).is_some(),
            "within the leeway"
        );
        claims.exp = now - EXPIRY_LEEWAY_SECS as i64 - 2;
        keys.verified.insert(&issued.token, claims);
        assert!(keys.verify_access_token(&issued.token).is_none(), "expired");
    }

    #[test]
    fn refresh_tokens_are_unique_and_hashed_stably() {
        let (a, b) = (generate_refresh_token(), generate_refresh_token());
        assert_ne!(a, b);
        assert_eq!(hash_opaque_token(&a), hash_opaque_token(&a));
        assert_ne!(hash_opaque_token(&a), hash_opaque_token(&b));
    }
}
