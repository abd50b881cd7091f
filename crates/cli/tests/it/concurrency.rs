//! Many requests at once (issue 18): the money limits of goodwill are
//! never overspent, and one new email address makes one customer, on both
//! backends; customers that share an address already are merged by the
//! migration that makes addresses unique.

use crate::support::{Backend, TestApp, run_sql};
use futures_util::future::join_all;
use serde_json::{Value, json};

/// 10 EUR, the value of every grant here.
const TEN_EUR: i64 = 1_000;

/// Sends all grants `(token, case id)` at once; gives the statuses and
/// the states of the grants made.
async fn grant_at_once(app: &TestApp, grants: &[(String, String)]) -> (Vec<u16>, Vec<String>) {
    let sent = grants.iter().map(|(token, case)| async move {
        let res = app
            .post(
                &format!("/api/v1/cases/{case}/goodwill"),
                token,
                json!({"kind": "voucher", "value_cents": TEN_EUR, "reason": "Alle auf einmal"}),
            )
            .await;
        let status = res.status().as_u16();
        let body: Value = res.json().await.expect("json");
        (status, body["state"].as_str().unwrap_or_default().to_string())
    });
    join_all(sent).await.into_iter().unzip()
}

/// The sum of granted goodwill this month, from the budget endpoint.
async fn spent(app: &TestApp) -> i64 {
    let b = app.get_json("/api/v1/goodwill/budget", &app.admin_token).await;
    b["spent_cents"].as_i64().expect("spent_cents")
}

async fn put_json(app: &TestApp, path: &str, body: Value) {
    app.put_expect(path, &app.admin_token, body, 200).await;
}

/// The goodwill limits of agents, in cents.
async fn agent_limits(app: &TestApp, per_grant: i64, per_case: i64, per_month: i64) {
    let limits = json!([{"role": "agent", "per_grant_cents": per_grant, "per_case_cents": per_case,
                         "per_month_cents": per_month}]);
    put_json(app, "/api/v1/goodwill/limits", limits).await;
}

/// 32 new cases of `cust`, each to be granted on with `token`.
async fn cases_for(app: &TestApp, cust: &str, token: &str) -> Vec<(String, String)> {
    let mut grants = Vec::new();
    for i in 0..32 {
        grants.push((token.to_string(), app.case_id(cust, &format!("Fall {i}")).await));
    }
    grants
}

fn granted(states: &[String]) -> usize {
    states.iter().filter(|s| *s == "granted").count()
}

/// 32 agents grant 10 EUR each at once, each on their own case and within
/// their own limits, against a monthly budget of 100 EUR: exactly 10 are
/// granted, the rest wait for approval.
async fn the_monthly_budget_holds_under_concurrency(b: Backend) {
    let app = TestApp::spawn(b).await;
    put_json(&app, "/api/v1/goodwill/budget", json!({"amount_cents": 10 * TEN_EUR})).await;
    let cust = app.customer("CRM-C1", "de", "standard").await;
    let mut grants = Vec::new();
    for i in 0..32 {
        let case = app.case(&cust, &format!("Fall {i}")).await;
        let token = app.token_for(&format!("agent{i}"), "agent").await;
        grants.push((token, case["id"].as_str().expect("id").to_string()));
    }
    let (statuses, states) = grant_at_once(&app, &grants).await;
    assert!(statuses.iter().all(|s| *s == 201 || *s == 202), "{statuses:?}");
    assert_eq!(granted(&states), 10, "{states:?}");
    assert_eq!(states.iter().filter(|s| *s == "pending").count(), 22);
    assert_eq!(spent(&app).await, 10 * TEN_EUR, "never over the budget");
}

/// The per-person monthly limit (100 EUR) and the per-case limit (the
/// agent's 100 EUR) hold when 32 grants arrive at once.
async fn the_person_and_case_limits_hold_under_concurrency(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-C2", "de", "standard").await;
    // Per person: one agent, 32 cases, 100 EUR a month.
    agent_limits(&app, 5_000, 10_000, 10 * TEN_EUR).await;
    let anna = app.token_for("anna", "agent").await;
    let grants = cases_for(&app, &cust, &anna).await;
    let (statuses, states) = grant_at_once(&app, &grants).await;
    assert!(statuses.iter().all(|s| *s == 201 || *s == 202), "{statuses:?}");
    assert_eq!(granted(&states), 10, "per person: {states:?}");
    assert_eq!(spent(&app).await, 10 * TEN_EUR);

    // Per case: 32 other agents on one case, 100 EUR a case.
    let case = app.case(&cust, "Ein Fall für alle").await;
    let case = case["id"].as_str().expect("id").to_string();
    let mut grants = Vec::new();
    for i in 0..32 {
        grants.push((app.token_for(&format!("agent{i}"), "agent").await, case.clone()));
    }
    let (_, states) = grant_at_once(&app, &grants).await;
    assert_eq!(granted(&states), 10, "per case: {states:?}");
    let on_case = app
        .get_json(
            &format!("/api/v1/goodwill?case_id={case}&state=granted"),
            &app.admin_token,
        )
        .await;
    assert_eq!(on_case.as_array().expect("grants").len(), 10);
}

