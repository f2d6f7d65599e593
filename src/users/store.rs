//! User queries. Takes a connection (pooled or inside a transaction); knows nothing of GraphQL.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    db::schema::users,
    error::AppResult,
    users::model::{Email, NewUser, User, UserChanges},
};

/// Serializes the "is this the first account?" decision so two first registrations cannot both
/// become platform admin. Only taken while the table is empty, so normal sign-ups never wait.
const FIRST_USER_LOCK_KEY: i64 = 0x0CA7_A1A5_0000_0002;

/// Inserts a user; the first account on an empty platform becomes its admin.
/// Must run inside a transaction (the advisory lock is transaction-scoped).
pub async fn insert_user(
    connection: &mut AsyncPgConnection,
    email: &Email,
    password_hash: String,
    display_name: String,
) -> AppResult<User> {
    let is_first = if any_user_exists(connection).await? {
        false
    } else {
        diesel::sql_query(format!(
            "SELECT pg_advisory_xact_lock({FIRST_USER_LOCK_KEY})"
        ))
        .execute(connection)
        .await?;
        !any_user_exists(connection).await?
    };
    let user = diesel::insert_into(users::table)
        .values(NewUser {
            id: Uuid::now_v7(),
            email: email.as_str().to_string(),
            password_hash,
            display_name,
            is_admin: is_first,
        })
        .returning(User::as_returning())
        .get_result(connection)
        .await?;
    Ok(user)
}

async fn any_user_exists(connection: &mut AsyncPgConnection) -> AppResult<bool> {
    Ok(
        diesel::select(diesel::dsl::exists(users::table.select(users::id)))
            .get_result(connection)
            .await?,
    )
}

pub async fn find_by_email(
    connection: &mut AsyncPgConnection,
    email: &Email,
) -> AppResult<Option<User>> {
    Ok(users::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Text>("lower(email)").eq(email.as_str()))
        .select(User::as_select())
        .first(connection)
        .await
        .optional()?)
}

pub async fn find_by_id(connection: &mut AsyncPgConnection, id: Uuid) -> AppResult<Option<User>> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(connection)
        .await
        .optional()?)
}

pub async fn find_by_ids(connection: &mut AsyncPgConnection, ids: &[Uuid]) -> AppResult<Vec<User>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select(User::as_select())
        .load(connection)
        .await?)
}

pub async fn update_user(
    connection: &mut AsyncPgConnection,
    id: Uuid,
    changes: &UserChanges,
) -> AppResult<User> {
    Ok(diesel::update(users::table.find(id))
        .set(changes)
        .returning(User::as_returning())
        .get_result(connection)
        .await?)
}

/// Do the two users have a project in common? (Members may see each other.)
pub async fn share_a_project(
    connection: &mut AsyncPgConnection,
    a: Uuid,
    b: Uuid,
) -> AppResult<bool> {
    use crate::db::schema::project_members;
    let (mine, theirs) = diesel::alias!(project_members as mine, project_members as theirs);
    Ok(diesel::select(diesel::dsl::exists(
        mine.inner_join(
            theirs.on(theirs
                .field(project_members::project_id)
                .eq(mine.field(project_members::project_id))),
        )
        .filter(mine.field(project_members::user_id).eq(a))
        .filter(theirs.field(project_members::user_id).eq(b)),
    ))
    .get_result(connection)
    .await?)
}

/// Locks and returns the ids of all platform admins, so changes to the admin set serialize.
pub async fn lock_admin_ids(connection: &mut AsyncPgConnection) -> AppResult<Vec<Uuid>> {
    Ok(users::table
        .filter(users::is_admin.eq(true))
        .select(users::id)
        .for_update()
        .load(connection)
        .await?)
}

/// Position of a user in the stable listing order (creation time, then id).
pub type UserCursor = (DateTime<Utc>, Uuid);

/// One page of users in creation order, optionally matching `search` in email or display name.
/// Returns up to `limit + 1` rows so the caller can tell whether another page exists.
pub async fn list_users(
    connection: &mut AsyncPgConnection,
    search: Option<&str>,
    after: Option<UserCursor>,
    limit: i64,
) -> AppResult<Vec<User>> {
    let mut query = users::table
        .select(User::as_select())
        .order((users::created_at.asc(), users::id.asc()))
        .limit(limit + 1)
        .into_boxed();
    if let Some(text) = search.map(str::trim).filter(|text| !text.is_empty()) {
        let pattern = format!("%{}%", escape_like(text));
        query = query.filter(
            users::email
                .ilike(pattern.clone())
                .or(users::display_name.ilike(pattern)),
        );
    }
    if let Some((created_at, id)) = after {
        query = query.filter(
            users::created_at
                .gt(created_at)
                .or(users::created_at.eq(created_at).and(users::id.gt(id))),
        );
    }
    Ok(query.load(connection).await?)
}

/// Escapes LIKE metacharacters so user text matches literally.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
