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

/// Timing of one query shape.
#[derive(Debug, Clone)]
pub struct QueryTiming {
    pub name: &'static str,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub rows: usize,
}

#[derive(Debug, Clone)]
pub struct InboxBench {
    pub cases: usize,
    pub customers: usize,
    pub load_seconds: f64,
    pub timings: Vec<QueryTiming>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
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
    let started = Instant::now();
    demo::generate(
        store,
        now,
        DemoOptions {
            customers,
            cases,
            seed: 1,
            events: false,
        },
    )
    .await?;
    let load_seconds = started.elapsed().as_secs_f64();
    store.analyze().await?;
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
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
            rows = page.items.len();
            if let Some(next) = page.next_cursor {
                let second = CaseFilter {
                    cursor: amends_store::Cursor::decode(&next),
                    ..filter.clone()
                };
                let t = Instant::now();
                store.list_cases(&second).await?;
                samples.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        samples.sort_by(f64::total_cmp);
        timings.push(QueryTiming {
            name,
            p50_ms: percentile(&samples, 0.5),
            p99_ms: percentile(&samples, 0.99),
            rows,
        });
    }
    Ok(InboxBench {
        cases,
        customers,
        load_seconds,
        timings,
    })
}
