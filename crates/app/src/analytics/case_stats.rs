//! The dashboard's case figures counted by the database: per 15-minute
//! slot and trend bucket, and the SLA clocks' medians and 90th percentiles
//! exactly from a histogram of whole minutes and the seconds of the few
//! minutes where the quantiles fall — without reading the period's cases
//! one by one. The same numbers as [`CaseStats::of_rows`] where every SLA
//! policy counts wall-clock time; with a business calendar the dashboard
//! reads the rows.

use super::Scope;
use super::kpis::{CaseStats, ClockStats, Exits, bucket_length};
use crate::App;
use crate::error::AppResult;
use amends_store::{CaseSlot, ClockSeconds, DurationBucket, ExitBucket};
use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// The quantiles the dashboard shows.
const QUANTILES: [f64; 2] = [0.5, 0.9];

/// Where quantile `q` of `n` sorted values falls: the two neighbouring
/// ranks and the weight between them, as `amends_stats::quantile` takes them.
fn ranks(n: u64, q: f64) -> (u64, u64, f64) {
    let last = n - 1;
    let h = last as f64 * q;
    let i = (h.floor() as u64).min(last);
    (i, (i + 1).min(last), h - i as f64)
}

/// One clock's histogram (minute → cases, ascending).
struct Histogram(BTreeMap<i64, u64>);

impl Histogram {
    fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// The minute of the value at `rank` and how many values come before that minute.
    fn locate(&self, rank: u64) -> Option<(i64, u64)> {
        let mut before = 0;
        for (&minute, &n) in &self.0 {
            if rank < before + n {
                return Some((minute, before));
            }
            before += n;
        }
        None
    }

