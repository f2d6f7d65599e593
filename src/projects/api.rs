//! GraphQL surface of projects, members and the live `projectEvents` stream. Every mutation is
//! one transaction that locks the project's activity log, re-checks the caller's role, writes the
//! change and its activity row; events are published after commit.

use std::sync::Arc;

use async_graphql::{
    connection::Connection, Context, Enum, InputObject, Object, SimpleObject, Subscription, ID,
};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::{stream::BoxStream, StreamExt};
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{
        model::{AuditEntry, AuditEventKind},
        store as audit_store,
    },
    auth::{
        authz::{self, ProjectAccess, ProjectPermission, ProjectRole, SignedIn},
        viewer::{AuthenticatedUser, ClientInfo},
    },
    error::{bad_input, conflict, forbidden, internal, not_found, AppError, AppResult},
    events::{
        log::{self, ActivityEvent, ActivityKind, NewActivity},
        stream::{ProjectEventStream, StreamEnd, StreamItem},
        BusEvent,
    },
    graphql::{
        ids::{decode_id, encode_id},
        loaders::Loaders,
        pagination::{connection_from_rows, decode_cursor, page_size},
    },
    projects::{
        model::{
            parse_project_description, parse_project_name, NewProject, Project, ProjectChanges,
            ProjectMember,
        },
        store::{self, ProjectCursor, ProjectFilter},
    },
    state::AppState,
    tasks::{
        api::{TaskConnectionArgs, TaskNode},
        model::{Task, TaskStatus},
    },
    users::{
        api::USER_TYPE,
        model::{Email, User},
        store as user_store,
    },
};

pub const PROJECT_TYPE: &str = "Project";

/// A project as one viewer sees it: the row plus what that viewer may do there.
#[derive(Clone)]
pub struct ProjectNode {
    pub project: Project,
    pub access: ProjectAccess,
}

#[Object(name = "Project")]
impl ProjectNode {
    pub async fn id(&self) -> ID {
        encode_id(PROJECT_TYPE, self.project.id)
    }

    async fn name(&self) -> &str {
        &self.project.name
    }

    async fn description(&self) -> &str {
        &self.project.description
    }

    /// Archived projects are read-only for tasks until unarchived.
    async fn archived(&self) -> bool {
        self.project.archived_at.is_some()
    }

    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.project.archived_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.project.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.project.updated_at
    }

    async fn created_by(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        Loaders::from_ctx(ctx).user(self.project.created_by).await
    }

    /// The viewer's role here; null for platform admins who are not members.
    async fn viewer_role(&self) -> Option<ProjectRole> {
        match self.access {
            ProjectAccess::Member(role) => Some(role),
            _ => None,
        }
    }

    /// Members in the order they joined.
    #[graphql(complexity = "crate::limits::cost::unpaged_list(child_complexity)")]
    async fn members(&self, ctx: &Context<'_>) -> AppResult<Vec<MemberNode>> {
        let members = Loaders::from_ctx(ctx)
            .members
            .load_one(self.project.id)
            .await?
            .unwrap_or_default();
        Ok(members
            .into_iter()
            .map(|(member, user)| MemberNode {
                member,
                user: Some(user),
            })
            .collect())
    }

    /// The project's tasks, in board order unless `orderBy` says otherwise.
    #[graphql(complexity = "crate::limits::cost::page(first, child_complexity)")]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<crate::tasks::api::TaskFilterInput>,
        #[graphql(desc = "Board order (POSITION) when omitted.")] order_by: Option<
            crate::tasks::store::TaskOrder,
        >,
    ) -> AppResult<Connection<String, TaskNode>> {
        TaskConnectionArgs {
            first,
            after,
            filter,
            order_by: order_by.unwrap_or_default(),
        }
        .load(ctx, self.project.id, self.access)
        .await
    }

    /// How many tasks are in each status.
    async fn task_counts(&self, ctx: &Context<'_>) -> AppResult<TaskCounts> {
        let counts = Loaders::from_ctx(ctx)
            .task_counts
            .load_one(self.project.id)
            .await?
            .unwrap_or_default();
        let count = |status| counts.0.get(&status).copied().unwrap_or(0);
        Ok(TaskCounts {
            todo: count(TaskStatus::Todo),
            in_progress: count(TaskStatus::InProgress),
            blocked: count(TaskStatus::Blocked),
            done: count(TaskStatus::Done),
            total: counts.0.values().sum(),
        })
    }

    /// Everything that happened in the project, newest first. Each event's `cursor` can be
    /// passed to `projectEvents(after:)` to follow on live from there.
    #[graphql(complexity = "crate::limits::cost::page(first, child_complexity)")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> AppResult<Connection<String, ProjectEventNode>> {
        let limit = page_size(first)?;
        let before_seq = after.as_deref().map(parse_event_cursor).transpose()?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let rows =
            log::page_newest_first(&mut connection, self.project.id, before_seq, limit).await?;
        let access = self.access;
        let nodes = rows
            .into_iter()
            .map(|event| ProjectEventNode {
                event: Arc::new(event),
                access,
            })
            .collect();
        Ok(connection_from_rows(
            nodes,
            limit,
            before_seq.is_some(),
            |node| node.event.seq.to_string(),
        ))
    }
}

