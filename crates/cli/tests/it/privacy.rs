//! GDPR (issue 18): the export of everything stored about a customer and
//! the erasure of their personal data — over the API and in the UI, on
//! both backends.

use crate::support::{Backend, SmtpSink, TestApp, create_user, csrf_of, html_of, submit, survey_link, wait_for};
use base64::Engine;
use serde_json::{Value, json};

/// Words only Erika's data holds (none of them in Otto's).
const ERIKA_WORDS: [&str; 6] = [
    "Musterfrau",
    "erika@example.de",
    "ERIKA-7",
    "Zauberflöte",
    "Bestellnummer 4711",
    "Kulanzgrund Kratzer",
];

/// Erika's mail: a complaint with an attachment (a case is opened).
fn erika_mail() -> Vec<u8> {
    "From: Erika Musterfrau <erika@example.de>\r\nTo: service@amends.example\r\nSubject: Zauberflöte kaputt\r\n\
     Message-ID: <erika-1@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n\
     --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
     Die Zauberflöte kam kaputt an, das ist eine Frechheit und niemand antwortet. Ich kündige!\r\n\
     --XYZ\r\nContent-Type: text/plain; name=\"beleg.txt\"\r\nContent-Disposition: attachment; filename=\"beleg.txt\"\r\n\r\n\
     Bestellnummer 4711\r\n--XYZ--\r\n"
        .as_bytes()
        .to_vec()
}

struct Seeded {
    erika: String,
    otto: String,
    case: String,
}

