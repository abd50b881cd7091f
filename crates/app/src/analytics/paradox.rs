//! The service recovery paradox: are customers whose failure was recovered
//! more satisfied, or more loyal, than customers who never had a failure?
//! Research (Magnini et al. 2007) finds it only for first, minor failures
//! the customer does not blame the company for; the report splits the
//! recovered customers by exactly these moderators, with a 95 % interval,
//! a test against the never-failed customers and n for every cell, and the
//! Benjamini–Hochberg correction over the cells.
//!
//! One answer is one answered survey on a failure case (a customer with two
//! failures counts twice; the `repeat` moderator shows them). Recovered
//! means the customer said the problem was solved (or, without that
//! answer, rated 4–5).

pub use super::{FDR, Verdict};
use super::{Scope, settle_days};
use crate::App;
use crate::error::{AppError, AppResult};
use amends_stats::{Interval, Summary};
use amends_store::{NeverFailed, SurveyGroup};
use chrono::{DateTime, Duration, Utc};
use futures_util::TryFutureExt;
use serde::{Deserialize, Serialize};

/// The confidence of every interval in the report.
pub const CONFIDENCE: f64 = 0.95;

/// What the groups are compared on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Mean rating 1–5: the survey score after a failure, the rated
    /// feedback of customers who never had one.
    #[default]
    Satisfaction,
    /// Share still customers `settle_days` after the resolution (or, for
    /// never-failed customers, after the start of the period).
    Retention,
}

/// How soon a failure got its first response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    WithinHour,
    WithinDay,
    AfterDay,
}

/// Survey answers on failures that share everything the report splits by,
/// and how many they are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Unit {
    pub score: u8,
    pub recovered: bool,
    /// None while it is too early to tell.
    pub retained: Option<bool>,
    pub severity: Option<u8>,
    pub repeated: Option<bool>,
    pub controllable: Option<bool>,
    pub response: Option<Response>,
    pub goodwill: bool,
    /// Answers with these values (at least 1).
    pub count: u64,
}

impl Unit {
    /// The store groups answers by these values already.
    #[must_use]
    pub fn from_group(g: &SurveyGroup) -> Unit {
        let score = u8::try_from(g.score.clamp(1, 5)).unwrap_or(1);
        Unit {
            score,
            recovered: g.solved.unwrap_or(score >= 4),
            retained: g.retained,
            severity: g.severity.and_then(|s| u8::try_from(s).ok()),
            repeated: g.repeat_failure,
            controllable: g.controllable,
            response: g.response_band.and_then(|b| match b {
                0 => Some(Response::WithinHour),
                1 => Some(Response::WithinDay),
                2 => Some(Response::AfterDay),
                _ => None,
            }),
            goodwill: g.goodwill,
            count: u64::try_from(g.answers).unwrap_or(0),
        }
    }
}

/// The answers of a period on failures (grouped) as of `now`, whose
/// retention is judged `settle` after the resolution.
pub async fn units(app: &App, scope: &Scope, settle: Duration) -> AppResult<Vec<Unit>> {
    let groups = app
        .store()
        .survey_groups(scope.from, scope.to, &scope.filter, app.now(), settle)
        .await?;
    Ok(groups.iter().map(Unit::from_group).collect())
}

/// How many answers `units` stand for.
#[must_use]
pub fn answers<'a>(units: impl IntoIterator<Item = &'a Unit>) -> u64 {
    units.into_iter().map(|u| u.count).sum()
}

/// A moderator level: which units of a group a cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    All,
    Minor,
    Severe,
    First,
    Repeated,
    Uncontrollable,
    Controllable,
    WithinHour,
    WithinDay,
    AfterDay,
    Goodwill,
    NoGoodwill,
    /// First, minor and uncontrollable: where research expects the paradox.
    ParadoxProfile,
    OtherProfile,
}

