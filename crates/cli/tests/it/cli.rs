//! The `amends` binary: commands, exit codes and messages.

use crate::support::{Backend, TestDb};
use std::io::Write;
use std::process::{Command, Stdio};

fn amends() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_amends"));
    c.env_remove("AMENDS_DATABASE_URL").env("AMENDS_LOG", "warn");
    c
}

fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = amends()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn amends");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `amends --database-url URL ARGS…` off the async runtime.
pub(crate) async fn run_on(url: &str, args: &[&str], stdin: Option<&'static str>) -> (i32, String, String) {
    let args: Vec<String> = ["--database-url", url]
        .iter()
        .chain(args)
        .map(|a| a.to_string())
        .collect();
    tokio::task::spawn_blocking(move || run(&args.iter().map(String::as_str).collect::<Vec<_>>(), stdin))
        .await
        .expect("join")
}

async fn users_and_tokens_from_the_command_line(b: Backend) {
    let db = TestDb::new(b).await;
    let url = db.url.clone();
    let (code, out, err) = run_on(&url, &["migrate"], None).await;
    assert_eq!(code, 0, "{out}{err}");
    let create =
        |name: &'static str, role: &'static str| ["user", "create", "--name", name, "--role", role, "--password-stdin"];
    let (code, out, err) = run_on(&url, &create("chef", "admin"), Some("a long password\n")).await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = run_on(&url, &create("chef2", "emperor"), Some("a long password\n")).await;
    assert_ne!(code, 0);
    assert!(err.contains("role must be one of"), "{err}");
    let (code, out, err) = run_on(&url, &["token", "create", "--user", "chef"], None).await;
    assert_eq!(code, 0, "{err}");
    let token = out.lines().last().expect("a line").trim().to_string();
    assert!(token.starts_with("amd_"), "token alone on the last line: {out}");
    let store = db.store().await;
    let user = store
        .user_by_token_hash(&amends_app::secret::hash_secret(&token), crate::support::t0())
        .await
        .expect("lookup")
        .expect("the printed token works");
    assert_eq!(user.username, "chef");
    let (code, _, err) = run_on(&url, &["token", "create", "--user", "ghost"], None).await;
    assert_ne!(code, 0);
    assert!(err.contains("no user named `ghost`"), "{err}");
}

crate::both_backends!(users_and_tokens_from_the_command_line, bench_http_runs_every_figure);

