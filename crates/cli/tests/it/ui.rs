//! The web UI over HTTP: login, pages in German and English, forms with
//! field errors, CSRF, escaping.

use crate::support::{Backend, TestApp, csrf_of, get_html, submit};
use amends_devtools::demo::DEMO_PASSWORD;

struct Browser {
    client: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: app.base.clone(),
        }
    }

    async fn login(&self, user: &str, password: &str) -> reqwest::Response {
        self.client
            .post(format!("{}/login", self.base))
            .form(&[("username", user), ("password", password), ("next", "/inbox")])
            .send()
            .await
            .expect("login")
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("get");
        let status = res.status().as_u16();
        (status, res.text().await.expect("text"))
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("post");
        let status = res.status().as_u16();
        let loc = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (status, res.text().await.expect("text"), loc)
    }

    async fn csrf(&self) -> String {
        let (_, html) = self.get("/settings").await;
        csrf_of(&html)
    }
}

async fn login_pages_and_language(b: Backend) {
    let app = TestApp::spawn(b).await;
    let br = Browser::new(&app);
    let (status, _) = br.get("/inbox").await;
    assert_eq!(status, 303, "inbox redirects to login");
    let cross = br
        .client
        .post(format!("{}/login", br.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("username", "admin"),
            ("password", amends_devtools::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(cross.status(), 403, "login CSRF is refused");
    let bad = br.login("admin", "wrong password").await;
    assert_eq!(bad.status(), 401);
    assert!(
        bad.text()
            .await
            .expect("text")
            .contains("Benutzername oder Passwort ist falsch")
    );
    let ok = br.login("admin", amends_devtools::demo::DEMO_PASSWORD).await;
    assert_eq!(ok.status(), 303);

    let cust = app.customer("CRM-1", "de", "premium").await;
    let case_id = app.case_id(&cust, "Rechnung doppelt abgebucht").await;
    // Every page renders in German…
    for (path, needle) in [
        ("/inbox", "Eingang"),
        (&format!("/cases/{case_id}") as &str, "Verlauf"),
        (&format!("/customers/{cust}") as &str, "Kundenwert"),
        ("/customers", "Kunden suchen"),
        ("/cases/new", "Fall anlegen"),
        ("/settings", "API-Tokens"),
    ] {
        let (status, html) = br.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(needle), "{path} lacks `{needle}`");
        assert!(html.contains("<html lang=\"de\">"));
    }
    // …and after switching, in English.
    let csrf = br.csrf().await;
    let (status, _, loc) = br
        .post(
            "/settings/language",
            &[("csrf", &csrf), ("language", "en"), ("back", "/inbox")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(loc.as_deref(), Some("/inbox"));
    for (path, needle) in [
        ("/inbox", "Inbox"),
        (&format!("/cases/{case_id}") as &str, "Timeline"),
        (&format!("/customers/{cust}") as &str, "Customer value"),
        ("/settings", "API tokens"),
    ] {
        let (status, html) = br.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(needle), "{path} lacks `{needle}`");
        assert!(html.contains("<html lang=\"en\">"));
    }
    let (_, inbox) = br.get("/inbox?state=open&sort=due").await;
    assert!(inbox.contains("Rechnung doppelt abgebucht"));
    assert!(inbox.contains("sla-green"), "SLA urgency is shown");
    let (_, filtered) = br.get("/inbox?state=nonsense").await;
    assert!(
        filtered.contains("state must be one of"),
        "bad filters explain themselves"
    );
    let (status, _) = br.get("/cases/01900000-0000-7000-8000-000000000000").await;
    assert_eq!(status, 404);
}

async fn case_forms_show_errors_and_work_the_case(b: Backend) {
    let app = TestApp::spawn(b).await;
    let br = Browser::new(&app);
    br.login("admin", amends_devtools::demo::DEMO_PASSWORD).await;
    app.customer("CRM-5", "en", "standard").await;
    let csrf = br.csrf().await;

    // Missing subject and unknown customer: 422 with messages next to the fields.
    let (status, html, _) = br
        .post(
            "/cases/new",
            &[
                ("csrf", &csrf),
                ("customer", "nobody@example.de"),
                ("subject", ""),
                ("channel", "phone"),
                ("priority", "normal"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"subject-error\""), "subject error shown");
    assert!(html.contains("id=\"customer-error\""), "customer error shown");
    assert!(html.contains("value=\"nobody@example.de\""), "input is kept");

    // Without the CSRF token: refused, nothing created.
    let (status, _, _) = br
        .post(
            "/cases/new",
            &[("customer", "CRM-5"), ("subject", "x"), ("channel", "phone")],
        )
        .await;
    assert!(status == 403 || status == 422, "{status}");
    let (status, _, _) = br
        .post(
            "/cases/new",
            &[
                ("csrf", "forged"),
                ("customer", "CRM-5"),
                ("subject", "x"),
                ("channel", "phone"),
            ],
        )
        .await;
    assert_eq!(status, 403);

    let (status, _, loc) = br
        .post(
            "/cases/new",
            &[
                ("csrf", &csrf),
                ("customer", "crm-5@example.de"),
                ("subject", "Package <script>alert(1)</script> missing"),
                ("description", "Tracking stuck"),
                ("channel", "phone"),
                ("priority", "high"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let case_path = loc.expect("redirect to the case");
    let (_, html) = br.get(&case_path).await;
    assert!(html.contains("Package &lt;script&gt;alert(1)&lt;"), "escaped");
    assert!(!html.contains("<script>alert(1)</script>"));

    let (status, _, _) = br
        .post(
            &format!("{case_path}/transition"),
            &[("csrf", &csrf), ("to", "acknowledged")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, html, _) = br
        .post(
            &format!("{case_path}/transition"),
            &[("csrf", &csrf), ("to", "followed_up")],
        )
        .await;
    assert_eq!(status, 409, "invalid transition explained on the page");
    assert!(
        html.contains("Dieser Statuswechsel ist nicht möglich; von hier aus geht: In Bearbeitung"),
        "in German, with the states that are allowed"
    );
    assert!(!html.contains("allowed:"), "no English on the German page");
    let (status, _, _) = br
        .post(
            &format!("{case_path}/note"),
            &[("csrf", &csrf), ("body", "Called back <b>now</b>")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, _) = br
        .post(&format!("{case_path}/assign"), &[("csrf", &csrf), ("assignee", "none")])
        .await;
    assert_eq!(status, 303);
    let (_, html) = br.get(&case_path).await;
    assert!(html.contains("data-testid=\"case-state\">Bestätigt"));
    assert!(html.contains("Called back &lt;b&gt;now&lt;"));

    // Bulk: move the case on from the inbox.
    let id = case_path.trim_start_matches("/cases/");
    let (status, _, _) = br
        .post(
            "/inbox/bulk",
            &[
                ("csrf", &csrf),
                ("ids", id),
                ("action", "transition"),
                ("to", "in_progress"),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, html) = br.get(&case_path).await;
    assert!(html.contains("data-testid=\"case-state\">In Bearbeitung"));
}

async fn logins_are_throttled(b: Backend) {
    let app = TestApp::spawn(b).await;
    let br = Browser::new(&app);
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(br.login("admin", "wrong password").await.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(statuses[10], 429, "the 11th failure in a minute is refused");
    // The next minute opens again.
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(
        br.login("admin", amends_devtools::demo::DEMO_PASSWORD).await.status(),
        303
    );
}

async fn team_pages_check_roles(b: Backend) {
    let app = TestApp::spawn(b).await;
    crate::support::create_user(&app.store, "agent1", "agent").await;
    crate::support::create_user(&app.store, "lead1", "lead").await;
    let agent = Browser::new(&app);
    agent.login("agent1", amends_devtools::demo::DEMO_PASSWORD).await;
    assert_eq!(agent.get("/settings/users").await.0, 403);
    assert_eq!(agent.get("/audit").await.0, 403);
    let (_, inbox) = agent.get("/inbox").await;
    assert!(
        !inbox.contains("href=\"/settings/users\""),
        "agents do not see the users link"
    );
    let csrf = agent.csrf().await;
    let (status, _, _) = agent
        .post(
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("username", "sneaky"),
                ("role", "admin"),
                ("language", "de"),
                ("password", "long enough pw"),
            ],
        )
        .await;
    assert_eq!(status, 403, "agents cannot create users");
    assert!(app.store.get_user_by_username("sneaky").await.is_err());

    let lead = Browser::new(&app);
    lead.login("lead1", amends_devtools::demo::DEMO_PASSWORD).await;
    let (status, html) = lead.get("/reports/sla?days=7").await;
    assert_eq!(status, 200);
    assert!(html.contains("SLA-Erfüllung"));
    assert_eq!(agent.get("/reports/sla").await.0, 403);
    let (status, html) = lead.get("/audit").await;
    assert_eq!(status, 200);
    assert!(html.contains("session.login"), "logins are in the audit log");
    assert_eq!(lead.get("/settings/users").await.0, 403);

    let admin = Browser::new(&app);
    admin.login("admin", amends_devtools::demo::DEMO_PASSWORD).await;
    let csrf = admin.csrf().await;
    let (status, html, _) = admin
        .post(
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("username", "neu"),
                ("role", "agent"),
                ("language", "de"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"password-error\""));
    assert!(html.contains("mindestens 10 Zeichen"));
    let (status, _, _) = admin
        .post(
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("username", "agent1"),
                ("role", "agent"),
                ("language", "de"),
                ("password", "long enough pw"),
            ],
        )
        .await;
    assert_eq!(status, 409, "taken username");
    let (status, html, _) = admin
        .post(
            "/settings/users",
            &[
                ("csrf", &csrf),
                ("username", "neu"),
                ("display_name", "Neue Kollegin"),
                ("role", "lead"),
                ("language", "en"),
                ("password", "long enough pw"),
            ],
        )
        .await;
    assert_eq!(status, 201);
    assert!(html.contains("Neue Kollegin"));
    let created = app.store.get_user_by_username("neu").await.expect("created");
    assert_eq!(created.role, amends_domain::Role::Lead);

    // SLA policies: admins only, errors next to the field.
    assert_eq!(agent.get("/settings/sla").await.0, 403);
    let (status, html) = admin.get("/settings/sla").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-policy=\"premium/urgent\""));
    let form = |tz: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("tier", "premium".to_string()),
            ("priority", "high".to_string()),
            ("first_response_minutes", "60".to_string()),
            ("resolution_minutes", "600".to_string()),
            ("mode", "business".to_string()),
            ("timezone", tz.to_string()),
            ("from", "08:00".to_string()),
            ("to", "18:00".to_string()),
            ("days", "mon".to_string()),
            ("days", "fri".to_string()),
            ("holidays", "2026-12-24\n2026-12-31".to_string()),
        ]
    };
    let bad: Vec<(&str, String)> = form("Atlantis/Nowhere");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html, _) = admin.post("/settings/sla", &bad).await;
    assert_eq!(status, 422);
    assert!(html.contains("IANA-Zeitzone"), "translated error next to the field");
    let good: Vec<(&str, String)> = form("Europe/Vienna");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html, _) = admin.post("/settings/sla", &good).await;
    assert_eq!(status, 200);
    assert!(html.contains("Europe&#x2f;Vienna"), "the stored calendar is listed");
}

/// Redirect targets from a request stay on this site and never break the
/// response: a TAB or newline (which a browser drops, turning `/\t/host`
/// into `//host`) sends the user to the inbox, and a CR/LF in the inbox's
/// `back` neither panics nor leaves the page.
async fn redirect_targets_stay_on_this_site(b: Backend) {
    let app = TestApp::spawn(b).await;
    crate::support::create_user(&app.store, "anna", "agent").await;
    let plain = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil.example",
        "https://evil.example/",
        "/inbox\r\nX: y",
    ] {
        let res = submit(
            &plain,
            &app,
            "/login",
            &[("username", "anna"), ("password", DEMO_PASSWORD), ("next", next)],
        )
        .await;
        assert_eq!(res.status(), 303, "login with next={next:?}");
        let location = res.headers()["location"].to_str().expect("location").to_string();
        assert_eq!(location, "/inbox", "next={next:?}");
    }
    let agent = app.signed_in("anna").await;
    let (_, html) = get_html(&agent, &app, "/inbox").await;
    let csrf = csrf_of(&html);
    let res = submit(
        &agent,
        &app,
        "/inbox/bulk",
        &[
            ("csrf", csrf.as_str()),
            ("action", "assign"),
            ("assignee", "me"),
            ("back", "/inbox\r\nX: y"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    // Back to the plain inbox, with the outcome of the (empty) bulk action.
    assert_eq!(res.headers()["location"], "/inbox?done=assigned-me&n=0");
    let res = submit(
        &agent,
        &app,
        "/settings/language",
        &[
            ("csrf", csrf.as_str()),
            ("language", "en"),
            ("back", "/\t/evil.example"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/inbox");
}

crate::both_backends!(
    team_pages_check_roles,
    login_pages_and_language,
    case_forms_show_errors_and_work_the_case,
    logins_are_throttled,
    redirect_targets_stay_on_this_site,
);