impl Level {
    /// The levels of the recovered group, grouped by moderator.
    pub const SPLITS: &'static [(&'static str, &'static [Level])] = &[
        ("severity", &[Level::Minor, Level::Severe]),
        ("repeat", &[Level::First, Level::Repeated]),
        ("controllable", &[Level::Uncontrollable, Level::Controllable]),
        ("response", &[Level::WithinHour, Level::WithinDay, Level::AfterDay]),
        ("goodwill", &[Level::Goodwill, Level::NoGoodwill]),
        ("profile", &[Level::ParadoxProfile, Level::OtherProfile]),
    ];

    fn holds(self, u: &Unit) -> bool {
        let minor = u.severity.map(|s| s <= 2);
        let first = u.repeated.map(|r| !r);
        let uncontrollable = u.controllable.map(|c| !c);
        match self {
            Level::All => true,
            Level::Minor => minor == Some(true),
            Level::Severe => minor == Some(false),
            Level::First => first == Some(true),
            Level::Repeated => first == Some(false),
            Level::Uncontrollable => uncontrollable == Some(true),
            Level::Controllable => uncontrollable == Some(false),
            Level::WithinHour => u.response == Some(Response::WithinHour),
            Level::WithinDay => u.response == Some(Response::WithinDay),
            Level::AfterDay => u.response == Some(Response::AfterDay),
            Level::Goodwill => u.goodwill,
            Level::NoGoodwill => !u.goodwill,
            Level::ParadoxProfile => minor == Some(true) && first == Some(true) && uncontrollable == Some(true),
            Level::OtherProfile => !(minor == Some(true) && first == Some(true) && uncontrollable == Some(true)),
        }
    }
}

/// n, the value (mean rating or percent retained) and its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figure {
    pub n: u64,
    pub value: Option<f64>,
    #[schema(value_type = Option<Object>)]
    pub ci: Option<Interval>,
}

/// A cell against the never-failed customers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// Cell minus never-failed (rating points or percentage points).
    pub diff: f64,
    #[schema(value_type = Object)]
    pub ci: Interval,
    pub p_value: f64,
    /// Benjamini–Hochberg adjusted over all cells of the report.
    pub q_value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Cell {
    /// `recovered` or `not_recovered`.
    pub group: &'static str,
    /// `all` or the moderator (`severity`, `repeat`, `controllable`, `response`, `goodwill`, `profile`).
    pub moderator: &'static str,
    pub level: Level,
    pub figure: Figure,
    pub comparison: Option<Comparison>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ParadoxReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub outcome: Outcome,
    pub settle_days: i64,
    pub never_failed: Figure,
    /// Survey answers on failures in the period (both groups).
    pub failures: u64,
    pub cells: Vec<Cell>,
}

impl ParadoxReport {
    /// The recovered cells above the never-failed customers: where the paradox shows.
    pub fn paradox_cells(&self) -> impl Iterator<Item = &Cell> {
        self.cells
            .iter()
            .filter(|c| c.group == "recovered" && c.verdict == Verdict::Above)
    }
}

/// The never-failed customers' figure for the outcome, as a sample summary
/// (ratings) or a count (retained of customers).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Baseline {
    Mean(Summary),
    Share(u64, u64),
}

fn baseline(nf: &NeverFailed, outcome: Outcome) -> Baseline {
    match outcome {
        Outcome::Satisfaction => {
            let n = u64::try_from(nf.ratings).unwrap_or(0);
            let (sum, squares) = (nf.rating_sum as f64, nf.rating_sum_squares as f64);
            let mean = if n > 0 { sum / n as f64 } else { 0.0 };
            let sd = if n > 1 {
                ((squares - n as f64 * mean * mean) / (n - 1) as f64).max(0.0).sqrt()
            } else {
                0.0
            };
            Baseline::Mean(Summary { n, mean, sd })
        }
        Outcome::Retention => Baseline::Share(
            u64::try_from(nf.retained).unwrap_or(0),
            u64::try_from(nf.customers).unwrap_or(0),
        ),
    }
}

fn figure_of(b: Baseline) -> Figure {
    match b {
        Baseline::Mean(s) => Figure {
            n: s.n,
            value: (s.n > 0).then_some(s.mean),
            ci: amends_stats::mean_interval(&s, CONFIDENCE),
        },
        Baseline::Share(k, n) => Figure {
            n,
            value: super::percent(k, n),
            ci: amends_stats::wilson(k, n, CONFIDENCE).map(|i| Interval {
                low: 100.0 * i.low,
                high: 100.0 * i.high,
            }),
        },
    }
}

