//! The goodwill engine over HTTP: grants within the empowerment limit,
//! approval above it, the approvals queue, ledger (JSON and CSV), budget,
//! catalog and limits, the assessment, and the bad input of issue 5.

use crate::support::{Backend, TestApp, csrf_of, html_of, problem, submit};
use serde_json::{Value, json};

/// The id of the seeded 25 EUR voucher.
async fn seeded_voucher(app: &TestApp, token: &str) -> String {
    let catalog = app.get_json("/api/v1/goodwill/catalog", token).await;
    catalog
        .as_array()
        .expect("array")
        .iter()
        .find(|i| i["kind"] == "voucher" && i["value_cents"] == 2500)
        .expect("seeded voucher")["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn count(app: &TestApp, tok: &str, path: &str) -> usize {
    let v = app.get_json(path, tok).await;
    v.as_array().expect("array").len()
}

async fn grant_within_limit_and_approval_above(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-G1", "de", "premium").await;
    let case = app.case(&cust, "Lieferung zu spät").await;
    let case_id = case["id"].as_str().expect("id").to_string();
    let agent = app.token_for("anna", "agent").await;
    let lead = app.token_for("lena", "lead").await;
    let lead2 = app.token_for("lars", "lead").await;

    // The seeded catalog: a 25 EUR voucher is within the agent's 50 EUR.
    let voucher = seeded_voucher(&app, &agent).await;
    let g = app
        .post_json(
            &format!("/api/v1/cases/{case_id}/goodwill"),
            &agent,
            json!({"catalog_item_id": voucher, "reason": "Paket drei Tage zu spät"}),
            201,
        )
        .await;
    assert_eq!(g["state"], "granted");
    assert_eq!(g["requested_by_name"], "anna (test)");

    // 80 EUR is above 50 EUR per grant: it waits for a lead.
    let pending = app
        .post_json(
            &format!("/api/v1/cases/{case_id}/goodwill"),
            &agent,
            json!({"kind": "refund", "value_cents": 8000, "currency": "EUR", "reason": "Ersatz für Schaden"}),
            202,
        )
        .await;
    assert_eq!(pending["state"], "pending");
    assert_eq!(pending["approval"]["code"], "limit", "{pending}");
    assert_eq!(pending["approval"]["limit"], json!({"limit": "per_grant", "max": 5000}));
    assert_eq!(
        pending["approval_reason"],
        "80,00 € braucht die Freigabe einer Teamleitung: mehr als die Grenze je Gewährung von 50,00 €"
    );
    let pid = pending["id"].as_str().expect("id").to_string();
    assert_eq!(count(&app, &lead, "/api/v1/goodwill?state=pending").await, 1);

    // The agent cannot approve at all; the lead cannot approve her own request.
    app.post_problem(
        &format!("/api/v1/goodwill/{pid}/approve"),
        &agent,
        json!({"reason": "ok"}),
        403,
    )
    .await;
    // 600 EUR is above the lead's 500 EUR: pending too.
    let own = app
        .post_json(
            &format!("/api/v1/cases/{case_id}/goodwill"),
            &lead,
            json!({"kind": "upgrade", "value_cents": 60000, "currency": "EUR", "reason": "Großer Ärger"}),
            202,
        )
        .await;
    let own_id = own["id"].as_str().expect("id");
    let p = app
        .post_problem(
            &format!("/api/v1/goodwill/{own_id}/approve"),
            &lead,
            json!({"reason": "passt"}),
            403,
        )
        .await;
    assert!(p["detail"].as_str().expect("detail").contains("own"), "{p}");
    // Another lead's limit (500 EUR) does not cover 600 EUR either.
    let p = app
        .post_problem(
            &format!("/api/v1/goodwill/{own_id}/approve"),
            &lead2,
            json!({"reason": "passt"}),
            403,
        )
        .await;
    assert!(p["detail"].as_str().expect("detail").contains("limit"), "{p}");
    let still = app.get_json("/api/v1/goodwill?state=pending", &lead).await;
    assert_eq!(still.as_array().expect("array").len(), 2, "nothing changed");

    // The lead approves the agent's request, with a reason; twice is a conflict.
    let approved = app
        .post_json(
            &format!("/api/v1/goodwill/{pid}/approve"),
            &lead,
            json!({"reason": "Stammkundin"}),
            200,
        )
        .await;
    assert_eq!(approved["state"], "granted");
    assert_eq!(approved["decision_reason"], "Stammkundin");
    app.post_problem(
        &format!("/api/v1/goodwill/{pid}/approve"),
        &lead2,
        json!({"reason": "x"}),
        409,
    )
    .await;
    // An admin rejects the lead's request.
    app.post_expect(
        &format!("/api/v1/goodwill/{own_id}/reject"),
        &app.admin_token,
        json!({"reason": "zu hoch"}),
        200,
    )
    .await;

    // Timeline, ledger (JSON, CSV), budget, customer filter.
    let events = app.get_json(&format!("/api/v1/cases/{case_id}/events"), &agent).await;
    let gw_events = events
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["kind"] == "goodwill")
        .count();
    assert_eq!(gw_events, 5, "granted, requested, requested, approved, rejected");
    app.get_problem("/api/v1/goodwill/ledger", &agent, 403).await;
    let ledger = app.get_json("/api/v1/goodwill/ledger", &lead).await;
    assert_eq!(ledger.as_array().expect("array").len(), 3);
    let csv = app.get("/api/v1/goodwill/ledger?format=csv", &lead).await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/csv")
    );
    let csv = csv.text().await.expect("text");
    assert!(csv.starts_with("id,created_at,case_id,customer,kind,value_cents"));
    assert!(csv.contains("Stammkundin") && csv.contains("Paket drei Tage zu spät"));
    let budget = app.get_json("/api/v1/goodwill/budget", &agent).await;
    assert_eq!(budget["spent_cents"], 2500 + 8000);
    assert_eq!(
        count(
            &app,
            &agent,
            &format!("/api/v1/goodwill?customer_id={cust}&state=granted")
        )
        .await,
        2
    );

    // The agent's per-case limit (100 EUR) counts what the case already got (105 EUR).
    let v = app
        .post_json(
            &format!("/api/v1/cases/{case_id}/goodwill"),
            &agent,
            json!({"kind": "handwritten_note", "value_cents": 300, "reason": "Karte"}),
            202,
        )
        .await;
    assert_eq!(v["approval"]["limit"]["limit"], "per_case", "{v}");
    assert!(v["approval_reason"].as_str().expect("why").contains("je Fall"));

    // Audit entries for the grants.
    let audit = app.get_json("/api/v1/audit?entity=goodwill", &lead).await;
    assert!(audit.to_string().contains("goodwill.approve"), "{audit}");
}

