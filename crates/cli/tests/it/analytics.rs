//! The dashboard figures and the recovery paradox over HTTP, on a data set
//! whose answers are known: every expected statistic below was computed
//! independently with SciPy 1.17 / statsmodels 0.15 on the same numbers
//! (`scipy.stats.ttest_ind(equal_var=False)` and its confidence interval,
//! `statsmodels` Newcombe interval and pooled z-test,
//! `scipy.stats.false_discovery_control(method="bh")`).

use crate::support::{Backend, TestApp, case_record, create_user, new_customer, problem, t0};
use amends_domain::goodwill::GoodwillKind;
use amends_domain::{CaseId, CaseState, Language, Tier, UserId};
use amends_store::{Batch, CaseRecord, GrantRecord, NewCustomer, RatingRecord, SurveyRecord};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

fn customer(n: u32) -> NewCustomer {
    new_customer("AN", n, t0() - Duration::days(200) + Duration::seconds(i64::from(n)))
}

struct Failure {
    severity: i32,
    repeat: bool,
    controllable: bool,
    solved: bool,
    score: i32,
    churned: bool,
    goodwill: bool,
    /// Resolution target missed.
    late: bool,
}

fn failures() -> Vec<Failure> {
    let mut out = Vec::new();
    // Recovered first, minor, uncontrollable failures: 30 × 5, 10 × 4; the
    // first two leave within the settle time; the last ten got goodwill.
    for i in 0..40 {
        out.push(Failure {
            severity: 1,
            repeat: false,
            controllable: false,
            solved: true,
            score: if i < 30 { 5 } else { 4 },
            churned: i < 2,
            goodwill: i >= 30,
            late: false,
        });
    }
    // Recovered severe, repeated, controllable failures: 20 × 3, 20 × 4; eight leave.
    for i in 0..40 {
        out.push(Failure {
            severity: 3,
            repeat: true,
            controllable: true,
            solved: true,
            score: if i < 20 { 3 } else { 4 },
            churned: i < 8,
            goodwill: false,
            late: true,
        });
    }
    // Not recovered: 20 × 2, 15 × 1; fourteen leave.
    for i in 0..35 {
        out.push(Failure {
            severity: 3,
            repeat: false,
            controllable: true,
            solved: false,
            score: if i < 20 { 2 } else { 1 },
            churned: i < 14,
            goodwill: false,
            late: false,
        });
    }
    out
}

fn record(id: CaseId, customer: &NewCustomer, created: DateTime<Utc>, f: Option<&Failure>) -> CaseRecord {
    CaseRecord {
        state: if f.is_some() {
            CaseState::Resolved
        } else {
            CaseState::New
        },
        tier: Tier::Standard,
        resolution_due_at: created + Duration::hours(if f.is_some_and(|f| f.late) { 1 } else { 4 }),
        first_responded_at: f.map(|_| created + Duration::minutes(30)),
        resolved_at: f.map(|_| created + Duration::hours(2)),
        severity: f.map(|f| f.severity),
        repeat_failure: f.map(|f| f.repeat),
        controllable: f.map(|f| f.controllable),
        ..case_record(id, customer, created, "Lieferung beschädigt", "Karton eingedrückt")
    }
}

