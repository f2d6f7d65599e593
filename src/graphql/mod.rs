//! The GraphQL schema: every feature's query, mutation and subscription roots merged into one,
//! plus the pieces they share (ids, pagination, loaders, the operation observer).

pub mod ids;
pub mod loaders;
pub mod node;
pub mod observer;
pub mod pagination;
pub mod system;

use async_graphql::{MergedObject, MergedSubscription, Schema};

use crate::{
    pipelines::{
        api::{PipelineMutation, PipelineQuery, PipelineSubscription},
        run_api::{RunMutation, RunQuery, RunSubscription},
    },
    projects::api::{ProjectMutation, ProjectQuery, ProjectSubscription},
    reactions::api::{ReactionMutation, ReactionQuery, ReactionSubscription},
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
    node::NodeQuery,
    PipelineQuery,
    RunQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    UserMutation,
    ProjectMutation,
    TaskMutation,
    ReactionMutation,
    PipelineMutation,
    RunMutation,
);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(
    system::SystemSubscription,
    ProjectSubscription,
    ReactionSubscription,
    PipelineSubscription,
    RunSubscription,
);

pub type CatalystSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Nesting beyond this is refused before execution; real clients stay far below it.
pub const MAX_QUERY_DEPTH: usize = 12;

/// The schema served by `state`; without state it can only describe itself (`catalyst schema`).
pub fn build_schema(state: Option<AppState>) -> CatalystSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .extension(observer::OperationObserver)
    .limit_depth(MAX_QUERY_DEPTH)
    .limit_recursive_depth(64);
    match state {
        Some(state) => builder.data(state).finish(),
        None => builder.finish(),
    }
}

/// The SDL committed as `schema.graphql`.
pub fn schema_sdl() -> String {
    build_schema(None).sdl()
}
