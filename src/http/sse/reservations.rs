//! The single connection mode of graphql-sse: a reservation (`PUT`) names one event stream by
//! a random token; the stream (`GET` with the token) carries the results of every operation
//! `POST`ed with the token, each wrapped with its `operationId`; `DELETE` stops one. A
//! reservation belongs to the user who made it (operations of anyone else are `FORBIDDEN`)
//! and lives on the instance that made it, until its stream closes, or, never opened, until
//! `SSE_RESERVATION_TIMEOUT_SECONDS`. Operations run as tasks of their own that write into the
//! stream's bounded queue, so a stream that is not read holds its operations back.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, Weak},
};

use axum::{
    body::Bytes,
    http::{header, HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;
use tokio::{sync::mpsc, task::AbortHandle};
use uuid::Uuid;

use super::{
    complete_frame, event_stream_response, last_event_id, operation_frames, plain_error,
    search_parameter, stream_token,
};
use crate::{
    auth::{tokens::generate_opaque_token, viewer::Viewer},
    error::REQUEST_ID,
    http::{
        detach::DetachOverHttp1,
        graphql::{RawGraphqlRequest, ResponseMedia},
        request_caller::{authentication_failed, resolve_caller, Caller},
        HttpState,
    },
};

/// Frames waiting for a stream's client; beyond this the operations wait.
const QUEUED_FRAMES: usize = 64;

/// The reservations made on this instance, by token.
#[derive(Default)]
pub struct Reservations {
    by_token: Mutex<HashMap<String, Arc<Reservation>>>,
}

pub struct Reservation {
    token: String,
    user_id: Option<Uuid>,
    frames: mpsc::Sender<Bytes>,
    /// Taken by the one stream that fulfils the reservation.
    unclaimed: Mutex<Option<mpsc::Receiver<Bytes>>>,
    operations: Mutex<HashMap<String, AbortHandle>>,
}

impl Reservations {
    pub fn find(&self, token: &str) -> Option<Arc<Reservation>> {
        self.by_token.lock().ok()?.get(token).cloned()
    }

    /// Forgets the reservation and stops its operations.
    fn close(&self, token: &str) {
        let removed = self
            .by_token
            .lock()
            .ok()
            .and_then(|mut by_token| by_token.remove(token));
        if let Some(reservation) = removed {
            if let Ok(mut operations) = reservation.operations.lock() {
                for (_, operation) in operations.drain() {
                    operation.abort();
                }
            }
        }
    }
}

impl Reservation {
    fn forget(&self, operation_id: &str) -> Option<AbortHandle> {
        self.operations.lock().ok()?.remove(operation_id)
    }
}

fn user_of(viewer: &Viewer) -> Option<Uuid> {
    match viewer {
        Viewer::User(user) => Some(user.user_id()),
        Viewer::Anonymous => None,
    }
}

/// The caller of a request on `reservation`, if they are its owner.
async fn owner(
    state: &HttpState,
    peer: SocketAddr,
    headers: &HeaderMap,
    reservation: &Reservation,
) -> Result<Caller, Response> {
    let caller = resolve_caller(state, peer, headers)
        .await
        .map_err(|error| authentication_failed(ResponseMedia::Json, error))?;
    if user_of(&caller.viewer) != reservation.user_id {
        return Err(plain_error(
            StatusCode::FORBIDDEN,
            "this event stream was reserved by someone else",
            "FORBIDDEN",
        ));
    }
    Ok(caller)
}

pub async fn reserve(state: HttpState, peer: SocketAddr, headers: &HeaderMap) -> Response {
    let caller = match resolve_caller(&state, peer, headers).await {
        Ok(caller) => caller,
        Err(error) => return authentication_failed(ResponseMedia::Json, error),
    };
    let token = generate_opaque_token("sse_");
    let (frames, unclaimed) = mpsc::channel(QUEUED_FRAMES);
    let reservation = Arc::new(Reservation {
        token: token.clone(),
        user_id: user_of(&caller.viewer),
        frames,
        unclaimed: Mutex::new(Some(unclaimed)),
        operations: Mutex::default(),
    });
    if let Ok(mut by_token) = state.sse.by_token.lock() {
        by_token.insert(token.clone(), reservation.clone());
    }
    let timeout = state.app.settings.abuse.http.sse_reservation_timeout;
    let reservations = Arc::downgrade(&state.sse);
    let waiting = Arc::downgrade(&reservation);
    tokio::spawn(async move {
        tokio::time::sleep(timeout).await;
        let never_opened = waiting.upgrade().is_some_and(|reservation| {
            reservation
                .unclaimed
                .lock()
                .is_ok_and(|unclaimed| unclaimed.is_some())
        });
        if let (true, Some(reservations)) = (never_opened, reservations.upgrade()) {
            reservations.close(&token);
        }
    });
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        reservation.token.clone(),
    )
        .into_response()
}

/// Fulfils the reservation with this response's stream. The token is the ticket (so a bare
/// `EventSource` can connect); credentials, when sent, must be the owner's.
pub async fn open_stream(
    state: HttpState,
    peer: SocketAddr,
    headers: &HeaderMap,
    reservation: Arc<Reservation>,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        if let Err(refusal) = owner(&state, peer, headers, &reservation).await {
            return refusal;
        }
    }
    let unclaimed = reservation
        .unclaimed
        .lock()
        .ok()
        .and_then(|mut unclaimed| unclaimed.take());
    let Some(receiver) = unclaimed else {
        return plain_error(
            StatusCode::CONFLICT,
            "this reservation's stream is already open",
            "CONFLICT",
        );
    };
    let closes = ClosesReservation {
        reservations: Arc::downgrade(&state.sse),
        token: reservation.token.clone(),
    };
    let frames = tokio_stream::wrappers::ReceiverStream::new(receiver).map(move |frame| {
        // Moved in so the reservation closes when the stream is dropped.
        let _ = &closes;
        frame
    });
    let mut response = event_stream_response(
        frames,
        state.app.settings.abuse.http.sse_keep_alive,
        state.app.shutdown.clone(),
    );
    response.extensions_mut().insert(DetachOverHttp1);
    response
}

