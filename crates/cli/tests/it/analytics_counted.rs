//! The dashboard's case figures counted by the database (the way without a
//! business calendar) equal those read case by case: on times with and
//! without fractions of a second (none, milliseconds, microseconds) on both
//! sides of every boundary — whole seconds of a duration, minutes of the
//! quantiles' histogram, the trend's buckets, the SLA due times.

use crate::support::{Backend, TestApp, case_record, create_user, new_customer, t0};
use amends_app::analytics::case_stats::Detail;
use amends_app::analytics::kpis::{CaseStats, Exits};
use amends_app::analytics::{Scope, case_stats};
use amends_app::{App, Clock, Config};
use amends_domain::sla::PolicyCalendars;
use amends_domain::{CaseId, CaseState, Channel, Tier};
use amends_store::{AnalyticsFilter, Batch};
use chrono::{DateTime, Duration, Utc};

/// A fraction of a second that varies with `n`: none, whole milliseconds
/// or whole microseconds (PostgreSQL keeps microseconds).
fn fraction(n: i64) -> Duration {
    match n % 4 {
        0 => Duration::zero(),
        1 => Duration::milliseconds((n * 37) % 1000),
        2 => Duration::microseconds((n * 7919) % 1_000_000),
        _ => Duration::microseconds(999_999 - (n % 3)),
    }
}

/// When the dashboard is asked: not on a whole second.
fn now() -> DateTime<Utc> {
    t0() + Duration::microseconds(500_123)
}

async fn seed(app: &TestApp) {
    let agent = create_user(&app.store, "zaehler", "agent").await;
    let mut b = Batch::default();
    let from_30 = now() - Duration::days(30);
    for n in 0..400i64 {
        let c = new_customer("CT", u32::try_from(n).expect("small"), t0() - Duration::days(400));
        // Spread over 100 days; every tenth case right at a trend boundary
        // of the last 30 days (just before, on, just after).
        let created = if n % 10 == 0 {
            from_30 + Duration::days(n % 30) + Duration::microseconds(n % 3 - 1)
        } else {
            t0() - Duration::minutes(n * 361) + fraction(n)
        };
        let mut r = case_record(
            CaseId::new_at(created, u128::try_from(n).expect("small")),
            &c,
            created,
            "Zähler",
            "Fall",
        );
        r.channel = if n % 3 == 0 { Channel::Chat } else { Channel::Email };
        r.assignee_id = (n % 5 == 0).then_some(agent);
        // Durations of whole minutes plus or minus a fraction, a few
        // negative (answered before the recorded creation), a few open.
        let first = Duration::minutes(n % 97) + fraction(n + 1) - fraction(n + 2);
        if n % 11 != 0 {
            r.first_responded_at = Some(if n % 29 == 0 {
                created - Duration::seconds(n % 7) - fraction(n)
            } else {
                created + first
            });
        }
        if n % 4 != 0 {
            let done = created + Duration::minutes((n * 13) % 600) + fraction(n + 3);
            r.resolved_at = Some(done);
            r.state = CaseState::Resolved;
            r.updated_at = done;
        } else if n % 8 == 0 {
            r.state = CaseState::Closed;
            r.closed_at = Some(created + Duration::hours(30) + fraction(n));
            r.updated_at = created + Duration::hours(30) + fraction(n);
        }
        // Due exactly when done for some: in time, by the clock's equality.
        if n % 6 == 0 {
            if let Some(d) = r.first_responded_at {
                r.first_response_due_at = d;
            }
            if let Some(d) = r.resolved_at {
                r.resolution_due_at = d;
            }
        }
        b.cases.push(r);
        b.customers.push(c);
    }
    app.store.insert_batch(&b).await.expect("seed");
}

