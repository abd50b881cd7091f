//! The dashboard: the period's key figures beside the previous period's,
//! the trend of new cases, backlog and CSAT, and when complaints come in
//! (weekday × hour in the configured time zone).
//!
//! Times are given twice: wall-clock hours, and business hours — the time
//! the case's SLA clock ran under its policy's calendar (the same as
//! wall-clock hours where the policy has no calendar).

use super::case_stats::Detail;
use super::paradox::{self, Outcome, Unit, answers};
use super::{Scope, hours, percent};
use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::sla::PolicyCalendars;
use amends_store::{CaseFact, DailyScores, GoodwillTotals};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use chrono_tz::Tz;
use futures_util::TryFutureExt;
use serde::Serialize;

/// The figures of one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Cases created in the period.
    pub cases: u64,
    pub csat_answers: u64,
    /// Mean survey score (1–5).
    pub csat_mean: Option<f64>,
    /// Share of answers with 4 or 5, in percent.
    pub csat_high_pct: Option<f64>,
    pub first_response_median_hours: Option<f64>,
    pub first_response_p90_hours: Option<f64>,
    pub resolution_median_hours: Option<f64>,
    pub resolution_p90_hours: Option<f64>,
    /// The same four times in business hours: only the time the calendar of
    /// the case's SLA policy (tier × priority) was open; a policy without a
    /// calendar counts round the clock.
    pub first_response_median_business_hours: Option<f64>,
    pub first_response_p90_business_hours: Option<f64>,
    pub resolution_median_business_hours: Option<f64>,
    pub resolution_p90_business_hours: Option<f64>,
    /// First responses in time of those that can be judged (given, or overdue).
    pub sla_first_response_pct: Option<f64>,
    pub sla_resolution_pct: Option<f64>,
    /// Cases reopened in the period.
    pub reopened: u64,
    /// Reopened per case resolved or closed in the period, in percent.
    pub reopen_rate_pct: Option<f64>,
    /// Survey answers whose retention can be judged yet.
    pub recovery_judged: u64,
    /// Answered 4–5 and still a customer `settle_days` after the resolution, in percent.
    pub recovery_rate_pct: Option<f64>,
    pub goodwill_cents: i64,
    pub goodwill_cases: u64,
    pub goodwill_per_case_cents: Option<i64>,
    /// Goodwill of the period per customer who got goodwill and stayed.
    pub goodwill_per_retained_cents: Option<i64>,
}

/// One bucket (a day, or a week for periods over 31 days) of the trend.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrendPoint {
    pub start: DateTime<Utc>,
    pub created: u64,
    /// Open cases at the end of the bucket.
    pub backlog: i64,
    pub csat_mean: Option<f64>,
    pub csat_answers: u64,
}

/// Retention of the three groups of the paradox report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Retention {
    pub group: &'static str,
    pub n: u64,
    pub retained_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub settle_days: i64,
    /// True if some SLA policy has a business calendar, so that business
    /// hours can differ from wall-clock hours.
    pub business_calendars: bool,
    pub current: Figures,
    pub previous: Figures,
    pub trend: Vec<TrendPoint>,
    /// Cases created per weekday (Monday first) and hour (0–23), in the configured time zone.
    pub heatmap: Vec<Vec<u64>>,
    pub backlog_now: i64,
    pub open_incidents: i64,
    pub retention: Vec<Retention>,
}

fn quantile_hours(values: &[f64], q: f64) -> Option<f64> {
    amends_stats::quantile(values, q)
}

/// One SLA clock (first response or resolution) over the cases of a period.
struct Clock {
    /// Hours from creation to when it was done, of the cases where it was.
    hours: Vec<f64>,
    /// The same in business hours of the case's policy calendar.
    business: Vec<f64>,
    /// Cases that can be judged: done, or overdue.
    judged: u64,
    /// Cases done in time.
    met: u64,
}

impl Clock {
    /// `clock` gives a case's (done at, due at).
    fn of(
        cases: &[CaseFact],
        calendars: &PolicyCalendars,
        now: DateTime<Utc>,
        clock: impl Fn(&CaseFact) -> (Option<DateTime<Utc>>, DateTime<Utc>),
    ) -> Clock {
        let mut c = Clock {
            hours: Vec::new(),
            business: Vec::new(),
            judged: 0,
            met: 0,
        };
        for case in cases {
            let (done, due) = clock(case);
            if let Some(d) = done {
                c.hours.push(hours(d - case.created_at));
                c.business
                    .push(hours(calendars.elapsed(case.tier, case.priority, case.created_at, d)));
            }
            c.judged += u64::from(done.is_some() || due < now);
            c.met += u64::from(done.is_some_and(|d| d <= due));
        }
        c
    }
}

