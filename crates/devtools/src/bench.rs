//! Benchmarks behind `amends bench`: figures and ratios printed, never
//! asserted in tests (timings on shared machines are noise in a test).

use crate::demo::{self, DemoOptions};
use amends_domain::{CaseState, CustomerId, Tier, UserId};
use amends_store::{AssigneeFilter, CaseFilter, CaseSort, Store};
use chrono::{DateTime, Duration, Utc};
use std::time::Instant;

/// The inbox and customer-page queries agents run all day.
#[must_use]
pub fn hot_filters(agent: UserId, customer: CustomerId, now: DateTime<Utc>) -> Vec<(&'static str, CaseFilter)> {
    let open: Vec<CaseState> = CaseState::ALL.iter().copied().filter(|s| s.is_open()).collect();
    let base = CaseFilter {
        limit: 50,
        ..CaseFilter::default()
    };
    vec![
        ("all, newest", base.clone()),
        (
            "one state (new)",
            CaseFilter {
                states: vec![CaseState::New],
                ..base.clone()
            },
        ),
        (
            "open, due first",
            CaseFilter {
                states: open.clone(),
                sort: CaseSort::Due,
                ..base.clone()
            },
        ),
        (
            "mine, open",
            CaseFilter {
                states: open.clone(),
                assignee: Some(AssigneeFilter::User(agent)),
                ..base.clone()
            },
        ),
        (
            "unassigned, open",
            CaseFilter {
                states: open.clone(),
                assignee: Some(AssigneeFilter::Unassigned),
                ..base.clone()
            },
        ),
        (
            "customer page",
            CaseFilter {
                customer_id: Some(customer),
                ..base.clone()
            },
        ),
        (
            "premium, open",
            CaseFilter {
                states: open,
                tier: Some(Tier::Premium),
                ..base.clone()
            },
        ),
        (
            "created last week",
            CaseFilter {
                created_from: Some(now - Duration::days(7)),
                ..base
            },
        ),
    ]
}

pub use crate::timing::QueryTiming;
use crate::timing::elapsed_ms;

#[derive(Debug, Clone)]
pub struct InboxBench {
    pub cases: usize,
    pub customers: usize,
    pub load_seconds: f64,
    pub timings: Vec<QueryTiming>,
    /// The analytics reports on the same data.
    pub analytics: Vec<QueryTiming>,
}

/// Fills `store` with the benchmarks' data set (`cases` cases for
/// `customers` customers, no timelines), then gathers the planner's
/// statistics and, on PostgreSQL, vacuums; gives the seconds the load took.
pub async fn load(store: &Store, now: DateTime<Utc>, customers: usize, cases: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    demo::generate(
        store,
        now,
        DemoOptions {
            customers,
            cases,
            seed: 1,
            events: false,
            stream: 0,
            patterns: false,
        },
    )
    .await?;
    let load_seconds = started.elapsed().as_secs_f64();
    store.settle_after_load().await?;
    Ok(load_seconds)
}