#[test]
fn bad_configuration_stops_with_a_message_naming_the_key() {
    let (code, _, err) = run(&["--database-url", "mysql://nope", "migrate"], None);
    assert_ne!(code, 0);
    assert!(err.contains("sqlite:") && err.contains("postgres:"), "{err}");
    let dir = std::env::temp_dir().join(format!("amends-cfg-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("amends.toml");
    std::fs::write(&file, "session_hours = \"many\"\n").expect("write");
    let (code, _, err) = run(&["--config", file.to_str().expect("path"), "migrate"], None);
    assert_ne!(code, 0);
    assert!(err.contains("session_hours"), "{err}");
    let (code, _, err) = run(&["--config", "/nonexistent/amends.toml", "migrate"], None);
    assert_ne!(code, 0);
    assert!(err.contains("does not exist"), "{err}");
    let (code, out, _) = run(&["--help"], None);
    assert_eq!(code, 0);
    for cmd in ["serve", "migrate", "demo", "user", "token"] {
        assert!(out.contains(cmd), "--help lists {cmd}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn demo_fills_a_database_reproducibly() {
    let dir = std::env::temp_dir().join(format!("amends-demo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let url = format!("sqlite://{}", dir.join("demo.db").display());
    let (code, out, err) = run(
        &[
            "--database-url",
            &url,
            "demo",
            "--customers",
            "30",
            "--cases",
            "80",
            "--seed",
            "3",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("30 customers, 80 cases"), "{out}");
    assert!(out.contains("admin (admin)"), "{out}");
    // The demo agents have routing profiles; routing itself stays off.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (enabled, profiled) = rt.block_on(async {
        let store = amends_store::Store::connect(&url, amends_store::Durability::Normal)
            .await
            .expect("store");
        let enabled = store.routing_settings().await.expect("settings").enabled;
        let mut profiled: Vec<String> = store
            .list_agent_routing()
            .await
            .expect("routing")
            .into_iter()
            .filter(|a| a.profile.as_ref().is_some_and(|p| p.available))
            .map(|a| a.username)
            .collect();
        profiled.sort();
        store.close().await;
        (enabled, profiled)
    });
    assert!(!enabled);
    assert_eq!(profiled, ["anna", "ben", "emma"]);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn text_models_are_trained_evaluated_and_explained() {
    let dir = std::env::temp_dir().join(format!("amends-text-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let data = dir.join("labeled.csv");
    let mut csv = String::from("text,sentiment\n");
    for i in 0..20 {
        csv.push_str(&format!("\"Super Service, vielen Dank {i}\",positive\n"));
        csv.push_str(&format!("Lieferung kaputt und viel zu spät {i},negative\n"));
        csv.push_str(&format!("Das Paket kommt am Dienstag {i},neutral\n"));
    }
    std::fs::write(&data, csv).expect("write");
    let model = dir.join("model.bin");
    let (code, out, err) = run(
        &[
            "text",
            "train",
            "--data",
            data.to_str().expect("path"),
            "--out",
            model.to_str().expect("path"),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("trained on 60 rows"), "{out}");
    let (code, out, err) = run(
        &[
            "text",
            "eval",
            "--data",
            data.to_str().expect("path"),
            "--model",
            model.to_str().expect("path"),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("micro-F1") && out.contains("macro-F1"), "{out}");
    let (code, out, _) = run(&["text", "classify", "Ich kündige, der Anwalt ist informiert!"], None);
    assert_eq!(code, 0);
    assert!(out.contains("churn_intent") && out.contains("legal_threat"), "{out}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "txt,sentiment\nx,positive\n").expect("write");
    let (code, _, err) = run(&["text", "eval", "--data", bad.to_str().expect("path")], None);
    assert_ne!(code, 0);
    assert!(err.contains("`text` column"), "{err}");
    let (code, _, err) = run(
        &[
            "text",
            "eval",
            "--data",
            data.to_str().expect("path"),
            "--model",
            bad.to_str().expect("path"),
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("cannot load the model"), "{err}");
    // The audience of German texts: written to the company or public.
    let waiting = "Ich warte seit einer Stunde in der Warteschleife.";
    for (audience, label) in [("direct", "\"negative\""), ("public", "\"neutral\"")] {
        let (code, out, err) = run(&["text", "classify", waiting, "--audience", audience], None);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(label), "{audience}: {out}");
    }
    let (code, out, err) = run(
        &[
            "text",
            "eval",
            "--data",
            data.to_str().expect("path"),
            "--audience",
            "direct",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("audience direct"), "{out}");
    let (code, _, err) = run(&["text", "classify", waiting, "--audience", "twitter"], None);
    assert_ne!(code, 0);
    assert!(
        err.contains("--audience") && err.contains("`twitter`") && err.contains("direct"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    // A small incident fan-out on a scratch SQLite file logs at info.
    let out = amends()
        .env("AMENDS_LOG", "info")
        .args(["bench", "incidents", "--affected", "20"])
        .output()
        .expect("run amends bench incidents");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("INFO"), "an info line is logged: {err}");
    assert!(!err.contains('\u{1b}'), "escape codes in piped logs: {err:?}");
}

/// `amends bench http` at a small size (a smoke test: no timing asserted):
/// it starts the real server, every figure answers without errors, and the
/// baseline of the same run is printed.
async fn bench_http_runs_every_figure(b: Backend) {
    let base = match b {
        Backend::Sqlite => "sqlite://amends.db".to_string(),
        Backend::Postgres => crate::support::pg_admin_url(),
    };
    let (code, out, err) = run_on(
        &base,
        &["bench", "http", "--seconds", "0.3", "--concurrency", "2"],
        None,
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    for figure in [
        "POST /api/v1/cases",
        "POST /api/v1/feedback",
        "GET /api/v1/cases/{id}",
        "GET /api/v1/cases?state=new&limit=50",
    ] {
        let row = out
            .lines()
            .find(|l| l.starts_with(&format!("| `{figure}` |")))
            .unwrap_or_else(|| panic!("{figure} in {out}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert!(
            cells[3].parse::<f64>().is_ok_and(|r| r > 0.0),
            "requests per second in {row}"
        );
        assert_eq!(cells[6], "0", "no errors in {row}");
    }
    assert!(out.contains("plain one-row commits/s"), "{out}");
}