#[derive(SimpleObject)]
pub struct TaskCounts {
    todo: i64,
    in_progress: i64,
    blocked: i64,
    done: i64,
    total: i64,
}

/// A membership: who, with which role, since when.
#[derive(Clone)]
pub struct MemberNode {
    pub member: ProjectMember,
    /// Known when loaded together; otherwise fetched through the user loader.
    pub user: Option<User>,
}

#[Object(name = "ProjectMember")]
impl MemberNode {
    async fn user(&self, ctx: &Context<'_>) -> AppResult<User> {
        if let Some(user) = &self.user {
            return Ok(user.clone());
        }
        Loaders::from_ctx(ctx)
            .users
            .load_one(self.member.user_id)
            .await?
            .ok_or_else(|| not_found("user"))
    }

    async fn role(&self) -> AppResult<ProjectRole> {
        self.member.role()
    }

    async fn joined_at(&self) -> DateTime<Utc> {
        self.member.created_at
    }
}

/// One entry of a project's activity: what happened, who did it, when, and the affected object
/// as it was right after the change.
#[derive(Clone)]
pub struct ProjectEventNode {
    pub event: Arc<ActivityEvent>,
    pub access: ProjectAccess,
}

#[Object(name = "ProjectEvent")]
impl ProjectEventNode {
    /// Opaque position in the project's activity; pass to `projectEvents(after:)` to resume.
    async fn cursor(&self) -> String {
        self.event.seq.to_string()
    }

    async fn kind(&self) -> AppResult<ActivityKind> {
        self.event.known_kind()
    }

    async fn actor(&self, ctx: &Context<'_>) -> AppResult<Option<User>> {
        Loaders::from_ctx(ctx).user(self.event.actor_id).await
    }

    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.occurred_at
    }

    /// The task after the change (for task events; as it was when deleted for TASK_DELETED).
    async fn task(&self) -> AppResult<Option<TaskNode>> {
        Ok(self.snapshot::<Task>("task")?.map(|task| TaskNode {
            task,
            access: self.access,
        }))
    }

    /// The membership after the change (for member events; the removed one for MEMBER_REMOVED).
    async fn member(&self) -> AppResult<Option<MemberNode>> {
        Ok(self
            .snapshot::<ProjectMember>("member")?
            .map(|member| MemberNode { member, user: None }))
    }

    /// The project after the change (for project events).
    async fn project(&self) -> AppResult<Option<ProjectNode>> {
        Ok(self
            .snapshot::<Project>("project")?
            .map(|project| ProjectNode {
                project,
                access: self.access,
            }))
    }

    /// For updates: the fields that changed, by their GraphQL names.
    async fn changed_fields(&self) -> Vec<String> {
        self.event.payload["changedFields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|field| field.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl ProjectEventNode {
    fn snapshot<T: serde::de::DeserializeOwned>(&self, key: &str) -> AppResult<Option<T>> {
        match self.event.payload.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|error| {
                    internal(anyhow::anyhow!(
                        "activity {} payload: {error}",
                        self.event.seq
                    ))
                }),
        }
    }
}

