//! Many requests at once (issue 18): the money limits of goodwill are
//! never overspent, on both backends.

use crate::support::{Backend, TestApp};
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
    let res = app.put(path, &app.admin_token, body).await;
    assert_eq!(res.status(), 200, "PUT {path}");
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
    put_json(
        &app,
        "/api/v1/goodwill/limits",
        json!([{"role": "agent", "per_grant_cents": 5_000, "per_case_cents": 10_000, "per_month_cents": 10 * TEN_EUR}]),
    )
    .await;
    let anna = app.token_for("anna", "agent").await;
    let mut grants = Vec::new();
    for i in 0..32 {
        let case = app.case(&cust, &format!("Fall {i}")).await;
        grants.push((anna.clone(), case["id"].as_str().expect("id").to_string()));
    }
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
    put_json(
        &app,
        "/api/v1/goodwill/limits",
        json!([{"role": "agent", "per_grant_cents": 0, "per_case_cents": 0, "per_month_cents": 0}]),
    )
    .await;
    let anna = app.token_for("anna", "agent").await;
    let mut grants = Vec::new();
    for i in 0..32 {
        let case = app.case(&cust, &format!("Fall {i}")).await;
        grants.push((anna.clone(), case["id"].as_str().expect("id").to_string()));
    }
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

crate::both_backends!(
    the_monthly_budget_holds_under_concurrency,
    the_person_and_case_limits_hold_under_concurrency,
    approvals_hold_the_budget_under_concurrency,
);
