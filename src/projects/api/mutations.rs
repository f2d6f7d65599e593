//! Project mutations: create, update, archive, delete, and membership changes. Each says what it
//! changes and which activity it records; the unit of work does the rest.

use async_graphql::{Context, Enum, Object, ID};
use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use crate::{
    audit::{
        model::{AuditEntry, AuditEventKind},
        store as audit_store,
    },
    auth::{
        authz::{self, ProjectAccess, ProjectPermission, ProjectRole, SignedIn},
        viewer::ClientInfo,
    },
    error::{bad_input, conflict, internal, not_found, AppResult},
    events::BusEvent,
    graphql::ids::{decode_id, encode_id},
    projects::{
        activity::{Activity, MemberSnapshot, ProjectSnapshot},
        model::{
            parse_project_description, parse_project_name, NewProject, Project, ProjectChanges,
            ProjectMember,
        },
        store,
        views::{MemberNode, ProjectNode, PROJECT_TYPE},
    },
    state::AppState,
    users::{
        model::{Email, USER_TYPE},
        store as user_store,
    },
    work::{self, Actor, ProjectChange},
};

use super::inputs::{CreateProjectInput, UpdateProjectInput};

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
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "id", &id)?;
        let actor = Actor::Viewer(viewer, ProjectPermission::ArchiveProject);
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            let archive = target == ArchiveState::Archived;
            if change.archived == archive {
                let project = current_project(change).await?;
                return Ok(node(change, project));
            }
            let changes = ProjectChanges {
                archived_at: Some(archive.then(Utc::now)),
                ..ProjectChanges::default()
            };
            let project = store::update_project(&mut change.db, project_id, &changes).await?;
            let snapshot = ProjectSnapshot {
                project: project.clone(),
                changed_fields: field_names(changes.changed_fields()),
            };
            change.record(if archive {
                Activity::ProjectArchived(snapshot)
            } else {
                Activity::ProjectUpdated(snapshot)
            })?;
            Ok(node(change, project))
        })
        .await
    }
}

