//! One pooled connection held for a series of write transactions: a bulk
//! upload (the incident fan-out) writes chunk after chunk through it.
//!
//! On SQLite this matters: a connection's page cache is only valid while no
//! *other* connection has committed, so chunks written through whichever
//! pool connection is free each start with a cold cache and re-read every
//! index page they touch. The session's connection is the only writer, so
//! its cache stays warm; it gets a bigger cache for the duration, and the
//! WAL is checkpointed beside the writer (by another connection, passively)
//! instead of inside the writer's commits.
//!
//! A passive checkpoint beside a writer that keeps committing never catches
//! up with it, and SQLite only starts the WAL over from its beginning after
//! a checkpoint that did: without more, a long import grew the WAL without
//! end (20 GB for a database of 1.4 GB after 700,000 feedback rows), and
//! every page read searched a longer WAL index. So once the WAL file is
//! over [`WAL_TRUNCATE_BYTES`], the writer itself, in its turn between two
//! transactions, checkpoints what is left and truncates the WAL.
//! [`WriteSession::finish`] puts the
//! connection back as it was; a session dropped without `finish` (an error
//! path) closes its connection instead of returning it changed.

use crate::write_turn::{Beside, SessionSqlite, Turns};
use crate::{Backend, Store, StoreError};
use sqlx::Postgres;
use sqlx::pool::PoolConnection;
use std::path::PathBuf;

/// The page cache of the session's SQLite connection (KiB, as `cache_size`
/// takes it when negative): room for the indexes of a 100,000-case upload.
const SESSION_CACHE_KIB: i64 = 256 * 1024;
/// The page cache of a feedback import's session (KiB): room for the
/// indexes a million-row import adds to all over (customer, import key),
/// within the import's memory budget.
const IMPORT_CACHE_KIB: i64 = 64 * 1024;
/// The normal page cache of a pool connection (KiB); see `Store::connect`.
pub(crate) const POOL_CACHE_KIB: i64 = 32 * 1024;
/// Commits of a session between two checkpoints beside it. A 10,000-row
/// fan-out chunk adds about 8 MB to the WAL, so it stays under about 70 MB;
/// checkpointing after every commit cost the writer a tenth of its speed
/// (the checkpoint competes for the same two cores and the same pages).
const COMMITS_PER_CHECKPOINT: u32 = 8;
/// The WAL size (bytes) above which the session's writer checkpoints and
/// truncates the WAL in its turn (see the module documentation). Most of
/// the WAL is copied by then by the checkpoints beside the writer.
const WAL_TRUNCATE_BYTES: u64 = 256 * 1024 * 1024;
/// How long the truncating checkpoint waits for readers of an older
/// snapshot (ms) before it gives up until the next commit; the pool's
/// usual wait (`Store::connect`) is restored after it.
const TRUNCATE_BUSY_MS: u32 = 1_000;
/// The normal automatic checkpoint threshold (pages); see `Store::connect`.
pub(crate) const POOL_AUTOCHECKPOINT_PAGES: i64 = 2_500;

pub(crate) enum SessionConn {
    Sqlite(SessionSqlite),
    Postgres(PoolConnection<Postgres>),
    /// An in-memory SQLite database lives in its pool's only connection,
    /// which the upload's lookups need too: each write takes it from the
    /// pool (there is no WAL and no other writer to hold it against).
    SqliteShared(sqlx::SqlitePool),
}

/// A connection reserved for a series of write transactions. Get one with
/// [`Store::write_session`]; end it with [`WriteSession::finish`].
pub struct WriteSession {
    pub(crate) conn: SessionConn,
    pub(crate) store: Store,
    finished: bool,
    /// Commits since the last checkpoint beside the writer.
    commits: u32,
    /// The checkpoints beside the writers of a SQLite file (at most one
    /// at a time); none for PostgreSQL and an in-memory database.
    beside: Option<Beside>,
    /// The WAL file of a SQLite database file.
    wal: Option<PathBuf>,
    /// The WAL size the writer truncates at ([`WAL_TRUNCATE_BYTES`]).
    wal_limit: u64,
}

/// Runs `$body` with `$conn` bound to the session's concrete connection
/// (`&mut SessionSqlite`, `&mut PoolConnection<Postgres>`, or the
/// one-connection pool of an in-memory database); `$conn.begin_write()`
/// works on each (with `dialect::BeginWrite` and `BeginWriteOn` in scope).
macro_rules! with_session {
    ($session:expr, |$conn:ident| $body:expr) => {
        match &mut $session.conn {
            $crate::write_session::SessionConn::Sqlite($conn) => $body,
            $crate::write_session::SessionConn::Postgres($conn) => $body,
            $crate::write_session::SessionConn::SqliteShared($conn) => $body,
        }
    };
}
pub(crate) use with_session;