    /// The minutes holding the ranks of the dashboard's quantiles.
    fn minutes_needed(&self) -> Vec<i64> {
        let n = self.total();
        if n == 0 {
            return Vec::new();
        }
        let mut out: Vec<i64> = QUANTILES
            .iter()
            .flat_map(|&q| {
                let (a, b, _) = ranks(n, q);
                [a, b]
            })
            .filter_map(|r| self.locate(r).map(|(m, _)| m))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The value at `rank` from the sorted seconds of its minute.
    fn value(&self, rank: u64, seconds: &BTreeMap<i64, Vec<i64>>) -> Option<i64> {
        let (minute, before) = self.locate(rank)?;
        let values = seconds.get(&minute)?;
        values.get(usize::try_from(rank - before).ok()?).copied()
    }

    /// Quantile `q` in hours, and in business hours (negative durations
    /// count as none, as `PolicyCalendars::elapsed` measures them) — the
    /// same numbers `amends_stats::quantile` gives on all the values.
    fn quantile(&self, q: f64, seconds: &BTreeMap<i64, Vec<i64>>) -> (Option<f64>, Option<f64>) {
        let n = self.total();
        if n == 0 {
            return (None, None);
        }
        let (i, j, g) = ranks(n, q);
        let (Some(a), Some(b)) = (self.value(i, seconds), self.value(j, seconds)) else {
            return (None, None);
        };
        let hours = |v: i64| v as f64 / 3600.0;
        // Two values, weight g: amends_stats interpolates them exactly as
        // it does at ranks i and i + 1 of the whole list.
        (
            amends_stats::quantile(&[hours(a), hours(b)], g),
            amends_stats::quantile(&[hours(a.max(0)), hours(b.max(0))], g),
        )
    }
}

/// The histograms of both clocks.
fn histograms(buckets: &[DurationBucket]) -> [Histogram; 2] {
    let mut out = [Histogram(BTreeMap::new()), Histogram(BTreeMap::new())];
    for b in buckets {
        if let Some(h) = out.get_mut(usize::try_from(b.clock).unwrap_or(usize::MAX)) {
            *h.0.entry(b.minute).or_default() += u64::try_from(b.cases).unwrap_or(0);
        }
    }
    out
}

/// One clock's figures from its slots' counts, histogram and the seconds of the needed minutes. Pure.
fn clock(judged: u64, met: u64, histogram: &Histogram, seconds: &BTreeMap<i64, Vec<i64>>) -> ClockStats {
    let (median_hours, median_business_hours) = histogram.quantile(QUANTILES[0], seconds);
    let (p90_hours, p90_business_hours) = histogram.quantile(QUANTILES[1], seconds);
    ClockStats {
        median_hours,
        p90_hours,
        median_business_hours,
        p90_business_hours,
        judged,
        met,
    }
}

/// The case figures from the slots' counts. Pure but for the histograms'
/// seconds, which `seconds` gives per clock (ascending per minute).
#[must_use]
fn assemble(
    scope: &Scope,
    slots: &[CaseSlot],
    histograms: &[Histogram; 2],
    seconds: &[BTreeMap<i64, Vec<i64>>; 2],
    tz: Tz,
) -> CaseStats {
    let mut created = vec![0u64; super::kpis::bucket_count(scope)];
    let mut grid = vec![vec![0u64; 24]; 7];
    let mut sum = [0u64; 5];
    for s in slots {
        let n = u64::try_from(s.cases).unwrap_or(0);
        if let Some(c) = usize::try_from(s.bucket).ok().and_then(|b| created.get_mut(b)) {
            *c += n;
        }
        if let Some(start) = DateTime::<Utc>::from_timestamp(s.slot * 900, 0) {
            let local = start.with_timezone(&tz);
            grid[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += n;
        }
        for (acc, v) in sum.iter_mut().zip([
            s.cases,
            s.first_judged,
            s.first_met,
            s.resolution_judged,
            s.resolution_met,
        ]) {
            *acc += u64::try_from(v).unwrap_or(0);
        }
    }
    CaseStats {
        cases: sum[0],
        first_response: clock(sum[1], sum[2], &histograms[0], &seconds[0]),
        resolution: clock(sum[3], sum[4], &histograms[1], &seconds[1]),
        heatmap: grid,
        created,
    }
}

/// The case figures of a period, counted by the database (see the module).
pub async fn counted(app: &App, scope: &Scope, now: DateTime<Utc>, tz: Tz) -> AppResult<CaseStats> {
    let store = app.store();
    let step = bucket_length(scope).num_seconds();
    let slots = store.case_slots(scope.from, scope.to, &scope.filter, now, step).await?;
    let histograms = histograms(&store.clock_minutes(scope.from, scope.to, &scope.filter).await?);
    let [first, resolution] = [&histograms[0], &histograms[1]].map(Histogram::minutes_needed);
    let mut seconds = [BTreeMap::new(), BTreeMap::new()];
    if !first.is_empty() || !resolution.is_empty() {
        let rows = store
            .clock_seconds_in(scope.from, scope.to, &scope.filter, &first, &resolution)
            .await?;
        seconds = by_minute(&rows);
    }
    Ok(assemble(scope, &slots, &histograms, &seconds, tz))
}

/// The seconds per clock and minute, ascending.
fn by_minute(rows: &[ClockSeconds]) -> [BTreeMap<i64, Vec<i64>>; 2] {
    let mut out: [BTreeMap<i64, Vec<i64>>; 2] = [BTreeMap::new(), BTreeMap::new()];
    for r in rows {
        if let Some(m) = out.get_mut(usize::try_from(r.clock).unwrap_or(usize::MAX)) {
            m.entry(r.seconds.div_euclid(60)).or_default().push(r.seconds);
        }
    }
    for m in &mut out {
        for v in m.values_mut() {
            v.sort_unstable();
        }
    }
    out
}

/// Exits from the backlog per trend bucket, counted by the database.
pub async fn exits(app: &App, scope: &Scope) -> AppResult<Exits> {
    let step = bucket_length(scope).num_seconds();
    let rows = app
        .store()
        .backlog_exit_buckets(scope.from, scope.to, &scope.filter, step)
        .await?;
    Ok(exit_counts(scope, &rows))
}

/// Pure part of [`exits`].
fn exit_counts(scope: &Scope, rows: &[ExitBucket]) -> Exits {
    let n_buckets = super::kpis::bucket_count(scope);
    let mut out = Exits {
        per_bucket: vec![0; n_buckets],
        after: 0,
    };
    for r in rows {
        let n = u64::try_from(r.cases).unwrap_or(0);
        match usize::try_from(r.bucket).ok().filter(|_| r.in_period) {
            Some(b) if b < n_buckets => out.per_bucket[b] += n,
            _ => out.after += n,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value in its minute, as the database would give them.
    fn from_values(values: &[i64]) -> (Histogram, BTreeMap<i64, Vec<i64>>) {
        let mut h = BTreeMap::new();
        let mut s: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for &v in values {
            *h.entry(v.div_euclid(60)).or_default() += 1;
            s.entry(v.div_euclid(60)).or_default().push(v);
        }
        for v in s.values_mut() {
            v.sort_unstable();
        }
        (Histogram(h), s)
    }

    #[test]
    fn quantiles_from_minutes_equal_those_of_all_values() {
        // Negative, equal, sub-minute and far-apart durations in seconds.
        let values = [-61, -1, 0, 59, 60, 61, 61, 3599, 3600, 7261, 90_000, 90_001, 400_000];
        for n in 1..=values.len() {
            let vals = &values[..n];
            let (h, s) = from_values(vals);
            for q in QUANTILES {
                let hours: Vec<f64> = vals.iter().map(|&v| v as f64 / 3600.0).collect();
                let business: Vec<f64> = vals.iter().map(|&v| v.max(0) as f64 / 3600.0).collect();
                let (a, b) = h.quantile(q, &s);
                assert_eq!(a, amends_stats::quantile(&hours, q), "n {n} q {q}");
                assert_eq!(b, amends_stats::quantile(&business, q), "n {n} q {q}");
            }
        }
        // Known answer: the median of 1, 2, 3, 10 minutes is 2.5 minutes.
        let (h, s) = from_values(&[60, 120, 180, 600]);
        let median = h.quantile(0.5, &s).0.expect("median");
        assert!((median - 150.0 / 3600.0).abs() < 1e-15, "{median}");
        // Only the minutes of ranks 1, 2 (median) and 2, 3 (p90) are needed.
        assert_eq!(h.minutes_needed(), vec![2, 3, 10]);
    }
}
