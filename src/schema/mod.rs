//! The schema assembly: every feature's query, mutation and subscription roots merged into one
//! schema. The only module that knows every feature; nothing below it imports it.

mod node;

use std::sync::Arc;

use anyhow::Context;
use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::{
    audit::api::AuditQuery,
    bookmarks::api::{BookmarkMutation, BookmarkQuery, BookmarkSubscription},
    graphql::{
        credential_scopes::CredentialScopes, limits::RequestLimits, observer::OperationObserver,
        system::SystemSubscription,
    },
    limits::api::RateLimitQuery,
    pipelines::api::{
        PipelineGraphMutation, PipelineMutation, PipelineQuery, PipelineSubscription, RunMutation,
        RunQuery, RunSubscription,
    },
    projects::api::{ProjectMutation, ProjectQuery, ProjectSubscription},
    reactions::{
        api::{ReactionMutation, ReactionQuery, ReactionSubscription},
        predictor::ExternalPredictor,
    },
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
    PipelineGraphMutation,
    RunMutation,
);

#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(
    SystemSubscription,
    ProjectSubscription,
    ReactionSubscription,
    BookmarkSubscription,
    PipelineSubscription,
    RunSubscription,
);

pub type CatalystSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .extension(OperationObserver)
    // Depth, complexity, aliases and the rest are checked by `limits` with their names.
    .extension(CredentialScopes)
    .extension(RequestLimits)
}

/// The schema served by `state`, with the services its features need beyond the state (the
/// external reaction predictor, when configured).
pub fn build_schema(state: AppState) -> anyhow::Result<CatalystSchema> {
    let query_limits = &state.settings.abuse.query;
    let builder = builder().limit_recursive_depth((query_limits.max_depth * 3).max(64));
    let builder = if query_limits.field_suggestions {
        builder
    } else {
        builder.disable_suggestions()
    };
    let predictor = state
        .settings
        .reaction_predictor
        .clone()
        .map(ExternalPredictor::new)
        .transpose()
        .context("could not set up the reaction predictor's HTTP client")?;
    let builder = match predictor {
        Some(predictor) => builder.data(Arc::new(predictor)),
        None => builder,
    };
    Ok(builder.data(state).finish())
}

/// The SDL committed as `schema.graphql`.
pub fn schema_sdl() -> String {
    builder().finish().sdl()
}
