//! Reads that many methods share, written once for both backends: the
//! row or rows of a statement with one key, and every row of a statement
//! without parameters. A row type is decoded by its one `sqlx::FromRow` (derived
//! on the struct, or a tuple), whatever the backend. The statements are
//! the callers' own text (asserted safe here: they are built from
//! constants, never from input).

use crate::{Store, StoreError, with_pool};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Encode, FromRow, Postgres, Sqlite, Type};
use uuid::Uuid;

/// A row type both backends decode.
pub(crate) trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A value both backends bind as a parameter.
pub(crate) trait Param:
    for<'q> Encode<'q, Sqlite> + Type<Sqlite> + for<'q> Encode<'q, Postgres> + Type<Postgres> + Send
{
}

impl<T> Param for T where
    T: for<'q> Encode<'q, Sqlite> + Type<Sqlite> + for<'q> Encode<'q, Postgres> + Type<Postgres> + Send
{
}

impl Store {
    /// The row `sql` selects with `key` bound at `$1`, if there is one.
    pub(crate) async fn find_row<T: Row>(&self, sql: &str, key: impl Param) -> Result<Option<T>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, T>(AssertSqlSafe(sql.to_owned()))
                .bind(key)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// The row `sql` selects with `key` bound at `$1`;
    /// [`StoreError::NotFound`] naming `what` when there is none.
    pub(crate) async fn row_by<T: Row>(&self, sql: &str, key: impl Param, what: &'static str) -> Result<T, StoreError> {
        self.find_row(sql, key).await?.ok_or(StoreError::NotFound(what))
    }

    /// The rows `sql` selects with `key` bound at `$1`.
    pub(crate) async fn rows_by<T: Row>(&self, sql: &str, key: impl Param) -> Result<Vec<T>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, T>(AssertSqlSafe(sql.to_owned()))
                .bind(key)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Every row of `sql`, a statement without parameters.
    pub(crate) async fn all_rows<T: Row>(&self, sql: &str) -> Result<Vec<T>, StoreError> {
        with_pool!(self, |pool| Ok(sqlx::query_as::<_, T>(AssertSqlSafe(sql.to_owned()))
            .fetch_all(pool)
            .await?))
    }
}

crate::backend_trait! {
    /// A check inside a write transaction.
    pub(crate) trait Exists {
        /// `Ok` when `sql` (one `id` column, `key` bound at `$1`) selects a
        /// row in this transaction; else [`StoreError::NotFound`] naming `what`.
        async fn require_row(&mut self, sql: &'static str, key: Uuid, what: &'static str) -> Result<(), StoreError> {
            let found: Option<(Uuid,)> = sqlx::query_as(sql).bind(key).fetch_optional(&mut *self).await?;
            found.map(|_| ()).ok_or(StoreError::NotFound(what))
        }
    }
}
