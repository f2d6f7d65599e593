//! Audit rows and the closed set of event kinds they may record.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::audit_log;

/// A security-relevant event. Stored by name, so the order here is free to change.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum AuditEventKind {
    /// Someone signed in (after the second factor, with MFA on).
    LoginSucceeded,
    /// A sign-in failed; `details.reason` says why, `target` names the email tried.
    LoginFailed,
    /// Too many failures locked the account for a while.
    AccountLocked,
    /// MFA was turned on (`confirmTotp`).
    MfaEnrolled,
    /// MFA was turned off (`disableTotp`).
    MfaDisabled,
    /// A recovery code stood in for the authenticator app.
    RecoveryCodeUsed,
    /// A session was ended by `revokeSession`.
    SessionRevoked,
    /// An API key was created.
    ApiKeyCreated,
    /// An API key was revoked.
    ApiKeyRevoked,
    /// A user was made platform admin.
    PlatformAdminGranted,
    /// A user's platform admin rights were removed.
    PlatformAdminRevoked,
    /// Someone was added to a project (`target` is the project).
    ProjectMemberAdded,
    /// A project member's role changed, ownership transfers included.
    ProjectMemberRoleChanged,
    /// Someone left or was removed from a project.
    ProjectMemberRemoved,
}

crate::stored_as_text!(AuditEventKind {
    LoginSucceeded => "LOGIN_SUCCEEDED",
    LoginFailed => "LOGIN_FAILED",
    AccountLocked => "ACCOUNT_LOCKED",
    MfaEnrolled => "MFA_ENROLLED",
    MfaDisabled => "MFA_DISABLED",
    RecoveryCodeUsed => "RECOVERY_CODE_USED",
    SessionRevoked => "SESSION_REVOKED",
    ApiKeyCreated => "API_KEY_CREATED",
    ApiKeyRevoked => "API_KEY_REVOKED",
    PlatformAdminGranted => "PLATFORM_ADMIN_GRANTED",
    PlatformAdminRevoked => "PLATFORM_ADMIN_REVOKED",
    ProjectMemberAdded => "PROJECT_MEMBER_ADDED",
    ProjectMemberRoleChanged => "PROJECT_MEMBER_ROLE_CHANGED",
    ProjectMemberRemoved => "PROJECT_MEMBER_REMOVED",
});

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct AuditRecord {
    pub id: i64,
    pub kind: AuditEventKind,
    pub actor_id: Option<Uuid>,
    pub target_user_id: Option<Uuid>,
    pub target: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

/// An event about to be recorded; where it came from is added by `store::record`.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub kind: AuditEventKind,
    pub actor_id: Option<Uuid>,
    pub target_user_id: Option<Uuid>,
    pub target: Option<String>,
    pub details: serde_json::Value,
}

impl AuditEntry {
    /// An event a user caused on their own account.
    pub fn by_user(kind: AuditEventKind, user_id: Uuid) -> Self {
        AuditEntry {
            kind,
            actor_id: Some(user_id),
            target_user_id: Some(user_id),
            target: None,
            details: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn on_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_KINDS: [(AuditEventKind, &str); 14] = [
        (AuditEventKind::LoginSucceeded, "LOGIN_SUCCEEDED"),
        (AuditEventKind::LoginFailed, "LOGIN_FAILED"),
        (AuditEventKind::AccountLocked, "ACCOUNT_LOCKED"),
        (AuditEventKind::MfaEnrolled, "MFA_ENROLLED"),
        (AuditEventKind::MfaDisabled, "MFA_DISABLED"),
        (AuditEventKind::RecoveryCodeUsed, "RECOVERY_CODE_USED"),
        (AuditEventKind::SessionRevoked, "SESSION_REVOKED"),
        (AuditEventKind::ApiKeyCreated, "API_KEY_CREATED"),
        (AuditEventKind::ApiKeyRevoked, "API_KEY_REVOKED"),
        (
            AuditEventKind::PlatformAdminGranted,
            "PLATFORM_ADMIN_GRANTED",
        ),
        (
            AuditEventKind::PlatformAdminRevoked,
            "PLATFORM_ADMIN_REVOKED",
        ),
        (AuditEventKind::ProjectMemberAdded, "PROJECT_MEMBER_ADDED"),
        (
            AuditEventKind::ProjectMemberRoleChanged,
            "PROJECT_MEMBER_ROLE_CHANGED",
        ),
        (
            AuditEventKind::ProjectMemberRemoved,
            "PROJECT_MEMBER_REMOVED",
        ),
    ];

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for (kind, name) in ALL_KINDS {
            assert_eq!(kind.stored_name(), name);
            assert_eq!(AuditEventKind::from_stored_name(name), Some(kind));
        }
        assert_eq!(AuditEventKind::from_stored_name("SOMETHING_ELSE"), None);
    }
}
