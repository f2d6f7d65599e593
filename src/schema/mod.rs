//! The schema assembly: every feature's query, mutation and subscription roots merged into one
//! schema. The only module that knows every feature; nothing below it imports it.

mod node;

use std::sync::Arc;

use anyhow::Context;
use async_graphql::{
    connection::Connection, Json, MergedObject, MergedSubscription, Schema, SchemaBuilder, ID,
};
use serde_json::Value;

use crate::{
    audit::api::AuditQuery,
    bookmarks::api::{BookmarkMutation, BookmarkQuery, BookmarkSubscription},
    graphql::{connection::ConnectionMutation, hooks::RequestHooks, system::SystemSubscription},
    limits::api::RateLimitQuery,
    limits::RedisLink,
    pipelines::api::{
        PipelineGraphMutation, PipelineMutation, PipelineQuery, PipelineSubscription, RunMutation,
        RunQuery, RunSubscription,
    },
    projects::{
        api::{
            PresenceMutation, PresenceSubscription, ProjectMutation, ProjectQuery,
            ProjectSubscription,
        },
        presence::PresenceBoard,
    },
    reactions::{
        api::{ReactionMutation, ReactionQuery, ReactionSubscription},
        predictor::ExternalPredictor,
    },
    security::api::{SecurityMutation, SecurityQuery},
    state::AppState,
    tasks::api::{TaskMutation, TaskQuery},
    traces::SlowResolverSpans,
    users::api::{UserMutation, UserQuery},
};

/// Everything a client can read. Most fields need a signed-in viewer (`Authorization: Bearer
/// <access token>`, or an API key of any scope) and answer `UNAUTHENTICATED` without one.
/// Every operation costs points from the viewer's budget (see `rateLimit`).
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

/// Everything a client can change. Each mutation commits as one transaction; errors carry a
/// stable `extensions.code` (`BAD_USER_INPUT`, `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`,
/// `CONFLICT`, `RATE_LIMITED`, `INTERNAL`). API keys need the WRITE scope (EXECUTE allows only
/// `runPipeline` and `cancelPipelineRun`), else `FORBIDDEN`.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    UserMutation,
    ProjectMutation,
    PresenceMutation,
    TaskMutation,
    ReactionMutation,
    SecurityMutation,
    BookmarkMutation,
    PipelineMutation,
    PipelineGraphMutation,
    RunMutation,
    ConnectionMutation,
);

/// Live streams on `/graphql` over WebSocket (`graphql-transport-ws`, or legacy `graphql-ws`,
/// with the token as `authorization` in the `connection_init` payload) or Server-Sent Events
/// (graphql-sse, with the `Authorization` header; `Last-Event-ID` resumes after that cursor). A
/// stream the subscriber loses access to ends with `FORBIDDEN`; one whose credentials expire or
/// are revoked ends with `UNAUTHENTICATED` (`extensions.reason`); a `projectEvents` subscriber
/// too slow to keep up ends with `SUBSCRIBER_TOO_SLOW` (resume with `after`). Subscriptions are
/// metered: opening one costs its complexity and each delivered event
/// `SUBSCRIPTION_EVENT_POINTS` (10 by default) from the viewer's budget, reported in the
/// event's `extensions.rateLimit`; on an empty budget a new one is refused with `RATE_LIMITED`,
/// and a running one gets one `RATE_LIMITED` warning with its next event and ends at the one
/// after. At most `SUBSCRIPTION_MAX_PER_USER` run at once per user, over every connection.
#[derive(MergedSubscription, Default)]
pub struct SubscriptionRoot(
    SystemSubscription,
    ProjectSubscription,
    PresenceSubscription,
    ReactionSubscription,
    BookmarkSubscription,
    PipelineSubscription,
    RunSubscription,
);

pub type CatalystSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The schema with its one extension (`graphql::hooks`); `slow_resolvers` only with traces on.
fn builder(
    slow_resolvers: Option<SlowResolverSpans>,
) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    describe_connections(Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    ))
    .override_output_type_description::<ID>(
        "An opaque identifier: pass it back exactly as received. Global ids name their type, so \
         an id of one type where another is expected is `BAD_USER_INPUT`.",
    )
    .extension(RequestHooks::new(slow_resolvers))
}

/// async-graphql's connection types carry no description of their own.
fn describe_connections(
    builder: SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot>,
) -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    use crate::{
        audit::model::AuditRecord,
        auth::api_keys::ApiKey,
        bookmarks::api::BookmarkNode,
        graphql::pagination::PageCursor,
        pipelines::views::{PipelineView, RunView},
        projects::views::{ProjectEventNode, ProjectNode},
        reactions::api::{Chemical, DiscoveryNode, ReactionOutcomeView},
        security::api::SessionNode,
        tasks::views::BoardTask,
        users::model::User,
    };
    const PAGE: &str = "Relay cursor pagination: pass `pageInfo.endCursor` as `after` for the \
                        next page, at most 100 items per page. A `first` outside 0 to 100 or an \
                        `after` this API did not return is `BAD_USER_INPUT`.";
    builder
        .override_output_type_description::<Connection<PageCursor, ApiKey>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, AuditRecord>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, BookmarkNode>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, Chemical>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, DiscoveryNode>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, Json<Value>>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, PipelineView>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, RunView>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, ProjectNode>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, ProjectEventNode>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, ReactionOutcomeView>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, SessionNode>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, BoardTask>>(PAGE)
        .override_output_type_description::<Connection<PageCursor, User>>(PAGE)
}

/// The schema served by `state`, with the services its features need beyond the state (the
/// external reaction predictor, when configured; the presence board).
pub fn build_schema(state: AppState) -> anyhow::Result<CatalystSchema> {
    let query_limits = &state.settings.abuse.query;
    // Slow-resolver spans only with traces on: the hook wraps every resolver.
    let slow_resolvers = state
        .settings
        .traces
        .as_ref()
        .map(|traces| SlowResolverSpans::new(traces.resolver_threshold));
    let builder =
        builder(slow_resolvers).limit_recursive_depth((query_limits.max_depth * 3).max(64));
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
    let presence = PresenceBoard::new(
        state
            .redis
            .clone()
            .map(|client| RedisLink::new(client, &state.settings.abuse.rate.redis_key_prefix)),
        state.events.clone(),
        state.settings.presence.timeout,
        state.shutdown.clone(),
    );
    Ok(builder.data(presence).data(state).finish())
}

/// The SDL committed as `schema.graphql`.
pub fn schema_sdl() -> String {
    builder(None).finish().sdl()
}
