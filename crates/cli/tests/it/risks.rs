//! The risk register over HTTP on both backends, with planted data and
//! known answers: exact counts, rates, costs, ranking, trend and the
//! "no playbook" flag; the checks of its query; the page in German and
//! English; the prefilled playbook form behind "create playbook".

use crate::support::{Backend, TestApp, case_record, get_html, new_customer, t0};
use amends_domain::goodwill::GoodwillKind;
use amends_domain::incident::{IncidentDraft, IncidentKind};
use amends_domain::{CaseId, Channel, Language};
use amends_store::{Batch, FeedbackRecord, GrantRecord, NewCustomer};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// A feedback item `n` of customer `c` at `at`.
fn item(n: u32, c: &NewCustomer, at: DateTime<Utc>, complaint: bool, topic: Option<&str>) -> FeedbackRecord {
    FeedbackRecord {
        id: amends_domain::ids::uuid_v7_at(at, u128::from(n)),
        customer_id: c.id,
        case_id: None,
        channel: Channel::Web,
        rating: Some(if complaint { 2 } else { 5 }),
        text: if complaint { "Schlecht" } else { "Gut" }.into(),
        language: Language::De,
        // Every other complaint says so only by its rating.
        sentiment: if complaint && n.is_multiple_of(2) {
            "negative"
        } else {
            "neutral"
        },
        topics: topic.map(|t| vec![t.to_string()]).unwrap_or_default(),
        component: None,
        created_at: at,
    }
}

fn grant(
    n: u128,
    case: CaseId,
    c: &NewCustomer,
    cents: i64,
    at: DateTime<Utc>,
    by: amends_domain::UserId,
) -> GrantRecord {
    GrantRecord {
        id: amends_domain::ids::uuid_v7_at(at, n),
        case_id: case,
        customer_id: c.id,
        kind: GoodwillKind::Voucher,
        value_cents: cents,
        reason: "Entschuldigung".into(),
        requested_by: by,
        granted_at: at,
    }
}

