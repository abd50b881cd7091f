//! Errors of the storage layer.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness rule or a concurrent change stopped the write.
    #[error("{detail}")]
    Conflict {
        field: Option<&'static str>,
        detail: String,
    },
    /// The stored state does not allow the change (e.g. a case transition).
    #[error(transparent)]
    Transition(#[from] amends_domain::TransitionError),
    /// Bad connection settings.
    #[error("{0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Conflict`].
    pub(crate) fn unique(e: sqlx::Error, field: &'static str, detail: impl FnOnce() -> String) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
                field: Some(field),
                detail: detail(),
            },
            _ => StoreError::Database(e),
        }
    }
}