/// Erika with one row in every table that holds customer data; Otto with
/// a case and feedback of his own.
async fn seed(app: &TestApp, sink: &SmtpSink) -> Seeded {
    let tok = &app.admin_token;
    let erika = app
        .post_json(
            "/api/v1/customers",
            tok,
            json!({"external_id": "ERIKA-7", "name": "Erika Musterfrau", "email": "erika@example.de",
                "language": "de", "tier": "premium"}),
            201,
        )
        .await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let otto = app
        .post_json(
            "/api/v1/customers",
            tok,
            json!({"external_id": "OTTO-1", "name": "Otto Anders", "email": "otto@example.de", "language": "de"}),
            201,
        )
        .await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let otto_case = app.case_id(&otto, "Ottos Paket verloren").await;
    app.post_expect(
        &format!("/api/v1/cases/{otto_case}/notes"),
        tok,
        json!({"body": "Otto ruft morgen an"}),
        201,
    )
    .await;
    app.post_expect(
        "/api/v1/feedback",
        tok,
        json!({"customer_id": otto, "channel": "api", "rating": 2, "language": "de", "text": "Ottos Beschwerde"}),
        201,
    )
    .await;

    // Mail in: feedback, a case, the attachment.
    let res = app
        .client
        .post(app.url("/api/v1/mail/inbound"))
        .bearer_auth(tok)
        .header("content-type", "message/rfc822")
        .body(erika_mail())
        .send()
        .await
        .expect("mail");
    let out: Value = res.json().await.expect("json");
    let case = out["case_id"].as_str().expect("a case").to_string();
    let feedback = app
        .get_json(&format!("/api/v1/feedback?customer_id={erika}"), tok)
        .await;
    let fid = feedback["items"][0]["id"].as_str().expect("feedback").to_string();
    app.post_expect(
        &format!("/api/v1/feedback/{fid}/corrections"),
        tok,
        json!({"sentiment": "negative", "topics": []}),
        201,
    )
    .await;
    app.post_expect(
        &format!("/api/v1/cases/{case}/notes"),
        tok,
        json!({"body": "Frau Musterfrau ist Stammkundin"}),
        201,
    )
    .await;
    app.post_expect(
        &format!("/api/v1/cases/{case}/replies"),
        tok,
        json!({"body": "Liebe Frau Musterfrau, wir ersetzen die Zauberflöte."}),
        202,
    )
    .await;
    app.post_expect(
        &format!("/api/v1/cases/{case}/goodwill"),
        tok,
        json!({"kind": "voucher", "value_cents": 2500, "reason": "Kulanzgrund Kratzer"}),
        201,
    )
    .await;
    for to in ["acknowledged", "resolved"] {
        app.post_expect(
            &format!("/api/v1/cases/{case}/transitions"),
            tok,
            json!({"to": to}),
            200,
        )
        .await;
    }
    let mail = wait_for(30, "survey mail", || async {
        sink.messages().into_iter().find(|m| m.contains("/survey/"))
    })
    .await;
    let path = survey_link(&crate::support::decode_qp(&mail));
    let res = submit(
        &app.client,
        app,
        &path,
        &[
            ("score", "2"),
            ("comment", "Zauberflöte immer noch kaputt"),
            ("solved", "no"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let inc = app
        .post_json(
            "/api/v1/incidents",
            tok,
            json!({"kind": "delay", "title": "Lager Nord verspätet", "severity": 2, "started_at": "2026-11-23T06:00:00Z",
                "summary_de": "Ihre Lieferung kommt später.", "summary_en": "Your delivery is late."}),
            201,
        )
        .await;
    app.post_expect(
        &format!("/api/v1/incidents/{}/affected", inc["id"].as_str().expect("id")),
        tok,
        json!([{"customer_external_id": "ERIKA-7", "facts": {"order_id": "A-99-Musterfrau"}}]),
        200,
    )
    .await;
    app.jobs_settled().await;
    Seeded { erika, otto, case }
}

async fn export(app: &TestApp, customer: &str, token: &str) -> (Value, String) {
    let res = app.get(&format!("/api/v1/customers/{customer}/export"), token).await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .expect("header")
        .to_string();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let text = res.text().await.expect("text");
    (serde_json::from_str(&text).expect("json"), text)
}

fn len(v: &Value, key: &str) -> usize {
    v[key].as_array().unwrap_or_else(|| panic!("{key} is a list")).len()
}

async fn export_holds_every_table_of_one_customer(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |c| c.survey_delay = chrono::Duration::zero()).await;
    let s = seed(&app, &sink).await;
    let lead = app.token_for("lead1", "lead").await;
    let agent = app.token_for("agent1", "agent").await;
    app.get_problem(&format!("/api/v1/customers/{}/export", s.erika), &agent, 403)
        .await;
    app.get_problem(
        "/api/v1/customers/0194a000-0000-7000-8000-00000000dead/export",
        &lead,
        404,
    )
    .await;

    // What she considers fair, stored on her case.
    let res = app
        .client
        .put(app.url(&format!("/api/v1/cases/{}/fair-expectation", s.case)))
        .bearer_auth(&app.admin_token)
        .json(&json!({"choice": "voucher", "amount_cents": 3000, "note": "Ein Gutschein wäre fair"}))
        .send()
        .await
        .expect("put");
    assert!(res.status().is_success(), "{}", res.status());

    let (x, text) = export(&app, &s.erika, &lead).await;
    assert!(x["exported_at"].is_string());
    assert_eq!(len(&x, "fair_expectations"), 1);
    assert_eq!(x["fair_expectations"][0]["note"], "Ein Gutschein wäre fair");
    assert_eq!(x["fair_expectations"][0]["amount_cents"], 3000);
    assert_eq!(len(&x, "tier_offers"), 0);
    assert!(x["panel"].is_null(), "not invited: {}", x["panel"]);
    assert!(x["insight_reports"].is_array());
    assert_eq!(x["customer"]["name"], "Erika Musterfrau");
    assert_eq!(x["customer"]["email"], "erika@example.de");
    assert_eq!(x["consents"], json!({"contact": true, "survey": true}));
    assert_eq!(len(&x, "cases"), 1);
    assert_eq!(x["cases"][0]["id"], s.case.as_str());
    let events = x["events"].to_string();
    for t in ["Stammkundin", "wir ersetzen die Zauberflöte", "message_in"] {
        assert!(events.contains(t), "{t} in the timeline: {events}");
    }
    assert_eq!(len(&x, "feedback"), 1);
    assert!(x["feedback"][0]["sentiment"].is_string(), "analysis");
    assert_eq!(len(&x, "corrections"), 1);
    assert_eq!(len(&x, "surveys"), 1);
    assert_eq!(x["surveys"][0]["comment"], "Zauberflöte immer noch kaputt");
    assert_eq!(len(&x, "goodwill"), 1);
    assert_eq!(x["goodwill"][0]["value_cents"], 2500);
    assert!(
        x["outbox"]
            .as_array()
            .expect("outbox")
            .iter()
            .any(|j| j["kind"] == "mail"),
        "the reply's mail: {}",
        x["outbox"]
    );
    assert_eq!(len(&x, "attachments"), 1);
    assert_eq!(x["attachments"][0]["filename"], "beleg.txt");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(x["attachments"][0]["content_base64"].as_str().expect("content"))
        .expect("base64");
    assert!(String::from_utf8_lossy(&bytes).contains("Bestellnummer 4711"));
    assert_eq!(len(&x, "incidents"), 1);
    assert_eq!(x["incidents"][0]["facts"]["order_id"], "A-99-Musterfrau");
    assert!(len(&x, "audit") > 0);
    for other in ["Otto", "otto@example.de", &s.otto] {
        assert!(!text.contains(other), "{other} is another customer's: {text}");
    }

    // The export is audited, with who did it.
    let audit = app.get_json("/api/v1/audit?entity=customer", &app.admin_token).await;
    let entry = audit
        .as_array()
        .expect("audit")
        .iter()
        .find(|e| e["action"] == "customer.export")
        .unwrap_or_else(|| panic!("customer.export in {audit}"))
        .clone();
    assert_eq!(entry["entity_id"], s.erika.as_str());
    assert!(entry["actor"]["id"].is_string(), "{entry}");

    // The UI: a download for leads and admins, none for agents.
    create_user(&app.store, "lena", "lead").await;
    create_user(&app.store, "anton", "agent").await;
    let ui = app.signed_in("lena").await;
    let html = html_of(&ui, &app, &format!("/customers/{}", s.erika)).await;
    assert!(html.contains("data-testid=\"privacy-export\""), "export button");
    assert!(!html.contains("data-testid=\"privacy-erase\""), "leads do not erase");
    let res = ui
        .get(app.url(&format!("/customers/{}/export", s.erika)))
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .expect("h")
            .starts_with("attachment")
    );
    let agent_ui = app.signed_in("anton").await;
    let html = html_of(&agent_ui, &app, &format!("/customers/{}", s.erika)).await;
    assert!(!html.contains("privacy-export"));
    let res = agent_ui
        .get(app.url(&format!("/customers/{}/export", s.erika)))
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 403);
}

