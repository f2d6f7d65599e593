//! The credentials of a live connection at work: an extension that ends every operation of a
//! WebSocket or SSE connection once its credentials stop holding (expiry, sign-out, revocation,
//! password change) with `UNAUTHENTICATED` and the reason, and `renewConnectionAuth`, which
//! replaces them on an open WebSocket without touching its subscriptions. Plain HTTP requests
//! have no live credentials and pass untouched. After a renewal, every later operation of the
//! connection sees the renewed viewer.

use std::{pin::Pin, sync::Arc};

use async_graphql::{
    extensions::ExtensionContext, Context, Object, Request, Response, SimpleObject,
};
use chrono::{DateTime, Utc};
use futures_util::{stream::BoxStream, StreamExt};
use tokio::{
    sync::{
        broadcast::{self, error::RecvError},
        watch,
    },
    time::{Instant, Sleep},
};

use crate::{
    auth::{
        live::{CredentialEnd, CredentialsEnded, HeldCredential, LiveCredentials},
        viewer::{resolve_credentials, Viewer},
    },
    db::DbPool,
    error::{bad_input, forbidden, AppResult},
    events::{bus::BusMessage, EventBus, Topic},
    state::AppState,
};

/// A renewed connection's operations run as the viewer of its latest renewal: resolvers,
/// guards and every other hook then see the new session (or key, with its scopes), not the one
/// the connection opened with. Part of `graphql::hooks`, which calls it before anything else
/// looks at the request.
pub(super) fn renewed_viewer(ctx: &ExtensionContext<'_>, mut request: Request) -> Request {
    // The request's own data comes before the connection's in every lookup.
    if let Some(user) = ctx
        .data_opt::<Arc<LiveCredentials>>()
        .and_then(|live| live.renewed_viewer())
    {
        request.data.insert(Viewer::User(user.as_ref().clone()));
    }
    request
}

/// The operation's responses, ended once the connection's credentials stop holding; those of a
/// request without live credentials unchanged. Part of `graphql::hooks`.
pub(super) fn follow_credentials<'s>(
    ctx: &ExtensionContext<'_>,
    stream: BoxStream<'s, Response>,
) -> BoxStream<'s, Response> {
    let (Some(live), Some(state)) = (
        ctx.data_opt::<Arc<LiveCredentials>>(),
        ctx.data_opt::<AppState>(),
    ) else {
        return stream;
    };
    CredentialGuard::new(stream, live.clone(), &state.events, &state.pool).into_stream()
}

/// What an operation does next: deliver a response, finish (`Ok(None)`), or end because its
/// credentials did.
type Step = Result<Option<Response>, CredentialEnd>;

/// One operation of a live connection, admitted while its connection's credentials hold.
struct CredentialGuard<'s> {
    operation: BoxStream<'s, Response>,
    /// Keeps the credentials (and so `held`'s sender) alive as long as the operation runs.
    live: Arc<LiveCredentials>,
    held: watch::Receiver<HeldCredential>,
    /// `None` once the bus closed the topic (the server is stopping).
    notices: Option<broadcast::Receiver<BusMessage>>,
    pool: DbPool,
    /// Fires at the held credential's expiry; set again only when a renewal moves it, so an
    /// event costs no timer of its own.
    expiry: Pin<Box<Sleep>>,
    /// The expiry `expiry` is set for.
    timed_for: Option<DateTime<Utc>>,
}

impl<'s> CredentialGuard<'s> {
    fn new(
        operation: BoxStream<'s, Response>,
        live: Arc<LiveCredentials>,
        bus: &EventBus,
        pool: &DbPool,
    ) -> Self {
        let held = live.follow();
        let user_id = held.borrow().user_id;
        CredentialGuard {
            operation,
            live,
            held,
            notices: Some(bus.subscribe(Topic::Credentials(user_id))),
            pool: pool.clone(),
            expiry: Box::pin(tokio::time::sleep_until(Instant::now())),
            timed_for: None,
        }
    }

