//! What is fair, against what was granted and the outcome: the cases with
//! an expectation split by whether the goodwill granted met it, each group
//! with its mean CSAT, reopen rate and retention (95 % intervals), and the
//! CSAT difference between "met" and "short" (Welch). Formulas in
//! `docs/ANALYTICS.md`.

use super::percent;
use crate::App;
use crate::error::AppResult;
use amends_domain::fair::{Comparison, compare, expected_cents};
use amends_store::FairnessFact;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The confidence of every interval.
pub const CONFIDENCE: f64 = 0.95;
/// Below this many values a figure is shown as "n too small".
pub const MIN_N: u64 = 5;

/// A mean or a percentage with its n and 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct FairFigure {
    pub n: u64,
    pub value: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// n is below 5: the value is not worth reading.
    pub too_small: bool,
}

impl FairFigure {
    fn mean(values: &[f64]) -> Self {
        let s = amends_stats::Summary::of(values);
        let ci = amends_stats::mean_interval(&s, CONFIDENCE);
        Self {
            n: s.n,
            value: (s.n > 0).then_some(s.mean),
            ci_low: ci.map(|i| i.low),
            ci_high: ci.map(|i| i.high),
            too_small: s.n < MIN_N,
        }
    }

    fn share(hits: u64, n: u64) -> Self {
        let ci = amends_stats::wilson(hits, n, CONFIDENCE);
        Self {
            n,
            value: percent(hits, n),
            ci_low: ci.map(|i| 100.0 * i.low),
            ci_high: ci.map(|i| 100.0 * i.high),
            too_small: n < MIN_N,
        }
    }
}

/// One group of cases.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FairnessGroup {
    /// `met` (granted ≥ expected), `short` (granted < expected) or
    /// `unknown` (the customer named no amount).
    #[schema(value_type = String)]
    pub group: Comparison,
    pub cases: u64,
    /// Mean newest survey score (1–5).
    pub csat: FairFigure,
    /// Cases reopened at least once, in percent of the cases.
    pub reopened: FairFigure,
    /// Customers still there `settle_days` after the resolution, in percent
    /// of the cases resolved at least that long ago.
    pub retained: FairFigure,
}

/// How many cases named each choice.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ChoiceCount {
    pub choice: String,
    pub cases: u64,
}

/// The CSAT of "met" minus that of "short".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct CsatDifference {
    pub diff: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FairnessReport {
    /// Cases with an expectation.
    pub cases: u64,
    /// `met`, `short`, `unknown`, each present.
    pub groups: Vec<FairnessGroup>,
    pub choices: Vec<ChoiceCount>,
    /// Only when both groups have at least 5 scores.
    pub csat_difference: Option<CsatDifference>,
    pub settle_days: i64,
}

/// The report over `facts` as of `now`. Pure.
#[must_use]
pub fn report(facts: &[FairnessFact], now: DateTime<Utc>, settle: Duration) -> FairnessReport {
    let mut groups: BTreeMap<Comparison, Vec<&FairnessFact>> =
        [Comparison::Met, Comparison::Short, Comparison::Unknown]
            .into_iter()
            .map(|c| (c, Vec::new()))
            .collect();
    let mut choices: BTreeMap<String, u64> = BTreeMap::new();
    for f in facts {
        let expected = f.choice.parse().ok().and_then(|c| expected_cents(c, f.amount_cents));
        groups.entry(compare(expected, f.granted_cents)).or_default().push(f);
        *choices.entry(f.choice.clone()).or_default() += 1;
    }
    let scores = |g: &[&FairnessFact]| -> Vec<f64> { g.iter().filter_map(|f| f.score.map(f64::from)).collect() };
    let csat_difference = match (groups.get(&Comparison::Met), groups.get(&Comparison::Short)) {
        (Some(a), Some(b)) => {
            let (a, b) = (
                amends_stats::Summary::of(&scores(a)),
                amends_stats::Summary::of(&scores(b)),
            );
            if a.n >= MIN_N && b.n >= MIN_N {
                amends_stats::welch(&a, &b, CONFIDENCE).map(|d| CsatDifference {
                    diff: d.diff,
                    ci_low: d.ci.low,
                    ci_high: d.ci.high,
                    p_value: d.p_value,
                })
            } else {
                None
            }
        }
        _ => None,
    };
    FairnessReport {
        cases: facts.len() as u64,
        groups: groups
            .iter()
            .map(|(group, g)| {
                let judged: Vec<bool> = g
                    .iter()
                    .filter_map(|f| f.resolved_at.filter(|r| *r + settle <= now).map(|r| (f, r)))
                    .map(|(f, r)| f.churned_at.is_none_or(|k| k >= r + settle))
                    .collect();
                FairnessGroup {
                    group: *group,
                    cases: g.len() as u64,
                    csat: FairFigure::mean(&scores(g)),
                    reopened: FairFigure::share(g.iter().filter(|f| f.reopens > 0).count() as u64, g.len() as u64),
                    retained: FairFigure::share(judged.iter().filter(|r| **r).count() as u64, judged.len() as u64),
                }
            })
            .collect(),
        choices: choices
            .into_iter()
            .map(|(choice, cases)| ChoiceCount { choice, cases })
            .collect(),
        csat_difference,
        settle_days: settle.num_days(),
    }
}

