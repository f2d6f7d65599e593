//! The one permission table. Resolvers and guards ask here; nothing else decides access.
//! Platform permissions hang on the `is_admin` flag; project roles join this table with projects.

use async_graphql::{Context, Guard};

use crate::{
    auth::viewer::{AuthenticatedUser, Viewer},
    error::{forbidden, AppResult},
};

/// Actions on the platform as a whole, as opposed to inside one project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformPermission {
    ListUsers,
    SetPlatformAdmin,
}

impl PlatformPermission {
    fn allowed_for(self, user: &AuthenticatedUser) -> bool {
        match self {
            PlatformPermission::ListUsers | PlatformPermission::SetPlatformAdmin => {
                user.is_platform_admin()
            }
        }
    }
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

/// Field guard: the viewer must hold a platform permission.
pub struct PlatformGuard(pub PlatformPermission);

impl Guard for PlatformGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        require_platform(viewer(ctx), self.0)?;
        Ok(())
    }
}