/// 40 never-failed customers (ratings 20 × 5, 20 × 4; four left before
/// the settle time ended), 115 failures answered in the period, and five
/// open cases of `agent` from five days ago.
async fn seed(app: &TestApp, agent: UserId) {
    let mut b = Batch::default();
    let created = t0() - Duration::days(50);
    for n in 0..40u32 {
        let c = customer(n);
        b.ratings.push(RatingRecord {
            id: amends_domain::ids::uuid_v7_at(t0() - Duration::days(30), u128::from(n)),
            customer_id: c.id,
            rating: if n < 20 { 5 } else { 4 },
            text: "Alles gut".into(),
            language: Language::De,
            created_at: t0() - Duration::days(30),
        });
        if n < 4 {
            b.churned.push((c.id, t0() - Duration::days(70)));
        }
        b.customers.push(c);
    }
    for (i, f) in failures().iter().enumerate() {
        let n = 1000 + u32::try_from(i).expect("small");
        let c = customer(n);
        let id = CaseId::new_at(created, u128::from(n));
        let resolved = created + Duration::hours(2);
        b.cases.push(record(id, &c, created, Some(f)));
        b.surveys.push(SurveyRecord {
            id: amends_domain::ids::uuid_v7_at(resolved, u128::from(n)),
            case_id: id,
            customer_id: c.id,
            language: Language::De,
            sent_at: resolved + Duration::hours(1),
            answered_at: t0() - Duration::days(45),
            score: f.score,
            solved: Some(f.solved),
        });
        if f.goodwill {
            b.grants.push(GrantRecord {
                id: amends_domain::ids::uuid_v7_at(resolved, u128::from(n)),
                case_id: id,
                customer_id: c.id,
                kind: GoodwillKind::Voucher,
                value_cents: 2000,
                reason: "Entschuldigung".into(),
                requested_by: agent,
                granted_at: resolved,
            });
        }
        if f.churned {
            b.churned.push((c.id, t0() - Duration::days(40)));
        }
        b.customers.push(c);
    }
    for n in 2000..2005u32 {
        let c = customer(n);
        let at = t0() - Duration::days(5);
        let mut r = record(CaseId::new_at(at, u128::from(n)), &c, at, None);
        r.assignee_id = Some(agent);
        b.cases.push(r);
        b.customers.push(c);
    }
    app.store.insert_batch(&b).await.expect("seed");
}

fn close(v: &Value, expected: f64, what: &str) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{what}: not a number: {v}"));
    assert!(
        (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{what}: {got} ≠ {expected}"
    );
}

fn cell<'a>(report: &'a Value, moderator: &str, level: &str) -> &'a Value {
    report["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["moderator"] == moderator && c["level"] == level)
        .unwrap_or_else(|| panic!("no cell {moderator}/{level}"))
}

/// (moderator, level, diff, ci low, ci high, p, q) from SciPy.
const SATISFACTION: &[(&str, &str, f64, f64, f64, f64, f64)] = &[
    (
        "all",
        "all",
        -0.375,
        -0.6105109674204187,
        -0.13948903257958134,
        0.0020657926620529757,
        0.0035413588492336726,
    ),
    (
        "severity",
        "minor",
        0.25,
        0.03907199245454801,
        0.460928007545452,
        0.02080694906464726,
        0.02080694906464726,
    ),
    (
        "severity",
        "severe",
        -1.0,
        -1.2254190414509563,
        -0.7745809585490437,
        2.288616878684278e-13,
        5.492680508842267e-13,
    ),
    (
        "repeat",
        "first",
        0.25,
        0.03907199245454801,
        0.460928007545452,
        0.02080694906464726,
        0.02080694906464726,
    ),
    (
        "controllable",
        "controllable",
        -1.0,
        -1.2254190414509563,
        -0.7745809585490437,
        2.288616878684278e-13,
        5.492680508842267e-13,
    ),
    (
        "response",
        "within_hour",
        -0.375,
        -0.6105109674204187,
        -0.13948903257958134,
        0.0020657926620529757,
        0.0035413588492336726,
    ),
    (
        "goodwill",
        "no_goodwill",
        -0.35714285714285676,
        -0.6115086020157412,
        -0.10277711226997238,
        0.0063591923360313,
        0.00953878850404695,
    ),
    (
        "profile",
        "paradox_profile",
        0.25,
        0.03907199245454801,
        0.460928007545452,
        0.02080694906464726,
        0.02080694906464726,
    ),
];

/// (moderator, level, diff in pp, ci low, ci high, p, q) from statsmodels.
const RETENTION: &[(&str, &str, f64, f64, f64, f64, f64)] = &[
    (
        "all",
        "all",
        -0.025,
        -0.13342360406239673,
        0.11689225398311992,
        0.6875732300778172,
        0.6875732300778172,
    ),
    (
        "severity",
        "minor",
        0.05,
        -0.0799405741354077,
        0.18543938779897143,
        0.39590760142202674,
        0.5278768018960356,
    ),
    (
        "repeat",
        "repeated",
        -0.1,
        -0.25946298132909806,
        0.06143079997526932,
        0.21040645309537154,
        0.5049754874288916,
    ),
    (
        "goodwill",
        "no_goodwill",
        -0.04285714285714293,
        -0.16014449229486571,
        0.1022302525900601,
        0.5164791522040285,
        0.6197749826448342,
    ),
];