fn parse_event_cursor(cursor: &str) -> AppResult<i64> {
    cursor
        .parse::<i64>()
        .ok()
        .filter(|seq| *seq >= 0)
        .ok_or_else(|| bad_input("after", "is not a cursor returned by this API"))
}

/// The viewer's project and access, or `NOT_FOUND` when the viewer may not see it.
pub async fn load_project_access(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    project_id: Uuid,
) -> AppResult<(Project, ProjectAccess)> {
    let (project, role) = store::find_with_role(connection, project_id, viewer.user_id())
        .await?
        .ok_or_else(|| not_found("project"))?;
    let role = role.as_deref().and_then(ProjectRole::parse);
    let access = ProjectAccess::for_viewer(viewer, role);
    access.require(ProjectPermission::ReadProject, "project")?;
    Ok((project, access))
}

/// Opens a project mutation: locks the project's activity log (so writers to one project queue
/// up, and seq order is commit order), then checks `permission` against the caller's current role.
pub async fn begin_project_change(
    connection: &mut AsyncPgConnection,
    viewer: &AuthenticatedUser,
    project_id: Uuid,
    permission: ProjectPermission,
) -> AppResult<(Project, ProjectAccess)> {
    if log::head(connection, project_id).await?.is_none() {
        return Err(not_found("project"));
    }
    log::lock_log(connection, project_id).await?;
    let (project, access) = load_project_access(connection, viewer, project_id).await?;
    access.require(permission, "project")?;
    Ok((project, access))
}

/// Publishes committed events to subscribers on every instance.
pub fn publish_all(state: &AppState, events: Vec<ActivityEvent>) {
    for event in events {
        state.events.publish(BusEvent::Activity(Arc::new(event)));
    }
}

fn member_activity(kind: ActivityKind, actor: Uuid, member: &ProjectMember) -> NewActivity {
    NewActivity {
        project_id: member.project_id,
        actor_id: Some(actor),
        kind,
        payload: json!({ "member": member }),
    }
}

/// Records a change to someone's project role in the security audit log, inside the change's
/// transaction.
async fn audit_member_change(
    connection: &mut AsyncPgConnection,
    client: &ClientInfo,
    kind: AuditEventKind,
    actor: Uuid,
    member: &ProjectMember,
) -> AppResult<()> {
    let entry = AuditEntry {
        kind,
        actor_id: Some(actor),
        target_user_id: Some(member.user_id),
        target: Some(encode_id(PROJECT_TYPE, member.project_id).0),
        details: json!({ "role": member.role }),
    };
    audit_store::record(connection, client, entry).await
}

/// Removes a membership and logs MEMBER_REMOVED, whether it was removed or left.
async fn end_membership(
    connection: &mut AsyncPgConnection,
    client: &ClientInfo,
    member: &ProjectMember,
    actor: Uuid,
) -> AppResult<ActivityEvent> {
    store::delete_member(connection, member.project_id, member.user_id).await?;
    audit_member_change(
        connection,
        client,
        AuditEventKind::ProjectMemberRemoved,
        actor,
        member,
    )
    .await?;
    log::append(
        connection,
        member_activity(ActivityKind::MemberRemoved, actor, member),
    )
    .await
}

fn viewer<'a>(ctx: &Context<'a>) -> AppResult<&'a AuthenticatedUser> {
    authz::require_user(authz::viewer(ctx))
}

#[derive(InputObject)]
pub struct CreateProjectInput {
    name: String,
    #[graphql(default)]
    description: String,
}

#[derive(InputObject)]
pub struct UpdateProjectInput {
    name: Option<String>,
    description: Option<String>,
}

#[derive(InputObject, Default)]
pub struct ProjectFilterInput {
    /// true: only archived; false: only active; omitted: both.
    archived: Option<bool>,
    /// Matches name or description, case-insensitively.
    search: Option<String>,
}

