//! The patterns report, change events and the spike detector over HTTP.
//! Known answers: every expected p- and q-value below was computed with
//! SciPy 1.17 on the same numbers (`scipy.stats.binomtest(k, n, p).pvalue`,
//! `scipy.stats.poisson.sf(k - 1, mu)`,
//! `scipy.stats.false_discovery_control(ps, method="bh")`). The planted
//! demo patterns are found, and a demo without them reports none.

use crate::support::{
    Backend, TestApp, case_record, create_user, csrf_of, get_html, new_customer, post_form, problem, t0, wait_for,
};
use amends_domain::{CaseId, Channel, Language};
use amends_store::{Batch, CaseRecord, FeedbackRecord, NewCustomer};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

fn customer(n: u32) -> NewCustomer {
    new_customer("PT", n, t0() - Duration::days(200) + Duration::seconds(i64::from(n)))
}

fn case(n: u32, c: &NewCustomer, agent: amends_domain::UserId) -> CaseRecord {
    let created = t0() - Duration::days(40);
    CaseRecord {
        assignee_id: Some(agent),
        ..case_record(
            CaseId::new_at(created, u128::from(n)),
            c,
            created,
            "Rechnung",
            "Rechnung falsch",
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn item(
    n: u32,
    c: &NewCustomer,
    case: Option<CaseId>,
    channel: Channel,
    at: DateTime<Utc>,
    negative: bool,
    topic: Option<&str>,
) -> FeedbackRecord {
    FeedbackRecord {
        id: amends_domain::ids::uuid_v7_at(at, u128::from(n)),
        customer_id: c.id,
        case_id: case,
        channel,
        rating: Some(if negative { 1 } else { 5 }),
        text: if negative { "Schlecht" } else { "Gut" }.into(),
        language: Language::De,
        sentiment: if negative { "negative" } else { "positive" },
        topics: topic.map(|t| vec![t.to_string()]).unwrap_or_default(),
        component: None,
        created_at: at,
    }
}

/// In the 30 days before t0: 40 e-mails on Tuesday 17 Nov 10:00–11:00
/// Berlin, on a case of anna (20 billing complaints), and 60 chats on
/// Wednesday 18 Nov 14:00–15:00 on a case of ben (10 delivery complaints).
/// In the 30 days before those: 50 items on the web (15 billing, 20
/// delivery complaints). A release on 17 Nov 00:00 UTC.
async fn seed(app: &TestApp) {
    let anna = create_user(&app.store, "anna", "agent").await;
    let ben = create_user(&app.store, "ben", "agent").await;
    let c = customer(1);
    let mut b = Batch::default();
    let (ca, cb) = (case(1, &c, anna), case(2, &c, ben));
    let tue = Utc.with_ymd_and_hms(2026, 11, 17, 9, 0, 0).single().expect("time");
    let wed = Utc.with_ymd_and_hms(2026, 11, 18, 13, 0, 0).single().expect("time");
    for i in 0..40u32 {
        let at = tue + Duration::seconds(i64::from(i) * 60);
        b.feedback.push(item(
            i,
            &c,
            Some(ca.id),
            Channel::Email,
            at,
            i < 20,
            (i < 20).then_some("billing"),
        ));
    }
    for i in 0..60u32 {
        let at = wed + Duration::seconds(i64::from(i) * 50);
        b.feedback.push(item(
            100 + i,
            &c,
            Some(cb.id),
            Channel::Chat,
            at,
            i < 10,
            (i < 10).then_some("delivery"),
        ));
    }
    for i in 0..50u32 {
        let at = t0() - Duration::days(45) + Duration::minutes(i64::from(i));
        let topic = if i < 15 {
            Some("billing")
        } else if i < 35 {
            Some("delivery")
        } else {
            None
        };
        b.feedback
            .push(item(200 + i, &c, None, Channel::Web, at, topic.is_some(), topic));
    }
    b.customers.push(c);
    b.cases.extend([ca, cb]);
    app.store.insert_batch(&b).await.expect("seed");
    app.post_expect(
        "/api/v1/change-events",
        &app.admin_token,
        json!({"kind": "release", "title": "Billing 2.4", "component": "billing", "at": "2026-11-17T00:00:00Z"}),
        201,
    )
    .await;
}

fn close(v: &Value, expected: f64, what: &str) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{what}: not a number: {v}"));
    assert!(
        (got - expected).abs() <= 1e-9 * expected.abs().max(1e-12) + 1e-15,
        "{what}: {got} ≠ {expected}"
    );
}

fn find<'a>(r: &'a Value, dimension: &str, key: &str, value: &str) -> &'a Value {
    r["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["dimension"] == dimension && (key.is_empty() || c[key].to_string().trim_matches('"') == value))
        .unwrap_or_else(|| panic!("no cell {dimension} {key}={value}"))
}

/// (dimension, key, value, observed, trials, expected, (p, q), verdict).
type KnownCell = (
    &'static str,
    &'static str,
    &'static str,
    u64,
    u64,
    f64,
    (f64, f64),
    &'static str,
);

async fn the_patterns_report_has_known_answers(b: Backend) {
    let app = TestApp::spawn(b).await;
    seed(&app).await;
    let r = app
        .get_json("/api/v1/analytics/patterns?days=30", &app.admin_token)
        .await;
    assert_eq!(r["feedback"], 100);
    assert_eq!(r["complaints"], 30);
    // (dimension, key, value, observed, trials, expected, p, q, verdict)
    let strong = (0.008815400443342825, 0.015867720798017085);
    let weak = (0.023838731565106262, 0.026818573010744546);
    let cases: &[KnownCell] = &[
        ("weekday_hour", "weekday", "2", 20, 40, 12.0, strong, "above"),
        ("weekday_hour", "weekday", "3", 10, 60, 18.0, weak, "below"),
        ("channel", "channel", "email", 20, 40, 12.0, strong, "above"),
        ("channel", "channel", "chat", 10, 60, 18.0, weak, "below"),
        (
            "topic",
            "topic",
            "billing",
            20,
            35,
            30.0,
            (0.2813417246105362, 0.2813417246105362),
            "no_difference",
        ),
        (
            "topic",
            "topic",
            "delivery",
            10,
            30,
            40.0,
            (0.00027720082218384847, 0.001247403699827318),
            "below",
        ),
    ];
    for &(dim, key, value, observed, trials, expected, (p, q), verdict) in cases {
        let c = find(&r, dim, key, value);
        let what = format!("{dim} {value}");
        assert_eq!(c["observed"], observed, "{what}");
        assert_eq!(c["trials"], trials, "{what}");
        close(&c["expected"], expected, &format!("{what} expected"));
        close(&c["p_value"], p, &format!("{what} p"));
        close(&c["q_value"], q, &format!("{what} q"));
        assert_eq!(c["verdict"], verdict, "{what}");
    }
    assert_eq!(find(&r, "weekday_hour", "weekday", "2")["hour"], 10, "Berlin time");
    // Agents: anna's cases carry the e-mails.
    let agents: Vec<&Value> = r["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .filter(|c| c["dimension"] == "agent")
        .collect();
    assert_eq!(agents.len(), 2);
    let anna = agents.iter().find(|c| c["observed"] == 20).expect("anna");
    close(&anna["q_value"], strong.1, "anna q");
    // The release: 30 complaints in the 6.375 days after, none in the 7 before.
    let all = r["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["dimension"] == "change_event" && c["topic"].is_null())
        .expect("release cell");
    assert_eq!(all["observed"], 30);
    close(&all["p_value"], 2.2161132602787451e-10, "release p");
    close(&all["q_value"], 1.9945019342508706e-09, "release q");
    assert_eq!(all["verdict"], "above");
    let billing = r["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["dimension"] == "change_event" && c["topic"] == "billing")
        .expect("release billing");
    assert_eq!(billing["verdict"], "too_small", "20 trials are too few");
    assert!(billing["q_value"].is_null());
    // In words, with the effect and the q-value.
    let s = r["summary"].as_str().expect("summary");
    assert!(s.contains("Release „Billing 2.4“"), "{s}");
    let statements = r["statements"].as_array().expect("statements");
    let idx = r["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .position(|c| c["dimension"] == "channel" && c["channel"] == "email")
        .expect("email");
    assert_eq!(
        statements[idx],
        "E-Mail: 20 Beschwerden, 1,7-mal so viele wie erwartet (12,0 erwartet nach dem Beschwerdeanteil über alle Kanäle), q = 0,016 — mehr Beschwerden als erwartet."
    );
    let list = app.get_json("/api/v1/change-events", &app.admin_token).await;
    assert_eq!(list[0]["title"], "Billing 2.4");
}

async fn bad_input_is_a_422_naming_the_field(b: Backend) {
    let app = TestApp::spawn(b).await;
    for (q, field) in [
        ("days=0", "days"),
        ("window_days=61", "window_days"),
        ("channel=fax", "channel"),
        ("foo=1", "foo"),
    ] {
        let res = app
            .get(&format!("/api/v1/analytics/patterns?{q}"), &app.admin_token)
            .await;
        assert_eq!(problem(res, 422).await["field"], field, "{q}");
    }
    for (body, field) in [
        (
            json!({"kind": "party", "title": "x", "at": "2026-11-01T00:00:00Z"}),
            "kind",
        ),
        (
            json!({"kind": "release", "title": " ", "at": "2026-11-01T00:00:00Z"}),
            "title",
        ),
        (
            json!({"kind": "release", "title": "x", "component": "c".repeat(101), "at": "2026-11-01T00:00:00Z"}),
            "component",
        ),
        (
            json!({"kind": "release", "title": "x", "at": "2030-11-01T00:00:00Z"}),
            "at",
        ),
        (json!({"kind": "release", "title": "x", "at": "yesterday"}), "at"),
        (json!({"kind": "release", "title": "x"}), "at"),
    ] {
        let res = app.post("/api/v1/change-events", &app.admin_token, body.clone()).await;
        assert_eq!(problem(res, 422).await["field"], field, "{body}");
    }
    // Agents may neither read the report nor record changes.
    let agent = app.token_for("agent1", "agent").await;
    assert_eq!(app.get("/api/v1/analytics/patterns", &agent).await.status(), 403);
    app.post_expect(
        "/api/v1/change-events",
        &agent,
        json!({"kind": "release", "title": "x", "at": "2026-11-01T00:00:00Z"}),
        403,
    )
    .await;
}

async fn the_page_shows_patterns_and_records_changes(b: Backend) {
    let app = TestApp::spawn(b).await;
    seed(&app).await;
    let client = app.signed_in("admin").await;
    let (status, html) = get_html(&client, &app, "/analytics/patterns?days=30").await;
    assert_eq!(status, 200);
    assert!(html.contains("Muster und Ausreißer"), "German title");
    assert!(html.contains("chart-patterns-heatmap") && html.contains("chart-patterns-channel"));
    assert!(html.contains("1,7-mal so viele wie erwartet"), "German effect");
    assert!(html.contains("Billing 2.4"));
    let (status, html) = get_html(&client, &app, "/analytics/patterns?window_days=0").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Die Tage vor und nach einer Änderung müssen 1 bis 60 sein."),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let (status, html) = post_form(
        &client,
        &app,
        "/analytics/patterns/change-events",
        &[
            ("csrf", &csrf),
            ("kind", "outage"),
            ("title", ""),
            ("component", ""),
            ("at", "2026-11-20T08:30"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Geben Sie der Änderung einen Titel"), "title error shown");
    let (status, _) = post_form(
        &client,
        &app,
        "/analytics/patterns/change-events",
        &[
            ("csrf", &csrf),
            ("kind", "outage"),
            ("title", "Login down"),
            ("component", "auth"),
            ("at", "2026-11-20T08:30"),
        ],
    )
    .await;
    assert!(status == 200 || status == 303, "{status}");
    let list = app.get_json("/api/v1/change-events", &app.admin_token).await;
    let outage = list
        .as_array()
        .expect("list")
        .iter()
        .find(|e| e["title"] == "Login down")
        .expect("saved");
    assert_eq!(outage["at"], "2026-11-20T07:30:00Z", "read in Berlin time");
    let audit = app.get_json("/api/v1/audit?limit=50", &app.admin_token).await;
    assert!(audit.to_string().contains("change_event.create"), "audited");
}

/// 12 billing complaints in the last 24 hours against 56 in the 28 days
/// before (2 a day): P(X ≥ 12 | Poisson(2)) = 1.3646151596151931e-06.
async fn a_spike_raises_one_alert_and_one_event(b: Backend) {
    let app = TestApp::spawn(b).await;
    let c = customer(1);
    let mut batch = Batch::default();
    let now = t0() + Duration::minutes(15);
    for i in 0..12u32 {
        let at = now - Duration::hours(20) + Duration::minutes(i64::from(i));
        batch
            .feedback
            .push(item(i, &c, None, Channel::Email, at, true, Some("billing")));
    }
    for i in 0..56u32 {
        let at = now - Duration::days(2) - Duration::hours(i64::from(i) * 11);
        batch
            .feedback
            .push(item(100 + i, &c, None, Channel::Email, at, true, Some("billing")));
    }
    batch.customers.push(c);
    app.store.insert_batch(&batch).await.expect("seed");
    app.post_expect(
        "/api/v1/webhooks",
        &app.admin_token,
        json!({"url": "http://127.0.0.1:9/hook", "events": ["pattern.detected"]}),
        201,
    )
    .await;
    // The next quarter hour queues the sweep; a second one must not repeat it.
    app.clock.advance(Duration::minutes(15));
    let alert = wait_for(20, "the spike alert", || async {
        let since = app
            .store
            .pattern_alerts_since(t0() - Duration::days(1))
            .await
            .expect("alerts");
        since.into_iter().next()
    })
    .await;
    assert_eq!(alert.topic, "billing");
    assert_eq!(alert.observed, 12);
    assert!((alert.expected - 2.0).abs() < 1e-12);
    assert!(
        (alert.p_value - 1.3646151596151931e-06).abs() < 1e-15,
        "{}",
        alert.p_value
    );
    app.clock.advance(Duration::minutes(15));
    app.jobs_settled().await;
    let alerts = app
        .store
        .pattern_alerts_since(t0() - Duration::days(1))
        .await
        .expect("alerts");
    assert_eq!(alerts.len(), 1, "one alert per topic and day");
    let jobs = app.get_json("/api/v1/jobs?limit=500", &app.admin_token).await;
    // The only webhook wants `pattern.detected`: one delivery job per event.
    let deliveries = jobs
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["kind"] == "webhook")
        .count();
    assert_eq!(deliveries, 1, "the event goes out once");
    let client = app.signed_in("admin").await;
    let (_, html) = get_html(&client, &app, "/dashboard").await;
    assert!(html.contains("data-spike=\"billing\""), "banner on the dashboard");
}

/// Product components in the 30 days before t0, one item per hour so that
/// no weekday × hour cell has enough to be judged: "Checkout" 40 items (20
/// complaints; "checkout" and "Checkout" are one component), "search" 60
/// (10 complaints; one of them named by the incident of its case, not by
/// itself), five items without a component. Baseline 30 of 100 = 0.3:
/// checkout 20 of 40, expected 12, p = 0.008815400443342825; search 10 of
/// 60, expected 18, p = 0.02383873156510627; the e-mail channel (30 of 105 at
/// its own share) has p = 1. BH over the three: q = 0.026446201330028476,
/// 0.03575809734765939 (SciPy 1.17, as the unit tests of the cells).
async fn complaints_by_product_component_have_known_answers(b: Backend) {
    let app = TestApp::spawn(b).await;
    let incident = app
        .post_json(
            "/api/v1/incidents",
            &app.admin_token,
            json!({"kind": "other", "title": "Suche langsam", "severity": 2, "controllable": true,
                   "started_at": "2026-10-30T06:00:00+01:00", "component": "search"}),
            201,
        )
        .await;
    let incident_id = incident["id"]
        .as_str()
        .and_then(|s| s.parse::<uuid::Uuid>().ok())
        .expect("incident id");
    let c = customer(7);
    let mut batch = Batch::default();
    let start = t0() - Duration::days(29);
    let incident_case = CaseRecord {
        incident_id: Some(incident_id),
        ..case_record(CaseId::new_at(start, 7), &c, start, "Suche", "Suche findet nichts")
    };
    for i in 0..105u32 {
        let at = start + Duration::hours(i64::from(i) * 5);
        let (component, negative) = match i {
            0..20 => (Some(if i % 2 == 0 { "Checkout" } else { "checkout" }), true),
            20..40 => (Some("checkout"), false),
            40..50 => (Some("search"), true),
            50..100 => (Some("search"), false),
            _ => (None, false),
        };
        let mut f = item(i, &c, None, Channel::Email, at, negative, None);
        if i == 40 {
            // Named by the incident its case came from.
            f.case_id = Some(incident_case.id);
        } else {
            f.component = component.map(str::to_string);
        }
        batch.feedback.push(f);
    }
    batch.customers.push(c);
    batch.cases.push(incident_case);
    app.store.insert_batch(&batch).await.expect("seed");
    let r = app
        .get_json("/api/v1/analytics/patterns?days=30", &app.admin_token)
        .await;
    let judged: Vec<&Value> = r["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .filter(|c| c["verdict"] != "too_small")
        .collect();
    assert_eq!(judged.len(), 3, "two components and the channel: {judged:?}");
    let checkout = find(&r, "component", "component", "checkout");
    assert_eq!(checkout["observed"], 20, "{checkout}");
    assert_eq!(checkout["trials"], 40);
    close(&checkout["expected"], 12.0, "checkout expected");
    close(&checkout["p_value"], 0.008815400443342825, "checkout p");
    close(&checkout["q_value"], 0.026446201330028476, "checkout q");
    assert_eq!(checkout["verdict"], "above");
    let search = find(&r, "component", "component", "search");
    assert_eq!(search["observed"], 10, "{search}");
    assert_eq!(search["trials"], 60);
    close(&search["expected"], 18.0, "search expected");
    close(&search["q_value"], 0.03575809734765939, "search q");
    assert_eq!(search["verdict"], "below");

    // The page shows the component chart and its sentence, in both languages.
    let lead_id = create_user(&app.store, "lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = get_html(&lead, &app, "/analytics/patterns?days=30").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Produktkomponenten"), "{html}");
    assert!(html.contains("chart-patterns-component"), "{html}");
    assert!(
        html.contains("dem Beschwerdeanteil am Feedback zu allen Komponenten"),
        "{html}"
    );
    app.store
        .set_user_language(lead_id, Language::En, t0())
        .await
        .expect("language");
    let (_, html) = get_html(&lead, &app, "/analytics/patterns?days=30").await;
    assert!(html.contains("Product components"), "{html}");

    // The API takes a component with the feedback, and refuses a long one.
    let posted = app
        .post_json(
            "/api/v1/feedback",
            &app.admin_token,
            json!({"customer_email": "kasse@example.de", "channel": "api", "text": "Die Kasse hängt", "component": " checkout "}),
            201,
        )
        .await;
    assert_eq!(posted["component"], "checkout", "{posted}");
    let p = app
        .post_problem(
            "/api/v1/feedback",
            &app.admin_token,
            json!({"customer_email": "kasse@example.de", "channel": "api", "text": "x", "component": "c".repeat(101)}),
            422,
        )
        .await;
    assert_eq!(p["field"], "component", "{p}");
}

async fn planted_patterns_are_found_and_noise_is_not(b: Backend) {
    for plant in [true, false] {
        let app = TestApp::spawn(b).await;
        amends_devtools::demo::generate(
            &app.store,
            t0(),
            amends_devtools::demo::DemoOptions {
                patterns: plant,
                ..amends_devtools::demo::DemoOptions::default()
            },
        )
        .await
        .expect("demo");
        let r = app
            .get_json("/api/v1/analytics/patterns?days=90", &app.admin_token)
            .await;
        // Alarms are cells with more complaints than their baseline. (Fewer
        // is shown too, but is no alarm: the demo's relationship surveys
        // are never complaints, so that channel is truly below.)
        let found: Vec<&Value> = r["cells"]
            .as_array()
            .expect("cells")
            .iter()
            .filter(|c| c["verdict"] == "above")
            .collect();
        if plant {
            for day in 1..=5 {
                assert!(
                    found
                        .iter()
                        .any(|c| c["dimension"] == "weekday_hour" && c["weekday"] == day && c["hour"] == 9),
                    "weekday {day} 9–10 found: {found:?}"
                );
            }
            assert!(
                found
                    .iter()
                    .any(|c| c["dimension"] == "change_event" && c["topic"] == "billing" && c["verdict"] == "above"),
                "billing after the release: {found:?}"
            );
            // The faulty checkout (a product component), and no other component.
            let components: Vec<&Value> = found
                .iter()
                .filter(|c| c["dimension"] == "component")
                .copied()
                .collect();
            assert_eq!(components.len(), 1, "{components:?}");
            assert_eq!(components[0]["component"], "checkout");
        } else {
            assert!(found.is_empty(), "no pattern in noise: {found:?}");
        }
        let spikes = amends_app::analytics::spikes::detect(
            &app.store
                .feedback_facts(t0() - Duration::days(29), t0(), None, None)
                .await
                .expect("facts"),
            t0(),
        );
        let alerts: Vec<_> = spikes.iter().filter(|s| s.alert).map(|s| s.topic.clone()).collect();
        if plant {
            assert_eq!(alerts, vec!["billing".to_string()]);
        } else {
            assert!(alerts.is_empty(), "no spike in noise: {alerts:?}");
        }
    }
}

crate::both_backends!(
    the_patterns_report_has_known_answers,
    bad_input_is_a_422_naming_the_field,
    the_page_shows_patterns_and_records_changes,
    a_spike_raises_one_alert_and_one_event,
    planted_patterns_are_found_and_noise_is_not,
    complaints_by_product_component_have_known_answers,
);
