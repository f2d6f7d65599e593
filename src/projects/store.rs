//! Project and membership queries. Takes a connection; knows nothing of GraphQL.

use chrono::{serde::ts_microseconds, DateTime, Utc};
use diesel::{
    expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping},
    pg::Pg,
    prelude::*,
    query_builder::{AstPass, QueryFragment, QueryId},
    sql_types::{Nullable, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::{
    auth::authz::ProjectRole,
    db::schema::{project_members, projects, users},
    error::{internal, AppResult},
    events::log,
    projects::model::{NewProject, Project, ProjectChanges, ProjectMember},
    users::{model::User, store::escape_like},
};

/// Creates a project with `owner_id` as its OWNER and an empty activity log.
pub async fn insert_project(
    connection: &mut AsyncPgConnection,
    project: NewProject,
    owner_id: Uuid,
) -> AppResult<Project> {
    let project: Project = diesel::insert_into(projects::table)
        .values(project)
        .returning(Project::as_returning())
        .get_result(connection)
        .await?;
    log::start_log(connection, project.id).await?;
    insert_member(connection, project.id, owner_id, ProjectRole::Owner).await?;
    Ok(project)
}

/// The project and the user's role in it (None when not a member), in one statement.
pub async fn find_with_role(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<(Project, Option<ProjectRole>)>> {
    Ok(projects::table
        .left_join(
            project_members::table.on(project_members::project_id
                .eq(projects::id)
                .and(project_members::user_id.eq(user_id))),
        )
        .filter(projects::id.eq(project_id))
        .select((Project::as_select(), project_members::role.nullable()))
        .first(connection)
        .await
        .optional()?)
}

pub type ProjectCursor = (DateTime<Utc>, Uuid);

pub struct ProjectFilter<'a> {
    pub archived: Option<bool>,
    pub search: Option<&'a str>,
}

/// A project of a listed page, with the user's role there and, when asked for, its members.
pub struct ListedProject {
    pub project: Project,
    pub role: Option<ProjectRole>,
    /// Every member with their user, in the order they joined (`members_with_users` order).
    pub members: Option<Vec<(ProjectMember, User)>>,
}

/// The members of the row's project as one JSON array, read in the same statement as the page:
/// the member index serves the order, and a query reading projects and their members costs
/// one statement instead of two. Times as microseconds since the epoch: parsing an RFC 3339
/// text cost twenty times as much as the integer.
pub const MEMBERS_JSON: &str = "(SELECT json_agg(json_build_object(
        'project_id', m.project_id, 'user_id', m.user_id, 'role', m.role,
        'created_at', m.created_at, 'updated_at', m.updated_at,
        'email', m.email, 'password_hash', m.password_hash, 'display_name', m.display_name,
        'is_admin', m.is_admin, 'user_created_at', m.user_created_at,
        'user_updated_at', m.user_updated_at))
    FROM (SELECT pm.project_id, pm.user_id, pm.role,
                 (extract(epoch FROM pm.created_at) * 1000000)::int8 AS created_at,
                 (extract(epoch FROM pm.updated_at) * 1000000)::int8 AS updated_at,
                 u.email, u.password_hash, u.display_name, u.is_admin,
                 (extract(epoch FROM u.created_at) * 1000000)::int8 AS user_created_at,
                 (extract(epoch FROM u.updated_at) * 1000000)::int8 AS user_updated_at
          FROM project_members pm JOIN users u ON u.id = pm.user_id
          WHERE pm.project_id = projects.id
          ORDER BY pm.created_at, pm.user_id) m)";

/// `MEMBERS_JSON` (or a null) as a column of the page. Not `dsl::sql`: a literal marks the query
/// unsafe to keep as a prepared statement, and this one runs on every listing.
#[derive(Debug, Clone, Copy)]
struct MembersColumn {
    with_members: bool,
}

/// As text: parsed straight into the members, not through a `serde_json::Value` tree first (a
/// 20-project page of 20 members each spent more on that tree than on the rest of the page).
impl Expression for MembersColumn {
    type SqlType = Nullable<Text>;
}

impl QueryFragment<Pg> for MembersColumn {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        if self.with_members {
            out.push_sql(MEMBERS_JSON);
            out.push_sql("::text");
        } else {
            out.push_sql("NULL::text");
        }
        Ok(())
    }
}

