//! Playbooks (issue 20): CRUD with versions and roles, the pick of a case's
//! playbook, checking steps off at once from many requests (one event),
//! effectiveness per version with known answers, and the pages.

use crate::support::{Backend, TestApp, csrf_of, get_html, post_form};
use amends_domain::{CaseId, Language};
use amends_store::{Batch, SurveyRecord};
use chrono::Duration;
use serde_json::{Value, json};

fn playbook(name: &str, topic: Option<&str>, min: u8, max: u8) -> Value {
    json!({"name_de": format!("{name} (de)"), "name_en": name, "owner_team": "Billing",
    "topic": topic, "severity_min": min, "severity_max": max,
    "steps": [
        {"title_de": "Anrufen", "title_en": "Call the customer", "checklist": ["Buchung prüfen", "Rückruf anbieten"], "due_minutes": 120},
        {"title_de": "Gutschrift", "title_en": "Credit note", "due_minutes": 1440}
    ]})
}

async fn transition(app: &TestApp, id: &str, to: &str) {
    let res = app
        .post(
            &format!("/api/v1/cases/{id}/transitions"),
            &app.admin_token,
            json!({"to": to}),
        )
        .await;
    assert_eq!(res.status(), 200, "{to}");
}

async fn crud_versions_and_roles(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;

    app.post_problem(
        "/api/v1/playbooks",
        &agent,
        playbook("Billing", Some("billing"), 1, 4),
        403,
    )
    .await;
    let p = app
        .post_json(
            "/api/v1/playbooks",
            &lead,
            playbook("Billing", Some("billing"), 1, 4),
            201,
        )
        .await;
    let id = p["id"].as_str().expect("id").to_string();
    assert_eq!((p["version"].as_i64(), p["active"].as_bool()), (Some(1), Some(true)));
    assert_eq!(p["steps"][0]["checklist"][1], "Rückruf anbieten");

    // Field errors name the field, steps by index.
    let mut bad = playbook("x", None, 1, 4);
    bad["steps"][1]["title_en"] = json!(" ");
    let e = app.post_problem("/api/v1/playbooks", &lead, bad, 422).await;
    assert_eq!(e["field"], "steps[1].title_en", "{e}");
    let e = app
        .post_problem("/api/v1/playbooks", &lead, playbook("x", None, 3, 2), 422)
        .await;
    assert_eq!(e["field"], "severity_max");
    let mut missing = playbook("x", None, 1, 4);
    missing["steps"][0]["template_id"] = json!("0194a000-0000-7000-8000-00000000ffff");
    let e = app.post_problem("/api/v1/playbooks", &lead, missing, 422).await;
    assert_eq!(e["field"], "steps[0].template_id");

    // PUT adds a version; the former stays readable.
    let mut next = playbook("Billing v2", Some("billing"), 1, 4);
    next["steps"] = json!([{"title_de": "Nur ein Schritt", "title_en": "One step", "due_minutes": 60}]);
    app.put_problem(&format!("/api/v1/playbooks/{id}"), &agent, next.clone(), 403)
        .await;
    let v2 = app.put_json(&format!("/api/v1/playbooks/{id}"), &lead, next, 200).await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["steps"].as_array().map(Vec::len), Some(1));
    let v1 = app.get_json(&format!("/api/v1/playbooks/{id}?version=1"), &agent).await;
    assert_eq!(
        (v1["name_en"].as_str(), v1["current_version"].as_i64()),
        (Some("Billing"), Some(2))
    );
    app.get_problem(&format!("/api/v1/playbooks/{id}?version=9"), &agent, 404)
        .await;
    app.put_problem(
        "/api/v1/playbooks/0194a000-0000-7000-8000-00000000ffff",
        &lead,
        playbook("x", None, 1, 4),
        404,
    )
    .await;

    let off = app
        .post_json(&format!("/api/v1/playbooks/{id}/deactivate"), &lead, json!({}), 200)
        .await;
    assert_eq!(off["active"], false);
    let list = app.get_json("/api/v1/playbooks", &agent).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["active"], false);

    // Every change is in the audit log.
    let audit = app.get_json("/api/v1/audit?entity=playbook", &app.admin_token).await;
    let text = audit.to_string();
    for action in ["playbook.create", "playbook.update", "playbook.deactivate"] {
        assert!(text.contains(action), "{action}: {text}");
    }
}