/// 32 pending requests approved at once by leads against a budget of
/// 100 EUR: a lead may not approve over the budget, so exactly 10 are.
async fn approvals_hold_the_budget_under_concurrency(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-C3", "de", "standard").await;
    // Every agent grant waits for approval.
    agent_limits(&app, 0, 0, 0).await;
    let anna = app.token_for("anna", "agent").await;
    let grants = cases_for(&app, &cust, &anna).await;
    let (_, states) = grant_at_once(&app, &grants).await;
    assert!(states.iter().all(|s| s == "pending"), "{states:?}");
    put_json(&app, "/api/v1/goodwill/budget", json!({"amount_cents": 10 * TEN_EUR})).await;
    let mut leads = Vec::new();
    for i in 0..4 {
        leads.push(app.token_for(&format!("lead{i}"), "lead").await);
    }
    let pending = app.get_json("/api/v1/goodwill?state=pending", &app.admin_token).await;
    let ids: Vec<String> = pending
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| g["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(ids.len(), 32);
    let approvals = ids.iter().enumerate().map(|(i, id)| {
        let (app, lead) = (&app, &leads[i % leads.len()]);
        async move {
            app.post(&format!("/api/v1/goodwill/{id}/approve"), lead, json!({"reason": "ok"}))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = join_all(approvals).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 403).count(), 22, "{statuses:?}");
    assert_eq!(spent(&app).await, 10 * TEN_EUR, "never over the budget");
}

/// The customers whose email is `address` (compared without case).
async fn customers_with(app: &TestApp, address: &str) -> Vec<Value> {
    let page = app
        .get_json(&format!("/api/v1/customers?q={address}&limit=100"), &app.admin_token)
        .await;
    page["items"].as_array().expect("items").clone()
}

/// 16 feedback items sent at once from one new address (in two spellings)
/// make one customer, who has all 16.
async fn one_new_address_makes_one_customer_under_concurrency(b: Backend) {
    let app = TestApp::spawn(b).await;
    let sent = (0..16).map(|i| {
        let app = &app;
        let email = if i % 2 == 0 {
            "neu.kunde@example.de"
        } else {
            "Neu.Kunde@Example.DE"
        };
        async move {
            app.post(
                "/api/v1/feedback",
                &app.admin_token,
                json!({"customer_email": email, "channel": "widget", "text": format!("Nachricht {i}: alles gut")}),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let statuses = join_all(sent).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let found = customers_with(&app, "neu.kunde@example.de").await;
    assert_eq!(found.len(), 1, "one customer: {found:?}");
    let id = found[0]["id"].as_str().expect("id");
    let items = app
        .get_json(
            &format!("/api/v1/feedback?customer_id={id}&limit=100"),
            &app.admin_token,
        )
        .await;
    assert_eq!(items["items"].as_array().expect("items").len(), 16);
    // The API refuses a second customer with the address, in any case.
    address_taken(&app, "Doppelt", "NEU.KUNDE@example.de").await;
}

/// The API refuses a customer with `email`: the address is taken (409 on the field).
async fn address_taken(app: &TestApp, name: &str, email: &str) {
    let p = app
        .post_problem(
            "/api/v1/customers",
            &app.admin_token,
            json!({"name": name, "email": email}),
            409,
        )
        .await;
    assert_eq!(p["field"], "email", "{p}");
}

/// A database with customers that share an address (made before the
/// address was unique): the migration merges them into the oldest, with
/// their cases and feedback, its external id and the narrower consent.
async fn the_migration_merges_customers_that_share_an_address(b: Backend) {
    let app = TestApp::spawn(b).await;
    // Back to the index before migration 0015, which let duplicates in.
    run_sql(
        &app,
        b,
        "DROP INDEX customers_email; CREATE INDEX customers_email ON customers (email)",
    )
    .await;
    let mut ids = Vec::new();
    for (email, ext, survey) in [
        ("erika@example.de", None, true),
        ("Erika@example.de", Some("CRM-7"), false),
        ("erika@example.de", Some("CRM-8"), true),
        ("other@example.de", Some("CRM-9"), true),
    ] {
        app.clock.advance(chrono::Duration::seconds(1));
        let c = app
            .post_json(
                "/api/v1/customers",
                &app.admin_token,
                json!({"name": format!("Erika {ext:?}"), "email": email, "external_id": ext,
                    "consent_survey": survey}),
                201,
            )
            .await;
        let id = c["id"].as_str().expect("id").to_string();
        app.case(&id, "Lieferung kaputt").await;
        app.post_expect(
            "/api/v1/feedback",
            &app.admin_token,
            json!({"customer_id": id, "channel": "api", "text": "Alles gut"}),
            201,
        )
        .await;
        ids.push(id);
    }
    let migration = match b {
        Backend::Sqlite => include_str!("../../../store/migrations/sqlite/0015_customer_email_unique.sql"),
        Backend::Postgres => include_str!("../../../store/migrations/postgres/0015_customer_email_unique.sql"),
    };
    run_sql(&app, b, migration).await;

    let found = customers_with(&app, "ERIKA@example.de").await;
    assert_eq!(found.len(), 1, "{found:?}");
    let kept = &found[0];
    assert_eq!(kept["id"], ids[0].as_str(), "the oldest is kept");
    assert_eq!(kept["external_id"], "CRM-7", "the oldest duplicate's external id");
    assert_eq!(kept["consent_survey"], false, "consent only where every row gave it");
    for gone in &ids[1..3] {
        assert_eq!(
            app.get(&format!("/api/v1/customers/{gone}"), &app.admin_token)
                .await
                .status(),
            404
        );
    }
    let cases = app
        .get_json(
            &format!("/api/v1/cases?customer_id={}&limit=100", ids[0]),
            &app.admin_token,
        )
        .await;
    assert_eq!(cases["items"].as_array().expect("items").len(), 3, "{cases}");
    let feedback = app
        .get_json(
            &format!("/api/v1/feedback?customer_id={}&limit=100", ids[0]),
            &app.admin_token,
        )
        .await;
    assert_eq!(feedback["items"].as_array().expect("items").len(), 3);
    // The other customer is untouched, and the address is unique now.
    assert_eq!(customers_with(&app, "other@example.de").await.len(), 1);
    address_taken(&app, "Noch eine", "erika@EXAMPLE.de").await;
}

/// An incident's fan-out grants 10 EUR to each of 24 affected customers
/// while 16 agents grant 10 EUR each on their own cases, all at once,
/// against a monthly budget of 100 EUR: automatic and manual grants take
/// turns on the ledger, exactly 10 are granted, the rest wait for approval.
async fn incident_goodwill_holds_the_budget_beside_manual_grants(b: Backend) {
    let app = TestApp::spawn(b).await;
    put_json(&app, "/api/v1/goodwill/budget", json!({"amount_cents": 10 * TEN_EUR})).await;
    let item = app
        .post_json(
            "/api/v1/goodwill/catalog",
            &app.admin_token,
            json!({"kind": "voucher", "name_de": "Gutschein 10 €", "name_en": "Voucher EUR 10", "value_cents": TEN_EUR}),
            201,
        )
        .await;
    app.post_expect(
        "/api/v1/goodwill/rules",
        &app.admin_token,
        json!({"name": "Jede Verspätung", "condition": "kind = delay", "catalog_item_id": item["id"]}),
        201,
    )
    .await;
    let incident = app
        .post_json(
            "/api/v1/incidents",
            &app.admin_token,
            json!({"kind": "delay", "title": "Lager Süd verspätet", "severity": 2, "started_at": "2026-11-23T06:00:00Z",
                "summary_de": "Ihre Lieferung kommt später.", "summary_en": "Your delivery is late."}),
            201,
        )
        .await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut csv = String::from("customer_external_id,delay_minutes\n");
    for i in 0..24 {
        app.customer(&format!("LATE-{i}"), "de", "standard").await;
        csv.push_str(&format!("LATE-{i},90\n"));
    }
    let cust = app.customer("CRM-M1", "de", "standard").await;
    let mut grants = Vec::new();
    for i in 0..16 {
        let case = app.case_id(&cust, &format!("Fall {i}")).await;
        grants.push((app.token_for(&format!("agent{i}"), "agent").await, case));
    }
    let upload = app
        .client
        .post(app.url(&format!("/api/v1/incidents/{incident}/affected")))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body(csv)
        .send();
    let (uploaded, (statuses, _)) = tokio::join!(upload, grant_at_once(&app, &grants));
    let uploaded = uploaded.expect("upload");
    assert_eq!(uploaded.status(), 200);
    let totals: Value = uploaded.json().await.expect("json");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 202), "{statuses:?}");
    assert_eq!(spent(&app).await, 10 * TEN_EUR, "never over the budget");
    let all = app.get_json("/api/v1/goodwill?limit=500", &app.admin_token).await;
    let all = all.as_array().expect("grants");
    assert_eq!(all.len(), 40, "every grant is recorded");
    let states: Vec<String> = all
        .iter()
        .map(|g| g["state"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(granted(&states), 10, "{states:?}");
    let automatic = |g: &&Value| g["automatic"].is_object();
    assert_eq!(
        all.iter().filter(automatic).count(),
        24,
        "one automatic grant per affected customer"
    );
    let held = all.iter().filter(automatic).filter(|g| g["state"] == "pending").count();
    assert!(
        all.iter()
            .filter(automatic)
            .filter(|g| g["state"] == "pending")
            .all(|g| g["approval"]["code"] == "budget" && g["approval"]["budget"].is_object()),
        "held back for the budget"
    );
    assert_eq!(totals["goodwill_granted"].as_i64(), Some(24 - held as i64), "{totals}");
}

crate::both_backends!(
    incident_goodwill_holds_the_budget_beside_manual_grants,
    the_monthly_budget_holds_under_concurrency,
    the_person_and_case_limits_hold_under_concurrency,
    approvals_hold_the_budget_under_concurrency,
    one_new_address_makes_one_customer_under_concurrency,
    the_migration_merges_customers_that_share_an_address,
);