impl Store {
    /// Reserves a connection for a series of write transactions (see the
    /// module documentation).
    pub async fn write_session(&self) -> Result<WriteSession, StoreError> {
        self.session_with_cache(SESSION_CACHE_KIB).await
    }

    /// A write session for a feedback import (a smaller page cache).
    pub async fn import_session(&self) -> Result<WriteSession, StoreError> {
        self.session_with_cache(IMPORT_CACHE_KIB).await
    }

    async fn session_with_cache(&self, cache_kib: i64) -> Result<WriteSession, StoreError> {
        let wal = match &self.backend {
            Backend::Sqlite(pool) => {
                let mut name = pool.connect_options().get_filename().as_os_str().to_owned();
                name.push("-wal");
                Some(PathBuf::from(name))
            }
            Backend::Postgres(_) => None,
        };
        let mut beside = None;
        let conn = match &self.backend {
            Backend::Sqlite(pool) if pool.options().get_max_connections() <= 1 => {
                SessionConn::SqliteShared(pool.clone())
            }
            Backend::Sqlite(pool) => {
                let mut c = pool.acquire().await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{cache_kib}")))
                    .execute(&mut *c)
                    .await?;
                sqlx::query("PRAGMA wal_autocheckpoint = 0").execute(&mut *c).await?;
                let turns = Turns::of(pool);
                beside = turns.as_ref().map(|t| t.beside(pool));
                SessionConn::Sqlite(SessionSqlite { conn: c, turns })
            }
            Backend::Postgres(pool) => SessionConn::Postgres(pool.acquire().await?),
        };
        Ok(WriteSession {
            conn,
            store: self.clone(),
            finished: false,
            commits: 0,
            beside,
            wal,
            wal_limit: WAL_TRUNCATE_BYTES,
        })
    }
}

impl WriteSession {
    /// After a commit: every [`COMMITS_PER_CHECKPOINT`] commits, checkpoints
    /// the WAL beside the writer ([`WriteSession::finish`] does at the end);
    /// a WAL over [`WAL_TRUNCATE_BYTES`] is truncated by the writer. The
    /// write is committed: a failed truncation is logged, not returned.
    pub(crate) async fn committed(&mut self) {
        self.commits += 1;
        if self.commits >= COMMITS_PER_CHECKPOINT {
            self.commits = 0;
            self.checkpoint_beside();
        }
        if let Err(e) = self.truncate_long_wal().await {
            tracing::warn!(error = %e, "truncating the WAL after a bulk write's commit failed; the next commit tries again");
        }
    }

    /// Checkpoints and truncates the WAL on the session's connection, in
    /// the writer's turn, when the WAL file has grown over
    /// [`WAL_TRUNCATE_BYTES`]. Readers of an older snapshot make it give up
    /// after [`TRUNCATE_BUSY_MS`]; the next commit tries again.
    async fn truncate_long_wal(&mut self) -> Result<(), StoreError> {
        let SessionConn::Sqlite(session) = &mut self.conn else {
            return Ok(());
        };
        let Some(wal) = &self.wal else {
            return Ok(());
        };
        if std::fs::metadata(wal).map_or(0, |m| m.len()) <= self.wal_limit {
            return Ok(());
        }
        let _turn = match &session.turns {
            Some(turns) => turns.wait().await,
            None => None,
        };
        let conn = &mut *session.conn;
        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA busy_timeout = {TRUNCATE_BUSY_MS}")))
            .execute(&mut *conn)
            .await?;
        // Busy (a checkpoint beside still running, or a reader of an older
        // snapshot) is a row, not an error: the next commit tries again.
        let truncated = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *conn).await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "PRAGMA busy_timeout = {}",
            crate::BUSY_TIMEOUT_MS
        )))
        .execute(&mut *conn)
        .await?;
        truncated?;
        Ok(())
    }

    /// Checkpoints the WAL on another connection, beside
    /// the writer, unless a checkpoint is still running.
    pub(crate) fn checkpoint_beside(&self) {
        if let Some(b) = &self.beside {
            b.checkpoint();
        }
    }

    /// Gives the connection back to the pool with its usual settings.
    pub async fn finish(mut self) -> Result<(), StoreError> {
        if let SessionConn::Sqlite(SessionSqlite { conn: c, .. }) = &mut self.conn {
            sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{POOL_CACHE_KIB}")))
                .execute(&mut **c)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "PRAGMA wal_autocheckpoint = {POOL_AUTOCHECKPOINT_PAGES}"
            )))
            .execute(&mut **c)
            .await?;
        }
        self.finished = true;
        self.checkpoint_beside();
        Ok(())
    }
}

