//! GraphQL surface of the chemistry sandbox: predictions (cached by canonical input so the same
//! mix always gives the same answer), the chemical catalogue, players' history and the
//! world-first discovery feed. The engine decides the chemistry; this layer stores and shares it.

mod analysis;
mod chemical;
mod discoveries;
mod outcome;
mod predict;
mod queries;
mod types;

use async_graphql::Context;

use crate::{
    auth::{authz, viewer::AuthenticatedUser},
    error::AppResult,
};

// The node types are named by the schema assembly, which describes their connections.
pub use chemical::Chemical;
pub use discoveries::{DiscoveryNode, ReactionSubscription};
pub use outcome::ReactionOutcomeView;
pub use predict::ReactionMutation;
pub use queries::ReactionQuery;

pub const REACTION_TYPE: &str = "Reaction";
pub const DISCOVERY_TYPE: &str = "Discovery";

fn viewer<'a>(ctx: &Context<'a>) -> AppResult<&'a AuthenticatedUser> {
    authz::require_user(authz::viewer(ctx))
}
