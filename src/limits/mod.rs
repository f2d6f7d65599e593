//! Rate limiting: every operation spends points equal to its complexity from the budget of
//! its user (or, anonymously, its address), and named limits cap sensitive mutations
//! (`register`, `login`, `predictReaction`, …). It owns the counters and their keys; what an
//! operation costs comes from `cost` and the GraphQL limits extension. Subscriptions are metered
//! too (`subscriptions` counts the running ones; `graphql::metering` charges their events).

pub mod api;
pub mod cost;
pub mod limiter;
pub mod link;
pub mod subscriptions;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_graphql::Context;

pub use limiter::{Charge, RateLimiter, WindowLimit};
pub use link::RedisLink;
pub use subscriptions::{SlotsFull, SubscriptionSlot, SubscriptionSlots};

use crate::{
    auth::{client::ClientInfo, viewer::Viewer},
    config::{RateLimitSettings, Settings},
    error::{AppError, AppResult},
    state::AppState,
};

/// A stricter limit on one sensitive operation, on top of the points budget. A feature adds
/// one with a variant here and a line in `policy` (and its setting in `config.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedLimit {
    Register,
    Login,
    PredictReaction,
    PipelineCreate,
    PipelineRun,
}

/// Whose counter a named limit charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The client address: for operations done before anyone is signed in.
    Address,
    /// The signed-in user (their address when anonymous).
    User,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3_600);

impl NamedLimit {
    fn policy(self, all: &Settings) -> (&'static str, Scope, WindowLimit) {
        let settings = &all.abuse.rate;
        let per_hour = |max| WindowLimit { max, window: HOUR };
        let per_minute = |max| WindowLimit {
            max,
            window: MINUTE,
        };
        match self {
            NamedLimit::Register => (
                "register",
                Scope::Address,
                per_minute(settings.register_per_minute),
            ),
            NamedLimit::Login => (
                "login",
                Scope::Address,
                per_minute(settings.login_per_minute),
            ),
            NamedLimit::PredictReaction => (
                "predictReaction",
                Scope::User,
                per_minute(settings.predict_reaction_per_minute),
            ),
            NamedLimit::PipelineCreate => (
                "createPipeline",
                Scope::User,
                per_hour(all.pipelines.create_limit_per_hour),
            ),
            NamedLimit::PipelineRun => (
                "runPipeline",
                Scope::User,
                per_hour(all.pipelines.run_limit_per_hour),
            ),
        }
    }
}

/// Counts one `limit` operation for the current viewer; RATE_LIMITED once it is used up.
pub async fn check(ctx: &Context<'_>, limit: NamedLimit) -> AppResult<()> {
    let state = AppState::from_ctx(ctx);
    let (name, scope, _) = limit.policy(&state.settings);
    let viewer = ctx.data_opt::<Viewer>();
    let client = ctx.data_opt::<ClientInfo>();
    let subject = match (scope, viewer) {
        (Scope::User, Some(Viewer::User(user))) => format!("user:{}", user.user_id()),
        _ => address_subject(client),
    };
    check_key(ctx, limit, &format!("{name}:{subject}")).await
}

/// Like `check`, with a caller-chosen key (e.g. per project instead of per user).
pub async fn check_key(ctx: &Context<'_>, limit: NamedLimit, key: &str) -> AppResult<()> {
    let state = AppState::from_ctx(ctx);
    if !state.settings.abuse.rate.enabled {
        return Ok(());
    }
    let (name, _, window) = limit.policy(&state.settings);
    let charge = state.limiter.charge(key, window, 1).await;
    if charge.allowed {
        return Ok(());
    }
    Err(AppError::RateLimited {
        message: format!(
            "too many `{name}` requests: at most {} per {} seconds; retry in {} s",
            window.max,
            window.window.as_secs(),
            charge.retry_after_secs()
        ),
        retry_after_secs: charge.retry_after_secs(),
    })
}

fn address_subject(client: Option<&ClientInfo>) -> String {
    let address = client
        .and_then(|client| client.ip_address.as_deref())
        .unwrap_or("unknown");
    format!("ip:{address}")
}

/// Who a subscription counts against: its user, or its address when anonymous.
pub fn subscriber(viewer: Option<&Viewer>, client: Option<&ClientInfo>) -> String {
    match viewer {
        Some(Viewer::User(user)) => format!("user:{}", user.user_id()),
        _ => address_subject(client),
    }
}

/// The points bucket and budget of a viewer.
pub fn points_bucket(
    settings: &RateLimitSettings,
    viewer: Option<&Viewer>,
    client: Option<&ClientInfo>,
) -> (String, WindowLimit) {
    match viewer {
        Some(Viewer::User(user)) => (
            format!("points:user:{}", user.user_id()),
            WindowLimit {
                max: settings.user_points,
                window: settings.window,
            },
        ),
        _ => (
            format!("points:{}", address_subject(client)),
            WindowLimit {
                max: settings.anonymous_points,
                window: settings.window,
            },
        ),
    }
}

/// What the current operation was charged; request data shared by the limits extension
/// (which fills it in), `rateLimit` (which reports it) and the HTTP layer (headers, 429).
#[derive(Debug, Default, Clone)]
pub struct OperationCharge(Arc<Mutex<Option<Charge>>>);

impl OperationCharge {
    pub fn get(&self) -> Option<Charge> {
        self.0.lock().ok().and_then(|charge| charge.clone())
    }

    pub fn set(&self, charge: Charge) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(charge);
        }
    }
}
