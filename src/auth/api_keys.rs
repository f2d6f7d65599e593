//! API keys: long-lived bearer secrets `ck_<prefix>_<random>` with scopes. Only a sha256 of the
//! secret is stored (it has 256 random bits); the prefix stays in clear so a user can tell keys
//! apart. Management queries live here beside the lookup the viewer runs on every request.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use diesel::{
    deserialize::{self, FromSql},
    pg::{Pg, PgValue},
    prelude::*,
    serialize::{self, Output, ToSql},
    sql_types::{Array, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rand::RngCore;
use uuid::Uuid;

use crate::{
    auth::{
        account::User,
        tokens::{generate_opaque_token, hash_opaque_token},
    },
    db::schema::{api_keys, users},
    error::AppResult,
};

pub const API_KEY_PREFIX: &str = "ck_";
/// Last use is recorded at most this often per key, so reads through a key stay read-only.
const LAST_USED_RESOLUTION: ChronoDuration = ChronoDuration::minutes(1);

/// What a key may do. Enforced once per operation by `authz::require_operation`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    async_graphql::Enum,
    serde::Serialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = Text)]
pub enum ApiScope {
    /// Queries and subscriptions.
    Read,
    /// Mutations.
    Write,
    /// Running pipelines.
    Execute,
    /// Reading the schema by introspection where `INTROSPECTION=admins` (codegen, schema
    /// checks in CI); it counts only on a platform admin's key.
    Schema,
}

crate::stored_as_text!(ApiScope {
    Read => "READ",
    Write => "WRITE",
    Execute => "EXECUTE",
    Schema => "SCHEMA",
});

/// A key's scopes as its row holds them (a text array). Unlike a single stored enum, a name this
/// build does not know (written by a newer version) is dropped when read: it grants nothing,
/// and the key keeps the scopes this build understands.
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, diesel::AsExpression, diesel::FromSqlRow,
)]
#[serde(transparent)]
#[diesel(sql_type = Array<Text>)]
pub struct StoredScopes(pub Vec<ApiScope>);

impl ToSql<Array<Text>, Pg> for StoredScopes {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <Vec<ApiScope> as ToSql<Array<Text>, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Array<Text>, Pg> for StoredScopes {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let names = <Vec<String> as FromSql<Array<Text>, Pg>>::from_sql(value)?;
        Ok(StoredScopes(
            names
                .iter()
                .filter_map(|name| ApiScope::from_stored_name(name))
                .collect(),
        ))
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: StoredScopes,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl ApiKey {
    /// Stored scopes; an unknown one (written by a newer version) grants nothing.
    pub fn scopes(&self) -> Vec<ApiScope> {
        self.scopes.0.clone()
    }
}

/// A freshly generated key: the only moment its secret exists in clear.
pub struct GeneratedApiKey {
    pub prefix: String,
    pub secret: String,
}

pub fn generate_api_key() -> GeneratedApiKey {
    let mut prefix_bytes = [0u8; 4];
    rand::thread_rng().fill_bytes(&mut prefix_bytes);
    let prefix = hex::encode(prefix_bytes);
    let secret = generate_opaque_token(&format!("{API_KEY_PREFIX}{prefix}_"));
    GeneratedApiKey { prefix, secret }
}

pub struct NewApiKey<'a> {
    pub user_id: Uuid,
    pub name: &'a str,
    pub scopes: &'a [ApiScope],
    pub expires_at: DateTime<Utc>,
}

pub async fn insert_api_key(
    connection: &mut AsyncPgConnection,
    key: NewApiKey<'_>,
    generated: &GeneratedApiKey,
) -> AppResult<ApiKey> {
    Ok(diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(Uuid::now_v7()),
            api_keys::user_id.eq(key.user_id),
            api_keys::name.eq(key.name),
            api_keys::prefix.eq(&generated.prefix),
            api_keys::secret_hash.eq(hash_opaque_token(&generated.secret)),
            api_keys::scopes.eq(StoredScopes(key.scopes.to_vec())),
            api_keys::expires_at.eq(key.expires_at),
        ))
        .returning(ApiKey::as_returning())
        .get_result(connection)
        .await?)
}

