//! Backups of a SQLite database: `VACUUM INTO` writes a consistent snapshot
//! while amends serves (readers and writers go on), and a backup is checked
//! (integrity, amends schema, not newer than this binary) before it replaces
//! a database. PostgreSQL is backed up with its own tools (`pg_dump`,
//! see docs/OPERATIONS.md).

use crate::{Backend, Store, StoreError};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::path::{Path, PathBuf};
use std::str::FromStr;

impl Store {
    /// Writes a consistent copy of the SQLite database to the new file `path`.
    pub async fn backup_into(&self, path: &Path) -> Result<(), StoreError> {
        let Backend::Sqlite(pool) = &self.backend else {
            return Err(StoreError::Config(
                "a PostgreSQL database is backed up with pg_dump (see docs/OPERATIONS.md); \
                 `amends backup` writes SQLite backups"
                    .into(),
            ));
        };
        if path.exists() {
            return Err(StoreError::Config(format!(
                "{} exists; name a new file for the backup",
                path.display()
            )));
        }
        sqlx::query("VACUUM INTO ?")
            .bind(path.to_string_lossy().into_owned())
            .execute(pool)
            .await?;
        Ok(())
    }
}

/// What [`check_backup`] found in a backup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// Schema migrations applied in the backup.
    pub migrations: usize,
    /// Cases in the backup.
    pub cases: i64,
}

/// Checks that `path` is an intact amends SQLite database that this binary
/// can open (its schema is not newer).
pub async fn check_backup(path: &Path) -> Result<BackupInfo, StoreError> {
    if !path.is_file() {
        return Err(StoreError::Config(format!("{} is not a file", path.display())));
    }
    let not_amends = || StoreError::Config(format!("{} is not an amends SQLite database", path.display()));
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|_| not_amends())?;
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| not_amends())?;
    if integrity != "ok" {
        return Err(StoreError::Config(format!(
            "{} is damaged (integrity check: {integrity})",
            path.display()
        )));
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .map_err(|_| not_amends())?;
    let known = sqlx::migrate!("./migrations/sqlite").iter().count();
    if applied.len() > known {
        return Err(StoreError::Config(format!(
            "{} was written by a newer amends ({} schema migrations, this one knows {known}); restore it with that version",
            path.display(),
            applied.len()
        )));
    }
    let cases: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| not_amends())?;
    conn.close().await?;
    Ok(BackupInfo {
        migrations: applied.len(),
        cases,
    })
}

/// Puts the checked backup `backup` in place of the SQLite database of
/// `url` (amends must not be running on it). An existing database is only
/// replaced with `force`. Migrate afterwards to bring an older backup up to
/// date.
pub async fn restore_sqlite(backup: &Path, url: &str, force: bool) -> Result<BackupInfo, StoreError> {
    if !url.starts_with("sqlite:") {
        return Err(StoreError::Config(
            "a PostgreSQL database is restored with pg_restore (see docs/OPERATIONS.md); \
             `amends restore` restores SQLite backups"
                .into(),
        ));
    }
    let info = check_backup(backup).await?;
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Config(format!("database_url `{url}` is not a valid SQLite URL: {e}")))?;
    let target = opts.get_filename().to_path_buf();
    if target.exists() && !force {
        return Err(StoreError::Config(format!(
            "{} exists; stop amends and pass --force to replace it with the backup",
            target.display()
        )));
    }
    let io = |what: &str, e: std::io::Error| StoreError::Config(format!("{what}: {e}"));
    let staged = sibling(&target, "restore");
    std::fs::copy(backup, &staged).map_err(|e| io(&format!("cannot write {}", staged.display()), e))?;
    std::fs::File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("cannot sync the restored file", e))?;
    for stale in [sibling(&target, "wal"), sibling(&target, "shm")] {
        if stale.exists() {
            std::fs::remove_file(&stale).map_err(|e| io(&format!("cannot remove {}", stale.display()), e))?;
        }
    }
    std::fs::rename(&staged, &target).map_err(|e| io(&format!("cannot replace {}", target.display()), e))?;
    Ok(info)
}

/// `amends.db` → `amends.db-wal`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!("-{suffix}"));
    PathBuf::from(name)
}
