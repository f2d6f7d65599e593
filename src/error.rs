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
            AppError::Internal(_) => "INTERNAL",
        }
    }

    /// The message a client may see; internal errors have none of their own.
    pub fn client_message(&self) -> &str {
        match self {
            AppError::BadUserInput { message, .. }
            | AppError::Conflict { message, .. }
            | AppError::RateLimited { message, .. } => message,
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
            _ => internal(error),
        }
    }
}

impl From<bb8::RunError<diesel_async::pooled_connection::PoolError>> for AppError {
    fn from(error: bb8::RunError<diesel_async::pooled_connection::PoolError>) -> Self {
        internal(anyhow::anyhow!("database pool: {error}"))
    }
}