/// What the dashboard takes from the cases created in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseStats {
    pub cases: u64,
    pub first_response: ClockStats,
    pub resolution: ClockStats,
    /// Cases per weekday (Monday first) × hour in the configured time zone.
    pub heatmap: Vec<Vec<u64>>,
    /// Cases created in each bucket of the trend.
    pub created: Vec<u64>,
}

/// One SLA clock over the cases of a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClockStats {
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub median_business_hours: Option<f64>,
    pub p90_business_hours: Option<f64>,
    /// Cases that can be judged: done, or overdue.
    pub judged: u64,
    /// Cases done in time.
    pub met: u64,
}

impl ClockStats {
    /// From the whole seconds the clock ran on each case where it is done
    /// (business hours: without a calendar, as
    /// [`PolicyCalendars::elapsed`] counts them, none below zero). Pure.
    #[must_use]
    pub fn of_seconds(seconds: &[i64], judged: u64, met: u64) -> ClockStats {
        let hours = |s: i64| s as f64 / 3600.0;
        ClockStats::of(&Clock {
            hours: seconds.iter().map(|&s| hours(s)).collect(),
            business: seconds.iter().map(|&s| hours(s.max(0))).collect(),
            judged,
            met,
        })
    }

    fn of(c: &Clock) -> ClockStats {
        ClockStats {
            median_hours: quantile_hours(&c.hours, 0.5),
            p90_hours: quantile_hours(&c.hours, 0.9),
            median_business_hours: quantile_hours(&c.business, 0.5),
            p90_business_hours: quantile_hours(&c.business, 0.9),
            judged: c.judged,
            met: c.met,
        }
    }
}