/// The numbers of the analytics that must not change with an erasure.
async fn figures(app: &TestApp, customer: &str) -> Value {
    let kpis = app.get_json("/api/v1/analytics/kpis?days=90", &app.admin_token).await;
    let overview = app
        .get_json(&format!("/api/v1/customers/{customer}/overview"), &app.admin_token)
        .await;
    json!({"kpis": kpis["current"], "facts": overview["facts"], "sentiment": overview["sentiment"]})
}

/// Cases and customers the search box finds for `q`.
async fn found(app: &TestApp, q: &str) -> usize {
    let q = crate::search::encode(q);
    let r = app.get_json(&format!("/api/v1/search?q={q}"), &app.admin_token).await;
    len(&r, "cases") + len(&r, "customers")
}

async fn erase_removes_personal_data_and_keeps_the_figures(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |c| c.survey_delay = chrono::Duration::zero()).await;
    let s = seed(&app, &sink).await;
    let lead = app.token_for("lead1", "lead").await;
    let path = format!("/api/v1/customers/{}/erase", s.erika);
    let before = figures(&app, &s.erika).await;
    for q in ["Musterfrau", "erika@example.de", "Zauberflöte", "Stammkundin"] {
        assert!(found(&app, q).await > 0, "{q} is found before");
    }

    app.post_problem(&path, &lead, json!({"confirm": "Erika Musterfrau"}), 403)
        .await;
    let p = app
        .post_problem(&path, &app.admin_token, json!({"confirm": "Otto Anders"}), 422)
        .await;
    assert_eq!(p["field"], "confirm", "{p}");
    let out = app
        .post_json(&path, &app.admin_token, json!({"confirm": " erika musterfrau "}), 200)
        .await;
    assert_eq!(out["erased_now"], true, "{out}");

    // Nothing personal is left: not in the search, not in the export.
    for q in [
        "Musterfrau",
        "erika@example.de",
        "ERIKA-7",
        "Zauberflöte",
        "Stammkundin",
        "Kratzer",
    ] {
        assert_eq!(found(&app, q).await, 0, "{q} is found after the erasure");
    }
    let (x, text) = export(&app, &s.erika, &app.admin_token).await;
    for word in ERIKA_WORDS.iter().chain(["Erika", "A-99"].iter()) {
        assert!(!text.contains(word), "{word} left in {text}");
    }
    assert_eq!(x["customer"]["name"], "Gelöschte Person ".to_string() + &s.erika[30..]);
    assert!(x["customer"]["erased_at"].is_string());
    assert_eq!(x["attachments"], json!([]));
    assert_eq!(x["cases"][0]["subject"], "[Text aus Datenschutzgründen entfernt]");
    assert!(len(&x, "events") >= 5, "the timeline's events stay: {}", x["events"]);
    // The figures are the same, Otto is untouched.
    assert_eq!(figures(&app, &s.erika).await, before);
    assert!(found(&app, "Ottos").await > 0);
    let otto = app
        .get_json(&format!("/api/v1/customers/{}", s.otto), &app.admin_token)
        .await;
    assert_eq!(otto["name"], "Otto Anders");

    // Again: nothing happens, 200.
    let again = app
        .post_json(&path, &app.admin_token, json!({"confirm": "Erika Musterfrau"}), 200)
        .await;
    assert_eq!(again["erased_now"], false, "{again}");
    let audit = app
        .get_json(
            &format!("/api/v1/audit?entity=customer&entity_id={}", s.erika),
            &app.admin_token,
        )
        .await;
    let entries = audit.as_array().expect("audit");
    let erase: Vec<&Value> = entries.iter().filter(|e| e["action"] == "customer.erase").collect();
    assert_eq!(erase.len(), 1, "one erasure: {audit}");
    assert!(erase[0]["actor"]["id"].is_string(), "who erased: {audit}");
    let all = app
        .get_json("/api/v1/audit?limit=500", &app.admin_token)
        .await
        .to_string();
    for word in ERIKA_WORDS {
        assert!(!all.contains(word), "{word} left in the audit log");
    }
}