async fn counted_case_figures_equal_those_read_row_by_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    seed(&app).await;
    let state = App::new(app.store.clone(), Clock::manual(now()), Config::default()).expect("app");
    let agent = app.store.get_user_by_username("zaehler").await.expect("agent").id;
    let filters = [
        AnalyticsFilter::default(),
        AnalyticsFilter {
            channel: Some(Channel::Chat),
            ..AnalyticsFilter::default()
        },
        AnalyticsFilter {
            tier: Some(Tier::Standard),
            assignee: Some(agent),
            ..AnalyticsFilter::default()
        },
    ];
    // UTC, one with summer time, one 45 minutes off the hour.
    let zones = ["UTC", "Europe/Berlin", "Asia/Kathmandu"].map(|z| z.parse().expect("zone"));
    for tz in zones {
        for days in [7, 30, 90] {
            for filter in filters {
                let scope = Scope::last_days(now(), Some(days), filter).expect("scope");
                for scope in [scope, scope.previous()] {
                    let rows = app
                        .store
                        .case_facts(scope.from, scope.to, &filter)
                        .await
                        .expect("facts");
                    let by_rows = CaseStats::of_rows(&scope, &rows, &PolicyCalendars::default(), now(), tz);
                    let counted = case_stats::counted(&state, &scope, now(), tz, Detail::Trend)
                        .await
                        .expect("counted");
                    assert_eq!(counted, by_rows, "{days} days, {filter:?}, {tz:?}");
                    // The totals alone: the same figures without trend and heat map.
                    let totals = case_stats::counted(&state, &scope, now(), tz, Detail::Totals)
                        .await
                        .expect("totals");
                    assert_eq!(
                        (totals.cases, &totals.first_response, &totals.resolution),
                        (by_rows.cases, &by_rows.first_response, &by_rows.resolution),
                        "{days} days, {filter:?}"
                    );
                    let exits = Exits::of_times(
                        &scope,
                        &app.store.backlog_exits(scope.from, &filter).await.expect("exits"),
                    );
                    assert_eq!(
                        case_stats::exits(&state, &scope, Detail::Trend)
                            .await
                            .expect("exit buckets"),
                        exits,
                        "{days} days, {filter:?}"
                    );
                    let total = case_stats::exits(&state, &scope, Detail::Totals)
                        .await
                        .expect("exit total");
                    assert_eq!((total.in_period(), total.after), (exits.in_period(), 0));
                }
            }
        }
    }
    // Known answers on the whole set: 30 days hold these cases.
    let scope = Scope::last_days(now(), Some(30), AnalyticsFilter::default()).expect("scope");
    let counted = case_stats::counted(&state, &scope, now(), zones[0], Detail::Trend)
        .await
        .expect("counted");
    assert!(counted.cases > 100, "{}", counted.cases);
    assert_eq!(counted.created.iter().sum::<u64>(), counted.cases);
    assert_eq!(counted.heatmap.iter().flatten().sum::<u64>(), counted.cases);
    assert!(counted.first_response.median_hours.is_some());
}

/// The patterns report on feedback grouped by 15-minute slot (the way the
/// report reads it) equals the report on the feedback row by row: demo
/// feedback with planted patterns, and change events off the slots.
async fn the_patterns_report_on_grouped_feedback_equals_it_row_by_row(backend: Backend) {
    use amends_app::analytics::patterns::{Input, analyse, boundaries};
    let app = TestApp::spawn(backend).await;
    app.jobs_settled().await;
    amends_devtools::demo::generate(
        &app.store,
        now(),
        amends_devtools::demo::DemoOptions {
            stream: 3_000,
            ..amends_devtools::demo::DemoOptions::default()
        },
    )
    .await
    .expect("demo");
    let admin = app.store.get_user_by_username("admin").await.expect("admin").id;
    for (i, days) in [(1i64, 20i64), (2, 45), (3, 3)] {
        let at = now() - Duration::days(days) + Duration::seconds(i * 421) + Duration::microseconds(i * 7);
        let e = amends_store::NewChangeEvent {
            kind: "release".into(),
            title: format!("Release {i}"),
            component: Some("checkout".into()),
            at,
        };
        app.store.insert_change_event(&e, admin, now()).await.expect("event");
    }
    let tz = "Europe/Berlin".parse().expect("zone");
    for (days, window_days) in [(90i64, 7i64), (30, 14), (7, 1)] {
        let (from, to) = (now() - Duration::days(days), now());
        let earliest = (from - (to - from)).min(from - Duration::days(window_days));
        let events = app.store.list_change_events(from, to, 500).await.expect("events");
        let rows = app.store.feedback_facts(earliest, to, None, None).await.expect("rows");
        let exact = boundaries(from, to, window_days, &events);
        let groups = app
            .store
            .feedback_groups(earliest, to, None, None, &exact)
            .await
            .expect("groups");
        let input = |facts| Input {
            from,
            to,
            window_days,
            tz,
            facts,
            events: &events,
        };
        let by_rows = analyse(&input(&rows));
        assert!(by_rows.feedback > 100, "{days} days: {}", by_rows.feedback);
        assert!(
            groups.len() <= rows.len(),
            "grouped: {} of {}",
            groups.len(),
            rows.len()
        );
        assert_eq!(analyse(&input(&groups)), by_rows, "{days} days, window {window_days}");
    }
}

crate::both_backends!(
    counted_case_figures_equal_those_read_row_by_row,
    the_patterns_report_on_grouped_feedback_equals_it_row_by_row,
);