impl CaseStats {
    /// From the cases' rows, one by one: the way when some SLA policy has a
    /// business calendar (business hours are measured case by case). Pure.
    #[must_use]
    pub fn of_rows(
        scope: &Scope,
        cases: &[CaseFact],
        calendars: &PolicyCalendars,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> CaseStats {
        let first = Clock::of(cases, calendars, now, |c| {
            (c.first_responded_at, c.first_response_due_at)
        });
        let resolution = Clock::of(cases, calendars, now, |c| (c.resolved_at, c.resolution_due_at));
        let created = buckets(scope)
            .map(|(start, end)| {
                cases
                    .iter()
                    .filter(|c| c.created_at >= start && c.created_at < end)
                    .count() as u64
            })
            .collect();
        CaseStats {
            cases: cases.len() as u64,
            first_response: ClockStats::of(&first),
            resolution: ClockStats::of(&resolution),
            heatmap: heatmap(cases, tz),
            created,
        }
    }
}

/// The figures of one period from its facts. Pure.
#[must_use]
pub fn figures(
    cases: &CaseStats,
    surveys: &[Unit],
    reopened: u64,
    exits: u64,
    goodwill: &GoodwillTotals,
    retained_with_goodwill: u64,
) -> Figures {
    let first = &cases.first_response;
    let resolution = &cases.resolution;
    let scores: Vec<(f64, u64)> = surveys.iter().map(|u| (f64::from(u.score), u.count)).collect();
    let answered = answers(surveys);
    let high = answers(surveys.iter().filter(|u| u.score >= 4));
    let judged = answers(surveys.iter().filter(|u| u.retained.is_some()));
    let recovered = answers(surveys.iter().filter(|u| u.score >= 4 && u.retained == Some(true)));
    let goodwill_cases = u64::try_from(goodwill.cases).unwrap_or(0);
    Figures {
        cases: cases.cases,
        csat_answers: answered,
        csat_mean: (answered > 0).then(|| amends_stats::Summary::of_counts(&scores).mean),
        csat_high_pct: percent(high, answered),
        first_response_median_hours: first.median_hours,
        first_response_p90_hours: first.p90_hours,
        resolution_median_hours: resolution.median_hours,
        resolution_p90_hours: resolution.p90_hours,
        first_response_median_business_hours: first.median_business_hours,
        first_response_p90_business_hours: first.p90_business_hours,
        resolution_median_business_hours: resolution.median_business_hours,
        resolution_p90_business_hours: resolution.p90_business_hours,
        sla_first_response_pct: percent(first.met, first.judged),
        sla_resolution_pct: percent(resolution.met, resolution.judged),
        reopened,
        reopen_rate_pct: percent(reopened, exits),
        recovery_judged: judged,
        recovery_rate_pct: percent(recovered, judged),
        goodwill_cents: goodwill.cents,
        goodwill_cases,
        goodwill_per_case_cents: (goodwill_cases > 0).then(|| goodwill.cents / goodwill.cases),
        goodwill_per_retained_cents: (retained_with_goodwill > 0)
            .then(|| goodwill.cents / i64::try_from(retained_with_goodwill).unwrap_or(i64::MAX)),
    }
}

/// Cases per weekday (Monday first) × hour in `tz`.
#[must_use]
pub fn heatmap(cases: &[CaseFact], tz: Tz) -> Vec<Vec<u64>> {
    let mut grid = vec![vec![0u64; 24]; 7];
    for c in cases {
        let local = c.created_at.with_timezone(&tz);
        let day = local.weekday().num_days_from_monday() as usize;
        grid[day][local.hour() as usize] += 1;
    }
    grid
}

/// Days for periods up to 31 days, weeks beyond.
#[must_use]
pub fn bucket_length(scope: &Scope) -> Duration {
    if scope.days() <= 31 {
        Duration::days(1)
    } else {
        Duration::days(7)
    }
}

/// The trend's buckets `[start, end)` of a period.
fn buckets(scope: &Scope) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + use<> {
    let step = bucket_length(scope);
    let to = scope.to;
    std::iter::successors(Some(scope.from), move |s| Some(*s + step))
        .take_while(move |s| *s < to)
        .map(move |s| (s, (s + step).min(to)))
}

/// Where the trend's buckets of a period start, and the period's end.
#[must_use]
pub fn bucket_bounds(scope: &Scope) -> Vec<DateTime<Utc>> {
    buckets(scope).map(|(start, _)| start).chain([scope.to]).collect()
}

/// When cases left the backlog, counted for the trend: per bucket of the
/// period (index `i` = the exits from the start of bucket `i` to the start
/// of bucket `i + 1`), and those from the period's end until now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exits {
    pub per_bucket: Vec<u64>,
    pub after: u64,
}

impl Exits {
    /// From the exit times, one by one: the reference the counted exits
    /// ([`super::case_stats::exits`]) are tested against. Pure.
    #[must_use]
    pub fn of_times(scope: &Scope, exits: &[DateTime<Utc>]) -> Exits {
        Exits {
            per_bucket: buckets(scope)
                .map(|(start, end)| exits.iter().filter(|e| **e >= start && **e < end).count() as u64)
                .collect(),
            after: exits.iter().filter(|e| **e >= scope.to).count() as u64,
        }
    }

    /// Exits within the period.
    #[must_use]
    pub fn in_period(&self) -> u64 {
        self.per_bucket.iter().sum()
    }
}

/// The trend: per bucket the new cases, the CSAT answers and the backlog at
/// its end (the open cases now, minus those created since, plus those that
/// left the backlog since).
#[must_use]
pub fn trend(scope: &Scope, created: &[u64], scores: &[DailyScores], exits: &Exits, open_now: i64) -> Vec<TrendPoint> {
    let mut out = Vec::new();
    for (i, (start, end)) in buckets(scope).enumerate() {
        let created_here = created.get(i).copied().unwrap_or(0);
        let created_since: u64 = created.iter().skip(i + 1).sum();
        let exits_since: u64 = exits.per_bucket.iter().skip(i + 1).sum::<u64>() + exits.after;
        // Whole days since the start; the last bucket takes the rest.
        let last = if end >= scope.to {
            i64::MAX
        } else {
            (end - scope.from).num_days()
        };
        let days = (start - scope.from).num_days()..last;
        let (answers, sum) = scores
            .iter()
            .filter(|d| days.contains(&d.day))
            .fold((0, 0), |(n, sum), d| (n + d.answers, sum + d.score_sum));
        out.push(TrendPoint {
            start,
            created: created_here,
            backlog: open_now - i64::try_from(created_since).unwrap_or(i64::MAX)
                + i64::try_from(exits_since).unwrap_or(i64::MAX),
            csat_mean: (answers > 0).then(|| sum as f64 / answers as f64),
            csat_answers: u64::try_from(answers).unwrap_or(0),
        });
    }
    out
}

