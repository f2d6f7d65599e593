//! The one permission table. Resolvers, guards and subscription streams ask here; nothing else
//! decides access. Platform permissions hang on the `is_admin` flag; project permissions on the
//! viewer's role in the project.

use async_graphql::{parser::types::OperationType, Context, Guard};
use uuid::Uuid;

use crate::{
    auth::{
        api_keys::ApiScope,
        viewer::{AuthenticatedUser, Credential, Viewer},
    },
    error::{forbidden, not_found, AppResult},
};

/// Actions on the platform as a whole, as opposed to inside one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformPermission {
    ListUsers,
    SetPlatformAdmin,
    ReadAuditLog,
}

impl PlatformPermission {
    fn allowed_for(self, user: &AuthenticatedUser) -> bool {
        match self {
            PlatformPermission::ListUsers
            | PlatformPermission::SetPlatformAdmin
            | PlatformPermission::ReadAuditLog => user.is_platform_admin(),
        }
    }
}

/// A member's role in a project, strongest first: each role can do everything the ones below it can.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    async_graphql::Enum,
    serde::Serialize,
    serde::Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ProjectRole {
    /// Reads the project: tasks, pipelines, runs, activity, shared bookmarks.
    Viewer,
    /// A viewer who may also run and cancel pipelines.
    Executor,
    /// May also create, change and delete tasks, edit pipelines and share bookmarks.
    Editor,
    /// May also rename, archive and unarchive the project and manage members up to EDITOR.
    Admin,
    /// The one owner: may also delete the project, transfer ownership and manage admins.
    Owner,
}

crate::stored_as_text!(ProjectRole {
    Owner => "OWNER",
    Admin => "ADMIN",
    Editor => "EDITOR",
    Executor => "EXECUTOR",
    Viewer => "VIEWER",
});

/// Actions inside one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectPermission {
    ReadProject,
    RunPipeline,
    CreateTask,
    UpdateTask,
    DeleteTask,
    EditPipeline,
    UpdateProject,
    ArchiveProject,
    ManageMembers,
    DeleteProject,
    TransferOwnership,
    /// Read bookmarks members shared into the project.
    ReadSharedBookmarks,
    /// Share one's own bookmark into the project.
    ShareBookmark,
    /// Change or delete a bookmark someone shared into the project.
    EditSharedBookmark,
    /// See who else is viewing the project, and be seen there (`projectPresence`,
    /// `updatePresence`).
    ViewPresence,
}

impl ProjectPermission {
    /// The weakest role that holds this permission: the whole table in one match.
    pub fn minimum_role(self) -> ProjectRole {
        use ProjectPermission::*;
        match self {
            ReadProject | ReadSharedBookmarks | ViewPresence => ProjectRole::Viewer,
            RunPipeline => ProjectRole::Executor,
            CreateTask | UpdateTask | DeleteTask | EditPipeline => ProjectRole::Editor,
            ShareBookmark | EditSharedBookmark => ProjectRole::Editor,
            UpdateProject | ArchiveProject | ManageMembers => ProjectRole::Admin,
            DeleteProject | TransferOwnership => ProjectRole::Owner,
        }
    }
}

/// What the viewer may do in one project: their role there, or platform-admin powers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectAccess {
    Member(ProjectRole),
    /// Platform administrators act on every project with owner powers, without being members.
    PlatformAdmin,
    NonMember,
}

impl ProjectAccess {
    pub fn for_viewer(user: &AuthenticatedUser, membership: Option<ProjectRole>) -> Self {
        match membership {
            Some(role) => ProjectAccess::Member(role),
            None if user.is_platform_admin() => ProjectAccess::PlatformAdmin,
            None => ProjectAccess::NonMember,
        }
    }

    fn effective_role(self) -> Option<ProjectRole> {
        match self {
            ProjectAccess::Member(role) => Some(role),
            ProjectAccess::PlatformAdmin => Some(ProjectRole::Owner),
            ProjectAccess::NonMember => None,
        }
    }

    pub fn allows(self, permission: ProjectPermission) -> bool {
        self.effective_role()
            .is_some_and(|role| role >= permission.minimum_role())
    }

    /// Non-members learn nothing, not even that the object exists: `NOT_FOUND`. Members without
    /// the permission get `FORBIDDEN`.
    pub fn require(self, permission: ProjectPermission, object: &str) -> AppResult<()> {
        match self.effective_role() {
            None => Err(not_found(object)),
            Some(_) if self.allows(permission) => Ok(()),
            Some(role) => Err(forbidden(format!(
                "your role {} in this project does not allow this; it needs {} or above",
                role.stored_name(),
                permission.minimum_role().stored_name()
            ))),
        }
    }