async fn bad_goodwill_input_changes_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-G2", "en", "standard").await;
    let case_id = app.case_id(&cust, "Broken").await;
    let agent = app.token_for("anna", "agent").await;
    let path = format!("/api/v1/cases/{case_id}/goodwill");
    let p = app
        .post_problem(
            &path,
            &agent,
            json!({"kind": "voucher", "value_cents": -500, "reason": "x"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "value_cents");
    assert!(p["detail"].as_str().expect("d").contains("negative"));
    let p = app
        .post_problem(
            &path,
            &agent,
            json!({"kind": "voucher", "value_cents": 500, "reason": " "}),
            422,
        )
        .await;
    assert_eq!(p["field"], "reason");
    let p = app
        .post_problem(
            &path,
            &agent,
            json!({"kind": "cash", "value_cents": 500, "reason": "x"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "kind");
    let p = app
        .post_problem(
            &path,
            &agent,
            json!({"kind": "voucher", "value_cents": 500, "currency": "EURO", "reason": "x"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "currency");
    app.post_problem(
        &format!("/api/v1/cases/{}/goodwill", uuid::Uuid::nil()),
        &agent,
        json!({"kind": "voucher", "value_cents": 500, "reason": "x"}),
        404,
    )
    .await;
    assert_eq!(count(&app, &agent, "/api/v1/goodwill").await, 0, "nothing was written");

    // Catalog, limits and budget: admins only, negative values refused.
    let p = app
        .post_problem(
            "/api/v1/goodwill/catalog",
            &app.admin_token,
            json!({"kind": "gift", "name_de": "Blumen", "name_en": "Flowers", "value_cents": -1}),
            422,
        )
        .await;
    assert_eq!(p["field"], "value_cents");
    app.post_problem(
        "/api/v1/goodwill/catalog",
        &agent,
        json!({"kind": "gift", "name_de": "Blumen", "name_en": "Flowers", "value_cents": 2000}),
        403,
    )
    .await;
    app.post_expect(
        "/api/v1/goodwill/catalog",
        &app.admin_token,
        json!({"kind": "gift", "name_de": "Blumen", "name_en": "Flowers", "value_cents": 2000}),
        201,
    )
    .await;
    let put = |body: Value, path: &'static str| {
        app.client
            .put(app.url(path))
            .bearer_auth(&app.admin_token)
            .json(&body)
            .send()
    };
    let p = problem(
        put(
            json!([{"role": "agent", "per_grant_cents": -1, "per_case_cents": null, "per_month_cents": null}]),
            "/api/v1/goodwill/limits",
        )
        .await
        .expect("put"),
        422,
    )
    .await;
    assert_eq!(p["field"], "[0].per_grant_cents");
    let res = put(
        json!([{"role": "agent", "per_grant_cents": 100, "per_case_cents": 100, "per_month_cents": 100}]),
        "/api/v1/goodwill/limits",
    )
    .await
    .expect("put");
    assert_eq!(res.status(), 200);
    // The new limit applies at once.
    app.post_expect(
        &path,
        &agent,
        json!({"kind": "voucher", "value_cents": 500, "reason": "x"}),
        202,
    )
    .await;
    let res = put(json!({"amount_cents": 100000}), "/api/v1/goodwill/budget")
        .await
        .expect("put");
    assert_eq!(res.status(), 200);
    let b: Value = res.json().await.expect("json");
    assert_eq!(b["amount_cents"], 100000);
    assert_eq!(b["remaining_cents"], 100000);
    let p = problem(
        put(json!({"amount_cents": -5}), "/api/v1/goodwill/budget")
            .await
            .expect("put"),
        422,
    )
    .await;
    assert_eq!(p["field"], "amount_cents");
}

async fn assessment_explains_the_paradox(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-G3", "de", "standard").await;
    let id = app.case_id(&cust, "Erster Fehler").await;
    let a = app
        .get_json(&format!("/api/v1/cases/{id}/assessment"), &app.admin_token)
        .await;
    assert_eq!(a["assessment"]["repeated"], false);
    assert_eq!(a["assessment"]["paradox_likely"], true);
    assert!(
        a["assessment"]["explanation_en"]
            .as_str()
            .expect("text")
            .contains("paradox")
    );
    let id2 = app.case_id(&cust, "Schon wieder").await;
    let a2 = app
        .get_json(&format!("/api/v1/cases/{id2}/assessment"), &app.admin_token)
        .await;
    assert_eq!(a2["assessment"]["repeated"], true);
    assert_eq!(a2["assessment"]["paradox_likely"], false);
    assert_eq!(a2["input"]["prior_failures"], 1);
    assert!(a2["assessment"]["suggested_value_cents"].as_i64() > a["assessment"]["suggested_value_cents"].as_i64());
    app.get_problem(
        &format!("/api/v1/cases/{}/assessment", uuid::Uuid::nil()),
        &app.admin_token,
        404,
    )
    .await;
}

crate::both_backends!(
    leads_are_told_of_a_request_above_the_limit,
    grant_within_limit_and_approval_above,
    bad_goodwill_input_changes_nothing,
    assessment_explains_the_paradox,
    the_monthly_budget_is_enforced,
    case_rules_grant_when_a_case_opens,
);

/// A grant that would take this month's spend over the budget needs
/// approval even within the agent's limit; a lead may not approve it,
/// an admin may (and the timeline marks it over budget).
async fn the_monthly_budget_is_enforced(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-B1", "de", "standard").await;
    let case = app.case(&cust, "Rechnung doppelt").await;
    let case_id = case["id"].as_str().expect("id").to_string();
    let agent = app.token_for("anna", "agent").await;
    let lead = app.token_for("lena", "lead").await;
    let grant = |tok: String, cents: i64| {
        let app = &app;
        let path = format!("/api/v1/cases/{case_id}/goodwill");
        async move {
            app.post(
                &path,
                &tok,
                json!({"kind": "voucher", "value_cents": cents, "reason": "Budgettest"}),
            )
            .await
        }
    };
    // Without a budget nothing is held back.
    assert_eq!(grant(agent.clone(), 100).await.status(), 201);
    // 5,000 EUR this month; the admin (who owns the budget) spends 4,979 EUR.
    app.put_expect(
        "/api/v1/goodwill/budget",
        &app.admin_token,
        json!({"amount_cents": 500_000}),
        200,
    )
    .await;
    let other = app.case(&cust, "Anderer Fall").await;
    // Admins are not held back by the budget.
    app.post_expect(
        &format!("/api/v1/cases/{}/goodwill", other["id"].as_str().expect("id")),
        &app.admin_token,
        json!({"kind": "refund", "value_cents": 497_900, "reason": "Großer Schaden"}),
        201,
    )
    .await;
    // 25 EUR is within the agent's limit but over the budget: pending, with the reason.
    let res = grant(agent.clone(), 2_500).await;
    assert_eq!(res.status(), 202);
    let pending: Value = res.json().await.expect("json");
    assert_eq!(pending["state"], "pending");
    assert_eq!(pending["approval"]["code"], "budget", "{pending}");
    assert_eq!(pending["approval"]["budget"]["spent_cents"], 498_000);
    let reason = pending["approval_reason"].as_str().expect("reason");
    assert!(
        reason.contains("das Monatsbudget von 5.000,00 € würde überschritten (4.980,00 € ausgegeben)"),
        "{reason}"
    );
    // 20 EUR still fits exactly.
    let res = grant(agent.clone(), 2_000).await;
    assert_eq!(res.status(), 201);
    let budget = app.get_json("/api/v1/goodwill/budget", &agent).await;
    assert_eq!(
        (budget["spent_cents"].as_i64(), budget["remaining_cents"].as_i64()),
        (Some(500_000), Some(0))
    );
    // The lead's approval would exceed the budget: refused, nothing changes.
    let pid = pending["id"].as_str().expect("id").to_string();
    let p = app
        .post_problem(
            &format!("/api/v1/goodwill/{pid}/approve"),
            &lead,
            json!({"reason": "ok"}),
            403,
        )
        .await;
    let detail = p["detail"].as_str().expect("detail");
    assert!(
        detail.contains("monthly budget of 5.000,00 € would be exceeded: 5.000,00 € spent"),
        "{detail}"
    );
    assert!(detail.contains("an admin must approve"), "{detail}");
    let g = app
        .get_json(&format!("/api/v1/goodwill?state=pending&case_id={case_id}"), &lead)
        .await;
    assert_eq!(g.as_array().expect("array").len(), 1, "still pending");
    // In the approvals queue the lead sees why.
    crate::support::create_user(&app.store, "lars", "lead").await;
    let ui = app.signed_in("lars").await;
    let html = html_of(&ui, &app, "/goodwill/approvals").await;
    let csrf = csrf_of(&html);
    let res = submit(
        &ui,
        &app,
        &format!("/goodwill/{pid}/decide"),
        &[("csrf", csrf.as_str()), ("decision", "approve"), ("reason", "ok")],
    )
    .await;
    let html = res.text().await.expect("html");
    assert!(
        html.contains("das Monatsbudget von 5.000,00 € würde überschritten (5.000,00 € ausgegeben); die Administration muss freigeben"),
        "the refusal in German: {html}"
    );
    assert!(
        html.contains("Budget diesen Monat: 5.000,00 € von 5.000,00 € vergeben, noch 0,00 € frei"),
        "budget status in the queue: {html}"
    );
    // The admin may exceed it; the timeline and audit say so.
    app.post_expect(
        &format!("/api/v1/goodwill/{pid}/approve"),
        &app.admin_token,
        json!({"reason": "Ausnahme"}),
        200,
    )
    .await;
    let events = app.get_json(&format!("/api/v1/cases/{case_id}/events"), &agent).await;
    let approved = events
        .as_array()
        .expect("array")
        .iter()
        .rev()
        .find(|e| e["kind"] == "goodwill")
        .expect("goodwill event");
    assert_eq!(approved["data"]["state"], "granted");
    assert_eq!(approved["data"]["over_budget"], true);
    // Even the smallest grant by an agent now waits.
    assert_eq!(grant(agent.clone(), 1).await.status(), 202);
    // The case page shows the reason next to the pending grant.
    let html = html_of(&ui, &app, &format!("/cases/{case_id}")).await;
    assert!(
        html.contains("braucht die Freigabe der Administration: das Monatsbudget von 5.000,00 €"),
        "reason on the case page, in German"
    );
    assert!(
        html.contains("Budget diesen Monat: 5.025,00 € von 5.000,00 € vergeben, noch -25,00 € frei"),
        "budget status on the case page"
    );
}

async fn leads_are_told_of_a_request_above_the_limit(b: Backend) {
    let sink = crate::support::SmtpSink::start().await;
    let app = TestApp::spawn_with_smtp(b, &sink, |c| {
        c.smtp.from = "Service <service@amends.test>".into();
    })
    .await;
    let cust = app.customer("CRM-N1", "de", "standard").await;
    let case_id = app.case_id(&cust, "Koffer beschädigt").await;
    let agent = app.token_for("anna", "agent").await;
    // A lead with an address (English), a lead without one, the admin without one.
    app.post_expect(
        "/api/v1/users",
        &app.admin_token,
        json!({"username": "lisa", "role": "lead", "password": "long enough pw", "language": "en",
                   "email": "lisa@example.de", "display_name": "Lisa Lead"}),
        201,
    )
    .await;
    app.token_for("lars", "lead").await;
    app.post_expect(
        &format!("/api/v1/cases/{case_id}/goodwill"),
        &agent,
        json!({"kind": "refund", "value_cents": 8000, "currency": "EUR", "reason": "Koffer ersetzt"}),
        202,
    )
    .await;
    let mails = sink.wait_for(1).await;
    let mail = crate::support::decode_qp(&mails[0]);
    assert_eq!(crate::support::header(&mails[0], "To"), Some("lisa@example.de"));
    assert!(mail.contains("anna (test) asks for goodwill of"), "{mail}");
    assert!(
        mail.contains("Koffer ersetzt") && mail.contains("/goodwill/approvals"),
        "{mail}"
    );
    // A grant within the limit tells nobody.
    app.post_expect(
        &format!("/api/v1/cases/{case_id}/goodwill"),
        &agent,
        json!({"kind": "voucher", "value_cents": 1000, "currency": "EUR", "reason": "Entschuldigung"}),
        201,
    )
    .await;
    app.jobs_settled().await;
    assert_eq!(sink.messages().len(), 1);
}

/// Automatic goodwill rules that apply to cases: checked against the
/// case's fields, granted once per rule and case when a case is opened by
/// API or by feedback detection, never for cases that do not match, and
/// never by the incident fan-out.
async fn case_rules_grant_when_a_case_opens(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin_token.clone();
    let agent = app.token_for("anna", "agent").await;
    let voucher = seeded_voucher(&app, &agent).await;

    // A case rule may only name case fields; agents may not add rules.
    let p = app
        .post_problem(
            "/api/v1/goodwill/rules",
            &admin,
            json!({"name": "x", "condition": "delay_minutes > 180", "catalog_item_id": voucher, "applies_to": "case"}),
            422,
        )
        .await;
    assert_eq!(p["field"], "condition");
    assert!(p["detail"].as_str().expect("detail").contains("delay_minutes"), "{p}");
    let bad = app
        .post(
            "/api/v1/goodwill/rules",
            &admin,
            json!({"name": "x", "condition": "tier = premium", "catalog_item_id": voucher, "applies_to": "order"}),
        )
        .await;
    assert_eq!(problem(bad, 422).await["field"], "applies_to");
    let rule = json!({"name": "Premium zuerst", "condition": "tier = premium and prior_cases = 0",
        "catalog_item_id": voucher, "applies_to": "case"});
    app.post_problem("/api/v1/goodwill/rules", &agent, rule.clone(), 403)
        .await;
    let created = app.post_json("/api/v1/goodwill/rules", &admin, rule, 201).await;
    assert_eq!(created["applies_to"], "case");

    let grants_of = |case: String| {
        let app = &app;
        let agent = agent.clone();
        async move {
            let v: Value = app.get_json(&format!("/api/v1/goodwill?case_id={case}"), &agent).await;
            v.as_array().expect("grants").clone()
        }
    };

    // A premium customer's first case gets the voucher at once, on the timeline.
    let premium = app.customer("CRM-P1", "de", "premium").await;
    let case = app.case(&premium, "Rechnung falsch").await;
    let case_id = case["id"].as_str().expect("id").to_string();
    let grants = grants_of(case_id.clone()).await;
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0]["state"], "granted");
    assert_eq!(grants[0]["value_cents"], 2500);
    assert!(grants[0]["reason"].as_str().expect("reason").contains("Premium zuerst"));
    let events: Value = app.get_json(&format!("/api/v1/cases/{case_id}/events"), &agent).await;
    assert!(
        events
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "goodwill")
    );

    // Her second case is a repeat (prior_cases = 1): the rule does not match.
    let second = app.case(&premium, "Noch ein Problem").await;
    assert!(
        grants_of(second["id"].as_str().expect("id").to_string())
            .await
            .is_empty()
    );
    // A standard customer's case does not match either.
    let standard = app.customer("CRM-S1", "de", "standard").await;
    let other = app.case(&standard, "Rechnung falsch").await;
    assert!(
        grants_of(other["id"].as_str().expect("id").to_string())
            .await
            .is_empty()
    );

    // Feedback that opens a case for a new premium customer: granted too.
    let fb = app.customer("CRM-P2", "en", "premium").await;
    let v = app
        .post_json(
            "/api/v1/feedback",
            &agent,
            json!({"customer_id": fb, "channel": "widget", "rating": 1, "text": "Terrible, the parcel never came."}),
            201,
        )
        .await;
    let fb_case = v["case_id"].as_str().expect("a case was opened").to_string();
    let grants = grants_of(fb_case).await;
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0]["state"], "granted");

    // The incident fan-out ignores case rules: a premium customer affected
    // by an incident gets no voucher from it.
    let incident: Value = app
        .post(
            "/api/v1/incidents",
            &admin,
            json!({"kind": "delay", "title": "Verspätung", "severity": 2, "started_at": "2026-11-23T06:00:00Z"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let inc_id = incident["id"].as_str().expect("id");
    app.customer("CRM-P3", "de", "premium").await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/incidents/{inc_id}/affected")))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body("customer_external_id,delay_minutes\nCRM-P3,200\n")
        .send()
        .await
        .expect("upload");
    assert!(res.status().is_success(), "{}", res.status());
    let totals: Value = app.get_json(&format!("/api/v1/incidents/{inc_id}"), &admin).await;
    assert_eq!(totals["totals"]["cases_created"], 1, "{totals}");
    assert_eq!(totals["totals"]["goodwill_granted"], 0, "{totals}");
}
