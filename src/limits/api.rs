//! `rateLimit`: the viewer's points budget as of this operation, GitHub style.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{points_bucket, OperationCharge};
use crate::{
    auth::{client::ClientInfo, viewer::Viewer},
    state::AppState,
};

/// The points budget of the viewer (their user, or their address when anonymous).
#[derive(SimpleObject)]
pub struct RateLimit {
    /// Points per window.
    limit: i64,
    /// What this operation cost (its complexity).
    cost: i64,
    /// Points left in the current window, after this operation.
    remaining: i64,
    /// When the window resets to the full budget.
    reset_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct RateLimitQuery;

#[Object]
impl RateLimitQuery {
    /// The viewer's points budget. Every operation costs its complexity: one point per field,
    /// multiplied by `first` (or the default page size) for lists.
    async fn rate_limit(&self, ctx: &Context<'_>) -> RateLimit {
        let charge = match ctx
            .data_opt::<OperationCharge>()
            .and_then(OperationCharge::get)
        {
            Some(charge) => charge,
            None => {
                // Not charged here (a WebSocket operation, or limits off): read the budget.
                let state = AppState::from_ctx(ctx);
                let (bucket, window) = points_bucket(
                    &state.settings.abuse.rate,
                    ctx.data_opt::<Viewer>(),
                    ctx.data_opt::<ClientInfo>(),
                );
                state.limiter.charge(&bucket, window, 0).await
            }
        };
        let clamp = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
        RateLimit {
            limit: clamp(charge.limit),
            cost: clamp(charge.cost),
            remaining: clamp(charge.remaining),
            reset_at: charge.reset_at,
        }
    }
}