    /// May this viewer give `target_new` to a member whose role is now `target_current`
    /// (`None` when adding someone)? Owners manage everyone but the owner seat, which only
    /// changes hands by transfer; admins manage members below admin.
    pub fn require_member_change(
        self,
        target_current: Option<ProjectRole>,
        target_new: Option<ProjectRole>,
    ) -> AppResult<()> {
        self.require(ProjectPermission::ManageMembers, "project")?;
        let actor = self.effective_role().unwrap_or(ProjectRole::Viewer);
        if target_current == Some(ProjectRole::Owner) || target_new == Some(ProjectRole::Owner) {
            return Err(forbidden(
                "the owner's seat changes only through transferOwnership",
            ));
        }
        let ceiling = if actor == ProjectRole::Owner {
            ProjectRole::Admin
        } else {
            ProjectRole::Editor
        };
        let within_reach = |role: Option<ProjectRole>| role.is_none_or(|role| role <= ceiling);
        if within_reach(target_current) && within_reach(target_new) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "your role {} can manage members up to {} only",
                actor.stored_name(),
                ceiling.stored_name()
            )))
        }
    }
}

/// Actions on one bookmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookmarkPermission {
    Read,
    Update,
    Delete,
}

/// How the viewer stands to one bookmark: its owner, a member of the project it is shared into
/// (with that membership's access), or a stranger. Bookmarks are private to their owner unless
/// shared; platform administrators get no special reach into people's bookmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookmarkAccess {
    Owner,
    Shared(ProjectAccess),
    Stranger,
}

impl BookmarkAccess {
    /// `shared_role` is the viewer's role in the project the bookmark is shared into, if any.
    pub fn for_viewer(
        user: &AuthenticatedUser,
        owner_id: uuid::Uuid,
        shared_into_project: bool,
        shared_role: Option<ProjectRole>,
    ) -> Self {
        if owner_id == user.user_id() {
            BookmarkAccess::Owner
        } else if shared_into_project && shared_role.is_some() {
            BookmarkAccess::Shared(ProjectAccess::for_viewer(user, shared_role))
        } else {
            BookmarkAccess::Stranger
        }
    }

    pub fn allows(self, permission: BookmarkPermission) -> bool {
        self.require(permission).is_ok()
    }

    /// Strangers learn nothing (`NOT_FOUND`); members who may read but not edit get `FORBIDDEN`.
    pub fn require(self, permission: BookmarkPermission) -> AppResult<()> {
        match (self, permission) {
            (BookmarkAccess::Owner, _) => Ok(()),
            (BookmarkAccess::Stranger, _) => Err(not_found("bookmark")),
            (BookmarkAccess::Shared(access), BookmarkPermission::Read) => {
                access.require(ProjectPermission::ReadSharedBookmarks, "bookmark")
            }
            (BookmarkAccess::Shared(access), _) => {
                access.require(ProjectPermission::ReadSharedBookmarks, "bookmark")?;
                access.require(ProjectPermission::EditSharedBookmark, "bookmark")
            }
        }
    }
}

/// The request's signed-in viewer; anonymous viewers get `UNAUTHENTICATED`.
pub fn signed_in<'a>(ctx: &Context<'a>) -> AppResult<&'a AuthenticatedUser> {
    require_user(viewer(ctx))
}

/// The viewer must be signed in; anonymous viewers get `UNAUTHENTICATED`.
pub fn require_user(viewer: &Viewer) -> AppResult<&AuthenticatedUser> {
    viewer.authenticated()
}

/// The viewer must hold `permission` on the platform; otherwise `UNAUTHENTICATED` or `FORBIDDEN`.
pub fn require_platform(
    viewer: &Viewer,
    permission: PlatformPermission,
) -> AppResult<&AuthenticatedUser> {
    let user = require_user(viewer)?;
    if permission.allowed_for(user) {
        Ok(user)
    } else {
        Err(forbidden("this action requires a platform administrator"))
    }
}

/// The viewer must be signed in with a session, not an API key: credentials (sessions, keys,
/// MFA, the password) are managed only by the person, so a leaked key cannot mint more keys or
/// lock its owner out. Returns the user and their session id.
pub fn require_session(viewer: &Viewer) -> AppResult<(&AuthenticatedUser, Uuid)> {
    let user = require_user(viewer)?;
    match user.session_id() {
        Some(session_id) => Ok((user, session_id)),
        None => Err(forbidden(
            "API keys cannot manage sessions, keys, MFA or passwords; sign in instead",
        )),
    }
}

/// May this viewer run an operation of this type at all? Sessions may run anything; an API key
/// of any scope may read (queries, subscriptions), a WRITE key may run any mutation, and an
/// EXECUTE key only mutations whose every root field starts or stops a pipeline run
/// (`root_fields` is none when they cannot be told, which counts as "something else").
pub fn require_operation(
    viewer: &Viewer,
    operation: OperationType,
    root_fields: Option<&[&str]>,
) -> AppResult<()> {
    let Viewer::User(AuthenticatedUser {
        credential: Credential::ApiKey { scopes, .. },
        ..
    }) = viewer
    else {
        return Ok(());
    };
    let only_runs_pipelines = root_fields.is_some_and(|fields| {
        !fields.is_empty()
            && fields
                .iter()
                .all(|field| PIPELINE_EXECUTION_MUTATIONS.contains(field))
    });
    match operation {
        OperationType::Query | OperationType::Subscription => Ok(()),
        OperationType::Mutation if scopes.contains(&ApiScope::Write) => Ok(()),
        OperationType::Mutation if only_runs_pipelines && scopes.contains(&ApiScope::Execute) => {
            Ok(())
        }
        OperationType::Mutation => Err(forbidden(
            "this API key may not run this mutation: it needs the WRITE scope \
             (EXECUTE allows only runPipeline and cancelPipelineRun)",
        )),
    }
}

