//! SLA policies as data: targets and business hours per tier and priority.

use crate::support::{Backend, TestApp, problem};
use serde_json::{Value, json};

async fn policies_with_business_hours_set_due_dates(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let list = app.get_json("/api/v1/sla-policies", &tok).await;
    assert_eq!(list.as_array().map(Vec::len), Some(12));
    assert!(list.as_array().expect("array").iter().all(|p| p["source"] == "default"));

    let office = json!({"timezone": "Europe/Berlin", "week": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]],
        "wed": [["09:00", "17:00"]], "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]]}, "holidays": ["2026-12-25"]});
    let put = |path: &str, body: Value| {
        let req = app.client.put(app.url(path)).bearer_auth(&tok).json(&body);
        async move { req.send().await.expect("put") }
    };
    let res = put(
        "/api/v1/sla-policies/standard/normal",
        json!({"first_response_minutes": 120, "resolution_minutes": 480, "calendar": office}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let p: Value = res.json().await.expect("json");
    assert_eq!(p["source"], "custom");

    // Monday 23 Nov 2026, 09:00 UTC = 10:00 in Berlin.
    let cust = app.customer("CRM-1", "de", "standard").await;
    let case = app.case(&cust, "Rechnung falsch").await;
    assert_eq!(
        case["first_response_due_at"], "2026-11-23T11:00:00Z",
        "10:00 + 2 open hours, Berlin"
    );
    assert_eq!(
        case["resolution_due_at"], "2026-11-24T09:00:00Z",
        "7 h on Monday + 1 h on Tuesday"
    );

    // Bad input: named fields, nothing changed.
    let mut bad_tz = office.clone();
    bad_tz["timezone"] = json!("Mars/Olympus");
    let p = problem(
        put(
            "/api/v1/sla-policies/standard/high",
            json!({"first_response_minutes": 60, "resolution_minutes": 120, "calendar": bad_tz}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "calendar.timezone");
    let overlap = json!({"timezone": "Europe/Berlin", "week": {"mon": [["09:00", "12:00"], ["11:00", "14:00"]]}});
    let p = problem(
        put(
            "/api/v1/sla-policies/standard/high",
            json!({"first_response_minutes": 60, "resolution_minutes": 120, "calendar": overlap}),
        )
        .await,
        422,
    )
    .await;
    assert!(p["detail"].as_str().unwrap_or_default().contains("overlap"), "{p}");
    let p = problem(
        put(
            "/api/v1/sla-policies/standard/high",
            json!({"first_response_minutes": 600, "resolution_minutes": 120}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["field"], "first_response_minutes");
    problem(
        put(
            "/api/v1/sla-policies/gold/high",
            json!({"first_response_minutes": 1, "resolution_minutes": 2}),
        )
        .await,
        422,
    )
    .await;
    let list = app.get_json("/api/v1/sla-policies", &tok).await;
    let high = list
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["tier"] == "standard" && p["priority"] == "high")
        .cloned()
        .expect("standard/high");
    assert_eq!(high["source"], "default", "nothing stored by bad requests");

    // Only admins set policies.
    let agent = app.token_for("agent1", "agent").await;
    app.put_expect(
        "/api/v1/sla-policies/standard/low",
        &agent,
        json!({"first_response_minutes": 60, "resolution_minutes": 120}),
        403,
    )
    .await;
}

async fn the_sweep_warns_then_escalates_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cust = app.customer("CRM-2", "de", "enterprise").await;
    let case = app.case(&cust, "Portal down").await;
    let id = case["id"].as_str().expect("id").to_string();
    assert_eq!(
        case["first_response_due_at"], "2026-11-23T11:00:00Z",
        "enterprise/normal: 2 h"
    );
    let events = |app: &TestApp| {
        let url = format!("/api/v1/cases/{id}/events");
        let req = app.client.get(app.url(&url)).bearer_auth(&app.admin_token);
        async move {
            req.send()
                .await
                .expect("events")
                .json::<Vec<Value>>()
                .await
                .expect("json")
        }
    };
    // 70 minutes before due: nothing yet. 50 minutes before: a warning.
    app.clock.advance(chrono::Duration::minutes(50));
    app.clock.advance(chrono::Duration::minutes(20));
    crate::support::wait_for(30, "SLA warning", || async {
        events(&app)
            .await
            .into_iter()
            .find(|e| e["kind"] == "sla" && e["data"]["what"] == "warning")
    })
    .await;
    // Past due: escalated once, priority raised, lead flag set.
    app.clock.advance(chrono::Duration::hours(1));
    crate::support::wait_for(30, "SLA breach", || async {
        events(&app)
            .await
            .into_iter()
            .find(|e| e["kind"] == "sla" && e["data"]["what"] == "breached")
    })
    .await;
    let got = app.get_json(&format!("/api/v1/cases/{id}"), &app.admin_token).await;
    assert_eq!(got["priority"], "high", "normal → high on breach");
    app.clock.advance(chrono::Duration::minutes(2));
    // Give the next minute's sweep time to run, then count: still one of each.
    crate::support::wait_for(30, "the next sweep", || async {
        let jobs = app.store.count_jobs().await.expect("jobs");
        let done = jobs.iter().find(|(s, _)| s == "done").map_or(0, |(_, n)| *n);
        (done >= 3).then_some(())
    })
    .await;
    let sla: Vec<Value> = events(&app).await.into_iter().filter(|e| e["kind"] == "sla").collect();
    assert_eq!(sla.len(), 2, "one warning and one breach: {sla:?}");
}

async fn attainment_is_reported_per_policy_and_agent(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tok = app.admin_token.clone();
    let cust = app.customer("CRM-3", "de", "standard").await;
    // Three cases: one answered in time, one answered late, one overdue without an answer.
    let a = app.case(&cust, "A").await["id"].as_str().expect("id").to_string();
    let b2 = app.case(&cust, "B").await["id"].as_str().expect("id").to_string();
    let _c = app.case(&cust, "C").await;
    let to = |id: &str, state: &str| {
        let path = format!("/api/v1/cases/{id}/transitions");
        let body = json!({"to": state});
        let app = &app;
        let tok = tok.clone();
        async move { assert_eq!(app.post(&path, &tok, body).await.status(), 200) }
    };
    to(&a, "acknowledged").await;
    app.clock.advance(chrono::Duration::hours(9)); // standard/normal: first response within 8 h
    to(&b2, "acknowledged").await;
    let r = app
        .get_json("/api/v1/reports/sla?from=2026-11-01T00:00:00Z", &tok)
        .await;
    assert_eq!(r["total"]["cases"], 3);
    // All three first responses are judged now (two given, one overdue); one was in time.
    assert_eq!(r["total"]["first_response_met"], 1);
    assert_eq!(r["total"]["first_response_due"], 3);
    // (The sweep may already have raised the overdue case to high priority.)
    let by_policy: i64 = r["by_policy"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|p| p["cases"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(by_policy, 3);
    assert!(
        r["by_policy"]
            .as_array()
            .expect("rows")
            .iter()
            .all(|p| p["label"].as_str().unwrap_or_default().starts_with("standard/"))
    );
    let bad = app
        .get(
            "/api/v1/reports/sla?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z",
            &tok,
        )
        .await;
    assert_eq!(problem(bad, 422).await["field"], "to");
    let agent = app.token_for("agent1", "agent").await;
    assert_eq!(app.get("/api/v1/reports/sla", &agent).await.status(), 403);
}

crate::both_backends!(
    policies_with_business_hours_set_due_dates,
    the_sweep_warns_then_escalates_once,
    attainment_is_reported_per_policy_and_agent,
);
