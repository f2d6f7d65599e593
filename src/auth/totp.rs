//! Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1, 6 digits, 30-second
//! steps), their base32 secrets and `otpauth://` URIs, the encryption of stored secrets, and
//! recovery codes. Pure functions of their inputs: no I/O, no clock reads.

use rand::RngCore;
use ring::{aead, hmac};

/// The step length authenticator apps assume when the URI does not say otherwise.
pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
/// RFC 4226 recommends at least 128 bits; 160 matches the HMAC-SHA1 block output.
const SECRET_BYTES: usize = 20;
/// Steps either side of now that are accepted: clocks on phones drift.
const ALLOWED_DRIFT_STEPS: i64 = 1;
pub const RECOVERY_CODE_COUNT: usize = 10;
/// 10 bytes = 80 random bits = 16 base32 characters per recovery code.
const RECOVERY_CODE_BYTES: usize = 10;
const NONCE_BYTES: usize = 12;

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps expect it.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut encoded = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            encoded.push(char::from(
                BASE32_ALPHABET[((buffer >> bits) & 31) as usize],
            ));
        }
    }
    if bits > 0 {
        encoded.push(char::from(
            BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize],
        ));
    }
    encoded
}

/// Decodes base32, ignoring case, spaces and padding; `None` on any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut decoded = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for character in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let upper = character.to_ascii_uppercase() as u8;
        let value = BASE32_ALPHABET.iter().position(|&c| c == upper)? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            decoded.push((buffer >> bits) as u8);
        }
    }
    Some(decoded)
}

/// A fresh random TOTP secret.
pub fn generate_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::thread_rng().fill_bytes(&mut secret);
    secret
}

/// The time step containing `unix_seconds`.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The HOTP value of `secret` at counter `step`, with `digits` digits (RFC 4226 section 5.3).
pub fn hotp(secret: &[u8], step: i64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &step.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let truncated = u32::from_be_bytes([
        mac[offset],
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]) & 0x7fff_ffff;
    let code = truncated % 10u32.pow(digits);
    format!("{code:0width$}", width = digits as usize)
}

/// The 6-digit code an authenticator shows at `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: i64) -> String {
    hotp(secret, step_at(unix_seconds), DIGITS)
}

/// The step whose code `presented` is, within the drift window around `unix_seconds` and after
/// `last_used_step` (a code is good once). `None` when no allowed step matches.
pub fn verify(
    secret: &[u8],
    presented: &str,
    unix_seconds: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let presented: String = presented.chars().filter(|c| !c.is_whitespace()).collect();
    if presented.len() != DIGITS as usize || !presented.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_seconds);
    (now - ALLOWED_DRIFT_STEPS..=now + ALLOWED_DRIFT_STEPS)
        .filter(|step| last_used_step.is_none_or(|last| *step > last))
        .find(|step| constant_time_eq(hotp(secret, *step, DIGITS).as_bytes(), presented.as_bytes()))
}

/// Compares without an early exit, so timing does not reveal how many leading digits matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The provisioning URI authenticator apps read from a QR code (Google's key URI format).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let encode = |text: &str| -> String {
        url::form_urlencoded::byte_serialize(text.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{issuer_label}:{account}?secret={secret}&issuer={issuer_label}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        issuer_label = encode(issuer),
        account = encode(account),
        secret = base32_encode(secret),
    )
}

/// Fresh recovery codes, formatted for reading aloud: `ABCD-EFGH-IJKL-MNOP`.
pub fn generate_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_CODE_BYTES];
            rand::thread_rng().fill_bytes(&mut bytes);
            let plain = base32_encode(&bytes);
            plain
                .as_bytes()
                .chunks(4)
                .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The canonical form of a typed recovery code (case, dashes and spaces do not matter), or
