//! The feature-feedback panel (issue 20): the segment of recovered
//! customers, consent and survey fatigue, invitations by mail (once), the
//! join link, CSV export, roles.

use crate::support::{Backend, SmtpSink, TestApp, get_html};
use amends_domain::{CaseId, CustomerId, Language};
use amends_store::{Batch, SurveyRecord};
use chrono::Duration;
use serde_json::{Value, json};

async fn answered(app: &TestApp, cust: &str, score: i32, n: u128) {
    let case = app.case_id(cust, &format!("Fall {n}")).await;
    let at = app.clock.now();
    let mut batch = Batch::default();
    batch.surveys.push(SurveyRecord {
        id: amends_domain::ids::uuid_v7_at(at, 500 + n),
        case_id: CaseId(case.parse().expect("uuid")),
        customer_id: CustomerId(cust.parse().expect("uuid")),
        language: Language::De,
        sent_at: at,
        answered_at: at,
        score,
        solved: Some(true),
    });
    app.store.insert_batch(&batch).await.expect("survey");
}

fn row<'a>(p: &'a Value, id: &str) -> Option<&'a Value> {
    p["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .find(|c| c["customer_id"] == id)
}

async fn segment_consent_fatigue_and_invitations(b: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |c| {
        c.smtp.from = "Service <service@amends.test>".into();
    })
    .await;
    let lead = app.token_for("lead1", "lead").await;
    let agent = app.token_for("agent1", "agent").await;
    let a = app.customer("CRM-A", "de", "standard").await;
    let no_consent = app.customer("CRM-B", "de", "premium").await;
    let unhappy = app.customer("CRM-C", "de", "standard").await;
    let tired = app.customer("CRM-D", "en", "standard").await;
    answered(&app, &a, 5, 1).await;
    answered(&app, &no_consent, 4, 2).await;
    answered(&app, &unhappy, 2, 3).await;
    let res = app
        .patch(
            &format!("/api/v1/customers/{no_consent}"),
            &app.admin_token,
            json!({"consent_contact": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Past the 30-day fatigue period for the first three; the last was surveyed just now.
    app.clock.advance(Duration::days(31));
    answered(&app, &tired, 5, 4).await;

    let p = app.get_json("/api/v1/panel", &lead).await;
    assert_eq!(p["customers"].as_array().map(Vec::len), Some(3), "{p}");
    assert!(row(&p, &unhappy).is_none(), "rated 2: not recovered");
    assert_eq!(row(&p, &a).expect("a")["blocked"], Value::Null);
    assert_eq!(row(&p, &no_consent).expect("b")["blocked"], "no_consent");
    assert_eq!(row(&p, &tired).expect("d")["blocked"], "fatigue");
    assert_eq!(p["invitable"], 1);
    let en = app.get_json("/api/v1/panel?language=en", &lead).await;
    assert_eq!(en["customers"].as_array().map(Vec::len), Some(1));
    let premium = app.get_json("/api/v1/panel?tier=premium", &lead).await;
    assert_eq!(
        premium["customers"][0]["customer_id"].as_str(),
        Some(no_consent.as_str())
    );
    app.get_problem("/api/v1/panel?tier=gold", &lead, 422).await;
    app.get_problem("/api/v1/panel", &agent, 403).await;
    app.post_problem("/api/v1/panel/invitations", &agent, json!({"customer_ids": [a]}), 403)
        .await;
    let e = app
        .post_problem("/api/v1/panel/invitations", &lead, json!({"customer_ids": []}), 422)
        .await;
    assert_eq!(e["field"], "customer_ids");

    let out = app
        .post_json(
            "/api/v1/panel/invitations",
            &lead,
            json!({"customer_ids": [a, no_consent, unhappy, tired]}),
            200,
        )
        .await;
    assert_eq!(out["invited"], json!([a]), "{out}");
    let reasons: Vec<(String, String)> = out["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            (
                s["customer_id"].as_str().unwrap_or_default().to_string(),
                s["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            (no_consent.clone(), "no_consent".to_string()),
            (unhappy.clone(), "not_recovered".to_string()),
            (tired.clone(), "fatigue".to_string()),
        ]
    );
    // Never twice.
    let again = app
        .post_json("/api/v1/panel/invitations", &lead, json!({"customer_ids": [a]}), 200)
        .await;
    assert_eq!(
        (again["invited"].clone(), again["skipped"][0]["reason"].clone()),
        (json!([]), json!("invited"))
    );

    // One mail, in German, with the join link.
    let mails = sink.wait_for(1).await;
    let mail = mails.iter().find(|m| m.contains("/panel/join/")).expect("invitation");
    assert!(
        mail.contains("Helfen Sie uns, besser zu werden?") && mail.contains("crm-a@example.de"),
        "{mail}"
    );
    let path = crate::tier_offers::link_path(mail, "/panel/join/");
    let res = app.get_anonymous(&path).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("html").contains("Willkommen im Panel!"));
    assert_eq!(app.get_anonymous("/panel/join/AAAA").await.status(), 404);
    let p = app.get_json("/api/v1/panel", &lead).await;
    assert_eq!(row(&p, &a).expect("a")["blocked"], "member");
    assert_eq!(p["members"], 1);
    let audit = app.get_json("/api/v1/audit?entity=customer", &app.admin_token).await;
    assert!(audit.to_string().contains("panel.invite") && audit.to_string().contains("panel.join"));

    // The page and its CSV export.
    let ui = app.signed_in("lead1").await;
    let (status, html) = get_html(&ui, &app, "/panel").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("keine Einwilligung zur Kontaktaufnahme") && html.contains("Kunde CRM-A"),
        "{html}"
    );
    let res = ui
        .get(app.url("/panel/export.csv?language=de"))
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), 200);
    let csv = res.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "header and the two German customers: {csv}");
    assert!(lines[0].starts_with("customer_id,name,email"));
    assert!(csv.contains("crm-a@example.de") && !csv.contains("crm-d@example.de"));
}

crate::both_backends!(segment_consent_fatigue_and_invitations);