#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
    /// A project the viewer belongs to (platform admins: any project).
    #[graphql(guard = "SignedIn")]
    async fn project(&self, ctx: &Context<'_>, id: ID) -> AppResult<ProjectNode> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "id", &id)?;
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let (project, access) = load_project_access(&mut connection, viewer, project_id).await?;
        Ok(ProjectNode { project, access })
    }

    /// The projects the viewer belongs to, oldest first (platform admins see every project).
    #[graphql(
        guard = "SignedIn",
        complexity = "crate::limits::cost::page(first, child_complexity)"
    )]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<ProjectFilterInput>,
    ) -> AppResult<Connection<String, ProjectNode>> {
        let viewer = viewer(ctx)?;
        let limit = page_size(first)?;
        let after_position: Option<ProjectCursor> = after
            .as_deref()
            .map(|cursor| decode_cursor("after", cursor))
            .transpose()?;
        let filter = filter.unwrap_or_default();
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let rows = store::list_projects(
            &mut connection,
            viewer.user_id(),
            viewer.is_platform_admin(),
            &ProjectFilter {
                archived: filter.archived,
                search: filter.search.as_deref(),
            },
            after_position,
            limit,
        )
        .await?;
        let nodes = rows
            .into_iter()
            .map(|(project, role)| ProjectNode {
                access: ProjectAccess::for_viewer(
                    viewer,
                    role.as_deref().and_then(ProjectRole::parse),
                ),
                project,
            })
            .collect();
        Ok(connection_from_rows(
            nodes,
            limit,
            after_position.is_some(),
            |node| (node.project.created_at, node.project.id),
        ))
    }
}

#[derive(Default)]
pub struct ProjectMutation;

/// Which way `setArchived` goes.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
enum ArchiveState {
    Archived,
    Active,
}

impl ProjectMutation {
    async fn set_archived(
        &self,
        ctx: &Context<'_>,
        id: ID,
        target: ArchiveState,
    ) -> AppResult<ProjectNode> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "id", &id)?;
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let mut connection = state.pool.get().await?;
        let (node, events) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (project, access) = begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::ArchiveProject,
                )
                .await?;
                let already = project.archived_at.is_some() == (target == ArchiveState::Archived);
                if already {
                    return Ok((ProjectNode { project, access }, Vec::new()));
                }
                let changes = ProjectChanges {
                    archived_at: Some((target == ArchiveState::Archived).then(Utc::now)),
                    ..ProjectChanges::default()
                };
                let project = store::update_project(connection, project_id, &changes).await?;
                let kind = match target {
                    ArchiveState::Archived => ActivityKind::ProjectArchived,
                    ArchiveState::Active => ActivityKind::ProjectUpdated,
                };
                let event = log::append(
                    connection,
                    NewActivity {
                        project_id,
                        actor_id: Some(actor),
                        kind,
                        payload: json!({
                            "project": project,
                            "changedFields": changes.changed_fields(),
                        }),
                    },
                )
                .await?;
                Ok((ProjectNode { project, access }, vec![event]))
            })
            .await?;
        publish_all(state, events);
        Ok(node)
    }
}

