//! Streaming feedback imports (issue 19): the CLI and the bulk API store
//! each row once — on a re-run, and when imports of one file run at once —
//! keep the good rows next to a malformed one, and refuse a bad file with a
//! hint.

use crate::support::{Backend, TestApp, TestDb, create_user};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Data rows of the generated file: more than one import chunk.
const ROWS: usize = 4_500;
/// The row with a rating that is no number.
const BAD_ROW: usize = 7;

/// A feedback CSV of [`ROWS`] rows from 40 customers (every fifth row rated
/// 1, so the "Low rating" rule opens or joins a case), row [`BAD_ROW`]
/// malformed, and a last row that repeats the first.
fn feedback_csv(dir: &Path) -> PathBuf {
    let mut csv = String::from("customer_email,rating,text,language,order_id\n");
    for i in 1..=ROWS {
        let rating = if i == BAD_ROW {
            "nine".to_string()
        } else {
            (i % 5 + 1).to_string()
        };
        let (text, lang) = if i % 2 == 0 {
            (format!("Lieferung {i} kam zu spät, der Karton war beschädigt."), "de")
        } else {
            (format!("Order {i} arrived on time, thank you."), "en")
        };
        csv.push_str(&format!(
            "kunde{}@example.de,{rating},\"{text}\",{lang},A-{i}\n",
            i % 40
        ));
    }
    let first = csv.lines().nth(1).expect("first row").to_string();
    csv.push_str(&first);
    csv.push('\n');
    let file = dir.join("feedback.csv");
    std::fs::write(&file, csv).expect("write csv");
    file
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("amends-imports-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Runs `amends import feedback FILE` on `url`: exit success, stdout, stderr.
pub async fn import(url: &str, file: &Path) -> (bool, String, String) {
    let (url, path) = (url.to_string(), file.display().to_string());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_amends"))
            .env_remove("AMENDS_DATABASE_URL")
            .env("AMENDS_LOG", "warn")
            .args(["--database-url", &url, "import", "feedback", &path])
            .output()
            .expect("run")
    })
    .await
    .expect("join");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One number from `sql` on the database at `url`.
async fn count(url: &str, sql: &str) -> i64 {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(sql).fetch_one(&mut c).await.expect("count")
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(sql).fetch_one(&mut c).await.expect("count")
    }
}

/// Each stored item once, with one audit entry and (when it has a case)
/// one message on its case; one customer per address.
async fn assert_each_row_once(url: &str, items: i64) {
    assert_eq!(count(url, "SELECT COUNT(*) FROM feedback").await, items);
    assert_eq!(
        count(url, "SELECT COUNT(DISTINCT import_key) FROM feedback").await,
        items
    );
    assert_eq!(
        count(url, "SELECT COUNT(*) FROM audit_log WHERE action = 'feedback.create'").await,
        items
    );
    let with_case = count(url, "SELECT COUNT(*) FROM feedback WHERE case_id IS NOT NULL").await;
    assert!(with_case > 0, "the low ratings opened or joined cases");
    assert_eq!(
        count(url, "SELECT COUNT(*) FROM case_events WHERE kind = 'message_in'").await,
        with_case
    );
    assert_eq!(count(url, "SELECT COUNT(*) FROM customers").await, 40);
    assert_eq!(
        count(url, "SELECT COUNT(*) FROM audit_log WHERE action = 'customer.create'").await,
        40
    );
    // "Low rating" attaches to the open case on the same topic: the German
    // delivery complaints of a customer end in one case; the English rows
    // (no topic) are related to nothing and each open their own.
    assert_eq!(
        count(
            url,
            "SELECT COUNT(*) FROM (SELECT customer_id FROM feedback WHERE case_id IS NOT NULL AND language = 'de' \
             GROUP BY customer_id HAVING COUNT(DISTINCT case_id) > 1) x"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            url,
            "SELECT COUNT(DISTINCT case_id) FROM feedback WHERE language = 'en'"
        )
        .await,
        count(
            url,
            "SELECT COUNT(*) FROM feedback WHERE language = 'en' AND case_id IS NOT NULL"
        )
        .await,
    );
}

async fn a_reimport_adds_nothing_and_concurrent_imports_add_each_row_once(b: Backend) {
    let db = TestDb::new(b).await;
    drop(db.store().await);
    let dir = temp_dir();
    let file = feedback_csv(&dir);
    let good = i64::try_from(ROWS - 1).expect("rows");

    // Three imports of the file at once.
    let runs = futures_util::future::join_all((0..3).map(|_| import(&db.url, &file))).await;
    let mut added = 0;
    for (ok, stdout, stderr) in &runs {
        assert!(ok, "{stdout}{stderr}");
        assert!(
            stderr.contains(&format!("row {BAD_ROW}: rating:")),
            "the malformed row is named: {stderr}"
        );
        let n: i64 = stdout
            .strip_prefix("imported ")
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{stdout}"));
        added += n;
    }
    assert_eq!(added, good, "each row was added by exactly one run: {runs:?}");
    assert_each_row_once(&db.url, good).await;

    // Once more: nothing new, every good row (and the repeated one) known.
    let (ok, stdout, stderr) = import(&db.url, &file).await;
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "imported 0 feedback items (0 with a recovery case); 1 rows skipped; {} rows imported before",
            ROWS
        )),
        "{stdout}"
    );
    assert_each_row_once(&db.url, good).await;
    let _ = std::fs::remove_dir_all(dir);
}