/// Fills `store` with `cases` cases for `customers` customers (no
/// timelines) and times the first and second page of every hot query.
pub async fn inbox(
    store: &Store,
    now: DateTime<Utc>,
    customers: usize,
    cases: usize,
    iterations: usize,
) -> anyhow::Result<InboxBench> {
    let load_seconds = load(store, now, customers, cases).await?;
    let agent = store.get_user_by_username("anna").await?.id;
    let any = store
        .list_cases(&CaseFilter {
            limit: 1,
            ..CaseFilter::default()
        })
        .await?;
    let customer = any
        .items
        .first()
        .map(|c| c.customer_id)
        .ok_or_else(|| anyhow::anyhow!("no cases were generated"))?;
    let mut timings = Vec::new();
    for (name, filter) in hot_filters(agent, customer, now) {
        let mut samples = Vec::with_capacity(iterations * 2);
        let mut rows = 0;
        for _ in 0..iterations.max(1) {
            let t = Instant::now();
            let page = store.list_cases(&filter).await?;
            samples.push(elapsed_ms(t));
            rows = page.items.len();
            if let Some(next) = page.next_cursor {
                let second = CaseFilter {
                    cursor: amends_store::Cursor::decode(&next),
                    ..filter.clone()
                };
                let t = Instant::now();
                store.list_cases(&second).await?;
                samples.push(elapsed_ms(t));
            }
        }
        timings.push(QueryTiming::from_samples(name, samples, rows));
    }
    // The inbox page also counts its view and every view's chip: one
    // capped count (≤ 1,001 index entries) per hot filter.
    let filters = hot_filters(agent, customer, now);
    let mut samples = Vec::with_capacity(iterations);
    let mut rows = 0;
    for _ in 0..iterations.max(1) {
        let t = Instant::now();
        for (_, f) in &filters {
            rows = usize::try_from(store.count_cases(f, 1000).await?).unwrap_or(0);
        }
        samples.push(elapsed_ms(t));
    }
    timings.push(QueryTiming::from_samples(
        "counts of every hot filter, capped at 1,000",
        samples,
        rows,
    ));
    let analytics = crate::bench_analytics::analytics(store, now, iterations.min(20)).await?;
    Ok(InboxBench {
        cases,
        customers,
        load_seconds,
        timings,
        analytics,
    })
}

/// Figures of the incident fan-out benchmark.
#[derive(Debug, Clone)]
pub struct FanOutBench {
    pub affected: usize,
    pub upload_seconds: f64,
    pub cases: i64,
    pub messages: i64,
    pub grants: i64,
    /// Rows written by the fan-out (cases + events + grants + jobs + affected rows).
    pub rows: usize,
    /// The same rows written with plain multi-row inserts in one transaction.
    pub baseline_seconds: f64,
    /// CPU time of the process (all threads) during the upload and the
    /// baseline, where the system tells it (Linux): on a shared machine the
    /// wall time also counts other processes' work.
    pub upload_cpu_seconds: Option<f64>,
    pub baseline_cpu_seconds: Option<f64>,
}

/// CPU time used by this process so far (user + system, all threads), from
/// `/proc/self/stat`; `None` elsewhere.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Clock ticks: 100 per second on every Linux we run on (USER_HZ).
    Some((utime + stime) / 100.0)
}