async fn the_paradox_report_has_known_answers(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = create_user(&app.store, "agent1", "agent").await;
    seed(&app, agent).await;
    let report = app
        .get_json("/api/v1/analytics/paradox?days=90", &app.admin_token)
        .await;
    assert_eq!(report["never_failed"]["n"], 40, "{report}");
    close(&report["never_failed"]["value"], 4.5, "never-failed mean");
    close(
        &report["never_failed"]["ci"]["low"],
        4.3380551186281,
        "never-failed ci low",
    );
    assert_eq!(report["failures"], 115);
    let recovered = cell(&report, "all", "all");
    assert_eq!(recovered["group"], "recovered");
    assert_eq!(recovered["figure"]["n"], 80);
    close(&recovered["figure"]["value"], 4.125, "recovered mean");
    for (moderator, level, diff, low, high, p, q) in SATISFACTION {
        let c = &cell(&report, moderator, level)["comparison"];
        let what = format!("satisfaction {moderator}/{level}");
        close(&c["diff"], *diff, &what);
        close(&c["ci"]["low"], *low, &what);
        close(&c["ci"]["high"], *high, &what);
        close(&c["p_value"], *p, &what);
        close(&c["q_value"], *q, &what);
    }
    assert_eq!(cell(&report, "profile", "paradox_profile")["verdict"], "above");
    assert_eq!(cell(&report, "profile", "other_profile")["verdict"], "below");
    // Ten units with goodwill, none answered late: too few to tell.
    assert_eq!(cell(&report, "goodwill", "goodwill")["verdict"], "too_small");
    assert_eq!(cell(&report, "response", "after_day")["figure"]["n"], 0);
    let summary = report["summary"].as_str().expect("summary");
    assert!(
        summary.contains("Recovery-Paradox ist sichtbar")
            && summary.contains("erster, leichter, nicht vermeidbarer Fehler"),
        "{summary}"
    );
    let statements = report["statements"].as_array().expect("statements");
    assert_eq!(statements.len(), report["cells"].as_array().map_or(0, Vec::len));
    assert!(
        statements.iter().any(|s| s
            .as_str()
            .is_some_and(|s| s.contains("4,75 gegenüber 4,50 ohne Fehler, +0,25 [0,04; 0,46], n = 40"))),
        "{statements:?}"
    );

    let retention = app
        .get_json("/api/v1/analytics/paradox?days=90&outcome=retention", &app.admin_token)
        .await;
    assert_eq!(retention["never_failed"]["n"], 40);
    close(&retention["never_failed"]["value"], 90.0, "never-failed retained %");
    close(&retention["never_failed"]["ci"]["low"], 76.9482247724777, "wilson low");
    for (moderator, level, diff, low, high, p, q) in RETENTION {
        let c = &cell(&retention, moderator, level)["comparison"];
        let what = format!("retention {moderator}/{level}");
        close(&c["diff"], diff * 100.0, &what);
        close(&c["ci"]["low"], low * 100.0, &what);
        close(&c["ci"]["high"], high * 100.0, &what);
        close(&c["p_value"], *p, &what);
        close(&c["q_value"], *q, &what);
    }
    assert_eq!(cell(&retention, "all", "all")["verdict"], "no_difference");

    // Bad input is a problem naming the field.
    for (query, field) in [
        ("days=0", "days"),
        ("outcome=loyalty", "outcome"),
        ("settle_days=999", "settle_days"),
        ("tier=gold", "tier"),
    ] {
        let p = app
            .get_problem(&format!("/api/v1/analytics/paradox?{query}"), &app.admin_token, 422)
            .await;
        assert!(p.to_string().contains(field), "{query}: {p}");
    }
    // Churn comes from the CRM: a customer who leaves counts as not retained.
    let id = customer(10).id.0;
    let res = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &app.admin_token,
            serde_json::json!({"churned_at": "yesterday"}),
        )
        .await;
    assert!(problem(res, 422).await.to_string().contains("churned_at"));
    let res = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &app.admin_token,
            serde_json::json!({"churned_at": (t0() - Duration::days(80)).to_rfc3339()}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let retention = app
        .get_json("/api/v1/analytics/paradox?days=90&outcome=retention", &app.admin_token)
        .await;
    close(
        &retention["never_failed"]["value"],
        87.5,
        "one more never-failed customer left",
    );

    // Agents do not see the team's paradox.
    let agent_token = app.token_for("agent2", "agent").await;
    assert_eq!(app.get("/api/v1/analytics/paradox", &agent_token).await.status(), 403);
}

