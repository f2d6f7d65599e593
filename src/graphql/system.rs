//! Connection-level fields that belong to no domain: a clock subscription that lets clients
//! check an authenticated WebSocket end to end.

use std::time::Duration;

use async_graphql::{Context, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use crate::{auth::authz, error::bad_input};

#[derive(Default)]
pub struct SystemSubscription;

#[Subscription]
impl SystemSubscription {
    /// The server's clock, every `intervalMs` milliseconds (100 to 60000). Signed-in viewers only.
    async fn server_time(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            default = 1000,
            desc = "Milliseconds between ticks, 100 to 60000 (else `BAD_USER_INPUT`)."
        )]
        interval_ms: i32,
    ) -> async_graphql::Result<impl Stream<Item = DateTime<Utc>>> {
        authz::require_user(authz::viewer(ctx))?;
        if !(100..=60_000).contains(&interval_ms) {
            return Err(bad_input("intervalMs", "must be between 100 and 60000").into());
        }
        let interval = tokio::time::interval(Duration::from_millis(interval_ms as u64));
        Ok(tokio_stream::wrappers::IntervalStream::new(interval).map(|_| Utc::now()))
    }
}
