//! Times the analytics use cases (dashboard, recovery paradox, ROI) on the
//! data set the inbox benchmark has just loaded, through the same `App`
//! functions the API calls.

use crate::timing::{QueryTiming, elapsed_ms};
use amends_app::analytics::{Scope, kpis, paradox, roi};
use amends_app::{App, Clock, Config};
use amends_store::{AnalyticsFilter, Store};
use chrono::{DateTime, Utc};
use std::time::Instant;

/// p50 and p99 of each report over `iterations` runs.
pub async fn analytics(store: &Store, now: DateTime<Utc>, iterations: usize) -> anyhow::Result<Vec<QueryTiming>> {
    let app = App::new(store.clone(), Clock::manual(now), Config::default())?;
    let all = AnalyticsFilter::default();
    let last_30 = Scope::last_days(now, Some(30), all)?;
    let last_180 = Scope::last_days(now, Some(180), all)?;
    let mut out = Vec::new();
    for name in ["dashboard 30 d", "paradox 180 d", "roi 180 d"] {
        let mut samples = Vec::with_capacity(iterations);
        let mut rows = 0;
        for _ in 0..iterations.max(1) {
            let t = Instant::now();
            rows = match name {
                "dashboard 30 d" => kpis::dashboard(&app, &last_30, None).await?.current.cases as usize,
                "paradox 180 d" => {
                    paradox::report(&app, &last_180, paradox::Outcome::Satisfaction, None)
                        .await?
                        .failures as usize
                }
                _ => {
                    roi::report(&app, &last_180, roi::WhatIf::default(), None)
                        .await?
                        .facts
                        .cases as usize
                }
            };
            samples.push(elapsed_ms(t));
        }
        out.push(QueryTiming::from_samples(name, samples, rows));
    }
    Ok(out)
}