async fn a_bad_file_fails_with_a_hint(b: Backend) {
    let db = TestDb::new(b).await;
    let dir = temp_dir();
    let file = dir.join("notes.csv");
    std::fs::write(&file, "email;comment\nanna@example.de;Schlecht\n").expect("write");
    let (ok, stdout, stderr) = import(&db.url, &file).await;
    assert!(!ok, "{stdout}{stderr}");
    assert!(stderr.contains("`text` column"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    let (ok, _, stderr) = import(&db.url, &dir.join("missing.csv")).await;
    assert!(!ok);
    assert!(stderr.contains("cannot read"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

async fn bulk_requests_at_once_store_each_row_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let dir = temp_dir();
    let body = std::fs::read_to_string(feedback_csv(&dir)).expect("csv");
    let _ = std::fs::remove_dir_all(dir);
    let send = || async {
        let res = app
            .client
            .post(app.url("/api/v1/feedback/bulk"))
            .bearer_auth(&tok)
            .header("content-type", "text/csv")
            .body(body.clone())
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.expect("json")
    };
    let outs = futures_util::future::join_all((0..4).map(|_| send())).await;
    let created: u64 = outs.iter().map(|o| o["created"].as_u64().unwrap_or(0)).sum();
    let good = u64::try_from(ROWS - 1).expect("rows");
    assert_eq!(created, good, "{outs:?}");
    for o in &outs {
        let rows: Vec<u64> = o["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["row"].as_u64())
            .collect();
        assert_eq!(rows, [BAD_ROW as u64], "{o}");
    }
    let again = send().await;
    assert_eq!(again["created"], 0, "{again}");
    assert_eq!(again["duplicates"].as_array().map(Vec::len), Some(ROWS));
    assert_each_row_once(&app.db_url(), i64::try_from(good).expect("good")).await;

    // JSON items are keyed by their external_id.
    let items = json!([
        {"external_id": "ticket-1", "customer_email": "kunde1@example.de", "channel": "api", "text": "Alles gut."},
        {"external_id": "ticket-2", "customer_email": "kunde2@example.de", "channel": "api", "text": "Passt."},
        {"customer_email": "kunde3@example.de", "channel": "api", "text": "Ohne Schlüssel."},
    ]);
    let first = app.post_json("/api/v1/feedback/bulk", &tok, items.clone(), 200).await;
    assert_eq!(first["created"], 3, "{first}");
    let second = app.post_json("/api/v1/feedback/bulk", &tok, items, 200).await;
    assert_eq!(second["created"], 1, "only the item without a key is new: {second}");
    assert_eq!(second["duplicates"], json!([1, 2]), "{second}");
}

/// The three rows of an encoding test file for `tag`, with `sep` between
/// the columns; the third has a bad rating.
fn rows_of(tag: &str, sep: char) -> String {
    let mut csv = format!("customer_email{sep}rating{sep}text{sep}language\n");
    for (i, rating) in ["2", "4", "neun"].iter().enumerate() {
        csv.push_str(&format!(
            "{tag}{i}@example.de{sep}{rating}{sep}\"Größe {tag} {i} falsch; Kosten 30 €, ärgerlich\"{sep}de\n"
        ));
    }
    csv
}

fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    let mut out = if little_endian {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for unit in text.encode_utf16() {
        out.extend(if little_endian {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

/// Windows-1252 bytes of `text` (every character used here has one byte).
fn windows_1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            c => u8::try_from(u32::from(c)).expect("a Latin-1 character"),
        })
        .collect()
}

/// Files as Excel and other tools write them (issue 18, finding 8): each
/// is read with its umlauts and euro sign intact, its bad row named.
async fn files_of_every_encoding_and_separator_are_read(b: Backend) {
    let db = TestDb::new(b).await;
    drop(db.store().await);
    let dir = temp_dir();
    let files: [(&str, Vec<u8>); 5] = [
        ("utf8comma", rows_of("utf8comma", ',').into_bytes()),
        (
            "bomsemi",
            [&[0xEF, 0xBB, 0xBF][..], rows_of("bomsemi", ';').as_bytes()].concat(),
        ),
        ("latinsemi", windows_1252(&rows_of("latinsemi", ';'))),
        ("utf16le", utf16(&rows_of("utf16le", '\t'), true)),
        ("utf16be", utf16(&rows_of("utf16be", ';'), false)),
    ];
    for (tag, bytes) in files {
        let file = dir.join(format!("{tag}.csv"));
        std::fs::write(&file, bytes).expect("write");
        let (ok, stdout, stderr) = import(&db.url, &file).await;
        assert!(ok, "{tag}: {stdout}{stderr}");
        assert!(
            stderr.contains("row 3: rating"),
            "{tag}: the bad row is named: {stderr}"
        );
        for i in 0..2 {
            let text = format!("Größe {tag} {i} falsch; Kosten 30 €, ärgerlich");
            let sql = format!("SELECT COUNT(*) FROM feedback WHERE text = '{text}'");
            assert_eq!(count(&db.url, &sql).await, 1, "{tag}: `{text}` stored as written");
        }
    }
    assert_eq!(count(&db.url, "SELECT COUNT(*) FROM feedback").await, 10);
    let _ = std::fs::remove_dir_all(dir);
}

/// The span from a case's creation to its due date `field`.
fn due_in(case: &Value, field: &str) -> chrono::Duration {
    let at = |f: &str| {
        case[f]
            .as_str()
            .and_then(|s| s.parse::<chrono::DateTime<chrono::Utc>>().ok())
            .unwrap_or_else(|| panic!("{f} of {case}"))
    };
    at(field) - at("created_at")
}

/// A chunk opens its cases as single items do: each routed in turn (so
/// the loads spread evenly), with the same due dates, the same timeline,
/// job and audit entries; two rows of one new customer make one customer.
async fn a_chunk_opens_cases_as_single_items_do(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    for name in ["r1", "r2", "r3"] {
        let id = create_user(&app.store, name, "agent").await;
        let res = app
            .put(
                &format!("/api/v1/routing/agents/{id}"),
                &tok,
                json!({"languages": ["de"], "available": true, "max_open": 50}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    app.put("/api/v1/routing", &tok, json!({"enabled": true})).await;
    let single = app
        .post_json(
            "/api/v1/feedback",
            &tok,
            json!({"customer_email": "einzeln@example.de", "channel": "api", "rating": 1,
                   "text": "Die Rechnung ist falsch.", "language": "de"}),
            201,
        )
        .await;
    let single_id = single["case_id"].as_str().expect("a case").to_string();
    let single_case = app.get_json(&format!("/api/v1/cases/{single_id}"), &tok).await;
    let kinds = |events: &Value| -> Vec<String> {
        events
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let single_kinds = kinds(&app.get_json(&format!("/api/v1/cases/{single_id}/events"), &tok).await);
    // As a case opened by itself: created, routed, then the customer's message.
    assert_eq!(
        single_kinds[..3],
        ["created", "assignment", "message_in"],
        "{single_kinds:?}"
    );

    let mut csv = String::from("customer_email,rating,text,language\n");
    for i in 0..8 {
        csv.push_str(&format!("neu{i}@example.de,1,Die Rechnung {i} ist falsch.,de\n"));
    }
    csv.push_str("doppelt@example.de,5,Alles bestens.,de\nDoppelt@Example.de,4,Wieder gut.,de\n");
    let res = app
        .client
        .post(app.url("/api/v1/feedback/bulk"))
        .bearer_auth(&tok)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.expect("json");
    assert_eq!(out["created"], 10, "{out}");
    let cases: Vec<String> = out["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["case_id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(cases.len(), 8, "each low rating opened its own case: {out}");
    for id in &cases {
        let case = app.get_json(&format!("/api/v1/cases/{id}"), &tok).await;
        assert!(case["assignee"]["id"].is_string(), "routed: {case}");
        for due in ["first_response_due_at", "resolution_due_at"] {
            assert_eq!(due_in(&case, due), due_in(&single_case, due), "{due} of {case}");
        }
        let events = app.get_json(&format!("/api/v1/cases/{id}/events"), &tok).await;
        assert_eq!(kinds(&events), single_kinds, "{events}");
    }
    let routing = app.get_json("/api/v1/routing", &tok).await;
    let loads: Vec<i64> = routing["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter(|a| !a["profile"].is_null())
        .map(|a| a["open_load"].as_i64().expect("load"))
        .collect();
    assert_eq!(loads, [3, 3, 3], "{routing}");
    let url = app.db_url();
    for (sql, n) in [
        ("SELECT COUNT(*) FROM audit_log WHERE action = 'case.create'", 9),
        ("SELECT COUNT(*) FROM audit_log WHERE action = 'case.route'", 9),
        ("SELECT COUNT(*) FROM jobs WHERE payload LIKE '%\"case.created\"%'", 9),
        (
            "SELECT COUNT(*) FROM customers WHERE lower(email) = 'doppelt@example.de'",
            1,
        ),
        ("SELECT COUNT(*) FROM audit_log WHERE action = 'customer.create'", 10),
    ] {
        assert_eq!(count(&url, sql).await, n, "{sql}");
    }
}

crate::both_backends!(
    files_of_every_encoding_and_separator_are_read,
    a_chunk_opens_cases_as_single_items_do,
    a_reimport_adds_nothing_and_concurrent_imports_add_each_row_once,
    a_bad_file_fails_with_a_hint,
    bulk_requests_at_once_store_each_row_once,
);
