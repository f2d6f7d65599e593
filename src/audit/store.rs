//! Audit log queries. Takes a connection (inside the transaction of the recorded change);
//! knows nothing of GraphQL.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    audit::model::{AuditEntry, AuditEventKind, AuditRecord},
    auth::client::ClientInfo,
    db::schema::audit_log,
    error::AppResult,
};

pub async fn record(
    connection: &mut AsyncPgConnection,
    client: &ClientInfo,
    entry: AuditEntry,
) -> AppResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::kind.eq(entry.kind),
            audit_log::actor_id.eq(entry.actor_id),
            audit_log::target_user_id.eq(entry.target_user_id),
            audit_log::target.eq(entry.target),
            audit_log::ip_address.eq(client.ip_address.as_deref()),
            audit_log::user_agent.eq(client.user_agent.as_deref()),
            audit_log::details.eq(entry.details),
        ))
        .execute(connection)
        .await?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub kinds: Option<Vec<AuditEventKind>>,
    /// Events where this user is the actor or the target.
    pub user_id: Option<Uuid>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// One page, newest first, strictly older than `before_id`; `limit + 1` rows.
pub async fn list(
    connection: &mut AsyncPgConnection,
    filter: &AuditFilter,
    before_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<AuditRecord>> {
    let mut query = audit_log::table
        .select(AuditRecord::as_select())
        .order(audit_log::id.desc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(kinds) = &filter.kinds {
        query = query.filter(audit_log::kind.eq_any(kinds.clone()));
    }
    if let Some(user_id) = filter.user_id {
        query = query.filter(
            audit_log::actor_id
                .eq(user_id)
                .or(audit_log::target_user_id.eq(user_id)),
        );
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::occurred_at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_log::occurred_at.lt(until));
    }
    if let Some(before_id) = before_id {
        query = query.filter(audit_log::id.lt(before_id));
    }
    Ok(query.load(connection).await?)
}