/// `None` when it cannot be one.
pub fn normalize_recovery_code(typed: &str) -> Option<String> {
    let normalized: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let expected_len = base32_encode(&[0u8; RECOVERY_CODE_BYTES]).len();
    (normalized.len() == expected_len && base32_decode(&normalized).is_some()).then_some(normalized)
}

/// Encrypts TOTP secrets at rest with AES-256-GCM, bound to their owner (the user id is the
/// associated data, so a ciphertext moved to another account does not decrypt).
pub struct SecretSealer {
    key: aead::LessSafeKey,
}

impl SecretSealer {
    pub fn new(key: &[u8; 32]) -> Self {
        let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, key)
            .expect("a 32-byte key is valid for AES-256-GCM");
        SecretSealer {
            key: aead::LessSafeKey::new(unbound),
        }
    }

    /// `nonce || ciphertext || tag`; a random nonce per seal (96 bits: collisions need ~2^48 seals).
    pub fn seal(&self, owner: &[u8], secret: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::thread_rng().fill_bytes(&mut nonce);
        let mut sealed = secret.to_vec();
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(owner),
                &mut sealed,
            )
            .expect("sealing a 20-byte secret cannot exceed AES-GCM limits");
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        stored
    }

    /// The secret, or `None` when the data was not sealed by this key for this owner.
    pub fn open(&self, owner: &[u8], stored: &[u8]) -> Option<Vec<u8>> {
        if stored.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = stored.split_at(NONCE_BYTES);
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = sealed.to_vec();
        let opened = self
            .key
            .open_in_place(nonce, aead::Aad::from(owner), &mut buffer)
            .ok()?;
        Some(opened.to_vec())
    }
}

impl std::fmt::Debug for SecretSealer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecretSealer(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890".
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let seed = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(hotp(seed, step_at(time), 8), expected, "T = {time}");
            assert_eq!(code_at(seed, time), expected[2..], "T = {time}");
        }
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw 6ytb oi======").unwrap(), b"foobar");
        assert!(base32_decode("not base32!").is_none());
        let secret = generate_secret();
        assert_eq!(base32_decode(&base32_encode(&secret)).unwrap(), secret);
    }

    #[test]
    fn verification_allows_one_step_of_drift_and_refuses_reuse() {
        let secret = generate_secret();
        let now = 1_700_000_015;
        let step = step_at(now);
        for drift in [-1, 0, 1] {
            let code = hotp(&secret, step + drift, DIGITS);
            assert_eq!(verify(&secret, &code, now, None), Some(step + drift));
        }
        for drift in [-2, 2] {
            let code = hotp(&secret, step + drift, DIGITS);
            assert_eq!(verify(&secret, &code, now, None), None, "drift {drift}");
        }
        let current = code_at(&secret, now);
        assert_eq!(verify(&secret, &current, now, Some(step)), None);
        assert_eq!(verify(&secret, "12345", now, None), None);
        assert_eq!(verify(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_owner() {
        let sealer = SecretSealer::new(&[1u8; 32]);
        let secret = generate_secret();
        let sealed = sealer.seal(b"owner-a", &secret);
        assert_eq!(sealer.open(b"owner-a", &sealed).unwrap(), secret);
        assert!(sealer.open(b"owner-b", &sealed).is_none());
        assert!(SecretSealer::new(&[2u8; 32])
            .open(b"owner-a", &sealed)
            .is_none());
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalize_from_sloppy_typing() {
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODE_COUNT);
        let typed = codes[0].to_lowercase().replace('-', " ");
        assert_eq!(
            normalize_recovery_code(&typed).unwrap(),
            codes[0].replace('-', "")
        );
        assert!(normalize_recovery_code("short").is_none());
    }

    #[test]
    fn otpauth_uri_names_issuer_account_and_secret() {
        let uri = otpauth_uri("Catalyst Lab", "ada@example.com", b"foobar");
        assert!(uri.starts_with("otpauth://totp/Catalyst%20Lab:ada%40example.com?secret=MZXW6YTBOI&issuer=Catalyst%20Lab"));
    }
}
