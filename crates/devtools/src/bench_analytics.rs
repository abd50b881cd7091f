//! Times the analytics use cases (dashboard, recovery paradox, patterns,
//! ROI) on the data set the inbox benchmark has just loaded, through the
//! same `App` functions the API calls. The first run of each report is
//! also reported on its own (cold caches after the load).

use crate::timing::{QueryTiming, elapsed_ms};
use amends_app::analytics::{Scope, kpis, paradox, patterns, roi};
use amends_app::{App, Clock, Config};
use amends_store::{AnalyticsFilter, Store};
use chrono::{DateTime, Utc};
use std::time::Instant;

/// Each report and the name of its first run.
const REPORTS: [(&str, &str); 4] = [
    ("dashboard 30 d", "dashboard, first"),
    ("paradox 180 d", "paradox, first"),
    ("patterns 90 d", "patterns, first"),
    ("roi 180 d", "roi, first"),
];

/// One run of the report `name`; gives its size (cases, answers or feedback).
async fn run(app: &App, name: &str, last_30: &Scope, last_180: &Scope) -> anyhow::Result<usize> {
    Ok(match name {
        "dashboard 30 d" => kpis::dashboard(app, last_30, None).await?.current.cases as usize,
        "paradox 180 d" => {
            paradox::report(app, last_180, paradox::Outcome::Satisfaction, None)
                .await?
                .failures as usize
        }
        "patterns 90 d" => patterns::report(app, Some(90), None, None, None).await?.feedback as usize,
        _ => {
            roi::report(app, last_180, roi::WhatIf::default(), None)
                .await?
                .facts
                .cases as usize
        }
    })
}

/// The first run of each report, then p50 and p99 of each over `iterations` runs.
pub async fn analytics(store: &Store, now: DateTime<Utc>, iterations: usize) -> anyhow::Result<Vec<QueryTiming>> {
    let app = App::new(store.clone(), Clock::manual(now), Config::default())?;
    let all = AnalyticsFilter::default();
    let last_30 = Scope::last_days(now, Some(30), all)?;
    let last_180 = Scope::last_days(now, Some(180), all)?;
    let mut out = Vec::new();
    for (name, first) in REPORTS {
        let t = Instant::now();
        let rows = run(&app, name, &last_30, &last_180).await?;
        out.push(QueryTiming::from_samples(first, vec![elapsed_ms(t)], rows));
    }
    for (name, _) in REPORTS {
        let mut samples = Vec::with_capacity(iterations);
        let mut rows = 0;
        for _ in 0..iterations.max(1) {
            let t = Instant::now();
            rows = run(&app, name, &last_30, &last_180).await?;
            samples.push(elapsed_ms(t));
        }
        out.push(QueryTiming::from_samples(name, samples, rows));
    }
    Ok(out)
}