async fn the_dashboard_has_known_answers(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = create_user(&app.store, "agent1", "agent").await;
    seed(&app, agent).await;
    let d = app.get_json("/api/v1/analytics/kpis?days=90", &app.admin_token).await;
    let cur = &d["current"];
    assert_eq!(cur["cases"], 120, "{d}");
    assert_eq!(cur["csat_answers"], 115);
    close(&cur["csat_mean"], 385.0 / 115.0, "csat mean");
    close(&cur["csat_high_pct"], 100.0 * 60.0 / 115.0, "csat 4-5");
    close(&cur["first_response_median_hours"], 0.5, "first response median");
    close(&cur["resolution_p90_hours"], 2.0, "resolution p90");
    // First responses: 115 in time, five open ones overdue.
    close(&cur["sla_first_response_pct"], 100.0 * 115.0 / 120.0, "sla first");
    // Resolutions: 40 late, five open ones overdue.
    close(&cur["sla_resolution_pct"], 100.0 * 75.0 / 120.0, "sla resolution");
    // 4–5 and still a customer 30 days after: 38 + 20 of 115.
    close(&cur["recovery_rate_pct"], 100.0 * 58.0 / 115.0, "recovery rate");
    assert_eq!(cur["goodwill_cents"], 20_000);
    assert_eq!(cur["goodwill_per_case_cents"], 2000);
    assert_eq!(cur["reopened"], 0);
    assert_eq!(d["previous"]["cases"], 0);
    assert!(d["previous"]["csat_mean"].is_null());
    assert_eq!(d["backlog_now"], 5);
    let trend = d["trend"].as_array().expect("trend");
    assert_eq!(trend.len(), 13, "weekly buckets over 90 days");
    let created: i64 = trend.iter().map(|p| p["created"].as_i64().unwrap_or(0)).sum();
    assert_eq!(created, 120);
    assert_eq!(trend[0]["backlog"], 0);
    assert_eq!(trend.last().map(|p| p["backlog"].clone()), Some(Value::from(5)));
    // t0 − 50 d is Sunday 4 Oct 2026, 09:00 UTC = 11:00 in Berlin; the
    // open cases came Wednesday 18 Nov, 10:00 Berlin.
    assert_eq!(d["heatmap"][6][11], 115);
    assert_eq!(d["heatmap"][2][10], 5);
    let retention = d["retention"].as_array().expect("retention");
    assert_eq!(retention[0]["group"], "never_failed");
    close(&retention[0]["retained_pct"], 90.0, "never-failed retention");
    close(&retention[2]["retained_pct"], 60.0, "not recovered retention");

    // An agent sees only their own cases, whatever they ask for.
    let token = app.get_json("/api/v1/me", &app.admin_token).await;
    assert!(token.is_object());
    let agent_token = amends_app::service::create_token(&app.store, t0(), agent, "t", None)
        .await
        .expect("token")
        .1;
    let mine = app.get_json("/api/v1/analytics/kpis?days=90", &agent_token).await;
    assert_eq!(mine["current"]["cases"], 5, "{mine}");
    let other = uuid::Uuid::now_v7();
    let mine = app
        .get_json(&format!("/api/v1/analytics/kpis?days=90&agent={other}"), &agent_token)
        .await;
    assert_eq!(mine["current"]["cases"], 5);
    let lead = app
        .get_json(
            &format!("/api/v1/analytics/kpis?days=90&agent={}", agent.0),
            &app.admin_token,
        )
        .await;
    assert_eq!(lead["current"]["cases"], 5);
    let email = app
        .get_json("/api/v1/analytics/kpis?days=90&channel=phone", &app.admin_token)
        .await;
    assert_eq!(email["current"]["cases"], 0);
}