/// The report over every case with an expectation.
pub async fn fairness(app: &App, settle_days: Option<i64>) -> AppResult<FairnessReport> {
    let settle = Duration::days(super::settle_days(settle_days)?);
    let facts = app.store().fairness_facts().await?;
    Ok(report(&facts, app.now(), settle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 0, 0, 0).single().expect("a time")
    }

    fn fact(choice: &str, amount: Option<i64>, granted: i64, score: Option<i32>, reopens: i64) -> FairnessFact {
        FairnessFact {
            case_id: Uuid::nil(),
            choice: choice.into(),
            amount_cents: amount,
            granted_cents: granted,
            score,
            reopens,
            resolved_at: Some(at(1)),
            churned_at: None,
        }
    }

    #[test]
    fn known_answer() {
        let mut facts = vec![
            fact("voucher", Some(1_000), 1_000, Some(5), 0),
            fact("voucher", Some(1_000), 2_000, Some(4), 0),
            fact("apology", None, 0, Some(5), 0),
            fact("refund", Some(5_000), 1_000, Some(2), 1),
            fact("refund", Some(5_000), 0, Some(3), 0),
            fact("refund", None, 1_000, None, 0),
        ];
        facts[4].churned_at = Some(at(10));
        let r = report(&facts, at(30), Duration::days(14));
        assert_eq!(r.cases, 6);
        let met = &r.groups[0];
        assert_eq!((met.group, met.cases), (Comparison::Met, 3));
        assert_eq!(met.csat.n, 3);
        assert!((met.csat.value.unwrap_or_default() - 14.0 / 3.0).abs() < 1e-9);
        assert!(met.csat.too_small);
        let short = &r.groups[1];
        assert_eq!((short.group, short.cases), (Comparison::Short, 2));
        assert_eq!(short.csat.value, Some(2.5));
        assert_eq!(short.reopened.value, Some(50.0));
        // Resolved on day 1, settled on day 15; one churned on day 10.
        assert_eq!((short.retained.n, short.retained.value), (2, Some(50.0)));
        let unknown = &r.groups[2];
        assert_eq!((unknown.cases, unknown.csat.n, unknown.csat.value), (1, 0, None));
        assert_eq!(r.csat_difference, None, "n too small");
        assert_eq!(
            r.choices,
            vec![
                ChoiceCount {
                    choice: "apology".into(),
                    cases: 1
                },
                ChoiceCount {
                    choice: "refund".into(),
                    cases: 3
                },
                ChoiceCount {
                    choice: "voucher".into(),
                    cases: 2
                },
            ]
        );
    }

    #[test]
    fn difference_with_enough_answers() {
        let mut facts = Vec::new();
        for s in [5, 4, 5, 4, 5] {
            facts.push(fact("voucher", Some(500), 500, Some(s), 0));
        }
        for s in [3, 2, 3, 4, 3] {
            facts.push(fact("voucher", Some(500), 100, Some(s), 0));
        }
        let r = report(&facts, at(30), Duration::days(14));
        let d = r.csat_difference.expect("both have 5");
        // 4.6 − 3.0; sd both √0.3 and √0.5: se = √(0.06 + 0.1) = 0.4.
        assert!((d.diff - 1.6).abs() < 1e-9);
        assert!(d.ci_low > 0.0 && d.ci_high < 3.0);
        assert!(d.p_value < 0.01);
        let met = &r.groups[0];
        assert!(!met.csat.too_small);
        // mean 4.6, sd √0.3, t(4) 2.776: half-width 2.776 · 0.2449 = 0.680.
        assert!((met.csat.ci_low.unwrap_or_default() - 3.920).abs() < 1e-3);
    }
}