#[Object]
impl ProjectMutation {
    /// Creates a project; the creator becomes its OWNER. Any signed-in user
    /// (`UNAUTHENTICATED` otherwise); invalid fields are `BAD_USER_INPUT`.
    #[graphql(guard = "SignedIn")]
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new project's name and description.")] input: CreateProjectInput,
    ) -> AppResult<ProjectNode> {
        let viewer = authz::signed_in(ctx)?;
        let new_project = NewProject {
            id: Uuid::now_v7(),
            name: parse_project_name("name", &input.name)?,
            description: parse_project_description("description", &input.description)?,
            created_by: Some(viewer.user_id()),
        };
        let owner = viewer.user_id();
        let project = work::run(AppState::from_ctx(ctx), async |change| {
            store::insert_project(&mut change.db, new_project, owner).await
        })
        .await?;
        Ok(ProjectNode {
            project,
            access: ProjectAccess::Member(ProjectRole::Owner),
        })
    }

    /// Renames or re-describes a project (ADMIN and above): `NOT_FOUND` for non-members,
    /// `FORBIDDEN` below ADMIN, `BAD_USER_INPUT` for invalid fields.
    #[graphql(guard = "SignedIn")]
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project to change.")] id: ID,
        #[graphql(desc = "The fields to change; omitted ones stay.")] input: UpdateProjectInput,
    ) -> AppResult<ProjectNode> {
        let viewer = authz::signed_in(ctx)?;
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
        let actor = Actor::Viewer(viewer, ProjectPermission::UpdateProject);
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            if changes.is_empty() {
                let project = current_project(change).await?;
                return Ok(node(change, project));
            }
            let project = store::update_project(&mut change.db, project_id, &changes).await?;
            change.record(Activity::ProjectUpdated(ProjectSnapshot {
                project: project.clone(),
                changed_fields: field_names(changes.changed_fields()),
            }))?;
            Ok(node(change, project))
        })
        .await
    }

    /// Archives a project: it stays readable, and its tasks are read-only (ADMIN and above;
    /// `NOT_FOUND` for non-members, `FORBIDDEN` below ADMIN). Archiving an archived project
    /// changes nothing.
    #[graphql(guard = "SignedIn")]
    async fn archive_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project to archive.")] id: ID,
    ) -> AppResult<ProjectNode> {
        self.set_archived(ctx, id, ArchiveState::Archived).await
    }

    /// Makes an archived project active again, so its tasks can change (ADMIN and above;
    /// `NOT_FOUND` for non-members, `FORBIDDEN` below ADMIN).
    #[graphql(guard = "SignedIn")]
    async fn unarchive_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project to make active.")] id: ID,
    ) -> AppResult<ProjectNode> {
        self.set_archived(ctx, id, ArchiveState::Active).await
    }

    /// Deletes a project and everything in it (OWNER only; `FORBIDDEN` for other members,
    /// `NOT_FOUND` for non-members); returns true. Subscribers' streams end.
    #[graphql(guard = "SignedIn")]
    async fn delete_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project to delete.")] id: ID,
    ) -> AppResult<bool> {
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "id", &id)?;
        let actor = Actor::Viewer(viewer, ProjectPermission::DeleteProject);
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            store::delete_project(&mut change.db, project_id).await?;
            change.publish_after_commit(BusEvent::ProjectDeleted { project_id });
            Ok(true)
        })
        .await
    }

    /// Adds an existing user, by email, with a role below OWNER (ADMIN and above; admins add
    /// members up to EDITOR, owners up to ADMIN; else `FORBIDDEN`). `BAD_USER_INPUT` when no
    /// account has the email; `CONFLICT` when the user is already a member.
    #[graphql(guard = "SignedIn")]
    async fn add_project_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project.")] project_id: ID,
        #[graphql(desc = "The email the user registered with.")] email: String,
        #[graphql(desc = "Their role in the project; OWNER is refused.")] role: ProjectRole,
    ) -> AppResult<MemberNode> {
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let email = Email::parse("email", &email)?;
        let client = ClientInfo::from_ctx(ctx);
        let actor = Actor::Viewer(viewer, ProjectPermission::ReadProject);
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            change.access.require_member_change(None, Some(role))?;
            let user = user_store::find_by_email(&mut change.db, &email)
                .await?
                .ok_or_else(|| bad_input("email", "no user has this email"))?;
            if store::lock_member(&mut change.db, project_id, user.id)
                .await?
                .is_some()
            {
                return Err(conflict("this user is already a member of the project"));
            }
            let member = store::insert_member(&mut change.db, project_id, user.id, role).await?;
            audit_member_change(change, &client, AuditEventKind::ProjectMemberAdded, &member)
                .await?;
            change.record(Activity::MemberAdded(MemberSnapshot {
                member: member.clone(),
            }))?;
            Ok(MemberNode {
                member,
                user: Some(user),
            })
        })
        .await
    }

    /// Changes a member's role (ADMIN and above, within their reach: admins manage members up
    /// to EDITOR, owners up to ADMIN; else `FORBIDDEN`). `NOT_FOUND` when the user is not a
    /// member. The OWNER seat changes only through `transferOwnership`.
    #[graphql(guard = "SignedIn")]
    async fn change_member_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project.")] project_id: ID,
        #[graphql(desc = "The member, by their `User` id.")] user_id: ID,
        #[graphql(desc = "The new role; OWNER is refused.")] role: ProjectRole,
    ) -> AppResult<MemberNode> {
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let member_id = decode_id(USER_TYPE, "userId", &user_id)?;
        let client = ClientInfo::from_ctx(ctx);
        let actor = Actor::Viewer(viewer, ProjectPermission::ReadProject);
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            let member = locked_member(change, member_id, "member").await?;
            change
                .access
                .require_member_change(Some(member.role), Some(role))?;
            if member.role == role {
                return Ok(MemberNode { member, user: None });
            }
            let member =
                store::set_member_role(&mut change.db, project_id, member_id, role).await?;
            record_role_change(change, &client, &member).await?;
            Ok(MemberNode { member, user: None })
        })
        .await
    }

    /// Removes a member (ADMIN and above, within their reach; else `FORBIDDEN`); returns true.
    /// The owner cannot be removed. `NOT_FOUND` when the user is not a member. Their open
    /// `projectEvents` streams end with `FORBIDDEN`.
    #[graphql(guard = "SignedIn")]
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project.")] project_id: ID,
        #[graphql(desc = "The member, by their `User` id.")] user_id: ID,
    ) -> AppResult<bool> {
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let member_id = decode_id(USER_TYPE, "userId", &user_id)?;
        let client = ClientInfo::from_ctx(ctx);
        let actor = Actor::Viewer(viewer, ProjectPermission::ReadProject);
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            let member = locked_member(change, member_id, "member").await?;
            change
                .access
                .require_member_change(Some(member.role), None)?;
            end_membership(change, &client, member).await?;
            Ok(true)
        })
        .await
    }

    /// Leaves a project; returns true. The owner must transfer ownership first (`CONFLICT`);
    /// `NOT_FOUND` when the viewer is not a member.
    #[graphql(guard = "SignedIn")]
    async fn leave_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project to leave.")] project_id: ID,
    ) -> AppResult<bool> {
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let me = viewer.user_id();
        let client = ClientInfo::from_ctx(ctx);
        let actor = Actor::Viewer(viewer, ProjectPermission::ReadProject);
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            let member = locked_member(change, me, "membership").await?;
            if member.role == ProjectRole::Owner {
                return Err(conflict(
                    "the owner cannot leave; transfer ownership to another member first",
                ));
            }
            end_membership(change, &client, member).await?;
            Ok(true)
        })
        .await
    }

    /// Makes another member the OWNER; the previous owner becomes ADMIN (OWNER only; else
    /// `FORBIDDEN`). `BAD_USER_INPUT` when the user is not a member of the project.
    #[graphql(guard = "SignedIn")]
    async fn transfer_ownership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project.")] project_id: ID,
        #[graphql(desc = "The member who becomes OWNER, by their `User` id.")] user_id: ID,
    ) -> AppResult<MemberNode> {
        let viewer = authz::signed_in(ctx)?;
        let project_id = decode_id(PROJECT_TYPE, "projectId", &project_id)?;
        let new_owner_id = decode_id(USER_TYPE, "userId", &user_id)?;
        let client = ClientInfo::from_ctx(ctx);
        let actor = Actor::Viewer(viewer, ProjectPermission::TransferOwnership);
        work::run_in_project(AppState::from_ctx(ctx), actor, project_id, async |change| {
            let heir = store::lock_member(&mut change.db, project_id, new_owner_id)
                .await?
                .ok_or_else(|| {
                    bad_input("userId", "ownership can only go to a member of the project")
                })?;
            if heir.role == ProjectRole::Owner {
                return Ok(MemberNode {
                    member: heir,
                    user: None,
                });
            }
            let members = store::members_with_users(&mut change.db, &[project_id]).await?;
            let owner = members
                .into_iter()
                .map(|(member, _)| member)
                .find(|member| member.role == ProjectRole::Owner)
                .ok_or_else(|| internal(anyhow::anyhow!("project {project_id} has no owner")))?;
            // Demote first: the one-owner unique index must hold after every statement.
            let demoted = store::set_member_role(
                &mut change.db,
                project_id,
                owner.user_id,
                ProjectRole::Admin,
            )
            .await?;
            let promoted = store::set_member_role(
                &mut change.db,
                project_id,
                new_owner_id,
                ProjectRole::Owner,
            )
            .await?;
            record_role_change(change, &client, &demoted).await?;
            record_role_change(change, &client, &promoted).await?;
            Ok(MemberNode {
                member: promoted,
                user: None,
            })
        })
        .await
    }
}