async fn pick_and_concurrent_check_off(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;
    let any = app
        .post_json(
            "/api/v1/playbooks",
            &lead,
            playbook("Any billing", Some("billing"), 1, 4),
            201,
        )
        .await;
    let other = app
        .post_json(
            "/api/v1/playbooks",
            &lead,
            playbook("Delivery", Some("delivery"), 1, 4),
            201,
        )
        .await;
    let cust = app.customer("CRM-1", "de", "standard").await;
    let case = app.case_id(&cust, "Falsche Rechnung, doppelt abgebucht").await;
    let unmatched = app.case_id(&cust, "Hallo").await;

    let got = app.get_json(&format!("/api/v1/cases/{case}/playbook"), &agent).await;
    assert_eq!(got["playbook"]["id"], any["id"], "{got}");
    assert_ne!(got["playbook"]["id"], other["id"]);
    assert_eq!((got["done"].as_i64(), got["total"].as_i64()), (Some(0), Some(2)));
    assert!(got["started_at"].is_null());
    app.get_problem(&format!("/api/v1/cases/{unmatched}/playbook"), &agent, 404)
        .await;

    // Many agents tick the same step at once: one progress row, one event, one audit entry.
    let path = format!("/api/v1/cases/{case}/playbook/steps/1/done");
    let ticks = (0..8).map(|_| app.post(&path, &agent, json!({})));
    for res in futures_util::future::join_all(ticks).await {
        assert_eq!(res.status(), 200);
    }
    let events = app.get_json(&format!("/api/v1/cases/{case}/events"), &agent).await;
    let ticks: Vec<&Value> = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "playbook")
        .collect();
    assert_eq!(ticks.len(), 1, "{events}");
    assert_eq!(ticks[0]["data"]["title_en"], "Call the customer");
    let audit = app.get_json("/api/v1/audit?entity=case", &app.admin_token).await;
    assert_eq!(audit.to_string().matches("playbook.step_done").count(), 1, "{audit}");
    let got = app.get_json(&format!("/api/v1/cases/{case}/playbook"), &agent).await;
    assert_eq!(got["done"], 1);
    assert!(got["steps"][0]["done_by_name"].is_string(), "{got}");
    assert!(got["steps"][1]["done_at"].is_null());

    // A new version does not change the started case; a new case gets it.
    let mut next = playbook("Any billing v2", Some("billing"), 1, 4);
    next["steps"] = json!([{"title_de": "Neu", "title_en": "New", "due_minutes": 30}]);
    let any_id = any["id"].as_str().expect("id");
    app.put_json(&format!("/api/v1/playbooks/{any_id}"), &lead, next, 200)
        .await;
    let kept = app.get_json(&format!("/api/v1/cases/{case}/playbook"), &agent).await;
    assert_eq!(
        (kept["playbook"]["version"].as_i64(), kept["total"].as_i64()),
        (Some(1), Some(2))
    );
    let fresh = app.case_id(&cust, "Rechnung falsch").await;
    let v2 = app.get_json(&format!("/api/v1/cases/{fresh}/playbook"), &agent).await;
    assert_eq!(v2["playbook"]["version"], 2, "{v2}");

    // Taking a tick back lands on the timeline too; unknown steps are 404.
    let res = app.delete(&path, &agent).await;
    assert_eq!(res.status(), 200);
    let events = app.get_json(&format!("/api/v1/cases/{case}/events"), &agent).await;
    assert!(events.to_string().contains("step_undone"), "{events}");
    app.post_problem(
        &format!("/api/v1/cases/{case}/playbook/steps/9/done"),
        &agent,
        json!({}),
        404,
    )
    .await;

    // A deactivated playbook is not picked for new cases; started ones keep theirs.
    app.post_json(&format!("/api/v1/playbooks/{any_id}/deactivate"), &lead, json!({}), 200)
        .await;
    app.get_problem(&format!("/api/v1/cases/{fresh}/playbook"), &agent, 404)
        .await;
    app.get_json(&format!("/api/v1/cases/{case}/playbook"), &agent).await;
}