/// The planted period (the 90 days before t0) and the one before it:
///
/// - waiting time: 40 items, 20 complaints (10 on case A of c1); 15 € +
///   5 € goodwill on A; c1 (CLV 500 €) left 10 days after complaining, c3
///   35 days after (beyond the churn horizon of 30): cost 520 €, rate
///   50 %, score 260 €. Before: 20 of 40.
/// - delivery: 50 items, 10 complaints on case B of c4, 100 € goodwill;
///   10 of them (5 complaints) name the component checkout. Before: 25 of
///   50 — the rate fell. A playbook covers delivery.
/// - an outage (component api-gateway, release 5.2) opened three cases
///   (c5, c6, c5): 30 € goodwill, c6 (CLV 200 €) left a week later, c5
///   before; one complaint on its case, without a topic: rate 100 %, cost
///   230 €.
async fn seed(app: &TestApp) {
    let agent = crate::support::create_user(&app.store, "agent1", "agent").await;
    let joined = t0() - Duration::days(400);
    let mut cs: Vec<NewCustomer> = (1..=6).map(|n| new_customer("RK", n, joined)).collect();
    cs[0].clv_cents = 50_000;
    cs[5].clv_cents = 20_000;
    let incident = IncidentDraft {
        kind: IncidentKind::Outage,
        title: "API down".into(),
        severity: 3,
        controllable: true,
        started_at: t0() - Duration::days(10),
        ended_at: None,
        component: Some("api-gateway".into()),
        release: Some("5.2".into()),
        summary_de: "Ausfall".into(),
        summary_en: "Outage".into(),
    };
    let mut b = Batch {
        customers: cs.clone(),
        ..Batch::default()
    };
    let day = |d: i64| t0() - Duration::days(d);
    let case_a = CaseId::new_at(day(30), 1);
    let case_b = CaseId::new_at(day(20), 2);
    b.cases
        .push(case_record(case_a, &cs[0], day(30), "Warteschleife", "zu lange"));
    b.cases
        .push(case_record(case_b, &cs[3], day(20), "Lieferung", "zu spät"));
    app.store.insert_batch(&b).await.expect("customers and cases");
    let lead = app.store.get_user_by_username("admin").await.expect("admin").id;
    let inc = app
        .store
        .insert_incident(&incident, "manual", None, lead, day(10))
        .await
        .expect("incident");
    let mut b = Batch::default();
    let incident_cases: Vec<CaseId> = [(3u128, 4usize), (4, 5), (5, 4)]
        .iter()
        .map(|(n, c)| {
            let id = CaseId::new_at(day(9), *n);
            b.cases.push(amends_store::CaseRecord {
                incident_id: Some(inc.id.0),
                ..case_record(id, &cs[*c], day(9), "Ausfall", "API nicht erreichbar")
            });
            id
        })
        .collect();
    let mut n = 0u32;
    let mut next = || {
        n += 1;
        n
    };
    // This period: waiting time.
    for i in 0..40u32 {
        let complaint = i < 20;
        let who = if i < 10 {
            &cs[0]
        } else if i < 20 {
            &cs[2]
        } else {
            &cs[1]
        };
        let mut f = item(
            next(),
            who,
            day(50) + Duration::minutes(i64::from(i)),
            complaint,
            Some("waiting_time"),
        );
        if i < 10 {
            f.case_id = Some(case_a);
        }
        b.feedback.push(f);
    }
    // Delivery, ten of them from the checkout.
    for i in 0..50u32 {
        let complaint = i < 10;
        let mut f = item(
            next(),
            &cs[3],
            day(25) + Duration::minutes(i64::from(i)),
            complaint,
            Some("delivery"),
        );
        if complaint {
            f.case_id = Some(case_b);
        }
        if (5..15).contains(&i) {
            f.component = Some("checkout".into());
        }
        b.feedback.push(f);
    }
    // The outage: one complaint on its first case.
    let mut f = item(next(), &cs[4], day(8), true, None);
    f.case_id = Some(incident_cases[0]);
    b.feedback.push(f);
    // The period before: waiting time 20 of 40, delivery 25 of 50.
    for (topic, items, complaints) in [("waiting_time", 40u32, 20u32), ("delivery", 50, 25)] {
        for i in 0..items {
            b.feedback.push(item(
                next(),
                &cs[1],
                day(120) + Duration::minutes(i64::from(i)),
                i < complaints,
                Some(topic),
            ));
        }
    }
    b.grants.push(grant(1, case_a, &cs[0], 1_500, day(29), agent));
    b.grants.push(grant(2, case_a, &cs[0], 500, day(28), agent));
    b.grants.push(grant(3, case_b, &cs[3], 10_000, day(19), agent));
    b.grants.push(grant(4, incident_cases[1], &cs[5], 3_000, day(8), agent));
    // Granted after the period's end: not counted.
    b.grants
        .push(grant(5, case_a, &cs[0], 99_900, t0() + Duration::days(1), agent));
    // c1 leaves 10 days after complaining, c3 35 days after (too late to
    // count), c5 before their failures, c6 a week after the outage.
    b.churned.push((cs[0].id, day(40)));
    b.churned.push((cs[2].id, day(15)));
    b.churned.push((cs[4].id, day(20)));
    b.churned.push((cs[5].id, day(2)));
    app.store.insert_batch(&b).await.expect("feedback, grants, churn");
}

fn area<'a>(r: &'a Value, kind: &str, name: &str) -> &'a Value {
    r["areas"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["kind"] == kind && x["area"] == name))
        .unwrap_or_else(|| panic!("no {kind} {name} in {r}"))
}

fn figures(a: &Value) -> (i64, i64, i64, i64, i64, i64) {
    let n = |k: &str| a[k].as_i64().unwrap_or(-1);
    (
        n("items"),
        n("failures"),
        n("cases"),
        n("goodwill_cents"),
        n("churned_cents"),
        n("cost_cents"),
    )
}