#[Object]
impl ProjectMutation {
    /// Creates a project; the creator becomes its OWNER.
    #[graphql(guard = "SignedIn")]
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        input: CreateProjectInput,
    ) -> AppResult<ProjectNode> {
        let viewer = viewer(ctx)?;
        let new_project = NewProject {
            id: Uuid::now_v7(),
            name: parse_project_name("name", &input.name)?,
            description: parse_project_description("description", &input.description)?,
            created_by: Some(viewer.user_id()),
        };
        let owner = viewer.user_id();
        let mut connection = AppState::from_ctx(ctx).pool.get().await?;
        let project = connection
            .transaction::<_, AppError, _>(async |connection| {
                store::insert_project(connection, new_project, owner).await
            })
            .await?;
        Ok(ProjectNode {
            project,
            access: ProjectAccess::Member(ProjectRole::Owner),
        })
    }

    /// Renames or re-describes a project (ADMIN and above).
    #[graphql(guard = "SignedIn")]
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProjectInput,
    ) -> AppResult<ProjectNode> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "id", &id)?;
        let changes = ProjectChanges {
            name: input
                .name
                .as_deref()
                .map(|name| parse_project_name("name", name))
                .transpose()?,
            description: input
                .description
                .as_deref()
                .map(|text| parse_project_description("description", text))
                .transpose()?,
            archived_at: None,
        };
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let mut connection = state.pool.get().await?;
        let (node, events) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (project, access) = begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::UpdateProject,
                )
                .await?;
                if changes.is_empty() {
                    return Ok((ProjectNode { project, access }, Vec::new()));
                }
                let project = store::update_project(connection, project_id, &changes).await?;
                let event = log::append(
                    connection,
                    NewActivity {
                        project_id,
                        actor_id: Some(actor),
                        kind: ActivityKind::ProjectUpdated,
                        payload: json!({
                            "project": project,
                            "changedFields": changes.changed_fields(),
                        }),
                    },
                )
                .await?;
                Ok((ProjectNode { project, access }, vec![event]))
            })
            .await?;
        publish_all(state, events);
        Ok(node)
    }

    /// Archives a project: it stays readable, and its tasks are read-only (ADMIN and above).
    #[graphql(guard = "SignedIn")]
    async fn archive_project(&self, ctx: &Context<'_>, id: ID) -> AppResult<ProjectNode> {
        self.set_archived(ctx, id, ArchiveState::Archived).await
    }

    #[graphql(guard = "SignedIn")]
    async fn unarchive_project(&self, ctx: &Context<'_>, id: ID) -> AppResult<ProjectNode> {
        self.set_archived(ctx, id, ArchiveState::Active).await
    }

    /// Deletes a project and everything in it (OWNER only). Subscribers' streams end.
    #[graphql(guard = "SignedIn")]
    async fn delete_project(&self, ctx: &Context<'_>, id: ID) -> AppResult<bool> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "id", &id)?;
        let state = AppState::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        connection
            .transaction::<_, AppError, _>(async |connection| {
                begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::DeleteProject,
                )
                .await?;
                store::delete_project(connection, project_id).await
            })
            .await?;
        state
            .events
            .publish(BusEvent::ProjectDeleted { project_id });
        Ok(true)
    }

    /// Adds an existing user, by email, with a role below OWNER (ADMIN and above; admins add
    /// members up to EDITOR).
    #[graphql(guard = "SignedIn")]
    async fn add_project_member(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        email: String,
        role: ProjectRole,
    ) -> AppResult<MemberNode> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let email = Email::parse("email", &email)?;
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let client = ClientInfo::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (node, event) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (_, access) = begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::ReadProject,
                )
                .await?;
                access.require_member_change(None, Some(role))?;
                let user = user_store::find_by_email(connection, &email)
                    .await?
                    .ok_or_else(|| bad_input("email", "no user has this email"))?;
                if store::lock_member(connection, project_id, user.id)
                    .await?
                    .is_some()
                {
                    return Err(conflict("this user is already a member of the project"));
                }
                let member = store::insert_member(connection, project_id, user.id, role).await?;
                audit_member_change(
                    connection,
                    &client,
                    AuditEventKind::ProjectMemberAdded,
                    actor,
                    &member,
                )
                .await?;
                let event = log::append(
                    connection,
                    member_activity(ActivityKind::MemberAdded, actor, &member),
                )
                .await?;
                Ok((
                    MemberNode {
                        member,
                        user: Some(user),
                    },
                    event,
                ))
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(node)
    }

    /// Changes a member's role (ADMIN and above, within their reach).
    #[graphql(guard = "SignedIn")]
    async fn change_member_role(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        user_id: ID,
        role: ProjectRole,
    ) -> AppResult<MemberNode> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let member_id = decode_id(USER_TYPE, "userId", &user_id)?;
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let client = ClientInfo::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (node, events) = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (_, access) = begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::ReadProject,
                )
                .await?;
                let member = store::lock_member(connection, project_id, member_id)
                    .await?
                    .ok_or_else(|| not_found("member"))?;
                access.require_member_change(Some(member.role()?), Some(role))?;
                if member.role()? == role {
                    return Ok((MemberNode { member, user: None }, Vec::new()));
                }
                let member =
                    store::set_member_role(connection, project_id, member_id, role).await?;
                audit_member_change(
                    connection,
                    &client,
                    AuditEventKind::ProjectMemberRoleChanged,
                    actor,
                    &member,
                )
                .await?;
                let event = log::append(
                    connection,
                    member_activity(ActivityKind::MemberRoleChanged, actor, &member),
                )
                .await?;
                Ok((MemberNode { member, user: None }, vec![event]))
            })
            .await?;
        publish_all(state, events);
        Ok(node)
    }

    /// Removes a member (ADMIN and above, within their reach). The owner cannot be removed.
    #[graphql(guard = "SignedIn")]
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        user_id: ID,
    ) -> AppResult<bool> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let member_id = decode_id(USER_TYPE, "userId", &user_id)?;
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let client = ClientInfo::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let event = connection
            .transaction::<_, AppError, _>(async |connection| {
                let (_, access) = begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::ReadProject,
                )
                .await?;
                let member = store::lock_member(connection, project_id, member_id)
                    .await?
                    .ok_or_else(|| not_found("member"))?;
                access.require_member_change(Some(member.role()?), None)?;
                end_membership(connection, &client, &member, actor).await
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(true)
    }

    /// Leaves a project. The owner must transfer ownership first.
    #[graphql(guard = "SignedIn")]
    async fn leave_project(&self, ctx: &Context<'_>, project_id: ID) -> AppResult<bool> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let client = ClientInfo::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let event = connection
            .transaction::<_, AppError, _>(async |connection| {
                begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::ReadProject,
                )
                .await?;
                let member = store::lock_member(connection, project_id, actor)
                    .await?
                    .ok_or_else(|| not_found("membership"))?;
                if member.role()? == ProjectRole::Owner {
                    return Err(conflict(
                        "the owner cannot leave; transfer ownership to another member first",
                    ));
                }
                end_membership(connection, &client, &member, actor).await
            })
            .await?;
        publish_all(state, vec![event]);
        Ok(true)
    }

    /// Makes another member the OWNER; the previous owner becomes ADMIN (OWNER only).
    #[graphql(guard = "SignedIn")]
    async fn transfer_ownership(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        user_id: ID,
    ) -> AppResult<MemberNode> {
        let viewer = viewer(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let new_owner_id = decode_id(USER_TYPE, "userId", &user_id)?;
        let state = AppState::from_ctx(ctx);
        let actor = viewer.user_id();
        let client = ClientInfo::from_ctx(ctx);
        let mut connection = state.pool.get().await?;
        let (node, events) = connection
            .transaction::<_, AppError, _>(async |connection| {
                begin_project_change(
                    connection,
                    viewer,
                    project_id,
                    ProjectPermission::TransferOwnership,
                )
                .await?;
                let heir = store::lock_member(connection, project_id, new_owner_id)
                    .await?
                    .ok_or_else(|| {
                        bad_input("userId", "ownership can only go to a member of the project")
                    })?;
                if heir.role()? == ProjectRole::Owner {
                    return Ok((
                        MemberNode {
                            member: heir,
                            user: None,
                        },
                        Vec::new(),
                    ));
                }
                let members = store::members_with_users(connection, &[project_id]).await?;
                let owner = members
                    .into_iter()
                    .map(|(member, _)| member)
                    .find(|member| member.role == ProjectRole::Owner.as_str())
                    .ok_or_else(|| {
                        internal(anyhow::anyhow!("project {project_id} has no owner"))
                    })?;
                // Demote first: the one-owner unique index must hold after every statement.
                let demoted = store::set_member_role(
                    connection,
                    project_id,
                    owner.user_id,
                    ProjectRole::Admin,
                )
                .await?;
                let promoted = store::set_member_role(
                    connection,
                    project_id,
                    new_owner_id,
                    ProjectRole::Owner,
                )
                .await?;
                let mut events = Vec::new();
                for member in [&demoted, &promoted] {
                    audit_member_change(
                        connection,
                        &client,
                        AuditEventKind::ProjectMemberRoleChanged,
                        actor,
                        member,
                    )
                    .await?;
                    events.push(
                        log::append(
                            connection,
                            member_activity(ActivityKind::MemberRoleChanged, actor, member),
                        )
                        .await?,
                    );
                }
                Ok((
                    MemberNode {
                        member: promoted,
                        user: None,
                    },
                    events,
                ))
            })
            .await?;
        publish_all(state, events);
        Ok(node)
    }
}

