//! Retention (issue 18): the admin's setting "anonymise closed cases after
//! N months", the daily sweep that does it once per case (also with
//! several sweeps at once), the figures it keeps, and the UI.

use crate::support::{Backend, TestApp, create_user, csrf_of, html_of, submit, wait_for};
use chrono::Duration;
use serde_json::{Value, json};

const PLACEHOLDER_DE: &str = "[Text aus Datenschutzgründen entfernt]";

/// A case of `customer` with a note, closed now.
async fn closed_case(app: &TestApp, customer: &str, subject: &str, note: &str) -> String {
    let tok = &app.admin_token;
    let case = app.case_id(customer, subject).await;
    app.post_expect(&format!("/api/v1/cases/{case}/notes"), tok, json!({"body": note}), 201)
        .await;
    app.post_expect(
        &format!("/api/v1/cases/{case}/goodwill"),
        tok,
        json!({"kind": "voucher", "value_cents": 1500, "reason": format!("Kulanz für {subject}")}),
        201,
    )
    .await;
    for to in ["acknowledged", "resolved", "closed"] {
        app.post_expect(
            &format!("/api/v1/cases/{case}/transitions"),
            tok,
            json!({"to": to}),
            200,
        )
        .await;
    }
    case
}

/// The facts of a case the analytics count (everything but its texts).
async fn facts(app: &TestApp, case: &str) -> Value {
    let mut c = app.get_json(&format!("/api/v1/cases/{case}"), &app.admin_token).await;
    let o = c.as_object_mut().expect("case");
    for text in [
        "subject",
        "description",
        "updated_at",
        "customer",
        "customer_name",
        "anonymised_at",
    ] {
        o.remove(text);
    }
    let grants = app
        .get_json(&format!("/api/v1/goodwill?case_id={case}"), &app.admin_token)
        .await;
    let amounts: Vec<Value> = grants
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| json!([g["value_cents"], g["state"]]))
        .collect();
    json!({"case": c, "goodwill": amounts})
}

async fn subject(app: &TestApp, case: &str) -> String {
    app.get_json(&format!("/api/v1/cases/{case}"), &app.admin_token).await["subject"]
        .as_str()
        .expect("subject")
        .to_string()
}

/// The `case.anonymise` audit entries of `case`.
async fn anonymise_entries(app: &TestApp, case: &str) -> usize {
    let audit = app
        .get_json(&format!("/api/v1/audit?entity=case&entity_id={case}"), &app.admin_token)
        .await;
    audit
        .as_array()
        .expect("audit")
        .iter()
        .filter(|e| e["action"] == "case.anonymise")
        .count()
}

async fn closed_cases_are_anonymised_after_the_retention(b: Backend) {
    let app = TestApp::spawn(b).await;
    let path = "/api/v1/privacy/retention";
    let lead = app.token_for("lead1", "lead").await;
    app.get_problem(path, &lead, 403).await;
    app.put_problem(path, &lead, json!({"months": 12}), 403).await;
    assert_eq!(
        app.get_json(path, &app.admin_token).await["months"],
        Value::Null,
        "off by default"
    );
    for bad in [json!({"months": 0}), json!({"months": 241}), json!({"months": "zwölf"})] {
        let p = app.put_problem(path, &app.admin_token, bad.clone(), 422).await;
        assert!(p["detail"].is_string(), "{bad}: {p}");
    }

    // Anna: two closed cases (erased as a whole later). Bert: a closed case
    // and an open one (he stays). Clara: a case closed two months later.
    let anna = app.customer("ANNA-1", "de", "standard").await;
    let bert = app.customer("BERT-1", "en", "standard").await;
    let clara = app.customer("CLARA-1", "de", "standard").await;
    let anna_1 = closed_case(&app, &anna, "Waschmaschine Blitzblank defekt", "Frau Anna ruft zurück").await;
    let anna_2 = closed_case(&app, &anna, "Rechnung Fehlbetrag", "Gutschrift Anna").await;
    let bert_1 = closed_case(&app, &bert, "Parcel Quokka lost", "Bert calls back").await;
    let bert_open = app.case_id(&bert, "Quokka still missing").await;
    let before: Vec<Value> = futures_util::future::join_all([&anna_1, &anna_2, &bert_1].map(|c| facts(&app, c))).await;

    let set = app.put_json(path, &app.admin_token, json!({"months": 12}), 200).await;
    assert_eq!(set["months"], 12);
    app.clock.advance(Duration::days(61));
    app.jobs_settled().await;
    let clara_1 = closed_case(&app, &clara, "Kaffeemaschine tropft", "Clara schreibt").await;
    assert_eq!(
        subject(&app, &anna_1).await,
        "Waschmaschine Blitzblank defekt",
        "not due yet"
    );

    // Thirteen months after the first closings: the day's sweep runs.
    app.clock.advance(Duration::days(335));
    for case in [&anna_1, &anna_2] {
        wait_for(30, "the retention sweep", || async {
            (subject(&app, case).await == PLACEHOLDER_DE).then_some(())
        })
        .await;
    }
    wait_for(30, "Bert's closed case", || async {
        (subject(&app, &bert_1).await == "[Text removed for data protection]").then_some(())
    })
    .await;
    app.jobs_settled().await;
    let after: Vec<Value> = futures_util::future::join_all([&anna_1, &anna_2, &bert_1].map(|c| facts(&app, c))).await;
    assert_eq!(after, before, "states, times and amounts stay");
    let timeline = app
        .get_json(&format!("/api/v1/cases/{anna_1}/events"), &app.admin_token)
        .await
        .to_string();
    assert!(!timeline.contains("Frau Anna"), "{timeline}");
    assert!(!timeline.contains("Blitzblank"), "{timeline}");
    let grants = app
        .get_json(&format!("/api/v1/goodwill?case_id={anna_1}"), &app.admin_token)
        .await
        .to_string();
    assert!(!grants.contains("Blitzblank"), "{grants}");
    let found = app.get_json("/api/v1/search?q=Blitzblank", &app.admin_token).await;
    assert_eq!(found["cases"], json!([]), "the search index forgets");

    // Anna had nothing else: erased. Bert has an open case: kept, as is that case.
    let anna_now = app
        .get_json(&format!("/api/v1/customers/{anna}"), &app.admin_token)
        .await;
    assert!(
        anna_now["name"]
            .as_str()
            .expect("name")
            .starts_with("Gelöschte Person "),
        "{anna_now}"
    );
    let bert_now = app
        .get_json(&format!("/api/v1/customers/{bert}"), &app.admin_token)
        .await;
    assert_eq!(bert_now["name"], "Kunde BERT-1");
    assert_eq!(subject(&app, &bert_open).await, "Quokka still missing");
    // Clara's case was closed eleven months ago.
    assert_eq!(subject(&app, &clara_1).await, "Kaffeemaschine tropft");

    // Audited once per case; a later sweep changes nothing.
    for case in [&anna_1, &anna_2, &bert_1] {
        assert_eq!(anonymise_entries(&app, case).await, 1, "{case}");
    }
    app.clock.advance(Duration::days(1));
    app.jobs_settled().await;
    for case in [&anna_1, &anna_2, &bert_1] {
        assert_eq!(anonymise_entries(&app, case).await, 1, "{case} again");
    }
    // Off again: Clara's case is kept, however old.
    app.put_json(path, &app.admin_token, json!({"months": null}), 200).await;
    app.clock.advance(Duration::days(90));
    app.jobs_settled().await;
    assert_eq!(subject(&app, &clara_1).await, "Kaffeemaschine tropft");
}

