//! The dashboard's case figures counted by the database, without reading
//! the period's cases one by one: how many per trend bucket (a range count
//! each), how the SLA clocks stand, and each case's creation slot and
//! clock durations as whole numbers in one row. The same numbers as
//! [`CaseStats::of_rows`] where every SLA policy counts wall-clock time;
//! with a business calendar the dashboard reads the rows.

use super::Scope;
use super::kpis::{CaseStats, ClockStats, Exits, bucket_bounds};
use crate::App;
use crate::error::AppResult;
use amends_store::CaseClocks;
use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;

/// The case figures from the counts per trend bucket and the period's
/// clocks. Pure.
#[must_use]
fn assemble(created: &[i64], clocks: &CaseClocks, tz: Tz) -> CaseStats {
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    let mut grid = vec![vec![0u64; 24]; 7];
    for &slot in &clocks.slots {
        if let Some(start) = DateTime::<Utc>::from_timestamp(slot.saturating_mul(900), 0) {
            let local = start.with_timezone(&tz);
            grid[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += 1;
        }
    }
    CaseStats {
        cases: n(clocks.cases),
        first_response: ClockStats::of_seconds(
            &clocks.first_response_seconds,
            n(clocks.first_judged),
            n(clocks.first_met),
        ),
        resolution: ClockStats::of_seconds(
            &clocks.resolution_seconds,
            n(clocks.resolution_judged),
            n(clocks.resolution_met),
        ),
        heatmap: grid,
        created: created.iter().map(|&c| n(c)).collect(),
    }
}

/// How much of a period's case figures the dashboard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything: the trend's buckets and the heat map (the current period).
    Trend,
    /// The totals only (the previous period, shown beside the current):
    /// no new cases per bucket, no heat map, the exits of the period as one
    /// bucket and none counted after it.
    Totals,
}

/// The case figures of a period, counted by the database (see the module).
pub async fn counted(app: &App, scope: &Scope, now: DateTime<Utc>, tz: Tz, detail: Detail) -> AppResult<CaseStats> {
    let store = app.store();
    let clocks = store.case_clocks(scope.from, scope.to, &scope.filter, now, detail == Detail::Trend);
    let (created, clocks) = match detail {
        Detail::Trend => {
            let bounds = bucket_bounds(scope);
            tokio::try_join!(store.cases_created_between(&bounds, &scope.filter), clocks)?
        }
        Detail::Totals => (Vec::new(), clocks.await?),
    };
    Ok(assemble(&created, &clocks, tz))
}

/// Exits from the backlog per trend bucket and after the period (with
/// [`Detail::Totals`]: in the whole period only), counted by the database
/// (one range count per bucket).
pub async fn exits(app: &App, scope: &Scope, detail: Detail) -> AppResult<Exits> {
    let (bounds, and_after) = match detail {
        Detail::Trend => (bucket_bounds(scope), true),
        Detail::Totals => (vec![scope.from, scope.to], false),
    };
    let counts = app
        .store()
        .backlog_exits_between(&bounds, and_after, &scope.filter)
        .await?;
    Ok(exit_counts(&counts, and_after))
}

/// Pure part of [`exits`]: the counts of the buckets' ranges, and, if
/// `and_after`, last the one from the period's end on.
fn exit_counts(counts: &[i64], and_after: bool) -> Exits {
    let n = |c: &i64| u64::try_from(*c).unwrap_or(0);
    let (after, per_bucket) = match counts.split_last() {
        Some((last, rest)) if and_after => (n(last), rest),
        _ => (0, counts),
    };
    Exits {
        per_bucket: per_bucket.iter().map(n).collect(),
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heatmap_and_clocks_come_from_the_numbers() {
        // Slot 0 is Thursday 1 January 1970, 00:00–00:15 UTC; slot 4 is 01:00.
        let clocks = CaseClocks {
            cases: 3,
            first_judged: 3,
            first_met: 2,
            resolution_judged: 1,
            resolution_met: 0,
            slots: vec![0, 4, 4],
            first_response_seconds: vec![600, -60, 3600],
            resolution_seconds: vec![7200],
        };
        let stats = assemble(&[1, 2], &clocks, chrono_tz::UTC);
        assert_eq!(stats.heatmap[3][0], 1);
        assert_eq!(stats.heatmap[3][1], 2);
        assert_eq!(stats.created, vec![1, 2]);
        // Median of −1, 10, 60 minutes: 10 minutes; in business hours the
        // negative one counts as none.
        assert_eq!(stats.first_response.median_hours, Some(600.0 / 3600.0));
        assert_eq!(stats.first_response.median_business_hours, Some(600.0 / 3600.0));
        assert_eq!(
            stats.first_response.p90_business_hours.map(|h| (h * 3600.0).round()),
            Some(3000.0)
        );
        assert_eq!((stats.first_response.judged, stats.first_response.met), (3, 2));
        assert_eq!(stats.resolution.median_hours, Some(2.0));
    }

    #[test]
    fn exits_after_the_period_come_last() {
        let e = exit_counts(&[1, 2, 3], true);
        assert_eq!((e.per_bucket, e.after), (vec![1, 2], 3));
        assert_eq!(exit_counts(&[], true), Exits::default());
        let e = exit_counts(&[4], false);
        assert_eq!((e.per_bucket, e.after), (vec![4], 0));
    }
}