fn node(change: &ProjectChange, project: Project) -> ProjectNode {
    ProjectNode {
        project,
        access: change.access,
    }
}

/// `user_id`'s membership, locked for the change; `NOT_FOUND` (as `what`) when there is none.
async fn locked_member(
    change: &mut ProjectChange,
    user_id: Uuid,
    what: &str,
) -> AppResult<ProjectMember> {
    store::lock_member(&mut change.db, change.project_id, user_id)
        .await?
        .ok_or_else(|| not_found(what))
}

/// The project row, for changes that turn out to change nothing.
async fn current_project(change: &mut ProjectChange) -> AppResult<Project> {
    store::find_project(&mut change.db, change.project_id)
        .await?
        .ok_or_else(|| not_found("project"))
}

fn field_names(fields: Vec<&str>) -> Vec<String> {
    fields.into_iter().map(String::from).collect()
}

async fn record_role_change(
    change: &mut ProjectChange,
    client: &ClientInfo,
    member: &ProjectMember,
) -> AppResult<()> {
    audit_member_change(
        change,
        client,
        AuditEventKind::ProjectMemberRoleChanged,
        member,
    )
    .await?;
    change.record(Activity::MemberRoleChanged(MemberSnapshot {
        member: member.clone(),
    }))
}

/// Records a change to someone's project role in the security audit log, inside the change's
/// unit of work.
async fn audit_member_change(
    change: &mut ProjectChange,
    client: &ClientInfo,
    kind: AuditEventKind,
    member: &ProjectMember,
) -> AppResult<()> {
    let entry = AuditEntry {
        kind,
        actor_id: change.actor_id(),
        target_user_id: Some(member.user_id),
        target: Some(encode_id(PROJECT_TYPE, member.project_id).0),
        details: json!({ "role": member.role }),
    };
    audit_store::record(&mut change.db, client, entry).await
}

/// Removes a membership and records MEMBER_REMOVED, whether it was removed or left.
async fn end_membership(
    change: &mut ProjectChange,
    client: &ClientInfo,
    member: ProjectMember,
) -> AppResult<()> {
    store::delete_member(&mut change.db, member.project_id, member.user_id).await?;
    audit_member_change(
        change,
        client,
        AuditEventKind::ProjectMemberRemoved,
        &member,
    )
    .await?;
    change.record(Activity::MemberRemoved(MemberSnapshot { member }))
}
