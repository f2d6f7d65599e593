//! The one error model: every failure a client can see is an `AppError`, which becomes a GraphQL
//! error with a stable `extensions.code`. Internal details are logged, never sent.

use async_graphql::ErrorExtensions;

tokio::task_local! {
    /// The id of the request (or WebSocket connection) being served, so internal errors can be
    /// reported to the client by id without passing it through every layer.
    pub static REQUEST_ID: String;
}

/// Deliberately not `Display`: async-graphql converts any `Display` type into an error without
/// extensions, and that path must not exist for ours. `into_graphql` is the only way out.
#[derive(Debug, Clone)]
pub enum AppError {
    BadUserInput {
        field: Option<String>,
        message: String,
        /// Extra machine-readable context, e.g. suggestions for a misspelt name.
        details: Vec<(&'static str, async_graphql::Value)>,
    },
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    Conflict {
        message: String,
        details: Vec<(&'static str, async_graphql::Value)>,
    },
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    QueryTooComplex(String),
    /// A live subscriber could not keep up with its stream; it must resubscribe from its cursor.
    SubscriberTooSlow(String),
    /// A dependency of record (PostgreSQL) cannot be reached right now: nothing is wrong with
    /// the request, and the same request may succeed after `retry_after_secs`.
    ServiceUnavailable {
        message: String,
        retry_after_secs: u64,
    },
    /// Shared so the error can be cloned, which async-graphql requires of resolver errors.
    Internal(std::sync::Arc<anyhow::Error>),
}

pub type AppResult<T> = Result<T, AppError>;

pub fn bad_input(field: &str, message: impl Into<String>) -> AppError {
    AppError::BadUserInput {
        field: Some(field.to_string()),
        message: message.into(),
        details: Vec::new(),
    }
}

pub fn unauthenticated() -> AppError {
    AppError::Unauthenticated("authentication required".into())
}

pub fn forbidden(message: impl Into<String>) -> AppError {
    AppError::Forbidden(message.into())
}

pub fn not_found(what: &str) -> AppError {
    AppError::NotFound(format!("{what} not found"))
}

pub fn conflict(message: impl Into<String>) -> AppError {
    AppError::Conflict {
        message: message.into(),
        details: Vec::new(),
    }
}

/// How long a client should wait before retrying while the database is unreachable: about the
/// pool's connection timeout, so the retry meets a freshly tried connection.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// The database is unreachable; `cause` is logged (with the request id), never sent.
pub fn database_unavailable(cause: &dyn std::fmt::Display) -> AppError {
    let request_id = REQUEST_ID.try_with(Clone::clone).ok();
    tracing::warn!(request_id = request_id.as_deref().unwrap_or("-"), %cause, "database unavailable");
    AppError::ServiceUnavailable {
        message: "the database is unavailable; retry shortly".into(),
        retry_after_secs: UNAVAILABLE_RETRY_AFTER_SECS,
    }
}

pub fn internal(error: impl Into<anyhow::Error>) -> AppError {
    AppError::Internal(std::sync::Arc::new(error.into()))
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadUserInput { .. } => "BAD_USER_INPUT",
            AppError::Unauthenticated(_) => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::Conflict { .. } => "CONFLICT",
            AppError::RateLimited { .. } => "RATE_LIMITED",
            AppError::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            AppError::SubscriberTooSlow(_) => "SUBSCRIBER_TOO_SLOW",
            AppError::ServiceUnavailable { .. } => "SERVICE_UNAVAILABLE",
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The message a client may see; internal errors have none of their own.
    pub fn client_message(&self) -> &str {
        match self {
            AppError::BadUserInput { message, .. }
            | AppError::Conflict { message, .. }
            | AppError::RateLimited { message, .. }
            | AppError::ServiceUnavailable { message, .. } => message,
            AppError::Unauthenticated(message)
            | AppError::Forbidden(message)
            | AppError::NotFound(message)
            | AppError::QueryTooComplex(message)
            | AppError::SubscriberTooSlow(message) => message,
            AppError::Internal(_) => "internal error",
        }
    }

    /// The GraphQL error a client receives; internal errors are logged here, once.
    pub fn into_graphql(self) -> async_graphql::Error {
        let request_id = REQUEST_ID.try_with(Clone::clone).ok();
        let message = match &self {
            AppError::Internal(source) => {
                tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), error = ?source, "internal error");
                match &request_id {
                    Some(id) => format!("internal error (request id {id})"),
                    None => "internal error".to_string(),
                }
            }
            other => other.client_message().to_string(),
        };
        let code = self.code();
        async_graphql::Error::new(message).extend_with(|_, extensions| {
            extensions.set("code", code);
            match &self {
                AppError::BadUserInput { field, details, .. } => {
                    if let Some(field) = field {
                        extensions.set("field", field.as_str());
                    }
                    for (key, value) in details {
                        extensions.set(*key, value.clone());
                    }
                }
                AppError::Conflict { details, .. } => {
                    for (key, value) in details {
                        extensions.set(*key, value.clone());
                    }
                }
                AppError::RateLimited {
                    retry_after_secs, ..
                } => extensions.set("retryAfterSeconds", *retry_after_secs),
                AppError::ServiceUnavailable {
                    retry_after_secs, ..
                } => {
                    extensions.set("retryAfterSeconds", *retry_after_secs);
                    if let Some(id) = &request_id {
                        extensions.set("requestId", id.as_str());
                    }
                }
                AppError::Internal(_) => {
                    if let Some(id) = &request_id {
                        extensions.set("requestId", id.as_str());
                    }
                }
                _ => {}
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        error.into_graphql()
    }
}

/// User-facing meaning of each unique constraint; the single place constraint names are mapped.
fn conflict_for_constraint(constraint: &str) -> Option<AppError> {
    let message = match constraint {
        "users_email_key" => "an account with this email already exists",
        "bookmarks_owner_url_key" => "you already have a bookmark with this URL",
        "pipeline_connections_unique" => "these two ports are already connected",
        _ => return None,
    };
    Some(conflict(message))
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &error {
            Error::NotFound => AppError::NotFound("not found".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => info
                .constraint_name()
                .and_then(conflict_for_constraint)
                .unwrap_or_else(|| internal(error)),
            _ if means_database_unreachable(&error) => database_unavailable(&error),
            _ => internal(error),
        }
    }
}

/// What PostgreSQL says when it stops serving a connection (SQLSTATE class 57P: admin_shutdown,
/// crash_shutdown, cannot_connect_now; 53300 too_many_connections; 55000 for a database that
/// does not allow connections; 08xxx connection failures). diesel does not expose the SQLSTATE,
/// so the server's (untranslated) primary messages are matched instead.
const UNREACHABLE_MESSAGES: &[&str] = &[
    "terminating connection",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "the database system is not accepting connections",
    "is not currently accepting connections",
    "too many clients already",
    "remaining connection slots are reserved",
    "server closed the connection unexpectedly",
    "connection closed",
];

/// Whether a query failed because the database is gone, not because of the query: the
/// connection closed under it, or the server refuses to serve it.
fn means_database_unreachable(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection,
            _,
        )
        | Error::BrokenTransactionManager => true,
        Error::DatabaseError(_, info) => {
            let message = info.message();
            UNREACHABLE_MESSAGES
                .iter()
                .any(|phrase| message.contains(phrase))
        }
        _ => false,
    }
}

/// A pool that cannot hand out a connection (every attempt to open one failed until the
/// checkout timed out, or opening one failed) means the database is unreachable.
impl From<bb8::RunError<diesel_async::pooled_connection::PoolError>> for AppError {
    fn from(error: bb8::RunError<diesel_async::pooled_connection::PoolError>) -> Self {
        database_unavailable(&format_args!("database pool: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn lost_connections_and_refusals_are_unavailable_not_internal() {
        let closed = Error::DatabaseError(
            DatabaseErrorKind::UnableToSendCommand,
            Box::new("connection closed".to_string()),
        );
        assert_eq!(AppError::from(closed).code(), "SERVICE_UNAVAILABLE");
        let terminated = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("terminating connection due to administrator command".to_string()),
        );
        assert_eq!(AppError::from(terminated).code(), "SERVICE_UNAVAILABLE");
        let refused = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("database \"x\" is not currently accepting connections".to_string()),
        );
        assert_eq!(AppError::from(refused).code(), "SERVICE_UNAVAILABLE");
        assert_eq!(
            AppError::from(bb8::RunError::TimedOut).code(),
            "SERVICE_UNAVAILABLE"
        );
        let syntax = Error::DatabaseError(
            DatabaseErrorKind::Unknown,
            Box::new("syntax error at or near \"SELEC\"".to_string()),
        );
        assert_eq!(AppError::from(syntax).code(), "INTERNAL");
    }
}