/// Eight erasures of one customer at once: one erases, the others find it done.
async fn concurrent_erasures_take_turns(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = app.customer("TWICE-1", "en", "standard").await;
    app.case(&c, "Parcel lost").await;
    let path = format!("/api/v1/customers/{c}/erase");
    let runs = (0..8).map(|_| app.post(&path, &app.admin_token, json!({"confirm": c})));
    let mut erased_now = 0;
    for res in futures_util::future::join_all(runs).await {
        assert_eq!(res.status(), 200);
        let v: Value = res.json().await.expect("json");
        if v["erased_now"] == true {
            erased_now += 1;
        }
    }
    assert_eq!(erased_now, 1);
    let customer = app.get_json(&format!("/api/v1/customers/{c}"), &app.admin_token).await;
    assert!(
        customer["name"].as_str().expect("name").starts_with("Erased person "),
        "{customer}"
    );
    let audit = app
        .get_json(
            &format!("/api/v1/audit?entity=customer&entity_id={c}"),
            &app.admin_token,
        )
        .await;
    let n = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter(|e| e["action"] == "customer.erase")
        .count();
    assert_eq!(n, 1);
}

/// The UI: admins erase after typing the name; a wrong name is shown at the field.
async fn erase_in_the_ui(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = app.customer("UI-1", "de", "standard").await;
    create_user(&app.store, "ada", "admin").await;
    create_user(&app.store, "lena", "lead").await;
    let lead = app.signed_in("lena").await;
    let (status, _) = crate::support::get_html(&lead, &app, &format!("/customers/{c}/erase")).await;
    assert_eq!(status, 403);
    let ui = app.signed_in("ada").await;
    let page = html_of(&ui, &app, &format!("/customers/{c}")).await;
    assert!(page.contains(&format!("href=\"/customers/{c}/erase\"")), "erase button");
    let form = html_of(&ui, &app, &format!("/customers/{c}/erase")).await;
    assert!(form.contains("data-testid=\"privacy-erase-form\""), "{form}");
    let csrf = csrf_of(&form);
    let path = format!("/customers/{c}/erase");
    let res = submit(&ui, &app, &path, &[("csrf", &csrf), ("confirm", "Jemand anders")]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"confirm-error\""), "{html}");
    assert!(html.contains("Das ist weder der Name noch die ID dieser Person."));
    let res = submit(&ui, &app, &path, &[("csrf", &csrf), ("confirm", "Kunde UI-1")]).await;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().expect("location").to_string();
    assert_eq!(to, format!("/customers/{c}?privacy=erased"));
    let page = html_of(&ui, &app, &to).await;
    assert!(page.contains("Die personenbezogenen Daten wurden gelöscht."));
    assert!(page.contains("Gelöschte Person "), "pseudonym in German");
    assert!(!page.contains("Kunde UI-1"));
    assert!(
        !page.contains("data-testid=\"privacy-erase\""),
        "no second erase button"
    );
}

