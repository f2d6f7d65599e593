//! Everything a request handler may reach: the pool, token keys, settings, metrics and the
//! shutdown signal. Built once per application; a clone is one reference count, because axum
//! and the middleware clone the state several times per request.

use std::{ops::Deref, sync::Arc};

use async_graphql::Context;
use tokio::sync::watch;

use crate::{
    auth::{session_memo::SessionMemo, tokens::TokenKeys, viewer::CredentialSources},
    config::Settings,
    db::{DbPool, StatementCounter},
    events::EventBus,
    graphql::persisted::PersistedDocuments,
    limits::{limiter::RateLimiter, SubscriptionSlots},
    telemetry::Metrics,
};

#[derive(Clone)]
pub struct AppState(Arc<AppServices>);

/// What `AppState` shares; reached through it (`state.pool`, `state.settings`, …).
pub struct AppServices {
    pub pool: DbPool,
    pub redis: Option<redis::Client>,
    pub keys: Arc<TokenKeys>,
    /// Sessions found live a moment ago (`auth::session_memo`).
    pub sessions: Arc<SessionMemo>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    pub events: EventBus,
    pub statements: StatementCounter,
    /// Points budgets and named limits (Redis-shared when configured).
    pub limiter: RateLimiter,
    /// Running subscriptions per user, over every connection and instance.
    pub subscriptions: SubscriptionSlots,
    /// Automatic persisted queries and the trusted-documents manifest.
    pub persisted: PersistedDocuments,
    /// Flips to true when the server starts shutting down; long-lived streams watch it.
    pub shutdown: watch::Receiver<bool>,
    /// Flips to true at the start of a shutdown, before `shutdown`: readiness turns 503 so a
    /// load balancer stops routing here while requests are still served.
    pub draining: watch::Receiver<bool>,
}

impl Deref for AppState {
    type Target = AppServices;

    fn deref(&self) -> &AppServices {
        &self.0
    }
}

impl AppState {
    pub fn new(services: AppServices) -> Self {
        AppState(Arc::new(services))
    }

    /// What resolves a request's credentials.
    pub fn credential_sources(&self) -> CredentialSources<'_> {
        CredentialSources {
            keys: &self.keys,
            sessions: &self.sessions,
            pool: &self.pool,
        }
    }

    /// The state the schema was built with; every served schema has one.
    pub fn from_ctx<'a>(ctx: &Context<'a>) -> &'a AppState {
        ctx.data_unchecked::<AppState>()
    }
}
