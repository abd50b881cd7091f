//! Write transactions that take turns in the process before they ask
//! SQLite for its write lock.
//!
//! SQLite has one writer at a time. A `BEGIN IMMEDIATE` that finds the lock
//! taken waits in SQLite's busy handler, which sleeps in steps of up to
//! 100 ms and checks again: under 16 concurrent requests most writers slept
//! far longer than the writer before them needed (p99 about 150 ms for a
//! transaction of a millisecond). So the writers of one database file in
//! this process queue on an async semaphore first (first come, first
//! served, no sleeping), and only the one whose turn it is talks to SQLite.
//! The turn ends when the transaction commits, rolls back or is dropped.
//! Other processes on the same file still meet the busy handler, as before.
//! PostgreSQL locks rows, not the database: no turns there.

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqlitePool};
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A write transaction and, on SQLite, the writer's turn it holds.
/// Derefs to the connection, as `sqlx::Transaction` does.
pub(crate) struct WriteTx<'c, DB: sqlx::Database> {
    tx: sqlx::Transaction<'c, DB>,
    turn: Option<OwnedSemaphorePermit>,
}

impl<'c, DB: sqlx::Database> WriteTx<'c, DB> {
    pub(crate) fn new(tx: sqlx::Transaction<'c, DB>, turn: Option<OwnedSemaphorePermit>) -> Self {
        Self { tx, turn }
    }

    /// Commits, then hands the turn on.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let Self { tx, turn } = self;
        let done = tx.commit().await;
        drop(turn);
        done
    }
}

impl<DB: sqlx::Database> Deref for WriteTx<'_, DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> DerefMut for WriteTx<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// The writers' queue of one database file.
#[derive(Clone)]
pub(crate) struct Turns(Arc<Semaphore>);

/// The queues of each SQLite file this process writes to.
static TURNS: LazyLock<Mutex<HashMap<PathBuf, Turns>>> = LazyLock::new(Default::default);

impl Turns {
    /// The queue of the pool's database file; `None` for an in-memory
    /// database, whose single pooled connection is the turn already.
    pub(crate) fn of(pool: &SqlitePool) -> Option<Self> {
        if pool.options().get_max_connections() <= 1 {
            return None;
        }
        let file = pool.connect_options().get_filename().to_path_buf();
        let mut all = TURNS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Some(
            all.entry(file)
                .or_insert_with(|| Turns(Arc::new(Semaphore::new(1))))
                .clone(),
        )
    }

    /// Waits for the turn (first come, first served).
    pub(crate) async fn wait(&self) -> Option<OwnedSemaphorePermit> {
        // The semaphore is never closed, so acquiring cannot fail.
        self.0.clone().acquire_owned().await.ok()
    }
}

/// A pooled SQLite connection held by a write session, with the queue its
/// transactions wait in like every other writer's.
pub(crate) struct SessionSqlite {
    pub(crate) conn: PoolConnection<Sqlite>,
    pub(crate) turns: Option<Turns>,
}