impl Drop for WriteSession {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        match &mut self.conn {
            SessionConn::Sqlite(s) => s.conn.close_on_drop(),
            SessionConn::Postgres(c) => c.close_on_drop(),
            SessionConn::SqliteShared(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WriteSession;
    use crate::{Durability, Store};
    use std::time::Duration;

    /// An in-memory database has one connection: a write session must not
    /// hold it, or the upload's lookups would wait for it forever.
    #[tokio::test]
    async fn a_session_on_an_in_memory_database_leaves_its_connection_free() {
        let store = Store::connect("sqlite::memory:", Durability::Normal)
            .await
            .expect("in-memory database");
        let session = store.write_session().await.expect("session");
        tokio::time::timeout(Duration::from_secs(5), store.ping())
            .await
            .expect("the pool's only connection is free while the session lives")
            .expect("ping");
        session.finish().await.expect("finish");
    }

    /// Writes `n` transactions of accounts with long names through the
    /// session; gives the WAL's size after each commit.
    async fn wal_after_commits(session: &mut WriteSession, wal: &std::path::Path, n: usize) -> Vec<u64> {
        use crate::dialect::{BeginWrite, BeginWriteOn};
        let mut sizes = Vec::with_capacity(n);
        for t in 0..n {
            with_session!(session, |conn| {
                let mut tx = conn.begin_write().await.expect("begin");
                for r in 0..200 {
                    sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)")
                        .bind(uuid::Uuid::new_v4())
                        .bind(format!("{t}-{r}-{}-{}", uuid::Uuid::new_v4(), "x".repeat(400)))
                        .bind(chrono::DateTime::UNIX_EPOCH)
                        .execute(&mut *tx)
                        .await
                        .expect("insert");
                }
                tx.commit().await.expect("commit");
            });
            session.committed().await;
            sizes.push(std::fs::metadata(wal).map_or(0, |m| m.len()));
        }
        sizes
    }

    /// The writer truncates a WAL that grew over the limit, so a long
    /// series of commits keeps it bounded; without the limit the same
    /// writes grow it far past it (the checkpoints beside the writer never
    /// catch up). A truncation that meets the checkpoint beside it still
    /// running is tried again at the next commit.
    #[tokio::test]
    async fn a_long_session_keeps_the_wal_under_its_limit() {
        let dir = std::env::temp_dir().join(format!("amends-wal-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("wal.db");
        let store = Store::connect(&format!("sqlite://{}", file.display()), Durability::Normal)
            .await
            .expect("database");
        store.migrate().await.expect("migrate");
        let wal = dir.join("wal.db-wal");
        const LIMIT: u64 = 256 * 1024;

        let mut unbounded = store.write_session().await.expect("session");
        unbounded.wal_limit = u64::MAX;
        let grown = wal_after_commits(&mut unbounded, &wal, 40).await;
        unbounded.finish().await.expect("finish");
        let grown = grown.iter().max().copied().unwrap_or(0);
        assert!(
            grown > 16 * LIMIT,
            "the writes grow the WAL without a limit: {grown} bytes"
        );
        // The bounded series starts from an empty WAL: the checkpoint that
        // `finish` starts beside may still run (busy) on a loaded machine.
        let crate::Backend::Sqlite(pool) = &store.backend else {
            unreachable!("a SQLite store")
        };
        for _ in 0..100 {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await;
            if std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }

        let mut bounded = store.write_session().await.expect("session");
        bounded.wal_limit = LIMIT;
        let sizes = wal_after_commits(&mut bounded, &wal, 40).await;
        bounded.finish().await.expect("finish");
        let over = sizes.iter().filter(|s| **s > LIMIT).count();
        let largest = sizes.iter().max().copied().unwrap_or(0);
        assert!(
            over <= 10,
            "the WAL is truncated after most commits: over {LIMIT} bytes after {over} of 40: {sizes:?}"
        );
        assert!(largest < grown / 8, "the WAL stays small: {sizes:?}");
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
