//! The GraphQL schema: every feature's query, mutation and subscription roots merged into one,
//! plus the pieces they share (ids, pagination, loaders, the operation observer).

pub mod credential_scopes;
pub mod document;
pub mod ids;
pub mod limits;
pub mod loaders;
pub mod node;
pub mod observer;
pub mod pagination;
pub mod persisted;
pub mod system;

use async_graphql::{MergedObject, MergedSubscription, Schema};

use crate::{
    audit::api::AuditQuery,
    bookmarks::api::{BookmarkMutation, BookmarkQuery, BookmarkSubscription},
    limits::api::RateLimitQuery,
    pipelines::{
        api::{PipelineMutation, PipelineQuery, PipelineSubscription},
        run_api::{RunMutation, RunQuery, RunSubscription},
    },
    projects::api::{ProjectMutation, ProjectQuery, ProjectSubscription},
    reactions::api::{ReactionMutation, ReactionQuery, ReactionSubscription},
    security::api::{SecurityMutation, SecurityQuery},
    state::AppState,
    tasks::api::{TaskMutation, TaskQuery},
    users::api::{UserMutation, UserQuery},
};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    UserQuery,
    ProjectQuery,
    TaskQuery,
    ReactionQuery,
    BookmarkQuery,
    node::NodeQuery,
    SecurityQuery,
    AuditQuery,
    RateLimitQuery,
    PipelineQuery,
    RunQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    UserMutation,
    ProjectMutation,
    TaskMutation,
    ReactionMutation,
    SecurityMutation,
    BookmarkMutation,
    PipelineMutation,
    RunMutation,
);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(
    system::SystemSubscription,
    ProjectSubscription,
    ReactionSubscription,
    BookmarkSubscription,
    PipelineSubscription,
    RunSubscription,
);

pub type CatalystSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema served by `state`; without state it can only describe itself (`catalyst schema`).
pub fn build_schema(state: Option<AppState>) -> CatalystSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .extension(observer::OperationObserver)
    // Depth, complexity, aliases and the rest are checked by `limits` with their names.
    .extension(credential_scopes::CredentialScopes)
    .extension(limits::RequestLimits);
    let Some(state) = state else {
        return builder.finish();
    };
    let query_limits = &state.settings.abuse.query;
    let builder = builder.limit_recursive_depth((query_limits.max_depth * 3).max(64));
    let builder = if query_limits.field_suggestions {
        builder
    } else {
        builder.disable_suggestions()
    };
    builder.data(state).finish()
}

/// The SDL committed as `schema.graphql`.
pub fn schema_sdl() -> String {
    build_schema(None).sdl()
}
