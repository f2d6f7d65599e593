//! Follows a subscriber's own membership through a project's event stream, so permission is
//! re-checked on every event without a query per subscriber. Used by every stream of project
//! events (`projectEvents`, `pipelineEvents`) and by `projectPresence`.

use std::sync::Arc;

use crate::{
    auth::{
        authz::{ProjectAccess, ProjectPermission},
        live::LiveCredentials,
        viewer::AuthenticatedUser,
    },
    error::{forbidden, not_found, AppError},
    events::{
        stream::{StreamEnd, StreamItem},
        ActivityEvent,
    },
    projects::{activity::Activity, views::ProjectEventNode},
};
use uuid::Uuid;

pub struct MembershipWatch {
    user_id: Uuid,
    is_platform_admin: bool,
    /// The subscriber's live connection, if any: once it renews its credentials, their user is
    /// the one judged (platform administration may have been removed meanwhile).
    live: Option<Arc<LiveCredentials>>,
    access: ProjectAccess,
    pub ended: bool,
}

impl MembershipWatch {
    pub fn new(
        viewer: &AuthenticatedUser,
        access: ProjectAccess,
        live: Option<Arc<LiveCredentials>>,
    ) -> Self {
        MembershipWatch {
            user_id: viewer.user_id(),
            is_platform_admin: viewer.is_platform_admin(),
            live,
            access,
            ended: false,
        }
    }

    /// Starts over from access read again from the membership table.
    pub fn restart(&mut self, access: ProjectAccess) {
        self.access = access;
        self.ended = false;
    }

    /// The viewer of the subscriber's latest renewal, if their connection renewed.
    pub fn renewed_viewer(&self) -> Option<Arc<AuthenticatedUser>> {
        self.live.as_ref().and_then(|live| live.renewed_viewer())
    }

    fn is_platform_admin(&self) -> bool {
        match self.renewed_viewer() {
            Some(renewed) => renewed.is_platform_admin(),
            None => self.is_platform_admin,
        }
    }

    /// What the subscriber receives for `item`; after an error, the stream ends.
    pub fn admit(&mut self, item: StreamItem) -> async_graphql::Result<ProjectEventNode> {
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
        match Activity::of(&event) {
            Ok(activity) => self.observe(activity),
            Err(error) => {
                self.ended = true;
                return Err(error.into());
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

    /// Follows one live event of the project for a stream that is not made of its events
    /// (presence): an error when the subscriber may no longer hold `permission`.
    pub fn follow(
        &mut self,
        event: &ActivityEvent,
        permission: ProjectPermission,
    ) -> Result<(), AppError> {
        let activity = Activity::of(event)?;
        self.observe(activity);
        if self.access.allows(permission) {
            return Ok(());
        }
        self.ended = true;
        Err(forbidden("you are no longer a member of this project"))
    }

    /// Changes to the subscriber's own membership change what they may receive next.
    fn observe(&mut self, activity: &Activity) {
        match activity {
            Activity::MemberRemoved(removed) if removed.member.user_id == self.user_id => {
                self.access = if self.is_platform_admin() {
                    ProjectAccess::PlatformAdmin
                } else {
                    ProjectAccess::NonMember
                };
            }
            Activity::MemberAdded(changed) | Activity::MemberRoleChanged(changed)
                if changed.member.user_id == self.user_id =>
            {
                self.access = ProjectAccess::Member(changed.member.role);
            }
            _ => {}
        }
    }
}