/// Two texts under one type: the statement cache must key it by its text.
impl QueryId for MembersColumn {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<QS> SelectableExpression<QS> for MembersColumn {}
impl<QS> AppearsOnTable<QS> for MembersColumn {}
impl ValidGrouping<()> for MembersColumn {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

#[derive(serde::Deserialize)]
struct MemberJson {
    project_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
    #[serde(with = "ts_microseconds")]
    created_at: DateTime<Utc>,
    #[serde(with = "ts_microseconds")]
    updated_at: DateTime<Utc>,
    email: String,
    password_hash: String,
    display_name: String,
    is_admin: bool,
    #[serde(with = "ts_microseconds")]
    user_created_at: DateTime<Utc>,
    #[serde(with = "ts_microseconds")]
    user_updated_at: DateTime<Utc>,
}

impl From<MemberJson> for (ProjectMember, User) {
    fn from(row: MemberJson) -> Self {
        (
            ProjectMember {
                project_id: row.project_id,
                user_id: row.user_id,
                role: row.role,
                created_at: row.created_at,
                updated_at: row.updated_at,
            },
            User {
                id: row.user_id,
                email: row.email,
                password_hash: row.password_hash,
                display_name: row.display_name,
                is_admin: row.is_admin,
                created_at: row.user_created_at,
                updated_at: row.user_updated_at,
            },
        )
    }
}

type ListedRow = (Project, Option<ProjectRole>, Option<String>);

/// A page of projects in creation order: the user's own, or every project when
/// `every_project` (platform admins). Each comes with the user's role, if any, and its members
/// when `with_members`.
pub async fn list_projects(
    connection: &mut AsyncPgConnection,
    user_id: Uuid,
    every_project: bool,
    filter: &ProjectFilter<'_>,
    after: Option<ProjectCursor>,
    limit: i64,
    with_members: bool,
) -> AppResult<Vec<ListedProject>> {
    let members = MembersColumn { with_members };
    let mut query = projects::table
        .left_join(
            project_members::table.on(project_members::project_id
                .eq(projects::id)
                .and(project_members::user_id.eq(user_id))),
        )
        .select((
            Project::as_select(),
            project_members::role.nullable(),
            members,
        ))
        .order((projects::created_at.asc(), projects::id.asc()))
        .limit(limit + 1)
        .into_boxed();
    if !every_project {
        query = query.filter(project_members::user_id.is_not_null());
    }
    match filter.archived {
        Some(true) => query = query.filter(projects::archived_at.is_not_null()),
        Some(false) => query = query.filter(projects::archived_at.is_null()),
        None => {}
    }
    if let Some(text) = filter.search.map(str::trim).filter(|text| !text.is_empty()) {
        let pattern = format!("%{}%", escape_like(text));
        query = query.filter(
            projects::name
                .ilike(pattern.clone())
                .or(projects::description.ilike(pattern)),
        );
    }
    if let Some((created_at, id)) = after {
        query = query.filter(
            projects::created_at
                .gt(created_at)
                .or(projects::created_at.eq(created_at).and(projects::id.gt(id))),
        );
    }
    let rows: Vec<ListedRow> = query.load(connection).await?;
    rows.into_iter()
        .map(|(project, role, members)| {
            let members = with_members.then(|| decode_members(members)).transpose()?;
            Ok(ListedProject {
                project,
                role,
                members,
            })
        })
        .collect()
}

fn decode_members(members: Option<String>) -> AppResult<Vec<(ProjectMember, User)>> {
    let Some(members) = members else {
        return Ok(Vec::new());
    };
    let rows: Vec<MemberJson> = serde_json::from_str(&members).map_err(internal)?;
    let mut members: Vec<(ProjectMember, User)> = rows.into_iter().map(Into::into).collect();
    // The aggregate keeps the subquery's order in practice, not by contract.
    members.sort_by_key(|(a, _)| (a.created_at, a.user_id));
    Ok(members)
}

pub async fn update_project(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    changes: &ProjectChanges,
) -> AppResult<Project> {
    Ok(diesel::update(projects::table.find(project_id))
        .set(changes)
        .returning(Project::as_returning())
        .get_result(connection)
        .await?)
}

pub async fn find_project(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
) -> AppResult<Option<Project>> {
    Ok(projects::table
        .find(project_id)
        .select(Project::as_select())
        .first(connection)
        .await
        .optional()?)
}

pub async fn find_by_ids(
    connection: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> AppResult<Vec<Project>> {
    Ok(projects::table
        .filter(projects::id.eq_any(ids))
        .select(Project::as_select())
        .load(connection)
        .await?)
}

/// Deletes the project; its members, tasks and activity log go with it (foreign-key cascade).
pub async fn delete_project(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
) -> AppResult<bool> {
    let deleted = diesel::delete(projects::table.find(project_id))
        .execute(connection)
        .await?;
    Ok(deleted == 1)
}

/// Members of several projects with their users, in one statement (the member loader).
pub async fn members_with_users(
    connection: &mut AsyncPgConnection,
    project_ids: &[Uuid],
) -> AppResult<Vec<(ProjectMember, User)>> {
    Ok(project_members::table
        .inner_join(users::table)
        .filter(project_members::project_id.eq_any(project_ids))
        .order((
            project_members::project_id,
            project_members::created_at.asc(),
            project_members::user_id,
        ))
        .select((ProjectMember::as_select(), User::as_select()))
        .load(connection)
        .await?)
}

/// The membership row, locked until the transaction ends.
pub async fn lock_member(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<ProjectMember>> {
    Ok(project_members::table
        .find((project_id, user_id))
        .select(ProjectMember::as_select())
        .for_update()
        .first(connection)
        .await
        .optional()?)
}

pub async fn insert_member(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
) -> AppResult<ProjectMember> {
    Ok(diesel::insert_into(project_members::table)
        .values((
            project_members::project_id.eq(project_id),
            project_members::user_id.eq(user_id),
            project_members::role.eq(role),
        ))
        .returning(ProjectMember::as_returning())
        .get_result(connection)
        .await?)
}

pub async fn set_member_role(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    user_id: Uuid,
    role: ProjectRole,
) -> AppResult<ProjectMember> {
    Ok(
        diesel::update(project_members::table.find((project_id, user_id)))
            .set(project_members::role.eq(role))
            .returning(ProjectMember::as_returning())
            .get_result(connection)
            .await?,
    )
}

pub async fn delete_member(
    connection: &mut AsyncPgConnection,
    project_id: Uuid,
    user_id: Uuid,
) -> AppResult<()> {
    diesel::delete(project_members::table.find((project_id, user_id)))
        .execute(connection)
        .await?;
    Ok(())
}