    fn into_stream(self) -> BoxStream<'s, Response> {
        futures_util::stream::unfold(Some(self), |guard| async move {
            let mut guard = guard?;
            match guard.next().await {
                Ok(Some(response)) => Some((response, Some(guard))),
                Ok(None) => None,
                // The ending is the operation's last word: the guard (and the operation with
                // it) is dropped, so nothing else is delivered.
                Err(end) => {
                    let error = end.into_error().into_server_error(Default::default());
                    Some((Response::from_errors(vec![error]), None))
                }
            }
        })
        .boxed()
    }

    /// The operation's next response, unless the credentials end first.
    async fn next(&mut self) -> Step {
        loop {
            let held = *self.held.borrow_and_update();
            if let Some(end) = held.ended {
                return Err(end);
            }
            let expires_in = (held.expires_at - Utc::now()).to_std().unwrap_or_default();
            if expires_in.is_zero() {
                return self.end(&held, held.expiry());
            }
            if self.timed_for != Some(held.expires_at) {
                self.expiry.as_mut().reset(Instant::now() + expires_in);
                self.timed_for = Some(held.expires_at);
            }
            tokio::select! {
                biased;
                // Renewed, or ended by another operation of the connection: look again.
                Ok(()) = self.held.changed() => continue,
                () = self.expiry.as_mut() => return self.end(&held, held.expiry()),
                message = next_notice(&mut self.notices) => {
                    if let Some(end) = Box::pin(self.judge(message, &held)).await {
                        return self.end(&held, end);
                    }
                }
                response = self.operation.next() => match response {
                    Some(response) => return Ok(Some(response)),
                    None => return Ok(None),
                },
            }
        }
    }

    fn end(&self, held: &HeldCredential, end: CredentialEnd) -> Step {
        self.live.mark_ended(held, end);
        Err(end)
    }

    async fn judge(
        &mut self,
        message: Result<BusMessage, RecvError>,
        held: &HeldCredential,
    ) -> Option<CredentialEnd> {
        match message {
            Ok(BusMessage::Event(event)) => event
                .decode_notice::<CredentialsEnded>()
                .filter(|notice| notice.ends(held))
                .map(|notice| notice.reason),
            // A notice may have been lost: the database knows.
            Ok(BusMessage::Resync) | Err(RecvError::Lagged(_)) => {
                match held.check(&self.pool).await {
                    Ok(end) => end,
                    Err(error) => {
                        tracing::warn!(?error, "could not recheck a live connection's credentials");
                        None
                    }
                }
            }
            // Project log heads are not sent on a credentials topic.
            Ok(BusMessage::LogHead(_)) => None,
            Err(RecvError::Closed) => {
                self.notices = None;
                None
            }
        }
    }
}

async fn next_notice(
    notices: &mut Option<broadcast::Receiver<BusMessage>>,
) -> Result<BusMessage, RecvError> {
    match notices {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// The credentials a connection holds after `renewConnectionAuth`.
#[derive(SimpleObject)]
pub struct ConnectionAuth {
    /// When the connection's new credentials expire: renew again before then, or its
    /// operations end with `UNAUTHENTICATED` (`extensions.reason` `TOKEN_EXPIRED`).
    pub expires_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct ConnectionMutation;

#[Object]
impl ConnectionMutation {
    /// Replaces the credentials of the open WebSocket this is sent over: every subscription of
    /// the socket continues, with no missed or repeated event, under the new access token
    /// (send it before the old one expires). A token of another user is `FORBIDDEN` and
    /// changes nothing; an invalid or expired one is `UNAUTHENTICATED`; over HTTP or SSE, which
    /// carry credentials in each request, `BAD_USER_INPUT`.
    async fn renew_connection_auth(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A fresh access token of the socket's user (from `refreshSession`).")]
        access_token: String,
    ) -> AppResult<ConnectionAuth> {
        let live = ctx
            .data_opt::<Arc<LiveCredentials>>()
            .filter(|live| live.renewable())
            .ok_or_else(|| {
                bad_input(
                    "accessToken",
                    "renewConnectionAuth renews an open WebSocket's credentials; over HTTP and \
                     SSE send the new token in `Authorization` with the next request",
                )
            })?;
        let token = access_token.trim();
        if token.is_empty() {
            return Err(bad_input("accessToken", "must not be empty"));
        }
        let state = AppState::from_ctx(ctx);
        let resolved =
            resolve_credentials(Some(&format!("Bearer {token}")), state.credential_sources())
                .await?;
        let user = resolved.viewer.authenticated()?;
        let expires_at = resolved.expires_at.unwrap_or_else(Utc::now);
        if user.user_id() != live.current().user_id {
            return Err(forbidden(
                "the token belongs to another user; the connection keeps its credentials",
            ));
        }
        live.renew(user, expires_at);
        Ok(ConnectionAuth { expires_at })
    }
}