async fn the_analytics_pages_render_in_both_languages(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = create_user(&app.store, "agent1", "agent").await;
    seed(&app, agent).await;
    create_user(&app.store, "lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = crate::support::get_html(&lead, &app, "/analytics/paradox?days=90").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Ein Recovery-Paradox ist sichtbar"), "{html}");
    assert!(html.contains("4,75"), "German decimals");
    assert!(html.contains("class=\"chart\""), "a chart");
    let (status, html) = crate::support::get_html(&lead, &app, "/dashboard?days=90").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("62,5\u{a0}%"), "SLA resolution in German: {html}");
    // A bad filter is shown on the page, not a raw error.
    let (status, html) = crate::support::get_html(&lead, &app, "/dashboard?days=abc").await;
    assert_eq!(status, 200);
    assert!(html.contains("role=\"alert\""), "{html}");
    // Agents get their own dashboard and no paradox.
    let agent_ui = app.signed_in("agent1").await;
    let (status, html) = crate::support::get_html(&agent_ui, &app, "/dashboard").await;
    assert_eq!(status, 200);
    assert!(html.contains("Meine Zahlen"), "{html}");
    let (status, _) = crate::support::get_html(&agent_ui, &app, "/analytics/paradox").await;
    assert_eq!(status, 403);
}

/// Berlin wall-clock time in November 2026 as UTC (UTC+1).
fn berlin(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .single()
        .expect("valid time")
        - Duration::hours(1)
}