/// Four sweeps at once (as from four instances): each case is anonymised
/// and audited exactly once.
async fn concurrent_sweeps_anonymise_each_case_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut cases = Vec::new();
    for i in 0..6 {
        let c = app.customer(&format!("SWEEP-{i}"), "en", "standard").await;
        cases.push(closed_case(&app, &c, &format!("Sweep case {i}"), "a note").await);
    }
    let admin = create_user(&app.store, "ops", "admin").await;
    let config = amends_app::Config::default();
    let state = amends_app::App::new(app.store.clone(), app.clock.clone(), config).expect("app");
    amends_app::retention::set(&state, Some(1), admin).await.expect("set");
    // Far enough ahead, but the day's sweep of the server waits for the next minute.
    app.clock.advance(Duration::days(40));
    let runs = (0..4).map(|_| amends_app::retention::sweep(&state));
    let outcomes = futures_util::future::join_all(runs).await;
    let total: usize = outcomes.into_iter().map(|o| o.expect("sweep").cases).sum();
    assert!(total <= cases.len(), "{total} anonymisations of {} cases", cases.len());
    app.jobs_settled().await;
    for case in &cases {
        assert_eq!(anonymise_entries(&app, case).await, 1, "{case}");
    }
}

/// The setting in the UI: admins only, a bad number shown at the field.
async fn retention_in_the_ui(b: Backend) {
    let app = TestApp::spawn(b).await;
    create_user(&app.store, "ada", "admin").await;
    create_user(&app.store, "lena", "lead").await;
    let lead = app.signed_in("lena").await;
    assert!(
        !html_of(&lead, &app, "/settings")
            .await
            .contains("data-testid=\"retention\"")
    );
    let ui = app.signed_in("ada").await;
    let page = html_of(&ui, &app, "/settings").await;
    assert!(
        page.contains("Aus: Abgeschlossene Fälle werden unbegrenzt aufbewahrt."),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let res = submit(&lead, &app, "/settings/retention", &[("csrf", &csrf), ("months", "6")]).await;
    assert_eq!(res.status(), 403);
    let res = submit(&ui, &app, "/settings/retention", &[("csrf", &csrf), ("months", "300")]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"retention-months-error\""), "{html}");
    assert!(html.contains("value=\"300\""), "what was typed stays");
    let res = submit(&ui, &app, "/settings/retention", &[("csrf", &csrf), ("months", "18")]).await;
    assert_eq!(res.status(), 303);
    let page = html_of(&ui, &app, "/settings").await;
    assert!(page.contains("18 Monate nach dem Abschluss anonymisiert"), "{page}");
    let api = app.get_json("/api/v1/privacy/retention", &app.admin_token).await;
    assert_eq!(api["months"], 18);
    let res = submit(&ui, &app, "/settings/retention", &[("csrf", &csrf), ("months", "")]).await;
    assert_eq!(res.status(), 303);
    let api = app.get_json("/api/v1/privacy/retention", &app.admin_token).await;
    assert_eq!(api["months"], Value::Null);
}

crate::both_backends!(
    closed_cases_are_anonymised_after_the_retention,
    concurrent_sweeps_anonymise_each_case_once,
    retention_in_the_ui,
);
