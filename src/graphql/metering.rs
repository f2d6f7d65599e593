//! Metered subscriptions, whatever the transport (WebSocket now, any other that runs
//! `execute_stream`): opening one spends its complexity (charged by `graphql::limits` like any
//! operation) and takes one of the subscriber's concurrent slots (`limits::subscriptions`);
//! every delivered event then spends `SUBSCRIPTION_EVENT_POINTS`. Each delivered event carries
//! `extensions.rateLimit { limit cost remaining resetAt }`, the first one with the opening's cost
//! included. The first event the budget cannot pay is delivered with one `RATE_LIMITED` warning
//! (`retryAfterSeconds`); the next one it cannot pay ends the stream instead of being delivered.
//! A window that resets in between re-arms the warning. It owns no counters.

use std::{
    any::TypeId,
    sync::{Arc, LazyLock, Mutex},
};

use async_graphql::{
    extensions::ExtensionContext,
    futures_util::stream::BoxStream,
    parser::types::{DocumentOperations, OperationType},
    Request, Response, ServerError, ValidationResult, Value,
};
use futures_util::StreamExt;

use crate::{
    auth::viewer::{ClientInfo, Viewer},
    error::AppError,
    limits::{points_bucket, subscriber, Charge, OperationCharge, SubscriptionSlot, WindowLimit},
    state::AppState,
};

/// One operation's meter: filled in while the operation is prepared (which happens inside its
/// stream), read by the stream adapter when the first response comes out. Its parts run in the
/// order `graphql::hooks` gives them.
#[derive(Default)]
pub(super) struct SubscriptionMetering {
    meter: Arc<Mutex<Option<Meter>>>,
}

/// Set in `prepare_request` for a subscription; `open` once it was admitted.
struct Meter {
    opening: OperationCharge,
    open: Option<OpenSubscription>,
}

struct OpenSubscription {
    state: AppState,
    bucket: String,
    window: WindowLimit,
    /// Held for the stream's life.
    _slot: SubscriptionSlot,
}

fn operation_type(request: &mut Request) -> Option<OperationType> {
    let name = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    match &document.operations {
        DocumentOperations::Single(operation) => Some(operation.node.ty),
        DocumentOperations::Multiple(operations) => match name {
            Some(name) => operations.get(name.as_str()).map(|op| op.node.ty),
            None if operations.len() == 1 => operations.values().next().map(|op| op.node.ty),
            None => None,
        },
    }
}

fn refused(error: AppError, limit: &str, max: u64) -> ServerError {
    let mut error = error.into_graphql().into_server_error(Default::default());
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("limit", limit);
    extensions.set("max", max);
    error
}

impl SubscriptionMetering {
    /// Sets up the meter of a subscription (after the request limits accepted it).
    pub(super) fn prepare_request(&self, mut request: Request) -> Request {
        if operation_type(&mut request) == Some(OperationType::Subscription) {
            // HTTP puts one in to report the charge; a socket does not, so the meter does.
            let opening = match request
                .data
                .get(&TypeId::of::<OperationCharge>())
                .and_then(|data| data.downcast_ref::<OperationCharge>())
            {
                Some(opening) => opening.clone(),
                None => {
                    let opening = OperationCharge::default();
                    request.data.insert(opening.clone());
                    opening
                }
            };
            if let Ok(mut meter) = self.meter.lock() {
                *meter = Some(Meter {
                    opening,
                    open: None,
                });
            }
        }
        request
    }

    /// Admits a validated subscription (a slot of the subscriber's), before the request limits
    /// charge the opening: a subscription refused here spends nothing.
    pub(super) async fn validated(
        &self,
        ctx: &ExtensionContext<'_>,
        result: ValidationResult,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let is_subscription = self.meter.lock().is_ok_and(|meter| meter.is_some());
        let Some(state) = ctx.data_opt::<AppState>().filter(|_| is_subscription) else {
            return Ok(result);
        };
        let rate = &state.settings.abuse.rate;
        if !rate.enabled {
            return Ok(result);
        }
        let (viewer, client) = (ctx.data_opt::<Viewer>(), ctx.data_opt::<ClientInfo>());
        let max = rate.subscription_max_per_user as u64;
        let slot = state
            .subscriptions
            .acquire(&subscriber(viewer, client), max)
            .await
            .map_err(|full| {
                vec![refused(
                    AppError::RateLimited {
                        message: format!(
                            "{} subscriptions are running for this user, the most allowed at once \
                             over all connections (`SUBSCRIPTION_MAX_PER_USER`); end one first",
                            full.running
                        ),
                        // A slot frees when one of them ends, which the server cannot foresee.
                        retry_after_secs: 1,
                    },
                    "maxSubscriptionsPerUser",
                    max,
                )]
            })?;
        let (bucket, window) = points_bucket(rate, viewer, client);
        if let Ok(mut meter) = self.meter.lock() {
            if let Some(meter) = meter.as_mut() {
                meter.open = Some(OpenSubscription {
                    state: state.clone(),
                    bucket,
                    window,
                    _slot: slot,
                });
            }
        }
        Ok(result)
    }