/// Standard/normal has office hours (Mon–Fri 9–17 Berlin); premium/normal
/// runs round the clock. Three resolved cases (Thursday 19 to Monday 23
/// November 2026), their times in business and wall-clock hours:
///
/// | case | created | first response | resolved | first (bh / wall) | resolution (bh / wall) |
/// |---|---|---|---|---|---|
/// | standard | Fri 17:00 | Mon 9:30 | Mon 9:45 | 0.5 / 64.5 | 0.75 / 64.75 |
/// | standard | Thu 16:00 | Fri 10:00 | Fri 16:00 | 2 / 18 | 8 / 24 |
/// | premium | Sat 12:00 | Sat 13:00 | Sun 12:00 | 1 / 1 | 24 / 24 |
///
/// Quantiles interpolate linearly: p90 of three sorted values a ≤ b ≤ c is b + 0.8 (c − b).
async fn the_dashboard_counts_business_hours_of_the_policy_calendar(b: Backend) {
    let app = TestApp::spawn(b).await;
    let wall = app.get_json("/api/v1/analytics/kpis?days=30", &app.admin_token).await;
    assert_eq!(wall["business_calendars"], false, "{wall}");
    app.put_json(
        "/api/v1/sla-policies/standard/normal",
        &app.admin_token,
        serde_json::json!({"first_response_minutes": 240, "resolution_minutes": 960,
            "calendar": {"timezone": "Europe/Berlin",
                "week": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
                         "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]]}}}),
        200,
    )
    .await;
    let mut batch = Batch::default();
    let cases = [
        (Tier::Standard, berlin(20, 17, 0), berlin(23, 9, 30), berlin(23, 9, 45)),
        (Tier::Standard, berlin(19, 16, 0), berlin(20, 10, 0), berlin(20, 16, 0)),
        (Tier::Premium, berlin(21, 12, 0), berlin(21, 13, 0), berlin(22, 12, 0)),
    ];
    for (n, (tier, created, first, resolved)) in (0u32..).zip(cases) {
        let c = NewCustomer {
            tier,
            ..customer(2000 + n)
        };
        let id = CaseId::new_at(created, u128::from(n));
        batch.cases.push(CaseRecord {
            state: CaseState::Resolved,
            first_responded_at: Some(first),
            resolved_at: Some(resolved),
            updated_at: resolved,
            ..case_record(id, &c, created, "Warten", "Seit Tagen keine Antwort")
        });
        batch.customers.push(c);
    }
    app.store.insert_batch(&batch).await.expect("seed");
    let d = app.get_json("/api/v1/analytics/kpis?days=30", &app.admin_token).await;
    assert_eq!(d["business_calendars"], true, "{d}");
    let cur = &d["current"];
    assert_eq!(cur["cases"], 3, "{d}");
    close(&cur["first_response_median_business_hours"], 1.0, "first median bh");
    close(&cur["first_response_p90_business_hours"], 1.8, "first p90 bh");
    close(&cur["resolution_median_business_hours"], 8.0, "resolution median bh");
    close(&cur["resolution_p90_business_hours"], 20.8, "resolution p90 bh");
    close(&cur["first_response_median_hours"], 18.0, "first median wall");
    close(&cur["first_response_p90_hours"], 55.2, "first p90 wall");
    close(&cur["resolution_median_hours"], 24.0, "resolution median wall");
    close(&cur["resolution_p90_hours"], 56.6, "resolution p90 wall");
    assert!(d["previous"]["first_response_median_business_hours"].is_null());

    let lead_id = create_user(&app.store, "lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = crate::support::get_html(&lead, &app, "/dashboard").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Lösung (p90, Geschäftszeit)"), "{html}");
    assert!(html.contains("20,8 h"), "German business p90: {html}");
    assert!(html.contains("Geschäftszeit zählt nur"), "the note says which is which");
    app.store
        .set_user_language(lead_id, Language::En, t0())
        .await
        .expect("language");
    let (_, html) = crate::support::get_html(&lead, &app, "/dashboard").await;
    assert!(html.contains("Resolution (p90, business hours)"), "{html}");
    assert!(html.contains("20.8 h"), "English business p90: {html}");
}

async fn the_roi_has_known_answers(b: Backend) {
    let app = TestApp::spawn(b).await;
    let agent = create_user(&app.store, "agent1", "agent").await;
    seed(&app, agent).await;
    let r = app.get_json("/api/v1/analytics/roi?days=90", &app.admin_token).await;
    let f = &r["facts"];
    assert_eq!(f["cases"], 120, "{r}");
    assert_eq!(f["failed_customers"], 120);
    close(&f["clv_mean_cents"], 10_000.0, "clv");
    close(&f["recovered_share"], 80.0 / 115.0, "recovered share");
    // Retained 70 of 80 recovered, 21 of 35 not recovered (statsmodels, Newcombe).
    close(&f["retention_uplift"], 0.275, "uplift");
    close(&f["retention_uplift_ci"]["low"], 0.10475550460241875, "uplift low");
    close(&f["retention_uplift_ci"]["high"], 0.448447735640867, "uplift high");
    let x = &r["returns"];
    // 20,000 goodwill + 120 cases × 0.5 h × 4,500.
    close(&x["cost_cents"], 290_000.0, "cost");
    close(&x["customers_kept"], 22.956521739130437, "kept");
    close(&x["revenue_kept_cents"], 229_565.21739130438, "revenue");
    close(&x["acquisition_saved_cents"], 398_750.00000000006, "acquisition");
    close(&x["roi"], 1.1666041979010497, "roi");
    close(&x["payback_months"], 45.47727272727272, "payback");
    assert!(r["returns_low"]["roi"].as_f64() < x["roi"].as_f64());
    // What-if inputs change the result and are checked.
    let r = app
        .get_json(
            "/api/v1/analytics/roi?days=90&hourly_cost_cents=0&acquisition_multiple=25",
            &app.admin_token,
        )
        .await;
    close(&r["returns"]["cost_cents"], 20_000.0, "goodwill only");
    for (query, field) in [
        ("acquisition_multiple=0", "acquisition_multiple"),
        ("lifetime_months=0", "lifetime_months"),
        ("minutes_per_case=-1", "minutes_per_case"),
        ("hourly_cost_cents=x", "hourly_cost_cents"),
    ] {
        let res = app
            .get(&format!("/api/v1/analytics/roi?{query}"), &app.admin_token)
            .await;
        assert!(problem(res, 422).await.to_string().contains(field), "{query}");
    }
    create_user(&app.store, "lead1", "lead").await;
    let lead = app.signed_in("lead1").await;
    let (status, html) = crate::support::get_html(&lead, &app, "/analytics/roi?days=90").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("ROI 117"), "German ROI sentence: {html}");
    let (status, html) = crate::support::get_html(&lead, &app, "/analytics/roi?lifetime_months=0").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Die Lebensdauer muss 1 bis 240 Monate betragen"),
        "{html}"
    );
}

crate::both_backends!(
    the_paradox_report_has_known_answers,
    the_dashboard_has_known_answers,
    the_analytics_pages_render_in_both_languages,
    the_roi_has_known_answers,
    the_dashboard_counts_business_hours_of_the_policy_calendar,
);
