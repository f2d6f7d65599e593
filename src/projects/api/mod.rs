//! GraphQL surface of projects, members, the live `projectEvents` stream and presence. Mutations go
//! through the unit of work (`crate::work`), which locks the project's activity log, re-checks
//! the caller's role, and publishes the recorded activity after commit.

mod events;
mod inputs;
mod mutations;
mod presence;
mod queries;
mod types;

pub use events::ProjectSubscription;
pub use mutations::ProjectMutation;
pub use presence::{PresenceMutation, PresenceSubscription};
pub use queries::ProjectQuery;