    /// The responses of the operation, each event paid for when it is a metered subscription.
    pub(super) fn subscribe<'s>(
        &self,
        responses: BoxStream<'s, Response>,
    ) -> BoxStream<'s, Response> {
        metered(responses, self.meter.clone())
    }
}

/// What the adapter knows of its subscription: nothing until the first response (the meter is
/// filled while the stream prepares the operation), then the meter, if it is a metered one.
enum Metering {
    Unknown(Arc<Mutex<Option<Meter>>>),
    Unmetered,
    Metered(MeteredSubscription),
}

struct MeteredSubscription {
    open: OpenSubscription,
    /// The opening's charge, until the first event reports it.
    opening: Option<Charge>,
    /// The budget ran out and the warning went out; the next unpaid event ends the stream.
    warned: bool,
}

fn metered<'s>(
    responses: BoxStream<'s, Response>,
    meter: Arc<Mutex<Option<Meter>>>,
) -> BoxStream<'s, Response> {
    futures_util::stream::unfold(
        (responses, Metering::Unknown(meter)),
        |(mut responses, mut metering)| async move {
            let mut response = responses.next().await?;
            if let Metering::Unknown(meter) = &metering {
                metering = match meter.lock().ok().and_then(|mut meter| meter.take()) {
                    Some(Meter {
                        opening,
                        open: Some(open),
                    }) => Metering::Metered(MeteredSubscription {
                        open,
                        opening: opening.get(),
                        warned: false,
                    }),
                    _ => Metering::Unmetered,
                };
            }
            if let Metering::Metered(subscription) = &mut metering {
                // Errors alone (a refusal, a stream's last word) are not events: free.
                if response.data != Value::Null && !subscription.pay_for(&mut response).await {
                    return None;
                }
            }
            Some((response, (responses, metering)))
        },
    )
    .boxed()
}

impl MeteredSubscription {
    /// Charges one event and annotates it; false when the stream must end instead.
    async fn pay_for(&mut self, response: &mut Response) -> bool {
        let state = &self.open.state;
        let points = state.settings.abuse.rate.subscription_event_points;
        let charge = state
            .limiter
            .charge(&self.open.bucket, self.open.window, points)
            .await;
        if charge.allowed {
            self.warned = false;
            let opening = self.opening.take().map_or(0, |opening| opening.cost);
            response
                .extensions
                .insert("rateLimit".into(), rate_limit(&charge, opening + points));
            return true;
        }
        if self.warned {
            return false;
        }
        self.warned = true;
        let retry_after_secs = charge.retry_after_secs();
        let warning = AppError::RateLimited {
            message: format!(
                "the points budget is spent ({} of {} remain; an event costs {points}): this \
                 subscription ends at its next event unless the budget resets first, in \
                 {retry_after_secs} s",
                charge.remaining, charge.limit
            ),
            retry_after_secs,
        };
        response
            .errors
            .push(refused(warning, "rateLimit", charge.limit));
        response
            .extensions
            .insert("rateLimit".into(), rate_limit(&charge, 0));
        true
    }
}

/// The field names of the `rateLimit` extension, made once: every delivered event carries it.
static RATE_LIMIT_FIELDS: LazyLock<[async_graphql::Name; 4]> =
    LazyLock::new(|| ["limit", "cost", "remaining", "resetAt"].map(async_graphql::Name::new));

/// The shape of the `rateLimit` query, as a response extension.
fn rate_limit(charge: &Charge, cost: u64) -> Value {
    let [limit, cost_name, remaining, reset_at] = RATE_LIMIT_FIELDS.clone();
    let mut fields = async_graphql::indexmap::IndexMap::with_capacity(4);
    fields.insert(limit, Value::from(charge.limit));
    fields.insert(cost_name, Value::from(cost));
    fields.insert(remaining, Value::from(charge.remaining));
    fields.insert(reset_at, Value::from(charge.reset_at.to_rfc3339()));
    Value::Object(fields)
}
