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
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A write transaction and, on SQLite, the writer's turn it holds.
/// Derefs to the connection, as `sqlx::Transaction` does.
pub(crate) struct WriteTx<'c, DB: sqlx::Database> {
    tx: sqlx::Transaction<'c, DB>,
    turn: Option<OwnedSemaphorePermit>,
    beside: Option<Beside>,
}

impl<'c, DB: sqlx::Database> WriteTx<'c, DB> {
    pub(crate) fn new(tx: sqlx::Transaction<'c, DB>, turn: Option<OwnedSemaphorePermit>) -> Self {
        Self { tx, turn, beside: None }
    }

    /// Checkpoints the WAL beside the pool's writers as they commit (see [`Beside`]).
    pub(crate) fn checkpointed_beside(mut self, beside: Option<Beside>) -> Self {
        self.beside = beside;
        self
    }

    /// Commits, then hands the turn on.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let Self { tx, turn, beside } = self;
        let done = tx.commit().await;
        drop(turn);
        if done.is_ok()
            && let Some(b) = beside
        {
            b.committed();
        }
        done
    }
}

/// Commits of a pool's writers between two passive checkpoints beside
/// them. A case's transaction adds about ten pages to the WAL, so the
/// checkpoints copy about 1,000 pages each.
const COMMITS_PER_CHECKPOINT: u32 = 100;

/// The WAL checkpoints beside a pool's writers. SQLite's automatic
/// checkpoint runs in the connection whose commit passes its threshold,
/// so one request in a few hundred copied the whole WAL (2,500 pages)
/// into the database before it answered, with the next writers waiting
/// for their turn: 30 ms at the 99th percentile for a request of 3 ms. A
/// passive checkpoint on another connection every [`COMMITS_PER_CHECKPOINT`]
/// commits copies the pages as they come, off the writers' path; the
/// automatic checkpoint stays as the bound of the WAL and finds little
/// left to copy.
#[derive(Clone)]
pub(crate) struct Beside {
    pool: SqlitePool,
    state: Arc<BesideState>,
}

#[derive(Default)]
struct BesideState {
    commits: AtomicU32,
    running: AtomicBool,
}

impl Beside {
    /// After a commit: every [`COMMITS_PER_CHECKPOINT`] commits a checkpoint.
    fn committed(self) {
        let n = self.state.commits.fetch_add(1, Ordering::Relaxed);
        if n % COMMITS_PER_CHECKPOINT == COMMITS_PER_CHECKPOINT - 1 {
            self.checkpoint();
        }
    }

    /// Copies what the WAL holds into the database file as far as readers
    /// allow, without waiting for them: a passive checkpoint on a pool
    /// connection, unless one of this file's still runs (the write sessions
    /// of bulk writes start theirs here too).
    pub(crate) fn checkpoint(&self) {
        if self.state.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let (pool, state) = (self.pool.clone(), self.state.clone());
        tokio::spawn(async move {
            match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                // Closed meanwhile (a command that ends after its import):
                // SQLite checkpoints as its last connection closes.
                Ok(_) | Err(sqlx::Error::PoolClosed) => {}
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint beside the writers failed"),
            }
            state.running.store(false, Ordering::Release);
        });
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

/// The writers' queue of one database file, and the state of the
/// checkpoints beside them.
#[derive(Clone)]
pub(crate) struct Turns(Arc<Semaphore>, Arc<BesideState>);

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
                .or_insert_with(|| Turns(Arc::new(Semaphore::new(1)), Arc::default()))
                .clone(),
        )
    }

    /// The checkpoints beside the writers of `pool`, this queue's file.
    pub(crate) fn beside(&self, pool: &SqlitePool) -> Beside {
        Beside {
            pool: pool.clone(),
            state: self.1.clone(),
        }
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