async fn effectiveness_known_answer(b: Backend) {
    let app = TestApp::spawn(b).await;
    let lead = app.token_for("lead1", "lead").await;
    let p = app
        .post_json(
            "/api/v1/playbooks",
            &lead,
            playbook("Billing", Some("billing"), 1, 4),
            201,
        )
        .await;
    let cust = app.customer("CRM-1", "de", "standard").await;
    let cases: Vec<String> = futures_util::future::join_all(
        ["Rechnung falsch", "Rechnung doppelt", "Rechnung zu hoch"].map(|s| app.case_id(&cust, s)),
    )
    .await;
    for c in &cases {
        app.post_json(
            &format!("/api/v1/cases/{c}/playbook/steps/1/done"),
            &lead,
            json!({}),
            200,
        )
        .await;
        transition(&app, c, "in_progress").await;
    }
    // Resolved after 2 h and 6 h; the second is reopened; the third stays open.
    app.clock.advance(Duration::hours(2));
    transition(&app, &cases[0], "resolved").await;
    app.clock.advance(Duration::hours(4));
    transition(&app, &cases[1], "resolved").await;
    transition(&app, &cases[1], "reopened").await;
    transition(&app, &cases[1], "resolved").await;
    let mut batch = Batch::default();
    for (i, (c, score)) in [(&cases[0], 5), (&cases[1], 2)].into_iter().enumerate() {
        let at = app.clock.now();
        batch.surveys.push(SurveyRecord {
            id: amends_domain::ids::uuid_v7_at(at, 900 + i as u128),
            case_id: CaseId(c.parse().expect("uuid")),
            customer_id: amends_domain::CustomerId(cust.parse().expect("uuid")),
            language: Language::De,
            sent_at: at,
            answered_at: at,
            score,
            solved: Some(true),
        });
    }
    app.store.insert_batch(&batch).await.expect("surveys");
    app.clock.advance(Duration::days(40));

    let figures = app.get_json("/api/v1/analytics/playbooks", &lead).await;
    let f = &figures[0];
    assert_eq!(f["playbook_id"], p["id"], "{figures}");
    assert_eq!((f["cases"].as_i64(), f["resolved"].as_i64()), (Some(3), Some(2)), "{f}");
    assert_eq!(
        (f["csat_mean"].as_f64(), f["csat_answers"].as_i64()),
        (Some(3.5), Some(2))
    );
    assert_eq!(f["reopen_rate_pct"].as_f64(), Some(50.0));
    assert_eq!(
        f["resolution_median_hours"].as_f64(),
        Some(4.0),
        "median of 2 h and 6 h"
    );
    assert_eq!(
        (f["retention_pct"].as_f64(), f["retention_judged"].as_i64()),
        (Some(100.0), Some(2))
    );
    let agent = app.token_for("agent1", "agent").await;
    app.get_problem("/api/v1/analytics/playbooks", &agent, 403).await;
    app.get_problem("/api/v1/analytics/playbooks?settle_days=999", &lead, 422)
        .await;
}

async fn pages_in_both_languages(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.token_for("lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = get_html(&lead, &app, "/playbooks/new").await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&html);
    // A step with a title but no hours given is due at once; a bad hour count is refused in German.
    let form = [
        ("csrf", csrf.as_str()),
        ("id", ""),
        ("name_de", "Abrechnungsfehler"),
        ("name_en", "Billing error"),
        ("owner_team", "Billing"),
        ("topic", "billing"),
        ("incident_kind", ""),
        ("severity_min", "1"),
        ("severity_max", "4"),
        ("step0_title_de", "Anrufen"),
        ("step0_title_en", "Call"),
        ("step0_checklist", "Buchung prüfen"),
        ("step0_due_hours", "bald"),
        ("step1_title_de", ""),
        ("step1_title_en", ""),
    ];
    let (status, html) = post_form(&lead, &app, "/playbooks", &form).await;
    assert_eq!(status, 422);
    assert!(html.contains("Geben Sie die Stunden als Zahl"), "German field error");
    let mut ok = form;
    ok[12] = ("step0_due_hours", "1,5");
    let res = crate::support::submit(&lead, &app, "/playbooks", &ok).await;
    assert_eq!(res.status(), 303);
    let list = app.get_json("/api/v1/playbooks", &app.admin_token).await;
    assert_eq!(list[0]["steps"][0]["due_minutes"], 90);

    let (_, html) = get_html(&lead, &app, "/playbooks").await;
    assert!(
        html.contains("Abrechnungsfehler") && html.contains("Wirksamkeit je Version"),
        "{html}"
    );

    // The case page's panel: a form post per step, the tick lands on the timeline.
    let cust = app.customer("CRM-1", "de", "standard").await;
    let case = app.case_id(&cust, "Rechnung doppelt abgebucht").await;
    let (_, html) = get_html(&lead, &app, &format!("/cases/{case}")).await;
    assert!(html.contains("data-testid=\"case-playbook\"") && html.contains("0 von 1 Schritten erledigt"));
    let csrf = csrf_of(&html);
    let res = crate::support::submit(
        &lead,
        &app,
        &format!("/cases/{case}/playbook/steps/1"),
        &[("csrf", &csrf), ("done", "true")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = get_html(&lead, &app, &format!("/cases/{case}")).await;
    assert!(html.contains("1 von 1 Schritten erledigt"));
    assert!(html.contains("Schritt erledigt: Anrufen"), "timeline in German");
    // Without the CSRF token nothing is checked.
    let res = crate::support::submit(
        &lead,
        &app,
        &format!("/cases/{case}/playbook/steps/1"),
        &[("done", "false")],
    )
    .await;
    assert_ne!(res.status(), 303);
}

crate::both_backends!(
    crud_versions_and_roles,
    pick_and_concurrent_check_off,
    effectiveness_known_answer,
    pages_in_both_languages,
);