#[derive(Default)]
pub struct ProjectSubscription;

#[Subscription]
impl ProjectSubscription {
    /// Live events of a project. With `after` (a `cursor` from an earlier event or from
    /// `project.activity`), everything after it is replayed first, then live events follow with
    /// no gap and no duplicate. Removal from the project ends the stream with `FORBIDDEN`.
    async fn project_events(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        after: Option<String>,
    ) -> async_graphql::Result<BoxStream<'static, async_graphql::Result<ProjectEventNode>>> {
        let viewer = viewer(ctx)?.clone();
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let after_seq = after.as_deref().map(parse_event_cursor).transpose()?;
        let state = AppState::from_ctx(ctx).clone();
        // Setup runs in its own boxed future: its query state is freed once the stream is
        // open, instead of staying inside every idle subscription.
        Ok(Box::pin(open_project_events(state, viewer, project_id, after_seq)).await?)
    }
}

async fn open_project_events(
    state: AppState,
    viewer: AuthenticatedUser,
    project_id: Uuid,
    after_seq: Option<i64>,
) -> AppResult<BoxStream<'static, async_graphql::Result<ProjectEventNode>>> {
    let access = {
        let mut connection = state.pool.get().await?;
        load_project_access(&mut connection, &viewer, project_id)
            .await?
            .1
    };
    let stream =
        ProjectEventStream::open(&state.pool, &state.events, project_id, after_seq).await?;
    let watcher = MembershipWatch::new(&viewer, access);
    let events = Box::pin(stream.into_stream());
    Ok(
        futures_util::stream::unfold((events, watcher), |(mut events, mut watcher)| async move {
            if watcher.ended {
                return None;
            }
            let item = events.next().await?;
            let output = watcher.admit(item);
            Some((output, (events, watcher)))
        })
        .boxed(),
    )
}

