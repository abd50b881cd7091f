//! Where SQLite and PostgreSQL differ. The rest of the crate writes one
//! portable statement for both backends (`$1` placeholders, `ON CONFLICT`,
//! `RETURNING` and `CAST` work on both) and takes every piece of SQL that
//! is not the same on both from here, keyed by backend (a trait
//! implemented for each backend's pool or connection).
//!
//! Not here, because they are settings rather than SQL of the queries: the
//! connection options of each backend (`Store::connect`), SQLite's page
//! cache and WAL checkpoints around a bulk write (`write_session`), and the
//! migrations (one directory per backend, compared by a test).

use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};

// ------------------------------------------------------------ transactions

/// How SQLite starts a write transaction: taking the write lock up front.
/// A deferred transaction that reads first and then writes can fail at once
/// with "database is locked" when another writer is active (SQLite does not
/// wait on a lock upgrade); `BEGIN IMMEDIATE` waits for `busy_timeout`
/// instead. PostgreSQL takes row locks as it writes: a plain `BEGIN`.
const SQLITE_BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Starts a write transaction on a pool: `BEGIN IMMEDIATE` on SQLite (see
/// [`SQLITE_BEGIN_WRITE`]), a plain `BEGIN` on PostgreSQL.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with(SQLITE_BEGIN_WRITE).await
    }
}

impl BeginWrite for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Starts a read-only transaction (one snapshot for several queries): a
/// deferred `BEGIN` on both, which never waits for SQLite's write lock.
/// Writing in it is a bug; use [`BeginWrite`].
pub(crate) trait BeginRead {
    type Db: sqlx::Database;
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginRead for SqlitePool {
    type Db = Sqlite;
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin().await
    }
}

impl BeginRead for PgPool {
    type Db = Postgres;
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Starts a write transaction on a held connection (a write session), as
/// [`BeginWrite`] does on a pool.
pub(crate) trait BeginWriteOn {
    type Db: sqlx::Database;
    async fn begin_write(&mut self) -> Result<sqlx::Transaction<'_, Self::Db>, sqlx::Error>;
}

impl BeginWriteOn for PoolConnection<Sqlite> {
    type Db = Sqlite;
    async fn begin_write(&mut self) -> Result<sqlx::Transaction<'_, Sqlite>, sqlx::Error> {
        sqlx::Connection::begin_with(&mut **self, SQLITE_BEGIN_WRITE).await
    }
}

impl BeginWriteOn for PoolConnection<Postgres> {
    type Db = Postgres;
    async fn begin_write(&mut self) -> Result<sqlx::Transaction<'_, Postgres>, sqlx::Error> {
        sqlx::Connection::begin(&mut **self).await
    }
}
