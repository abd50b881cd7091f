//! `amends backup` while amends serves and writes, and `amends restore` of
//! that backup: the restored database is the backup, table by table.

use crate::cli::run_on;
use crate::support::{Backend, TestApp};
use sqlx::Connection;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Row count of every table and the cases themselves.
async fn contents(path: &Path) -> (Vec<(String, i64)>, Vec<(String, String, String)>) {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("tables");
    let mut counts = Vec::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM \"{t}\"")))
            .fetch_one(&mut conn)
            .await
            .expect("count");
        counts.push((t, n));
    }
    let cases = sqlx::query_as("SELECT hex(id), subject, state FROM cases ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .expect("cases");
    (counts, cases)
}

/// A directory removed when the test ends.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("amends-backup-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_write_load_restores_an_identical_database() {
    let app = Arc::new(TestApp::spawn(Backend::Sqlite).await);
    let customer = app.customer("CRM-BACKUP", "de", "standard").await;
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (app, customer, stop, written) = (app.clone(), customer.clone(), stop.clone(), written.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    app.case(&customer, &format!("Writer {w} case {i}")).await;
                    written.fetch_add(1, Ordering::SeqCst);
                    i += 1;
                }
            })
        })
        .collect();
    while written.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let dir = Scratch::new();
    let backup = dir.path().join("backup.db");
    let backup_arg = backup.display().to_string();
    let (code, _, err) = run_on(&app.db_url(), &["backup", &backup_arg], None).await;
    assert_eq!(code, 0, "{err}");
    let before = written.load(Ordering::SeqCst);
    while written.load(Ordering::SeqCst) < before + 20 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.expect("writer");
    }
    let total = written.load(Ordering::SeqCst);

    let (counts, cases) = contents(&backup).await;
    assert!(
        (20..total).contains(&cases.len()),
        "the backup holds the cases written before it ({} of {total})",
        cases.len()
    );
    let (code, _, err) = run_on(&app.db_url(), &["backup", &backup_arg], None).await;
    assert_ne!(code, 0, "an existing backup is not overwritten");
    assert!(err.contains("exists"), "{err}");

    let restored = dir.path().join("restored.db");
    let restored_url = format!("sqlite://{}", restored.display());
    let (code, _, err) = run_on(&restored_url, &["restore", &backup_arg], None).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        contents(&restored).await,
        (counts.clone(), cases.clone()),
        "restored = backup"
    );
    let (code, _, err) = run_on(&restored_url, &["restore", &backup_arg], None).await;
    assert_ne!(code, 0, "an existing database is replaced only with --force");
    assert!(err.contains("--force"), "{err}");
    let (code, _, err) = run_on(&restored_url, &["restore", &backup_arg, "--force"], None).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(contents(&restored).await, (counts, cases));

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").expect("write");
    let other = format!("sqlite://{}", dir.path().join("other.db").display());
    let (code, _, err) = run_on(&other, &["restore", &junk.display().to_string()], None).await;
    assert_ne!(code, 0);
    assert!(err.contains("not an amends SQLite database"), "{err}");
}
