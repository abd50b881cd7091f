//! What is fair (issue 20): the customer's public page (signed, expiring,
//! one case), the agent's answer through the API and the case page, last
//! answer wins with the history on the timeline, and the fairness report
//! with known answers.

use crate::support::{Backend, TestApp, csrf_of, get_html, post_form};
use amends_domain::{CaseId, Language};
use amends_store::{Batch, SurveyRecord};
use chrono::Duration;
use serde_json::{Value, json};

/// The token of the case's public link.
async fn fair_token(app: &TestApp, case: &str, token: &str) -> String {
    let f = app
        .get_json(&format!("/api/v1/cases/{case}/fair-expectation"), token)
        .await;
    let link = f["link"].as_str().expect("link");
    link.rsplit_once("/fair/").expect("a fair link").1.to_string()
}

async fn public_post(app: &TestApp, token: &str, form: &[(&str, &str)]) -> (u16, String) {
    let res = app
        .client
        .post(app.url(&format!("/fair/{token}")))
        .form(form)
        .send()
        .await
        .expect("post");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

async fn public_page_token_and_last_answer(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let de = app.customer("CRM-1", "de", "standard").await;
    let en = app.customer("CRM-2", "en", "standard").await;
    let case = app.case_id(&de, "Paket beschädigt").await;
    let other = app.case_id(&en, "Parcel lost").await;

    let none = app
        .get_json(&format!("/api/v1/cases/{case}/fair-expectation"), &agent)
        .await;
    assert_eq!(
        (none["current"].clone(), none["comparison"].clone()),
        (Value::Null, Value::Null)
    );

    // The page speaks the customer's language.
    let token = fair_token(&app, &case, &agent).await;
    let res = app.get_anonymous(&format!("/fair/{token}")).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("html");
    assert!(
        html.contains("Was wäre für Sie fair?") && html.contains("Eine Entschuldigung genügt"),
        "{html}"
    );
    let en_token = fair_token(&app, &other, &agent).await;
    let html = app
        .get_anonymous(&format!("/fair/{en_token}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains("What would you consider fair?"), "{html}");

    // Bad input: 422 with the message next to the field, escaped.
    let (status, html) = public_post(
        &app,
        &token,
        &[("choice", "voucher"), ("amount", "zehn"), ("note", "<b>x</b>")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("data-testid=\"fair-amount-error\""), "{html}");
    assert!(html.contains("&lt;b&gt;x") && !html.contains("<b>x</b>"), "escaped");
    let (status, html) = public_post(&app, &token, &[("choice", "other"), ("amount", ""), ("note", " ")]).await;
    assert_eq!(status, 422);
    assert!(html.contains("data-testid=\"fair-note-error\""));
    let (status, _) = public_post(&app, &token, &[("amount", "5")]).await;
    assert_eq!(status, 422, "no choice");

    // The customer answers, then answers again: the last answer wins.
    let (status, html) = public_post(&app, &token, &[("choice", "voucher"), ("amount", "20"), ("note", "")]).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-testid=\"fair-thanks\""));
    app.clock.advance(Duration::minutes(1));
    let (status, _) = public_post(
        &app,
        &token,
        &[
            ("choice", "refund"),
            ("amount", "49,90"),
            ("note", "Der Inhalt war zerbrochen"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let f = app
        .get_json(&format!("/api/v1/cases/{case}/fair-expectation"), &agent)
        .await;
    assert_eq!(f["current"]["choice"], "refund", "{f}");
    assert_eq!(f["current"]["amount_cents"], 4990);
    assert_eq!(f["current"]["source"], "customer");
    assert_eq!(f["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(f["history"][1]["choice"], "voucher");
    assert_eq!(
        (f["expected_cents"].as_i64(), f["granted_cents"].as_i64()),
        (Some(4990), Some(0))
    );
    assert_eq!(f["comparison"], "short");
    // Both answers are on the timeline; the other case has none.
    let events = app.get_json(&format!("/api/v1/cases/{case}/events"), &agent).await;
    let fair_events = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "fair_expectation")
        .count();
    assert_eq!(fair_events, 2, "{events}");
    let o = app
        .get_json(&format!("/api/v1/cases/{other}/fair-expectation"), &agent)
        .await;
    assert_eq!(o["history"], json!([]));
    let audit = app.get_json("/api/v1/audit?entity=case", &app.admin_token).await;
    assert!(audit.to_string().contains("case.fair_expectation"), "audited");

    // A token altered by one character, or one of another case's bytes, is refused.
    let mut bytes = token.clone().into_bytes();
    bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(bytes).expect("ascii");
    assert_eq!(app.get_anonymous(&format!("/fair/{altered}")).await.status(), 404);
    let spliced = format!("{}{}", &en_token[..22], &token[22..]);
    assert_eq!(app.get_anonymous(&format!("/fair/{spliced}")).await.status(), 404);
    assert_eq!(app.get_anonymous("/fair/nonsense").await.status(), 404);
    // A post from another site's page is refused.
    let res = app
        .client
        .post(app.url(&format!("/fair/{token}")))
        .header("Origin", "https://evil.example")
        .form(&[("choice", "apology")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);

    // After 30 days the link has expired (410) and takes no answer.
    app.clock.advance(Duration::days(30));
    assert_eq!(app.get_anonymous(&format!("/fair/{token}")).await.status(), 410);
    let (status, _) = public_post(&app, &token, &[("choice", "apology")]).await;
    assert_eq!(status, 410);
    let f = app
        .get_json(&format!("/api/v1/cases/{case}/fair-expectation"), &agent)
        .await;
    assert_eq!(f["history"].as_array().map(Vec::len), Some(2), "nothing recorded");
}

async fn agent_answer_api_and_page(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let cust = app.customer("CRM-1", "de", "standard").await;
    let case = app.case_id(&cust, "Lieferung verspätet").await;
    let path = format!("/api/v1/cases/{case}/fair-expectation");

    // A reply template carries the case's link; it opens the case's page.
    let t = app
        .post_json(
            "/api/v1/templates",
            &app.admin_token,
            json!({"name": "Was ist fair", "purpose": "apology", "language": "de",
                "body": "Was wäre für Sie fair? {{fair_url}}"}),
            201,
        )
        .await;
    let preview = app
        .post_json(
            &format!("/api/v1/templates/{}/preview", t["id"].as_str().expect("id")),
            &agent,
            json!({"case_id": case}),
            200,
        )
        .await;
    let body = preview["body"].as_str().expect("body");
    let token = body.rsplit_once("/fair/").expect("the link in the reply").1;
    let page = app.get_anonymous(&format!("/fair/{token}")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("Lieferung verspätet"));

    for (body, field) in [
        (json!({"choice": "cash"}), "choice"),
        (json!({"choice": "refund", "amount_cents": -5}), "amount_cents"),
        (json!({"choice": "other"}), "note"),
        (json!({"choice": "refund", "note": "x".repeat(2001)}), "note"),
    ] {
        let e = app.put_problem(&path, &agent, body, 422).await;
        assert_eq!(e["field"], field, "{e}");
    }
    app.put_problem(
        "/api/v1/cases/0194a000-0000-7000-8000-00000000ffff/fair-expectation",
        &agent,
        json!({"choice": "apology"}),
        404,
    )
    .await;
    let f = app
        .put_json(&path, &agent, json!({"choice": "apology", "note": "Anruf genügt"}), 200)
        .await;
    assert_eq!(f["current"]["source"], "agent");
    assert_eq!(f["current"]["author_name"], "agent1 (test)");
    assert_eq!(f["comparison"], "met", "an apology expects nothing");

    // On the case page in German; the form records the next answer.
    app.token_for("lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = get_html(&lead, &app, &format!("/cases/{case}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("data-testid=\"case-fair\"") && html.contains("Eine Entschuldigung genügt"),
        "{html}"
    );
    assert!(html.contains("Anruf genügt"));
    let csrf = csrf_of(&html);
    let (status, html) = post_form(
        &lead,
        &app,
        &format!("/cases/{case}/fair-expectation"),
        &[
            ("csrf", &csrf),
            ("choice", "voucher"),
            ("amount", "1.000.000"),
            ("note", ""),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("id=\"fair-amount-error\""),
        "field error on the case page"
    );
    let res = crate::support::submit(
        &lead,
        &app,
        &format!("/cases/{case}/fair-expectation"),
        &[("csrf", &csrf), ("choice", "voucher"), ("amount", "15"), ("note", "")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let (_, html) = get_html(&lead, &app, &format!("/cases/{case}")).await;
    assert!(
        html.contains("Ein Gutschein") && html.contains("Eine frühere Antwort"),
        "{html}"
    );
    // Without the CSRF token nothing is recorded.
    let res = crate::support::submit(
        &lead,
        &app,
        &format!("/cases/{case}/fair-expectation"),
        &[("choice", "refund")],
    )
    .await;
    assert_ne!(res.status(), 303);
    let f = app.get_json(&path, &agent).await;
    assert_eq!(
        (f["current"]["choice"].as_str(), f["history"].as_array().map(Vec::len)),
        (Some("voucher"), Some(2))
    );

    // The public page takes 10 answers a minute per link, then 429.
    let token = fair_token(&app, &case, &agent).await;
    for _ in 0..10 {
        assert_eq!(public_post(&app, &token, &[("choice", "apology")]).await.0, 200);
    }
    assert_eq!(public_post(&app, &token, &[("choice", "apology")]).await.0, 429);
    app.clock.advance(Duration::minutes(1));
    assert_eq!(public_post(&app, &token, &[("choice", "refund")]).await.0, 200);
    let f = app.get_json(&path, &agent).await;
    assert_eq!(
        (f["current"]["choice"].as_str(), f["history"].as_array().map(Vec::len)),
        (Some("refund"), Some(13))
    );
}

async fn report_known_answer(b: Backend) {
    let app = TestApp::spawn(b).await;
    let lead = app.token_for("lead1", "lead").await;
    let agent = app.token_for("agent1", "agent").await;
    let cust = app.customer("CRM-1", "de", "standard").await;
    let mut cases = Vec::new();
    for s in ["Eins", "Zwei", "Drei", "Vier"] {
        cases.push(app.case_id(&cust, s).await);
    }
    // Expected 10 € and granted 10 €; expected 50 € and granted 10 €; an
    // apology with nothing granted; a refund without an amount.
    let answers = [
        json!({"choice": "voucher", "amount_cents": 1000}),
        json!({"choice": "refund", "amount_cents": 5000}),
        json!({"choice": "apology"}),
        json!({"choice": "refund"}),
    ];
    for (c, a) in cases.iter().zip(answers) {
        app.put_json(&format!("/api/v1/cases/{c}/fair-expectation"), &agent, a, 200)
            .await;
    }
    for c in &cases[..2] {
        app.post_json(
            &format!("/api/v1/cases/{c}/goodwill"),
            &agent,
            json!({"kind": "voucher", "value_cents": 1000, "currency": "EUR", "reason": "Verspätung"}),
            201,
        )
        .await;
    }
    let mut batch = Batch::default();
    for (i, (c, score)) in [(&cases[0], 5), (&cases[1], 2), (&cases[2], 4)].into_iter().enumerate() {
        let at = app.clock.now();
        batch.surveys.push(SurveyRecord {
            id: amends_domain::ids::uuid_v7_at(at, 700 + i as u128),
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

    let r = app.get_json("/api/v1/analytics/fairness", &lead).await;
    assert_eq!(r["cases"], 4, "{r}");
    let g = |name: &str| {
        r["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["group"] == name)
            .cloned()
            .expect("group")
    };
    let met = g("met");
    assert_eq!((met["cases"].as_i64(), met["csat"]["n"].as_i64()), (Some(2), Some(2)));
    assert_eq!(met["csat"]["value"].as_f64(), Some(4.5));
    assert_eq!(met["csat"]["too_small"], true);
    let short = g("short");
    assert_eq!(
        (short["cases"].as_i64(), short["csat"]["value"].as_f64()),
        (Some(1), Some(2.0))
    );
    let unknown = g("unknown");
    assert_eq!(
        (unknown["cases"].as_i64(), unknown["csat"]["n"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(r["csat_difference"], Value::Null, "n too small");

    app.get_problem("/api/v1/analytics/fairness", &agent, 403).await;
    app.get_problem("/api/v1/analytics/fairness?settle_days=999", &lead, 422)
        .await;

    let lead_ui = app.signed_in("lead1").await;
    let (status, html) = get_html(&lead_ui, &app, "/analytics/fairness").await;
    assert_eq!(status, 200);
    assert!(html.contains("Gewährt ≥ erwartet: CSAT 4,5 (n = 2)"), "{html}");
    assert!(html.contains("n zu klein"));
}

crate::both_backends!(
    public_page_token_and_last_answer,
    agent_answer_api_and_page,
    report_known_answer,
);