/// Closes the reservation when its stream ends, however it ends (the client left, the server
/// stopped): its operations stop with it.
struct ClosesReservation {
    reservations: Weak<Reservations>,
    token: String,
}

impl Drop for ClosesReservation {
    fn drop(&mut self) {
        if let Some(reservations) = self.reservations.upgrade() {
            reservations.close(&self.token);
        }
    }
}

pub async fn run_operation(
    state: HttpState,
    peer: SocketAddr,
    headers: &HeaderMap,
    reservation: Arc<Reservation>,
    raw: RawGraphqlRequest,
) -> Response {
    let caller = match owner(&state, peer, headers, &reservation).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let Some(operation_id) = raw
        .extensions
        .get("operationId")
        .and_then(|id| id.as_str())
        .filter(|id| !id.is_empty())
        .map(str::to_string)
    else {
        return plain_error(
            StatusCode::BAD_REQUEST,
            "name the operation with `extensions.operationId`",
            "BAD_USER_INPUT",
        );
    };
    let max = state.app.settings.abuse.http.ws_max_subscriptions;
    {
        let Ok(operations) = reservation.operations.lock() else {
            return plain_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                "INTERNAL",
            );
        };
        if operations.contains_key(&operation_id) {
            return plain_error(
                StatusCode::CONFLICT,
                "an operation with this id is already running on this stream",
                "CONFLICT",
            );
        }
        if operations.len() >= max {
            let body = serde_json::json!({ "errors": [{
                "message": format!("at most {max} operations may run at once on one connection (`WS_MAX_SUBSCRIPTIONS`)"),
                "extensions": { "code": "RATE_LIMITED", "limit": "maxSubscriptions", "max": max },
            }] });
            return (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        }
    }
    let request_id = caller.request_id.clone();
    let id: Arc<str> = Arc::from(operation_id.as_str());
    let frames = operation_frames(&state, caller, raw, false, last_event_id(headers), Some(id))
        .await
        .frames;
    let sender = reservation.frames.clone();
    let finished = Arc::downgrade(&reservation);
    let Ok(mut operations) = reservation.operations.lock() else {
        return plain_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
            "INTERNAL",
        );
    };
    let forget_id = operation_id.clone();
    // Spawned under the lock, so the operation cannot finish (and forget itself) before it is
    // registered.
    let task = tokio::spawn(REQUEST_ID.scope(request_id, async move {
        let mut frames = frames;
        while let Some(frame) = frames.next().await {
            if sender.send(frame).await.is_err() {
                break;
            }
        }
        if let Some(reservation) = finished.upgrade() {
            reservation.forget(&forget_id);
        }
    }));
    operations.insert(operation_id, task.abort_handle());
    StatusCode::ACCEPTED.into_response()
}

pub async fn stop(state: HttpState, peer: SocketAddr, headers: &HeaderMap, uri: &Uri) -> Response {
    let Some(reservation) = stream_token(headers, uri).and_then(|token| state.sse.find(&token))
    else {
        return plain_error(
            StatusCode::NOT_FOUND,
            "no event stream is reserved under this token on this server",
            "NOT_FOUND",
        );
    };
    if let Err(refusal) = owner(&state, peer, headers, &reservation).await {
        return refusal;
    }
    let Some(operation_id) = search_parameter(uri, "operationId") else {
        return plain_error(
            StatusCode::BAD_REQUEST,
            "name the operation to stop with the `operationId` search parameter",
            "BAD_USER_INPUT",
        );
    };
    if let Some(operation) = reservation.forget(&operation_id) {
        operation.abort();
        // Best effort: a stream too full to take it learns nothing it needs from it.
        let _ = reservation
            .frames
            .try_send(complete_frame(Some(&operation_id)));
    }
    StatusCode::OK.into_response()
}