/// The cell's own figure and its (unadjusted) comparison.
fn measure(units: &[&Unit], outcome: Outcome, base: Baseline) -> (Baseline, Option<Comparison>) {
    match (outcome, base) {
        (Outcome::Satisfaction, Baseline::Mean(b)) => {
            let scores: Vec<(f64, u64)> = units.iter().map(|u| (f64::from(u.score), u.count)).collect();
            let s = Summary::of_counts(&scores);
            let cmp = amends_stats::welch(&s, &b, CONFIDENCE).map(|d| Comparison {
                diff: d.diff,
                ci: d.ci,
                p_value: d.p_value,
                q_value: d.p_value,
            });
            (Baseline::Mean(s), cmp)
        }
        (Outcome::Retention, Baseline::Share(k0, n0)) => {
            let n = answers(units.iter().copied().filter(|u| u.retained.is_some()));
            let k = answers(units.iter().copied().filter(|u| u.retained == Some(true)));
            let cmp = amends_stats::proportion_difference(k, n, k0, n0, CONFIDENCE).map(|d| Comparison {
                diff: 100.0 * d.diff,
                ci: Interval {
                    low: 100.0 * d.ci.low,
                    high: 100.0 * d.ci.high,
                },
                p_value: d.p_value,
                q_value: d.p_value,
            });
            (Baseline::Share(k, n), cmp)
        }
        _ => (base, None),
    }
}

/// The report from the period's survey answers on failures and the
/// never-failed baseline. Pure: every figure is tested on known numbers.
#[must_use]
pub fn analyse(
    units: &[Unit],
    never_failed: &NeverFailed,
    outcome: Outcome,
    scope: &Scope,
    settle_days: i64,
) -> ParadoxReport {
    let base = baseline(never_failed, outcome);
    let base_n = figure_of(base).n;
    let mut cells = Vec::new();
    let mut push = |group: &'static str, moderator: &'static str, level: Level, members: Vec<&Unit>| {
        let (own, comparison) = measure(&members, outcome, base);
        let figure = figure_of(own);
        cells.push(Cell {
            group,
            moderator,
            level,
            figure,
            comparison,
            verdict: Verdict::TooSmall,
        });
    };
    for (group, recovered) in [("recovered", true), ("not_recovered", false)] {
        let members: Vec<&Unit> = units.iter().filter(|u| u.recovered == recovered).collect();
        push(group, "all", Level::All, members);
    }
    for (moderator, levels) in Level::SPLITS {
        for level in *levels {
            let members: Vec<&Unit> = units.iter().filter(|u| u.recovered && level.holds(u)).collect();
            push("recovered", moderator, *level, members);
        }
    }
    // Benjamini–Hochberg over the cells that can be judged.
    let judged: Vec<usize> = (0..cells.len())
        .filter(|&i| {
            cells[i].comparison.is_some() && amends_stats::enough(cells[i].figure.n) && amends_stats::enough(base_n)
        })
        .collect();
    let ps: Vec<f64> = judged
        .iter()
        .filter_map(|&i| cells[i].comparison.map(|c| c.p_value))
        .collect();
    let qs = amends_stats::benjamini_hochberg(&ps);
    for (&i, q) in judged.iter().zip(qs) {
        if let Some(c) = cells[i].comparison.as_mut() {
            c.q_value = q;
            cells[i].verdict = Verdict::of(q, c.diff > 0.0);
        }
    }
    ParadoxReport {
        from: scope.from,
        to: scope.to,
        outcome,
        settle_days,
        never_failed: figure_of(base),
        failures: answers(units),
        cells,
    }
}

/// The report of a period (the filter's tier applies to both sides).
pub async fn report(app: &App, scope: &Scope, outcome: Outcome, settle: Option<i64>) -> AppResult<ParadoxReport> {
    let settle_days = settle_days(settle)?;
    let settle = Duration::days(settle_days);
    let now = app.now();
    if outcome == Outcome::Retention && scope.from + settle > now {
        return Err(AppError::validation(
            "settle_days",
            "the period must start at least settle_days ago to judge retention",
        ));
    }
    let store = app.store();
    let (units, nf) = tokio::try_join!(
        units(app, scope, settle),
        store
            .never_failed(scope.from, scope.to, scope.from + settle, scope.filter.tier)
            .map_err(AppError::from),
    )?;
    Ok(analyse(&units, &nf, outcome, scope, settle_days))
}
