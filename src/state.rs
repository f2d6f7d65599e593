//! Everything a request handler may reach: the pool, token keys, settings, metrics and the
//! shutdown signal. Cheap to clone; built once per application.

use std::sync::Arc;

use async_graphql::Context;
use tokio::sync::watch;

use crate::{
    auth::tokens::TokenKeys,
    config::Settings,
    db::{DbPool, StatementCounter},
    events::EventBus,
    graphql::persisted::PersistedDocuments,
    limits::RateLimiter,
    reactions::predictor::ExternalPredictor,
    telemetry::Metrics,
};

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub redis: Option<redis::Client>,
    pub keys: Arc<TokenKeys>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub events: EventBus,
    pub statements: StatementCounter,
    /// Asked about mixtures the chemistry rules cannot decide, when REACTION_PREDICTOR_URL is set.
    pub predictor: Option<Arc<ExternalPredictor>>,
    /// Points budgets and named limits (Redis-shared when configured).
    pub limiter: RateLimiter,
    /// Automatic persisted queries and the trusted-documents manifest.
    pub persisted: PersistedDocuments,
    /// Flips to true when the server starts shutting down; long-lived streams watch it.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// The state the schema was built with; every served schema has one.
    pub fn from_ctx<'a>(ctx: &Context<'a>) -> &'a AppState {
        ctx.data_unchecked::<AppState>()
    }
}
