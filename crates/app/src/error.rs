//! The error of every use case. It says what went wrong in the terms of
//! the product (invalid field, not found, conflict, not allowed); the web
//! crate maps it to problem+json and pages, the CLI to a message and exit
//! code. Internal causes are kept for logs, never shown to clients.

use amends_domain::{TransitionError, ValidationError};
use amends_store::StoreError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// One input field is invalid.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// The input as a whole cannot be read (not JSON, not a mail, not CSV).
    #[error("{0}")]
    BadRequest(String),
    /// The input is of a kind this use case does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    /// The change conflicts with the current state (a duplicate, a
    /// transition the state machine does not allow: `allowed` lists the
    /// states it does).
    #[error("{detail}")]
    Conflict {
        detail: String,
        field: Option<String>,
        allowed: Option<Vec<String>>,
    },
    /// A rate limit was hit.
    #[error("too many requests; try again in a minute")]
    TooManyRequests,
    /// The database cannot be reached now (restarting, down); trying
    /// again shortly may succeed. The cause is for logs only.
    #[error("the service is unavailable for a moment; try again shortly")]
    Unavailable(String),
    /// Our fault (a bug, a broken row); the cause is for logs only.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// The message for a person at a terminal: like `Display`, but with
    /// the cause of an internal error (the CLI is not a public endpoint).
    #[must_use]
    pub fn for_operator(&self) -> String {
        match self {
            AppError::Internal(cause) => format!("internal error: {cause}"),
            AppError::Unavailable(cause) => format!("the database is unavailable: {cause}"),
            e => e.to_string(),
        }
    }
}

impl From<ValidationError> for AppError {
    fn from(e: ValidationError) -> Self {
        AppError::Validation {
            field: e.field,
            message: e.message,
        }
    }
}

impl From<TransitionError> for AppError {
    fn from(e: TransitionError) -> Self {
        AppError::Conflict {
            detail: e.to_string(),
            field: Some("to".into()),
            allowed: Some(e.allowed.iter().map(|s| s.as_str().to_string()).collect()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => AppError::NotFound(what.to_string()),
            StoreError::Conflict { field, detail } => AppError::Conflict {
                detail,
                field: field.map(str::to_string),
                allowed: None,
            },
            StoreError::Transition(t) => t.into(),
            other if other.is_unavailable() => AppError::Unavailable(other.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
