//! Crash and restart (issue 18).
//!
//! SQLite: a real `amends serve` process is killed with SIGKILL while eight
//! clients create cases; after a restart on the same file every case whose
//! creation was acknowledged (201) is there and `PRAGMA integrity_check`
//! says `ok`.
//!
//! PostgreSQL: the test cannot restart the shared server, so it simulates
//! the restart on the test's own database: `ALTER DATABASE … ALLOW_CONNECTIONS
//! false` and `pg_terminate_backend` on every backend of that database cut
//! the pool's connections and refuse new ones, as a server that is down
//! does. Requests then fail with 503 (problem+json, `Retry-After`), not 500;
//! when connections are allowed again they succeed without a restart of amends.

use crate::support::{Backend, TestApp, TestDb, create_user, pg_admin_url, wait_for};
use serde_json::{Value, json};
use sqlx::Connection;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// A running `amends serve` on port 0 and its address; killed when dropped.
struct Serve {
    child: Child,
    base: String,
}

impl Serve {
    /// Starts the server and waits for its "listening on" line.
    async fn start(db_url: &str, dir: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_amends"))
            .args(["--database-url", db_url, "serve", "--bind", "127.0.0.1:0"])
            .current_dir(dir)
            .env_remove("AMENDS_DATABASE_URL")
            .env("AMENDS_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start amends serve");
        let stdout = child.stdout.take().expect("stdout");
        let base = tokio::task::spawn_blocking(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.expect("a line");
                if let Some((_, addr)) = line.split_once("listening on ") {
                    return addr.trim().to_string();
                }
            }
            panic!("amends serve ended without listening");
        })
        .await
        .expect("join");
        Serve { child, base }
    }

    /// SIGKILL: no shutdown, no flush, whatever was in flight is cut.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sigkill_under_write_load_keeps_every_acknowledged_write() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = db.store().await;
    let admin = create_user(&store, "admin", "admin").await;
    let (_, token) = amends_app::service::create_token(&store, crate::support::t0(), admin, "crash", None)
        .await
        .expect("token");
    let dir = std::env::temp_dir();
    let mut serve = Serve::start(&db.url, &dir).await;
    let client = reqwest::Client::new();
    let customer: Value = client
        .post(format!("{}/api/v1/customers", serve.base))
        .bearer_auth(&token)
        .json(&json!({"name": "Crash Kundin", "email": "crash@example.de", "language": "de"}))
        .send()
        .await
        .expect("customer")
        .json()
        .await
        .expect("json");
    let customer = customer["id"].as_str().expect("id").to_string();

    let acked = Arc::new(Mutex::new(Vec::<uuid::Uuid>::new()));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (client, base, token, customer, acked) =
                (client.clone(), serve.base.clone(), token.clone(), customer.clone(), acked.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    let res = client
                        .post(format!("{base}/api/v1/cases"))
                        .bearer_auth(&token)
                        .json(&json!({"customer_id": customer, "subject": format!("Writer {w} case {i}"), "channel": "email"}))
                        .send()
                        .await;
                    let Ok(res) = res else { break };
                    if res.status() != 201 {
                        break;
                    }
                    let Ok(body) = res.json::<Value>().await else { break };
                    let id = body["id"].as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()).expect("case id");
                    acked.lock().expect("lock").push(id);
                }
            })
        })
        .collect();
    wait_for(20, "200 acknowledged writes", || async {
        (acked.lock().expect("lock").len() >= 200).then_some(())
    })
    .await;
    serve.kill();
    for w in writers {
        w.await.expect("writer");
    }
    let acked: Vec<uuid::Uuid> = acked.lock().expect("lock").clone();

    // Restarted on the same file: every acknowledged case is there.
    let serve = Serve::start(&db.url, &dir).await;
    let mut missing = Vec::new();
    for id in &acked {
        if store.get_case(amends_domain::CaseId(*id)).await.is_err() {
            missing.push(*id);
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged cases lost: {missing:?}",
        missing.len(),
        acked.len()
    );
    let res = client
        .get(format!("{}/api/v1/cases?limit=1", serve.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("after restart");
    assert_eq!(res.status(), 200, "serves after the restart");
    let path = db.url.trim_start_matches("sqlite://").to_string();
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
        .await
        .expect("open");
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity check");
    assert_eq!(check, "ok");
}

/// The name of the test's own PostgreSQL database.
fn database_name(url: &str) -> String {
    url.rsplit('/').next().expect("a database name").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_and_recovers_by_itself() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let customer = app.customer("PG-DOWN-1", "de", "standard").await;
    app.case(&customer, "Vor dem Ausfall").await;
    let name = database_name(&app.db_url());
    let mut admin = sqlx::PgConnection::connect(&pg_admin_url())
        .await
        .expect("admin connection");
    let outage = |allow: bool| sqlx::AssertSqlSafe(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}"));
    sqlx::query(outage(false))
        .execute(&mut admin)
        .await
        .expect("refuse connections");
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&name)
    .execute(&mut admin)
    .await
    .expect("terminate backends");

    // Down: reads and writes answer 503 with a problem, never 500.
    for _ in 0..3 {
        let read = app.get("/api/v1/cases?limit=5", &app.admin_token).await;
        let write = app
            .post(
                "/api/v1/cases",
                &app.admin_token,
                json!({"customer_id": customer, "subject": "Während des Ausfalls", "channel": "email"}),
            )
            .await;
        for res in [read, write] {
            assert_eq!(res.status(), 503, "while the database is down");
            assert!(res.headers().contains_key("retry-after"));
            let p: Value = res.json().await.expect("problem");
            assert_eq!(p["type"], "/problems/unavailable", "{p}");
        }
    }
    let health = app.get_anonymous("/readyz").await;
    assert_eq!(health.status(), 503, "readiness says so too");

    // Back: the same running app serves again by itself.
    sqlx::query(outage(true))
        .execute(&mut admin)
        .await
        .expect("allow connections");
    wait_for(15, "requests to succeed again", || async {
        (app.get("/api/v1/cases?limit=5", &app.admin_token).await.status() == 200).then_some(())
    })
    .await;
    app.post_expect(
        "/api/v1/cases",
        &app.admin_token,
        json!({"customer_id": customer, "subject": "Nach dem Ausfall", "channel": "email"}),
        201,
    )
    .await;
}