async fn known_answers(b: Backend) {
    let app = TestApp::spawn(b).await;
    seed(&app).await;
    let lead = app.token_for("lead1", "lead").await;
    app.post_json(
        "/api/v1/playbooks",
        &lead,
        json!({"name_de": "Lieferverzug", "name_en": "Late delivery", "owner_team": "Logistik",
            "topic": "delivery", "severity_min": 3, "severity_max": 4,
            "steps": [{"title_de": "Anrufen", "title_en": "Call", "due_minutes": 60}]}),
        201,
    )
    .await;
    let r = app.get_json("/api/v1/risks", &lead).await;
    assert_eq!(r["to"], json!("2026-11-23T09:00:00Z"), "{r}");
    assert_eq!(r["from"], json!("2026-08-25T09:00:00Z"), "90 days before");

    let w = area(&r, "topic", "waiting_time");
    assert_eq!(figures(w), (40, 20, 1, 2_000, 50_000, 52_000), "{w}");
    assert_eq!(w["churned_customers"], 1, "c3 left too long after complaining");
    assert_eq!(w["rate"], 0.5);
    assert_eq!(w["score_cents"], 26_000.0);
    let ci = &w["rate_ci"];
    // statsmodels proportion_confint(20, 40, method="wilson")
    assert!((ci["low"].as_f64().unwrap_or(0.0) - 0.351_995_3).abs() < 1e-6, "{ci}");
    assert!((ci["high"].as_f64().unwrap_or(0.0) - 0.648_004_7).abs() < 1e-6, "{ci}");
    assert_eq!(
        (w["trend"].as_str(), w["judged"].as_bool()),
        (Some("steady"), Some(true))
    );
    assert_eq!(w["playbook"], Value::Null);

    let d = area(&r, "topic", "delivery");
    assert_eq!(figures(d), (50, 10, 1, 10_000, 0, 10_000), "{d}");
    assert_eq!(
        (d["rate"].as_f64(), d["score_cents"].as_f64()),
        (Some(0.2), Some(2_000.0))
    );
    assert_eq!(d["trend"], "falling", "20 % now against 50 % before");
    assert_eq!(d["previous"]["failures"], 25);
    assert_eq!(
        d["playbook"]["name_de"], "Lieferverzug",
        "a playbook for severe failures covers the area"
    );

    let c = area(&r, "component", "checkout");
    assert_eq!(figures(c), (10, 5, 1, 10_000, 0, 10_000), "{c}");
    assert_eq!(
        (c["topic"].as_str(), c["judged"].as_bool()),
        (Some("delivery"), Some(false))
    );
    assert_eq!(c["trend"], "too_few");
    assert_eq!(c["playbook"]["name_en"], "Late delivery", "by its complaints' topic");

    for (kind, name) in [
        ("component", "api-gateway"),
        ("incident_kind", "outage"),
        ("release", "5.2"),
    ] {
        let o = area(&r, kind, name);
        assert_eq!(figures(o), (1, 1, 3, 3_000, 20_000, 23_000), "{kind} {o}");
        assert_eq!(
            (o["rate"].as_f64(), o["score_cents"].as_f64()),
            (Some(1.0), Some(23_000.0))
        );
        assert_eq!(o["incident_kind"], "outage");
        assert_eq!(o["playbook"], Value::Null, "no playbook for outages");
    }
    let order: Vec<String> = r["areas"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    format!(
                        "{}:{}",
                        x["kind"].as_str().unwrap_or("?"),
                        x["area"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        order,
        [
            "topic:waiting_time",
            "component:api-gateway",
            "incident_kind:outage",
            "release:5.2",
            "component:checkout",
            "topic:delivery"
        ],
        "by score; ties by kind"
    );
    assert_eq!(r["without_playbook"], 4);

    let topics = app.get_json("/api/v1/risks?kind=topic", &lead).await;
    assert_eq!(topics["areas"].as_array().map(Vec::len), Some(2), "{topics}");
    // The period before alone: only the two topics, as they were then.
    let before = app
        .get_json("/api/v1/risks?from=2026-05-27T09:00:00Z&to=2026-08-25T09:00:00Z", &lead)
        .await;
    let w0 = area(&before, "topic", "waiting_time");
    assert_eq!(
        (w0["items"].as_i64(), w0["failures"].as_i64(), w0["cost_cents"].as_i64()),
        (Some(40), Some(20), Some(0))
    );

    // Many readers at once see the same register.
    let all = futures_util::future::join_all((0..16).map(|_| app.get_json("/api/v1/risks", &lead))).await;
    assert!(all.iter().all(|x| x["areas"] == r["areas"]));
}

async fn refusals_and_bad_input(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = app.token_for("agent1", "agent").await;
    let lead = app.token_for("lead1", "lead").await;
    app.get_problem("/api/v1/risks", &agent, 403).await;
    app.get_problem("/api/v1/risks?kind=nonsense", &agent, 403).await;
    for (query, field) in [
        ("kind=process", "kind"),
        ("from=2026-11-23T00:00:00Z&to=2026-11-01T00:00:00Z", "to"),
        ("from=2025-01-01T00:00:00Z", "from"),
        ("from=yesterday", "from"),
        ("days=30", "days"),
    ] {
        let p = app.get_problem(&format!("/api/v1/risks?{query}"), &lead, 422).await;
        assert_eq!(p["field"], field, "{query}: {p}");
    }
    let empty = app.get_json("/api/v1/risks", &lead).await;
    assert_eq!(empty["areas"], json!([]));
}

async fn page_in_both_languages(b: Backend) {
    let app = TestApp::spawn(b).await;
    seed(&app).await;
    app.token_for("lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = get_html(&lead, &app, "/risks").await;
    assert_eq!(status, 200);
    let html = html.replace("&#x2f;", "/");
    assert!(
        html.contains("Risikoregister") && html.contains("Kein Playbook"),
        "{html}"
    );
    assert!(html.contains("Wartezeit") && html.contains("520,00 €"), "German money");
    assert!(html.contains("/playbooks/new?topic=waiting_time"));
    assert!(html.contains("/playbooks/new?incident_kind=outage"));
    let (_, other) = get_html(&lead, &app, "/risks?days=7&kind=topic").await;
    assert!(
        other.contains("Keine") || other.contains("keine"),
        "nothing in 7 days: {other}"
    );
    let (status, bad) = get_html(&lead, &app, "/risks?kind=process").await;
    assert_eq!(status, 200);
    assert!(
        bad.contains("Diese Art von Bereich gibt es nicht"),
        "the error in German"
    );
    let (_, form) = get_html(&lead, &app, "/playbooks/new?topic=waiting_time").await;
    assert!(
        form.contains(r#"<option value="waiting_time" selected>"#),
        "prefilled topic"
    );
    let (_, form) = get_html(&lead, &app, "/playbooks/new?topic=Nope&incident_kind=outage").await;
    assert!(form.contains(r#"<option value="outage" selected>"#) && !form.contains("Nope"));

    app.token_for("lead2", "lead").await;
    let en = app.signed_in("lead2").await;
    let csrf = crate::support::csrf_of(&get_html(&en, &app, "/settings").await.1);
    crate::support::submit(&en, &app, "/settings/language", &[("csrf", &csrf), ("language", "en")]).await;
    let (_, html) = get_html(&en, &app, "/risks").await;
    assert!(
        html.contains("Risk register") && html.contains("No playbook") && html.contains("€520.00"),
        "{html}"
    );

    app.token_for("agent2", "agent").await;
    let agent = app.signed_in("agent2").await;
    let (status, _) = get_html(&agent, &app, "/risks").await;
    assert_eq!(status, 403);
}

async fn query_reads_the_period_by_index(b: Backend) {
    let app = TestApp::spawn(b).await;
    for kind in amends_domain::risk::AreaKind::ALL {
        let plan = app
            .store
            .explain_risk_areas(*kind, t0() - Duration::days(90), t0(), 30)
            .await
            .expect("plan");
        // SQLite names the table's alias (`SCAN f`); PostgreSQL the table.
        for (alias, table) in [("f", "feedback"), ("c", "cases"), ("g", "goodwill_grants")] {
            let scans = match b {
                Backend::Sqlite => plan.lines().any(|l| l.split_whitespace().take(2).eq(["SCAN", alias])),
                Backend::Postgres => plan.contains(&format!("Seq Scan on {table}")),
            };
            assert!(!scans, "{kind}: the whole {table} table is read:\n{plan}");
        }
    }
}

crate::both_backends!(
    known_answers,
    refusals_and_bad_input,
    page_in_both_languages,
    query_reads_the_period_by_index,
);