/// `amends customers export|erase`: the same rights from the command line,
/// audited under `--user`, refused with a hint on bad input.
async fn export_and_erase_from_the_command_line(b: Backend) {
    use crate::cli::run_on;
    let app = TestApp::spawn(b).await;
    let c = app.customer("CLI-GDPR", "de", "standard").await;
    app.case(&c, "Toaster Funkenflug").await;
    for (name, role) in [("ada", "admin"), ("lena", "lead"), ("anton", "agent")] {
        create_user(&app.store, name, role).await;
    }
    let url = app.db_url();
    let (code, out, err) = run_on(&url, &["customers", "export", &c, "--user", "lena"], None).await;
    assert_eq!(code, 0, "{err}");
    let x: Value = serde_json::from_str(&out).expect("the export is JSON on stdout");
    assert_eq!(x["customer"]["name"], "Kunde CLI-GDPR");
    assert_eq!(x["cases"][0]["subject"], "Toaster Funkenflug");
    let dir = std::env::temp_dir().join(format!("amends-cli-gdpr-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("export.json");
    let path = file.display().to_string();
    let args = ["customers", "export", &c, "--user", "lena", "--out", &path];
    let (code, _, err) = run_on(&url, &args, None).await;
    assert_eq!(code, 0, "{err}");
    let saved: Value = serde_json::from_slice(&std::fs::read(&file).expect("file")).expect("json");
    assert_eq!(saved["customer"]["id"], c.as_str());
    let (code, _, err) = run_on(&url, &args, None).await;
    assert_ne!(code, 0, "an existing file is not overwritten");
    assert!(err.contains("cannot create"), "{err}");
    let _ = std::fs::remove_dir_all(dir);

    let (code, _, err) = run_on(&url, &["customers", "export", &c, "--user", "anton"], None).await;
    assert_ne!(code, 0);
    assert!(err.contains("may not export"), "{err}");
    let (code, _, err) = run_on(&url, &["customers", "export", "kunde-7", "--user", "lena"], None).await;
    assert_ne!(code, 0);
    assert!(
        err.contains("not a customer id") && err.contains("GET /api/v1/customers"),
        "{err}"
    );
    let nobody = "0194a000-0000-7000-8000-00000000dead";
    let (code, _, err) = run_on(&url, &["customers", "export", nobody, "--user", "lena"], None).await;
    assert_ne!(code, 0);
    assert!(err.contains("no customer"), "{err}");

    let erase = |confirm: &'static str, user: &'static str| {
        let c = c.clone();
        let url = url.clone();
        async move {
            run_on(
                &url,
                &["customers", "erase", &c, "--confirm", confirm, "--user", user],
                None,
            )
            .await
        }
    };
    let (code, _, err) = erase("Kunde CLI-GDPR", "lena").await;
    assert_ne!(code, 0);
    assert!(err.contains("may not erase"), "{err}");
    let (code, _, err) = erase("Jemand anders", "ada").await;
    assert_ne!(code, 0);
    assert!(err.contains("neither the customer's name nor their id"), "{err}");
    let (code, out, err) = erase("kunde cli-gdpr", "ada").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("erased customer"), "{out}");
    let (code, out, _) = erase("kunde cli-gdpr", "ada").await;
    assert_eq!(code, 0);
    assert!(out.contains("erased before"), "{out}");
    let now = app.get_json(&format!("/api/v1/customers/{c}"), &app.admin_token).await;
    assert!(
        now["name"].as_str().expect("name").starts_with("Gelöschte Person "),
        "{now}"
    );
    let audit = app
        .get_json(
            &format!("/api/v1/audit?entity=customer&entity_id={c}"),
            &app.admin_token,
        )
        .await;
    let by = |action: &str| {
        audit
            .as_array()
            .expect("audit")
            .iter()
            .filter(|e| e["action"] == action)
            .map(|e| e["actor"]["name"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(by("customer.erase"), ["ada (test)"], "{audit}");
    assert_eq!(by("customer.export").len(), 2, "{audit}");
}

crate::both_backends!(
    export_and_erase_from_the_command_line,
    export_holds_every_table_of_one_customer,
    erase_removes_personal_data_and_keeps_the_figures,
    concurrent_erasures_take_turns,
    erase_in_the_ui,
);