/// Position of a key in a user's listing (creation order).
pub type ApiKeyCursor = (DateTime<Utc>, Uuid);

/// One page of a user's keys, revoked and expired ones included; `limit + 1` rows.
pub async fn list_api_keys(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    after: Option<ApiKeyCursor>,
    limit: i64,
) -> AppResult<Vec<ApiKey>> {
    let mut query = api_keys::table
        .filter(api_keys::user_id.eq(user_id))
        .select(ApiKey::as_select())
        .order((api_keys::created_at.asc(), api_keys::id.asc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some((created_at, id)) = after {
        query = query.filter(
            api_keys::created_at
                .gt(created_at)
                .or(api_keys::created_at.eq(created_at).and(api_keys::id.gt(id))),
        );
    }
    Ok(query.load(connection).await?)
}

/// Revokes one of `user_id`'s keys; `None` when they have no such key. Revoking twice keeps the
/// first revocation time.
pub async fn revoke_api_key(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    key_id: Uuid,
) -> AppResult<Option<ApiKey>> {
    let key: Option<ApiKey> = api_keys::table
        .filter(api_keys::id.eq(key_id))
        .filter(api_keys::user_id.eq(user_id))
        .select(ApiKey::as_select())
        .for_update()
        .first(connection)
        .await
        .optional()?;
    let Some(key) = key else {
        return Ok(None);
    };
    if key.revoked_at.is_some() {
        return Ok(Some(key));
    }
    Ok(Some(
        diesel::update(api_keys::table.find(key_id))
            .set(api_keys::revoked_at.eq(diesel::dsl::now))
            .returning(ApiKey::as_returning())
            .get_result(connection)
            .await?,
    ))
}

/// Whether `key_id` was revoked (or no longer exists).
pub async fn is_revoked(connection: &mut AsyncPgConnection, key_id: Uuid) -> AppResult<bool> {
    let revoked_at: Option<Option<DateTime<Utc>>> = api_keys::table
        .find(key_id)
        .select(api_keys::revoked_at)
        .first(connection)
        .await
        .optional()?;
    Ok(revoked_at.is_none_or(|revoked_at| revoked_at.is_some()))
}

/// The live (unrevoked, unexpired) key with this secret and its owner, in one statement: this
/// runs on every request made with a key. Records the use when the last one is over a minute old.
pub async fn find_live_key_user(
    connection: &mut AsyncPgConnection,
    presented: &str,
) -> AppResult<Option<(ApiKey, User)>> {
    let found: Option<(ApiKey, User)> = api_keys::table
        .inner_join(users::table)
        .filter(api_keys::secret_hash.eq(hash_opaque_token(presented)))
        .filter(api_keys::revoked_at.is_null())
        .filter(api_keys::expires_at.gt(diesel::dsl::now))
        .select((ApiKey::as_select(), User::as_select()))
        .first(connection)
        .await
        .optional()?;
    let Some((key, user)) = found else {
        return Ok(None);
    };
    let stale = key
        .last_used_at
        .is_none_or(|used| Utc::now() - used > LAST_USED_RESOLUTION);
    if stale {
        diesel::update(api_keys::table.find(key.id))
            .set(api_keys::last_used_at.eq(diesel::dsl::now))
            .execute(connection)
            .await?;
    }
    Ok(Some((key, user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_carry_their_prefix_and_differ() {
        let (a, b) = (generate_api_key(), generate_api_key());
        assert!(a.secret.starts_with(&format!("ck_{}_", a.prefix)));
        assert_eq!(a.prefix.len(), 8);
        assert!(a.secret.len() > 50);
        assert_ne!(a.secret, b.secret);
    }
}
