//! GraphQL surface of the audit log: `auditLog`, platform administrators only.

use async_graphql::{connection::Connection, Context, InputObject, Json, Object, ID};
use chrono::{DateTime, Utc};

use crate::{
    audit::{
        model::{AuditEventKind, AuditRecord},
        store::{self, AuditFilter},
    },
    auth::authz::{PlatformGuard, PlatformPermission},
    error::AppResult,
    graphql::{
        ids::decode_id,
        pagination::{connection_from_rows, page_request, PageCursor},
    },
    state::AppState,
    users::model::{User, USER_TYPE},
};

/// One security-relevant event: sign-ins, credential changes, admin grants, membership
/// changes. Readable by platform admins through `auditLog`.
#[Object(name = "AuditEvent")]
impl AuditRecord {
    /// Opaque id; ids grow with time.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// What happened.
    async fn kind(&self) -> AuditEventKind {
        self.kind
    }

    /// Who did it; null for anonymous attempts (a failed login) or deleted accounts.
    async fn actor(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        crate::users::loaders::user(ctx, self.actor_id).await
    }

    /// The account affected.
    async fn target_user(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        crate::users::loaders::user(ctx, self.target_user_id).await
    }

    /// What was acted on besides the account: `Session:<id>`, `ApiKey:<id>`, `Project:<id>`,
    /// or the email a failed login named.
    async fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The client's address, as the server saw it; null when not known.
    async fn ip_address(&self) -> Option<&str> {
        self.ip_address.as_deref()
    }

    /// The client's `User-Agent` header; null when not sent.
    async fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    /// Event-specific facts, e.g. `{"role": "EDITOR"}` or `{"reason": "wrong_password"}`.
    async fn details(&self) -> Json<&serde_json::Value> {
        Json(&self.details)
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
}

/// Which audit events `auditLog` lists; every given condition must hold.
#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// Only these kinds.
    kinds: Option<Vec<AuditEventKind>>,
    /// Only events where this user acted or was acted on.
    user_id: Option<ID>,
    /// Only events at or after this time.
    since: Option<DateTime<Utc>>,
    /// Only events before this time.
    until: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Security events, newest first. Platform administrators only (`FORBIDDEN` otherwise).
    #[graphql(guard = "PlatformGuard(PlatformPermission::ReadAuditLog)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items per page: 0 to 100, default 20.")] first: Option<i32>,
        #[graphql(desc = "Older events than this `cursor`.")] after: Option<String>,
        #[graphql(desc = "Narrow the list; omitted: every event.")] filter: Option<AuditLogFilter>,
    ) -> AppResult<Connection<PageCursor, AuditRecord>> {
        let (limit, before_id): (i64, Option<i64>) = page_request(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = AuditFilter {
            kinds: filter.kinds,
            user_id: filter
                .user_id
                .map(|id| decode_id(USER_TYPE, "filter.userId", &id))
                .transpose()?,
            since: filter.since,
            until: filter.until,
        };
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let rows = store::list(&mut connection, &filter, before_id, limit).await?;
        Ok(connection_from_rows(
            rows,
            limit,
            before_id.is_some(),
            |record| record.id,
        ))
    }
}
