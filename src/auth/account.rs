//! The account row every credential resolves to. It is core because the viewer, sessions and
//! API keys load it on every request; registration, profiles and the GraphQL `User` type belong
//! to the users feature, which re-exports this row.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::users;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    #[diesel(column_name = password_hash)]
    pub password_hash: String,
    pub display_name: String,
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