/// The mutations an EXECUTE key may run: starting and stopping pipeline runs, nothing that
/// changes a pipeline or anything else.
pub const PIPELINE_EXECUTION_MUTATIONS: [&str; 2] = ["runPipeline", "cancelPipelineRun"];

/// The viewer of the GraphQL request being resolved.
pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    ctx.data_opt::<Viewer>().unwrap_or(&Viewer::Anonymous)
}

/// Field guard: the viewer must be signed in.
pub struct SignedIn;

impl Guard for SignedIn {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        require_user(viewer(ctx))?;
        Ok(())
    }
}

/// Field guard: the viewer must be signed in with a session (see `require_session`).
pub struct SessionOnly;

impl Guard for SessionOnly {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        require_session(viewer(ctx))?;
        Ok(())
    }
}

/// Field guard: the viewer must hold a platform permission.
pub struct PlatformGuard(pub PlatformPermission);

impl Guard for PlatformGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        require_platform(viewer(ctx), self.0)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProjectPermission::*;

    #[test]
    fn roles_inherit_everything_below_them() {
        let viewer = ProjectAccess::Member(ProjectRole::Viewer);
        let executor = ProjectAccess::Member(ProjectRole::Executor);
        let editor = ProjectAccess::Member(ProjectRole::Editor);
        let admin = ProjectAccess::Member(ProjectRole::Admin);
        let owner = ProjectAccess::Member(ProjectRole::Owner);
        assert!(viewer.allows(ReadProject) && !viewer.allows(RunPipeline));
        assert!(executor.allows(RunPipeline) && !executor.allows(CreateTask));
        assert!(editor.allows(UpdateTask) && !editor.allows(ManageMembers));
        assert!(admin.allows(ManageMembers) && !admin.allows(DeleteProject));
        assert!(owner.allows(DeleteProject) && owner.allows(TransferOwnership));
        assert!(ProjectAccess::PlatformAdmin.allows(DeleteProject));
        assert!(!ProjectAccess::NonMember.allows(ReadProject));
    }

    #[test]
    fn non_members_get_not_found_and_weak_members_forbidden() {
        let hidden = ProjectAccess::NonMember
            .require(ReadProject, "project")
            .unwrap_err();
        assert_eq!(hidden.code(), "NOT_FOUND");
        let weak = ProjectAccess::Member(ProjectRole::Viewer)
            .require(CreateTask, "project")
            .unwrap_err();
        assert_eq!(weak.code(), "FORBIDDEN");
    }

    #[test]
    fn shared_bookmarks_are_read_by_members_and_edited_by_editors_only() {
        let viewer = BookmarkAccess::Shared(ProjectAccess::Member(ProjectRole::Viewer));
        let editor = BookmarkAccess::Shared(ProjectAccess::Member(ProjectRole::Editor));
        assert!(viewer.allows(BookmarkPermission::Read));
        let refused = viewer.require(BookmarkPermission::Update).unwrap_err();
        assert_eq!(refused.code(), "FORBIDDEN");
        assert!(editor.allows(BookmarkPermission::Update));
        assert!(editor.allows(BookmarkPermission::Delete));
        let stranger = BookmarkAccess::Stranger
            .require(BookmarkPermission::Read)
            .unwrap_err();
        assert_eq!(stranger.code(), "NOT_FOUND");
        assert!(BookmarkAccess::Owner.allows(BookmarkPermission::Delete));
    }

    #[test]
    fn admins_manage_only_members_below_admin() {
        let admin = ProjectAccess::Member(ProjectRole::Admin);
        assert!(admin
            .require_member_change(None, Some(ProjectRole::Editor))
            .is_ok());
        assert!(admin
            .require_member_change(Some(ProjectRole::Viewer), Some(ProjectRole::Editor))
            .is_ok());
        assert!(admin
            .require_member_change(None, Some(ProjectRole::Admin))
            .is_err());
        assert!(admin
            .require_member_change(Some(ProjectRole::Admin), None)
            .is_err());
        let owner = ProjectAccess::Member(ProjectRole::Owner);
        assert!(owner
            .require_member_change(None, Some(ProjectRole::Admin))
            .is_ok());
        assert!(owner
            .require_member_change(Some(ProjectRole::Owner), None)
            .is_err());
        assert!(ProjectAccess::Member(ProjectRole::Editor)
            .require_member_change(None, Some(ProjectRole::Viewer))
            .is_err());
    }
}
