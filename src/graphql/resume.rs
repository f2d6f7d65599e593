//! Resuming a stream where a client's connection broke, for transports that number their
//! messages (SSE's `id:` and `Last-Event-ID`). A resumable subscription marks each event's
//! cursor as it yields it; the transport reads the mark to number the message, and on a
//! reconnect hands the client's last id back as `ResumeAfter`, which the subscription reads in
//! place of its `after` argument. Transports that keep no numbering (WebSocket) set neither.

use std::sync::{Arc, Mutex};

use async_graphql::Context;

/// The cursor of the event a subscription yielded last, until the transport takes it.
#[derive(Clone, Default)]
pub struct DeliveredCursor(Arc<Mutex<Option<String>>>);

impl DeliveredCursor {
    /// The cursor of the event whose response was just produced, once.
    pub fn take(&self) -> Option<String> {
        self.0.lock().ok()?.take()
    }
}

/// Where the transport's client says it stopped: the last cursor it received.
pub struct ResumeAfter(pub String);

/// What a resumable subscription keeps to mark its events; nothing when the transport does
/// not number messages.
pub struct CursorMarks(Option<DeliveredCursor>);

impl CursorMarks {
    pub fn of(ctx: &Context<'_>) -> Self {
        CursorMarks(ctx.data_opt::<DeliveredCursor>().cloned())
    }

    /// Records `cursor` as the one of the event being delivered. Responses of one operation
    /// are produced one at a time, so the transport reads it before the next is marked.
    pub fn mark(&self, cursor: impl ToString) {
        if let Some(Ok(mut slot)) = self.0.as_ref().map(|cursor| cursor.0.lock()) {
            *slot = Some(cursor.to_string());
        }
    }
}

/// The cursor a resumable subscription starts after: the transport's resume point when the
/// client reconnected with one (it is later than the `after` the client first sent), else the
/// `after` argument.
pub fn resume_after(ctx: &Context<'_>, after: Option<String>) -> Option<String> {
    ctx.data_opt::<ResumeAfter>()
        .map(|resume| resume.0.clone())
        .or(after)
}
