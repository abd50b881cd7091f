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
    /// Whether the database cannot be reached now (down, restarting,
    /// refusing connections, the connection cut): the request may succeed
    /// when tried again shortly, and the pool reconnects by itself.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
            // PostgreSQL: connection exceptions (08…), operator intervention
            // (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
            // connect now), too many connections, and a database that does
            // not accept connections for a while.
            sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                c.starts_with("08")
                    || c.starts_with("57P")
                    || c == "53300"
                    || (c == "55000" && db.message().contains("not currently accepting connections"))
            }),
            _ => false,
        }
    }

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
