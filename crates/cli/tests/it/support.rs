//! Test support: a fresh database per test (SQLite file or a PostgreSQL
//! database created and dropped), and the real app on port 0.

use amends_app::{Clock, Config};
use amends_devtools::demo::DEMO_PASSWORD;
use amends_store::{Durability, Store};
use amends_web::Application;
use chrono::{DateTime, TimeZone, Utc};
use sqlx::Connection;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed async test fn once per backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Postgres).await;
                }
            )+
        }
    };
}

pub fn pg_admin_url() -> String {
    std::env::var("AMENDS_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    dir: Option<PathBuf>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("amends-test-{tag}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                TestDb {
                    url: format!("sqlite://{}", dir.join("amends.db").display()),
                    pg_name: None,
                    dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = pg_admin_url();
                let name = format!("amends_t_{tag}");
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is needed for this test: {e}"));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_string();
                TestDb {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                    dir: None,
                }
            }
        }
    }

    pub async fn store(&self) -> Store {
        let s = Store::connect(&self.url, Durability::Normal).await.expect("connect");
        s.migrate().await.expect("migrate");
        s
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.pg_name.take() {
            // Drop is sync: run the DROP on a thread with its own runtime.
            let admin = pg_admin_url();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                if let Ok(rt) = rt {
                    rt.block_on(async move {
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .execute(&mut conn)
                            .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// The fixed "now" of tests.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .expect("valid time")
}

/// A running app on port 0 with its own database and an admin token.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub clock: Clock,
    pub admin_token: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _db: TestDb,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`] with configuration changes (SMTP, delays, …).
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let clock = Clock::manual(t0());
        let mut config = Config {
            database_url: db.url.clone(),
            bind: "127.0.0.1:0".into(),
            job_poll: chrono::Duration::milliseconds(50),
            // Test webhook receivers listen on loopback.
            webhook_allow: "127.0.0.1".parse().expect("allow-list"),
            ..Config::default()
        };
        configure(&mut config);
        let app = Application::build_with_store(config, clock.clone(), store.clone())
            .await
            .expect("build app");
        let base = format!("http://{}", app.local_addr());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        let admin = create_user(&store, "admin", "admin").await;
        let (_, admin_token) = amends_app::service::create_token(&store, t0(), admin, "test", None)
            .await
            .expect("token");
        TestApp {
            base,
            client: reqwest::Client::new(),
            store,
            clock,
            admin_token,
            shutdown: Some(tx),
            _db: db,
        }
    }

    /// Like [`TestApp::spawn_with`], sending mail to `sink`.
    pub async fn spawn_with_smtp(backend: Backend, sink: &SmtpSink, configure: impl FnOnce(&mut Config)) -> Self {
        let url = sink.url();
        Self::spawn_with(backend, move |c| {
            c.smtp.url = Some(url);
            configure(c);
        })
        .await
    }

    /// A cookie-keeping client signed in to the UI as `username` (demo password).
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let login = client
            .post(self.url("/login"))
            .form(&[("username", username), ("password", DEMO_PASSWORD), ("next", "/inbox")])
            .send()
            .await
            .expect("login");
        assert_eq!(login.status(), 303, "login as {username}");
        client
    }

    /// The URL of this test's database (for CLI runs against it).
    pub fn db_url(&self) -> String {
        self._db.url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A token for a new user with `role`.
    pub async fn token_for(&self, username: &str, role: &str) -> String {
        let id = create_user(&self.store, username, role).await;
        amends_app::service::create_token(&self.store, t0(), id, "test", None)
            .await
            .expect("token")
            .1
    }

    /// A request with a token (and a JSON body unless `body` is `None`).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let req = self.client.request(method, self.url(path)).bearer_auth(token);
        let req = match body {
            Some(body) => req.json(&body),
            None => req,
        };
        req.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, token: &str, body: serde_json::Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: serde_json::Value) -> reqwest::Response {
        self.send(reqwest::Method::PUT, path, token, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: serde_json::Value) -> reqwest::Response {
        self.send(reqwest::Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, path, token, None).await
    }

    /// GET without a token (public pages, assets, the OpenAPI document).
    pub async fn get_anonymous(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// GET with a token and the body as JSON (after checking the status is 200).
    pub async fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        expect_status(self.get(path, token).await, 200, &format!("GET {path}"))
            .await
            .json()
            .await
            .expect("json")
    }

    /// A request with a token and a JSON body; checks the response has
    /// `status` and returns it.
    async fn send_expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: serde_json::Value,
        status: u16,
    ) -> reqwest::Response {
        let what = format!("{method} {path}");
        expect_status(self.send(method, path, token, Some(body)).await, status, &what).await
    }

    /// POST with a token; checks the response has `status` and returns it.
    pub async fn post_expect(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
        status: u16,
    ) -> reqwest::Response {
        self.send_expect(reqwest::Method::POST, path, token, body, status).await
    }

    /// POST with a token; checks the response has `status` and returns its JSON body.
    pub async fn post_json(&self, path: &str, token: &str, body: serde_json::Value, status: u16) -> serde_json::Value {
        self.post_expect(path, token, body, status)
            .await
            .json()
            .await
            .expect("json")
    }

    /// PUT with a token; checks the response has `status` and returns it.
    pub async fn put_expect(&self, path: &str, token: &str, body: serde_json::Value, status: u16) -> reqwest::Response {
        self.send_expect(reqwest::Method::PUT, path, token, body, status).await
    }

    /// PUT with a token; checks the response has `status` and returns its JSON body.
    pub async fn put_json(&self, path: &str, token: &str, body: serde_json::Value, status: u16) -> serde_json::Value {
        self.put_expect(path, token, body, status)
            .await
            .json()
            .await
            .expect("json")
    }

    /// POST with a token that must fail with a problem+json of `status`; returns the problem.
    pub async fn post_problem(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
        status: u16,
    ) -> serde_json::Value {
        problem(self.post(path, token, body).await, status).await
    }

    /// PUT with a token that must fail with a problem+json of `status`; returns the problem.
    pub async fn put_problem(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
        status: u16,
    ) -> serde_json::Value {
        problem(self.put(path, token, body).await, status).await
    }

    /// GET with a token that must fail with a problem+json of `status`; returns the problem.
    pub async fn get_problem(&self, path: &str, token: &str, status: u16) -> serde_json::Value {
        problem(self.get(path, token).await, status).await
    }

    /// Creates a customer through the API and returns its id.
    pub async fn customer(&self, external_id: &str, language: &str, tier: &str) -> String {
        let res = self
            .post(
                "/api/v1/customers",
                &self.admin_token,
                serde_json::json!({"external_id": external_id, "name": format!("Kunde {external_id}"),
                    "email": format!("{}@example.de", external_id.to_lowercase()), "language": language, "tier": tier}),
            )
            .await;
        assert_eq!(res.status(), 201, "create customer");
        let v: serde_json::Value = res.json().await.expect("json");
        v["id"].as_str().expect("id").to_string()
    }

    /// Creates a case through the API and returns its JSON.
    pub async fn case(&self, customer_id: &str, subject: &str) -> serde_json::Value {
        let res = self
            .post(
                "/api/v1/cases",
                &self.admin_token,
                serde_json::json!({"customer_id": customer_id, "subject": subject, "channel": "email"}),
            )
            .await;
        assert_eq!(res.status(), 201, "create case");
        res.json().await.expect("json")
    }

    /// Creates a case through the API and returns its id.
    pub async fn case_id(&self, customer_id: &str, subject: &str) -> String {
        let case = self.case(customer_id, subject).await;
        case["id"].as_str().expect("id").to_string()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn create_user(store: &Store, username: &str, role: &str) -> amends_domain::UserId {
    amends_app::service::create_user(
        store,
        t0(),
        amends_app::service::UserInput {
            username: username.into(),
            display_name: Some(format!("{username} (test)")),
            email: None,
            role: role.into(),
            language: Some("de".into()),
            password: DEMO_PASSWORD.into(),
        },
        None,
    )
    .await
    .expect("create user")
    .id
}

/// Checks a response has `status` (showing the body when it has not).
pub async fn expect_status(res: reqwest::Response, status: u16, what: &str) -> reqwest::Response {
    if res.status().as_u16() != status {
        let got = res.status();
        let body = res.text().await.unwrap_or_default();
        panic!("{what}: status {got}, expected {status}: {body}");
    }
    res
}

/// Reads a problem+json response and checks its status and content type.
pub async fn problem(res: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(ct.starts_with("application/problem+json"), "content type {ct}");
    res.json().await.expect("problem json")
}

/// Waits until `check` gives `Some`, polling every 20 ms; panics with
/// `what` after `secs` seconds.
pub async fn wait_for<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

impl TestApp {
    /// Waits until the job queue has settled: no job running and none
    /// queued that is due now (later ones, such as a survey days after
    /// resolution, may wait). The signal that all work caused so far is
    /// done, for tests that then assert that nothing more happened.
    pub async fn jobs_settled(&self) {
        wait_for(20, "the job queue to settle", || async {
            let jobs = self.get_json("/api/v1/jobs?limit=500", &self.admin_token).await;
            let now = self.clock.now();
            let busy = jobs
                .as_array()
                .expect("jobs")
                .iter()
                .any(|j| match j["state"].as_str() {
                    Some("running") => true,
                    Some("queued") => j["run_at"]
                        .as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .is_some_and(|t| t <= now),
                    _ => false,
                });
            (!busy).then_some(())
        })
        .await;
    }
}

/// A tiny SMTP server for tests: speaks EHLO/HELO, MAIL, RCPT, DATA, RSET,
/// NOOP and QUIT, keeps every message, and can refuse the next sessions
/// with a temporary error (451) to test retries.
#[derive(Clone)]
pub struct SmtpSink {
    pub addr: std::net::SocketAddr,
    messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    refuse: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let sink = SmtpSink {
            addr: listener.local_addr().expect("addr"),
            messages: Default::default(),
            refuse: Default::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let (r, mut w) = sock.into_split();
                    let mut r = BufReader::new(r);
                    if w.write_all(b"220 sink ESMTP test\r\n").await.is_err() {
                        return;
                    }
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let cmd = line.trim_end().to_ascii_uppercase();
                        let reply: &[u8] = if cmd.starts_with("EHLO") {
                            b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
                        } else if cmd.starts_with("MAIL") {
                            let refuse = s
                                .refuse
                                .fetch_update(
                                    std::sync::atomic::Ordering::SeqCst,
                                    std::sync::atomic::Ordering::SeqCst,
                                    |n| n.checked_sub(1),
                                )
                                .is_ok();
                            if refuse {
                                b"451 4.3.0 try again later\r\n"
                            } else {
                                b"250 OK\r\n"
                            }
                        } else if cmd == "DATA" {
                            if w.write_all(b"354 go ahead\r\n").await.is_err() {
                                return;
                            }
                            let mut msg = String::new();
                            loop {
                                line.clear();
                                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" || line == ".\n" {
                                    break;
                                }
                                msg.push_str(line.strip_prefix('.').unwrap_or(&line));
                            }
                            s.messages.lock().expect("lock").push(msg);
                            b"250 OK queued\r\n"
                        } else if cmd == "QUIT" {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 OK\r\n"
                        };
                        if w.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Answers `451` to the next `n` MAIL commands.
    pub fn refuse_next(&self, n: usize) {
        self.refuse.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Every message received so far (raw, quoted-printable decoded).
    pub fn messages(&self) -> Vec<String> {
        self.messages
            .lock()
            .expect("lock")
            .iter()
            .map(|m| decode_qp(m))
            .collect()
    }

    /// Waits until at least `n` messages arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let me = self.clone();
        wait_for(30, &format!("{n} mails"), move || {
            let me = me.clone();
            async move {
                let m = me.messages();
                (m.len() >= n).then_some(m)
            }
        })
        .await
    }
}

/// The `/survey/…` path of the survey link in a mail.
pub fn survey_link(mail: &str) -> String {
    let start = mail.find("/survey/").expect("survey link in the mail");
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
        .collect()
}

/// A customer to put straight into the store: number `n`, external id
/// `{prefix}-{n}`, "Kunde {n}" at `{prefix}{n}@example.de`, created at `at`;
/// German, standard tier, 100 EUR lifetime value, consent to contact and surveys.
pub fn new_customer(prefix: &str, n: u32, at: DateTime<Utc>) -> amends_store::NewCustomer {
    use amends_domain::{CustomerId, Email, Language, NonEmptyText, Tier};
    amends_store::NewCustomer {
        id: CustomerId::new_at(at, u128::from(n) * 7919),
        external_id: Some(format!("{prefix}-{n}")),
        account_id: None,
        name: NonEmptyText::parse("name", &format!("Kunde {n}"), 200).expect("name"),
        email: Some(Email::parse(&format!("{}{n}@example.de", prefix.to_lowercase())).expect("email")),
        language: Language::De,
        tier: Tier::Standard,
        clv_cents: 10_000,
        consent_contact: true,
        consent_survey: true,
        created_at: at,
    }
}

/// A case to put straight into the store for `customer`, created at
/// `created`: new, by email, normal priority, the customer's tier,
/// unassigned, first response due in 1 h and resolution in 4 h, nothing
/// answered yet. A test sets what it is about with
/// `CaseRecord { state: …, ..case_record(…) }`.
pub fn case_record(
    id: amends_domain::CaseId,
    customer: &amends_store::NewCustomer,
    created: DateTime<Utc>,
    subject: &str,
    description: &str,
) -> amends_store::CaseRecord {
    use amends_domain::{CaseState, Channel, Origin, Priority};
    use chrono::Duration;
    amends_store::CaseRecord {
        id,
        customer_id: customer.id.0,
        subject: subject.into(),
        description: description.into(),
        channel: Channel::Email,
        origin: Origin::Manual,
        state: CaseState::New,
        priority: Priority::Normal,
        tier: customer.tier,
        assignee_id: None,
        first_response_due_at: created + Duration::hours(1),
        resolution_due_at: created + Duration::hours(4),
        first_responded_at: None,
        resolved_at: None,
        closed_at: None,
        sla_paused_at: None,
        severity: None,
        repeat_failure: None,
        controllable: None,
        created_at: created,
        updated_at: created,
        incident_id: None,
    }
}

/// Decodes quoted-printable soft line breaks and `=XX` escapes (good enough for tests).
pub fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The header `name` of a raw message.
pub fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines()
        .take_while(|l| !l.is_empty())
        .find(|l| {
            l.len() > name.len() && l[..name.len()].eq_ignore_ascii_case(name) && l.as_bytes()[name.len()] == b':'
        })
        .map(|l| l[name.len() + 1..].trim())
}

/// The CSRF token of the first form in a page.
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf in page")
        .to_string()
}

/// GET a page with a signed-in client: status and HTML.
pub async fn get_html(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let res = client.get(app.url(path)).send().await.expect("get");
    (res.status().as_u16(), res.text().await.expect("text"))
}

/// GET a page with a signed-in client: its HTML, whatever the status.
pub async fn html_of(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    get_html(client, app, path).await.1
}

/// POST a form with a signed-in client: the response.
pub async fn submit(client: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client.post(app.url(path)).form(form).send().await.expect("post")
}

/// POST a form with a signed-in client: status and body.
pub async fn post_form(client: &reqwest::Client, app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let res = submit(client, app, path, form).await;
    (res.status().as_u16(), res.text().await.expect("text"))
}

/// Runs `sql` (several statements) on the test's database.
pub async fn run_sql(app: &TestApp, b: Backend, sql: &str) {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match b {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.db_url()).await.expect("connect");
            sqlx::raw_sql(sql).execute(&mut conn).await.expect("sql");
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.db_url()).await.expect("connect");
            sqlx::raw_sql(sql).execute(&mut conn).await.expect("sql");
        }
    }
}