/// One period's figures and the facts they came from.
struct Period {
    figures: Figures,
    cases: CaseStats,
    units: Vec<Unit>,
    exits: Exits,
}

/// The case figures and backlog exits of a period: the cases read row by
/// row where a business calendar needs each case's times, otherwise
/// counted by the database; the exits are always counted. With
/// [`Detail::Totals`] the counted figures leave out the trend and heat map.
async fn period_cases(
    app: &App,
    scope: &Scope,
    calendars: &PolicyCalendars,
    detail: Detail,
) -> AppResult<(CaseStats, Exits)> {
    let store = app.store();
    let now = app.now();
    let tz = app.config().timezone;
    if calendars.any_business_hours() {
        let (rows, exits) = tokio::try_join!(
            store
                .case_facts(scope.from, scope.to, &scope.filter)
                .map_err(AppError::from),
            super::case_stats::exits(app, scope, detail),
        )?;
        Ok((CaseStats::of_rows(scope, &rows, calendars, now, tz), exits))
    } else {
        tokio::try_join!(
            super::case_stats::counted(app, scope, now, tz, detail),
            super::case_stats::exits(app, scope, detail),
        )
    }
}

/// A period's figures. Its statements are independent reads, so they run
/// at once, each on a connection of the pool.
async fn period(
    app: &App,
    scope: &Scope,
    settle: Duration,
    calendars: &PolicyCalendars,
    detail: Detail,
) -> AppResult<Period> {
    let store = app.store();
    let ((cases, exits), units, reopened, goodwill) = tokio::try_join!(
        period_cases(app, scope, calendars, detail),
        paradox::units(app, scope, settle),
        store
            .reopened_count(scope.from, scope.to, &scope.filter)
            .map_err(AppError::from),
        store
            .goodwill_totals(scope.from, scope.to, &scope.filter)
            .map_err(AppError::from),
    )?;
    let retained_with_goodwill = answers(units.iter().filter(|u| u.goodwill && u.retained == Some(true)));
    let figures = figures(
        &cases,
        &units,
        u64::try_from(reopened).unwrap_or(0),
        exits.in_period(),
        &goodwill,
        retained_with_goodwill,
    );
    Ok(Period {
        figures,
        cases,
        units,
        exits,
    })
}

/// The dashboard of a period.
pub async fn dashboard(app: &App, scope: &Scope, settle: Option<i64>) -> AppResult<Dashboard> {
    let settle_days = super::settle_days(settle)?;
    let settle = Duration::days(settle_days);
    let store = app.store();
    let calendars = crate::sla::policy_calendars(app).await?;
    let before = scope.previous();
    // The trend's scores are the current period's only; of the previous
    // period the dashboard shows just the figures.
    let (current, previous, scores, open_now, nf, open_incidents) = tokio::try_join!(
        period(app, scope, settle, &calendars, Detail::Trend),
        period(app, &before, settle, &calendars, Detail::Totals),
        store
            .daily_scores(scope.from, scope.to, &scope.filter)
            .map_err(AppError::from),
        store.open_case_count(&scope.filter).map_err(AppError::from),
        store
            .never_failed(scope.from, scope.to, scope.from + settle, scope.filter.tier)
            .map_err(AppError::from),
        store.open_incident_count().map_err(AppError::from),
    )?;
    let previous = previous.figures;
    let report = paradox::analyse(&current.units, &nf, Outcome::Retention, scope, settle_days);
    let mut retention = vec![Retention {
        group: "never_failed",
        n: report.never_failed.n,
        retained_pct: report.never_failed.value,
    }];
    retention.extend(report.cells.iter().filter(|c| c.moderator == "all").map(|c| Retention {
        group: c.group,
        n: c.figure.n,
        retained_pct: c.figure.value,
    }));
    Ok(Dashboard {
        from: scope.from,
        to: scope.to,
        settle_days,
        business_calendars: calendars.any_business_hours(),
        trend: trend(scope, &current.cases.created, &scores, &current.exits, open_now),
        heatmap: current.cases.heatmap,
        current: current.figures,
        previous,
        backlog_now: open_now,
        open_incidents,
        retention,
    })
}