/// Creates `affected` customers, a delay incident and two goodwill rules,
/// then times the upload of a CSV naming every customer (parse, look up,
/// stage, fan out: cases, timeline events, grants and outbox jobs
/// committed) and, for comparison, a plain batched insert of the same
/// rows into the same database.
pub async fn incident_fan_out(
    state: &amends_app::App,
    now: DateTime<Utc>,
    affected: usize,
) -> anyhow::Result<FanOutBench> {
    use amends_app::incidents::{Planner, UploadFormat, upload};
    use amends_domain::incident::{IncidentDraft, IncidentKind};
    let store = state.store();
    eprintln!("creating {affected} customers …");
    demo::generate(
        store,
        now,
        DemoOptions {
            customers: affected,
            cases: 0,
            seed: 7,
            events: false,
            stream: 0,
            patterns: false,
        },
    )
    .await?;
    store.analyze().await?;
    let lead = store.get_user_by_username("lena").await?.id;
    let catalog = store.list_catalog(true).await?;
    let item = |cents: i64| {
        catalog
            .iter()
            .find(|c| c.value_cents == cents)
            .map(|c| c.id)
            .ok_or_else(|| anyhow::anyhow!("seeded catalog item of {cents} cents missing"))
    };
    for (name, condition, cents, position) in [
        (
            "Premium over 3 h",
            "kind = delay and delay_minutes > 180 and tier = premium",
            10_000,
            10,
        ),
        ("Over 3 h", "kind = delay and delay_minutes > 180", 2_500, 20),
    ] {
        let input = amends_store::GoodwillRuleInput {
            name: name.into(),
            condition: condition.into(),
            catalog_item_id: item(cents)?,
            position,
            active: true,
            applies_to: amends_domain::goodwill_rule::RuleScope::Incident,
        };
        store.save_goodwill_rule(None, &input, Some(lead), now).await?;
    }
    let draft = IncidentDraft {
        kind: IncidentKind::Delay,
        title: "Benchmark: flights delayed".into(),
        severity: 3,
        controllable: true,
        started_at: now,
        ended_at: None,
        component: None,
        release: None,
        summary_de: "Ihr Flug hatte Verspätung.".into(),
        summary_en: "Your flight was delayed.".into(),
    };
    let incident = store.insert_incident(&draft, "api", None, lead, now).await?;
    let mut csv = String::from("customer_external_id,delay_minutes,order_id\n");
    for i in 0..affected {
        csv.push_str(&format!("CRM-{:06},{},B-{i}\n", 10_000 + i, (i * 7) % 400));
    }
    eprintln!(
        "uploading {affected} affected customers ({} KiB CSV) …",
        csv.len() / 1024
    );
    let started = Instant::now();
    let cpu_started = process_cpu_seconds();
    let report = upload(
        state,
        incident.id,
        UploadFormat::Csv,
        std::io::Cursor::new(csv.into_bytes()),
        lead,
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.for_operator()))?;
    let upload_seconds = started.elapsed().as_secs_f64();
    let upload_cpu_seconds = process_cpu_seconds().zip(cpu_started).map(|(b, a)| b - a);
    if report.added as usize != affected {
        anyhow::bail!(
            "only {} of {affected} rows were taken: {:?}",
            report.added,
            report.errors.first()
        );
    }
    let t = &report.totals;
    // The baseline: the same rows for a second incident, planned in memory,
    // written with plain multi-row inserts.
    let other = store.insert_incident(&draft, "api", None, lead, now).await?;
    let planner = Planner::load(state, &other, lead)
        .await
        .map_err(|e| anyhow::anyhow!(e.for_operator()))?;
    let mut customers = Vec::with_capacity(affected);
    let mut cursor = None;
    loop {
        let page = store
            .list_customers(&amends_store::CustomerFilter {
                limit: 200,
                cursor,
                ..amends_store::CustomerFilter::default()
            })
            .await?;
        customers.extend(page.items);
        match page.next_cursor {
            Some(c) if customers.len() < affected => cursor = amends_store::Cursor::decode(&c),
            _ => break,
        }
    }
    let pending: Vec<amends_store::PendingAffected> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| amends_store::PendingAffected {
            customer_id: c.id.0,
            facts: format!("{{\"delay_minutes\":{},\"order_id\":\"B-{i}\"}}", (i * 7) % 400),
            tier: c.tier,
            language: c.language,
            reachable: c.email.is_some() && c.consent_contact,
            open_case_id: None,
        })
        .collect();
    let plans: Vec<amends_store::FanOutPlan> = pending
        .chunks(amends_app::incidents::CHUNK)
        .map(|chunk| planner.plan(chunk, now))
        .collect();
    let rows: usize = plans
        .iter()
        .map(|p| p.new_cases.len() + p.events.len() + p.grants.len() + p.jobs.len() + p.outcomes.len())
        .sum();
    let started = Instant::now();
    let cpu_started = process_cpu_seconds();
    store.insert_plan_rows(other.id, &plans, "{}", now).await?;
    let baseline_seconds = started.elapsed().as_secs_f64();
    let baseline_cpu_seconds = process_cpu_seconds().zip(cpu_started).map(|(b, a)| b - a);
    Ok(FanOutBench {
        affected,
        upload_seconds,
        cases: t.cases_created,
        messages: t.messages_queued,
        grants: t.goodwill_granted,
        rows,
        baseline_seconds,
        upload_cpu_seconds,
        baseline_cpu_seconds,
    })
}