/// Follows the subscriber's own membership through the stream, so permission is re-checked on
/// every event without a query per subscriber.
pub(crate) struct MembershipWatch {
    user_id: Uuid,
    is_platform_admin: bool,
    access: ProjectAccess,
    pub(crate) ended: bool,
}

impl MembershipWatch {
    pub(crate) fn new(viewer: &AuthenticatedUser, access: ProjectAccess) -> Self {
        MembershipWatch {
            user_id: viewer.user_id(),
            is_platform_admin: viewer.is_platform_admin(),
            access,
            ended: false,
        }
    }

    /// What the subscriber receives for `item`; after an error, the stream ends.
    pub(crate) fn admit(&mut self, item: StreamItem) -> async_graphql::Result<ProjectEventNode> {
        let event = match item {
            StreamItem::Event(event) => event,
            StreamItem::Ended(end) => {
                self.ended = true;
                let error = match end {
                    StreamEnd::ProjectDeleted => not_found("project"),
                    StreamEnd::TooSlow => AppError::SubscriberTooSlow(
                        "this subscriber fell too far behind and missed events; \
                         resubscribe with `after` set to the last cursor received"
                            .into(),
                    ),
                };
                return Err(error.into());
            }
            StreamItem::Failed(error) => {
                self.ended = true;
                return Err(error.into());
            }
        };
        if let Some(member) = event.payload.get("member") {
            let about_viewer =
                member["user_id"].as_str() == Some(self.user_id.to_string().as_str());
            if about_viewer {
                self.observe_own_membership(&event, member);
            }
        }
        if !self.access.allows(ProjectPermission::ReadProject) {
            self.ended = true;
            return Err(forbidden("you are no longer a member of this project").into());
        }
        Ok(ProjectEventNode {
            event,
            access: self.access,
        })
    }

    fn observe_own_membership(&mut self, event: &ActivityEvent, member: &serde_json::Value) {
        match event.kind() {
            Some(ActivityKind::MemberRemoved) => {
                self.access = if self.is_platform_admin {
                    ProjectAccess::PlatformAdmin
                } else {
                    ProjectAccess::NonMember
                };
            }
            Some(ActivityKind::MemberAdded | ActivityKind::MemberRoleChanged) => {
                if let Some(role) = member["role"].as_str().and_then(ProjectRole::parse) {
                    self.access = ProjectAccess::Member(role);
                }
            }
            _ => {}
        }
    }
}
