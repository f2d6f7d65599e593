//! User rows and the validated values that may become one. `Email` and `DisplayName` can only
//! be built by parsing, so an unvalidated address never reaches the store.

use diesel::prelude::*;
use uuid::Uuid;

/// The row itself is core (every credential resolves to it); this feature adds what may
/// become one and the GraphQL type.
pub use crate::auth::account::User;
use crate::{
    db::schema::users,
    error::{bad_input, AppResult},
};

/// The type name in `User` ids.
pub const USER_TYPE: &str = "User";

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub is_admin: bool,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub is_admin: Option<bool>,
}

/// RFC 5321 limits: 254 characters for a usable address, 64 for its local part.
const MAX_EMAIL_CHARS: usize = 254;
const MAX_LOCAL_PART_CHARS: usize = 64;
pub const MAX_DISPLAY_NAME_CHARS: usize = 80;

/// A syntactically valid, normalized (trimmed, lower-cased) email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> AppResult<Email> {
        let normalized = raw.trim().to_lowercase();
        let invalid = || bad_input(field, "must be a valid email address, like ada@example.com");
        if normalized.chars().count() > MAX_EMAIL_CHARS {
            return Err(invalid());
        }
        let (local, domain) = normalized.split_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.chars().count() <= MAX_LOCAL_PART_CHARS
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.chars().all(char::is_alphabetic) || tld.starts_with("xn--"));
        if local_ok && domain_ok {
            Ok(Email(normalized))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A trimmed display name of 1 to `MAX_DISPLAY_NAME_CHARS` printable characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &str, raw: &str) -> AppResult<DisplayName> {
        let trimmed = raw.trim();
        let length = trimmed.chars().count();
        if length == 0 {
            return Err(bad_input(field, "display name must not be empty"));
        }
        if length > MAX_DISPLAY_NAME_CHARS {
            return Err(bad_input(
                field,
                format!("display name must be at most {MAX_DISPLAY_NAME_CHARS} characters"),
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(bad_input(
                field,
                "display name must not contain control characters",
            ));
        }
        Ok(DisplayName(trimmed.to_string()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_validated() {
        assert_eq!(
            Email::parse("email", "  Ada.Lovelace@Example.COM ")
                .unwrap()
                .as_str(),
            "ada.lovelace@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada..x@example.com",
            "a b@example.com",
            "ada@-x.com",
        ] {
            assert!(
                Email::parse("email", bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(
            DisplayName::parse("displayName", "  Ada ")
                .unwrap()
                .into_inner(),
            "Ada"
        );
        assert!(DisplayName::parse("displayName", "   ").is_err());
        assert!(DisplayName::parse("displayName", &"x".repeat(81)).is_err());
        assert!(DisplayName::parse("displayName", "a\u{0}b").is_err());
    }
}
