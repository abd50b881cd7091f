//! The risk register: the areas failures come from (feedback topics,
//! product components, incident kinds, releases), ranked by how often they
//! fail × what their failures cost, each with the playbook its failures
//! would get — or flagged for lack of one (a "Plan B" prepared for the
//! weakest points). The store counts per area; [`rank`] turns the counts
//! into figures, pure. Formulas in `docs/PLAYBOOKS.md`.
//!
//! - failure rate = complaints ÷ feedback items of the area, with its
//!   Wilson 95 % interval;
//! - cost = goodwill granted on the failures' cases + the lifetime value of
//!   the failures' customers who left within the churn model's horizon
//!   ([`HORIZON_DAYS`]) after one;
//! - score = rate × cost (in cents): the cost weighted by how reliably the
//!   area fails;
//! - trend: the rate against the period of the same length before
//!   (Newcombe's interval of the difference).

use super::churn::HORIZON_DAYS;
use crate::App;
use crate::error::{AppError, AppResult};
use crate::playbooks::IncidentKindName;
use amends_domain::incident::IncidentKind;
use amends_domain::playbook::Candidate;
use amends_domain::risk::{AreaKind, AreaProfile, playbook_for};
use amends_stats::Interval;
use amends_store::{AreaCounts, AreaMix, PlaybookRow};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The period when none is asked for, in days.
pub const DEFAULT_DAYS: i64 = 90;
/// The confidence of the rate's and the trend's intervals.
pub const CONFIDENCE: f64 = 0.95;

/// The kinds of area, as the API names them.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum AreaKindName {
    #[schema(rename = "topic")]
    Topic,
    #[schema(rename = "component")]
    Component,
    #[schema(rename = "incident_kind")]
    IncidentKind,
    #[schema(rename = "release")]
    Release,
}

/// A closed interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Bounds {
    pub low: f64,
    pub high: f64,
}

impl From<Interval> for Bounds {
    fn from(i: Interval) -> Self {
        Bounds {
            low: i.low,
            high: i.high,
        }
    }
}

/// Where an area's failure rate goes against the period before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Higher than before (the difference's 95 % interval lies above 0).
    Rising,
    /// Lower than before (the interval lies below 0).
    Falling,
    /// No difference shown.
    Steady,
    /// Fewer than 30 feedback items in one of the periods: not judged.
    TooFew,
}

/// The playbook an area's failures would get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PlaybookLink {
    pub id: Uuid,
    pub name_de: String,
    pub name_en: String,
}

/// An area's figures in the period before.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, ToSchema)]
pub struct PreviousFigures {
    pub items: u64,
    pub failures: u64,
    pub rate: Option<f64>,
    pub cost_cents: i64,
    pub score_cents: Option<f64>,
}

/// One row of the register.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RiskArea {
    #[schema(value_type = AreaKindName)]
    pub kind: AreaKind,
    /// The topic id, component, incident kind or release.
    pub area: String,
    /// Feedback items of the area in the period.
    pub items: u64,
    /// Of them, complaints (negative sentiment or a rating of 1 or 2).
    pub failures: u64,
    /// Cases of the failures: those the complaints belong to and those
    /// the area's incidents opened.
    pub cases: u64,
    /// failures ÷ items (0–1); none without items.
    pub rate: Option<f64>,
    /// Wilson 95 % interval of the rate.
    pub rate_ci: Option<Bounds>,
    /// At least 30 items: the rate is more than a hint.
    pub judged: bool,
    /// Goodwill granted on the cases of the failures.
    pub goodwill_cents: i64,
    /// Customers of the failures who left less than 30 days
    /// ([`HORIZON_DAYS`]) after one (before the period's end).
    pub churned_customers: u64,
    /// Their lifetime value.
    pub churned_cents: i64,
    /// goodwill + churned value.
    pub cost_cents: i64,
    /// rate × cost, in cents; none without items.
    pub score_cents: Option<f64>,
    /// The score at both ends of the rate's interval.
    pub score_ci: Option<Bounds>,
    pub previous: PreviousFigures,
    pub trend: Trend,
    /// rate − previous rate, with Newcombe's 95 % interval.
    pub rate_change: Option<f64>,
    pub rate_change_ci: Option<Bounds>,
    /// The topic the playbook is matched on (the area itself, or the most
    /// frequent complaint topic of a component or release).
    pub topic: Option<String>,
    /// The incident kind the playbook is matched on.
    #[schema(value_type = Option<IncidentKindName>)]
    pub incident_kind: Option<IncidentKind>,
    /// None: no active playbook covers the area.
    pub playbook: Option<PlaybookLink>,
}

/// The register of a period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RiskRegister {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The start of the period before (of the same length, ending at `from`).
    pub previous_from: DateTime<Utc>,
    #[schema(value_type = Vec<AreaKindName>)]
    pub kinds: Vec<AreaKind>,
    /// Highest score first; areas without a score (no feedback items) last, by cost.
    pub areas: Vec<RiskArea>,
    /// Areas with failures but no playbook.
    pub without_playbook: u64,
}

/// A checked period `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Period {
    /// `to` defaults to `now`, `from` to [`DEFAULT_DAYS`] before `to`;
    /// `from` must lie before `to`, at most [`super::MAX_DAYS`] days.
    pub fn resolve(now: DateTime<Utc>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> AppResult<Period> {
        let to = to.unwrap_or(now);
        let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS));
        if from >= to {
            return Err(AppError::validation("to", "`to` must be after `from`"));
        }
        if to - from > Duration::days(super::MAX_DAYS) {
            return Err(AppError::validation(
                "from",
                format!("the period may be at most {} days long", super::MAX_DAYS),
            ));
        }
        Ok(Period { from, to })
    }

    /// The last `days` days up to `now` (1 to [`super::MAX_DAYS`], default [`DEFAULT_DAYS`]).
    pub fn last_days(now: DateTime<Utc>, days: Option<i64>) -> AppResult<Period> {
        let days = super::within("days", days, DEFAULT_DAYS, 1..=super::MAX_DAYS)?;
        Ok(Period {
            from: now - Duration::days(days),
            to: now,
        })
    }

    /// The period of the same length just before.
    #[must_use]
    pub fn previous(&self) -> Period {
        Period {
            from: self.from - (self.to - self.from),
            to: self.from,
        }
    }
}

/// What the store gave for one kind of area.
#[derive(Debug, Clone, Default)]
pub struct KindFacts {
    pub now: Vec<AreaCounts>,
    pub before: Vec<AreaCounts>,
    pub mix: Vec<AreaMix>,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn rate(failures: u64, items: u64) -> Option<f64> {
    (items > 0).then(|| failures as f64 / items as f64)
}

/// The most frequent value of `what` among an area's failures (ties: the
/// first by name).
fn most_frequent<'a>(mix: &'a [AreaMix], area: &str, what: &str) -> Option<&'a str> {
    mix.iter()
        .filter(|m| m.area == area && m.what == what)
        .max_by(|a, b| a.n.cmp(&b.n).then_with(|| b.value.cmp(&a.value)))
        .map(|m| m.value.as_str())
}

/// What the playbook pick is asked about an area.
fn profile(kind: AreaKind, area: &str, mix: &[AreaMix]) -> AreaProfile {
    match kind {
        AreaKind::Topic => AreaProfile {
            topic: Some(area.to_string()),
            incident_kind: None,
        },
        AreaKind::IncidentKind => AreaProfile {
            topic: None,
            incident_kind: area.parse().ok(),
        },
        AreaKind::Component | AreaKind::Release => AreaProfile {
            topic: most_frequent(mix, area, "topic").map(str::to_string),
            incident_kind: most_frequent(mix, area, "incident_kind").and_then(|k| k.parse().ok()),
        },
    }
}

fn trend(now: &AreaCounts, before: Option<&AreaCounts>) -> (Trend, Option<f64>, Option<Bounds>) {
    let (k1, n1) = (count(now.failures), count(now.items));
    let (k0, n0) = before.map_or((0, 0), |b| (count(b.failures), count(b.items)));
    if !(amends_stats::enough(n1) && amends_stats::enough(n0)) {
        return (Trend::TooFew, None, None);
    }
    match amends_stats::proportion_difference(k1, n1, k0, n0, CONFIDENCE) {
        Some(d) => {
            let t = if d.ci.low > 0.0 {
                Trend::Rising
            } else if d.ci.high < 0.0 {
                Trend::Falling
            } else {
                Trend::Steady
            };
            (t, Some(d.diff), Some(d.ci.into()))
        }
        None => (Trend::TooFew, None, None),
    }
}

fn previous(before: Option<&AreaCounts>) -> PreviousFigures {
    let Some(b) = before else {
        return PreviousFigures::default();
    };
    let (items, failures) = (count(b.items), count(b.failures));
    let cost = b.goodwill_cents + b.churned_cents;
    let r = rate(failures, items);
    PreviousFigures {
        items,
        failures,
        rate: r,
        cost_cents: cost,
        score_cents: r.map(|r| r * cost as f64),
    }
}

/// Highest score first, then those without a score; ties by cost, then
/// failures, then kind and name.
fn order(a: &RiskArea, b: &RiskArea) -> Ordering {
    let score = |r: &RiskArea| r.score_cents.unwrap_or(-1.0);
    score(b)
        .total_cmp(&score(a))
        .then_with(|| b.cost_cents.cmp(&a.cost_cents))
        .then_with(|| b.failures.cmp(&a.failures))
        .then_with(|| a.kind.cmp(&b.kind))
        .then_with(|| a.area.cmp(&b.area))
}

/// The register's rows from the counts of each kind and the active
/// playbooks, ranked. Pure.
#[must_use]
pub fn rank(facts: &[(AreaKind, KindFacts)], playbooks: &[PlaybookRow]) -> Vec<RiskArea> {
    let matches: Vec<_> = playbooks.iter().map(PlaybookRow::matching).collect();
    let candidates: Vec<Candidate<'_>> = playbooks
        .iter()
        .zip(&matches)
        .filter_map(|(p, m)| {
            m.as_ref().map(|matching| Candidate {
                id: p.id,
                position: p.position,
                matching,
            })
        })
        .collect();
    let mut out = Vec::new();
    for (kind, f) in facts {
        let before: BTreeMap<&str, &AreaCounts> = f.before.iter().map(|b| (b.area.as_str(), b)).collect();
        for c in &f.now {
            let prior = before.get(c.area.as_str()).copied();
            let (items, failures) = (count(c.items), count(c.failures));
            let r = rate(failures, items);
            let ci = amends_stats::wilson(failures, items, CONFIDENCE);
            let cost = c.goodwill_cents + c.churned_cents;
            let p = profile(*kind, &c.area, &f.mix);
            let playbook = playbook_for(&candidates, &p)
                .and_then(|id| playbooks.iter().find(|b| b.id == id))
                .map(|b| PlaybookLink {
                    id: b.id,
                    name_de: b.name_de.clone(),
                    name_en: b.name_en.clone(),
                });
            let (trend, rate_change, rate_change_ci) = trend(c, prior);
            out.push(RiskArea {
                kind: *kind,
                area: c.area.clone(),
                items,
                failures,
                cases: count(c.cases),
                rate: r,
                rate_ci: ci.map(Bounds::from),
                judged: amends_stats::enough(items),
                goodwill_cents: c.goodwill_cents,
                churned_customers: count(c.churned),
                churned_cents: c.churned_cents,
                cost_cents: cost,
                score_cents: r.map(|r| r * cost as f64),
                score_ci: ci.map(|i| Bounds {
                    low: i.low * cost as f64,
                    high: i.high * cost as f64,
                }),
                previous: previous(prior),
                trend,
                rate_change,
                rate_change_ci,
                topic: p.topic,
                incident_kind: p.incident_kind,
                playbook,
            });
        }
    }
    out.sort_by(order);
    out
}

/// The register of `period`, of one kind of area or all.
pub async fn register(app: &App, period: Period, kind: Option<AreaKind>) -> AppResult<RiskRegister> {
    let kinds: Vec<AreaKind> = kind.map_or_else(|| AreaKind::ALL.to_vec(), |k| vec![k]);
    let before = period.previous();
    let store = app.store();
    let mut facts = Vec::with_capacity(kinds.len());
    for k in &kinds {
        facts.push((
            *k,
            KindFacts {
                now: store.risk_areas(*k, period.from, period.to, HORIZON_DAYS).await?,
                before: store.risk_areas(*k, before.from, before.to, HORIZON_DAYS).await?,
                mix: store.risk_area_mix(*k, period.from, period.to).await?,
            },
        ));
    }
    let playbooks = store.list_playbooks(true).await?;
    let areas = rank(&facts, &playbooks);
    Ok(RiskRegister {
        from: period.from,
        to: period.to,
        previous_from: before.from,
        kinds,
        without_playbook: areas
            .iter()
            .filter(|a| a.playbook.is_none() && (a.failures > 0 || a.cases > 0))
            .count() as u64,
        areas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 0, 0, 0).single().expect("a time")
    }

    fn counts(area: &str, items: i64, failures: i64, goodwill: i64, churned: i64) -> AreaCounts {
        AreaCounts {
            area: area.into(),
            items,
            failures,
            cases: failures / 2,
            goodwill_cents: goodwill,
            churned: i64::from(churned > 0),
            churned_cents: churned,
        }
    }

    fn playbook(id: u128, topic: Option<&str>, kind: Option<&str>) -> PlaybookRow {
        PlaybookRow {
            id: Uuid::from_u128(id),
            position: 10,
            active: true,
            version: 1,
            current_version: 1,
            name_de: format!("Plan {id}"),
            name_en: format!("Plan {id}"),
            owner_team: "Team".into(),
            topic: topic.map(str::to_string),
            incident_kind: kind.map(str::to_string),
            severity_min: 1,
            severity_max: 4,
            edited_at: at(1),
            created_at: at(1),
        }
    }

    fn mix(area: &str, what: &str, value: &str, n: i64) -> AreaMix {
        AreaMix {
            area: area.into(),
            what: what.into(),
            value: value.into(),
            n,
        }
    }

    #[test]
    fn known_answer_ranking() {
        let topics = KindFacts {
            now: vec![
                // 30 of 60 fail, 100 € goodwill + 500 € churned: score 300 €.
                counts("waiting_time", 60, 30, 10_000, 50_000),
                // 10 of 100 fail, 2,000 € cost: score 200 €.
                counts("delivery", 100, 10, 200_000, 0),
                counts("billing", 5, 0, 0, 0),
            ],
            before: vec![counts("waiting_time", 80, 40, 0, 0), counts("delivery", 100, 30, 0, 0)],
            mix: Vec::new(),
        };
        let components = KindFacts {
            now: vec![counts("checkout", 10, 10, 100_000, 0)],
            before: Vec::new(),
            mix: vec![
                mix("checkout", "topic", "billing", 6),
                mix("checkout", "topic", "delivery", 6),
                mix("checkout", "topic", "waiting_time", 2),
            ],
        };
        let kinds = KindFacts {
            now: vec![AreaCounts {
                area: "outage".into(),
                cases: 40,
                goodwill_cents: 400_000,
                ..AreaCounts::default()
            }],
            ..KindFacts::default()
        };
        let pbs = [playbook(1, Some("delivery"), None), playbook(2, None, Some("outage"))];
        let out = rank(
            &[
                (AreaKind::Topic, topics),
                (AreaKind::Component, components),
                (AreaKind::IncidentKind, kinds),
            ],
            &pbs,
        );
        let names: Vec<&str> = out.iter().map(|a| a.area.as_str()).collect();
        // checkout: 100 % × 1,000 € = 1,000 €; then 300 €, 200 €, 0 €; the
        // outage has no feedback, so no score: last.
        assert_eq!(names, ["checkout", "waiting_time", "delivery", "billing", "outage"]);
        let w = &out[1];
        assert_eq!((w.items, w.failures, w.cost_cents), (60, 30, 60_000));
        assert_eq!(w.rate, Some(0.5));
        assert_eq!(w.score_cents, Some(30_000.0));
        let ci = w.rate_ci.expect("an interval");
        assert!((ci.low - 0.377_350_242_415_557_7).abs() < 1e-9, "{ci:?}");
        assert!((ci.high - 0.622_649_757_584_442_3).abs() < 1e-9, "{ci:?}");
        assert!(w.judged);
        assert_eq!(w.playbook, None, "no playbook for waiting time");
        assert_eq!(w.trend, Trend::Steady, "50 % now, 50 % before");
        assert_eq!(w.previous.rate, Some(0.5));
        let d = &out[2];
        assert_eq!(d.playbook.as_ref().map(|p| p.id), Some(Uuid::from_u128(1)));
        assert_eq!(d.trend, Trend::Falling, "10 % now against 30 % before");
        assert!((d.rate_change.unwrap_or_default() + 0.2).abs() < 1e-12);
        let c = &out[0];
        assert!(!c.judged, "10 items");
        assert_eq!(c.trend, Trend::TooFew);
        assert_eq!(
            (c.topic.as_deref(), c.incident_kind),
            (Some("billing"), None),
            "the most frequent complaint topic; a tie goes to the first by name"
        );
        assert_eq!(c.playbook, None);
        let o = &out[4];
        assert_eq!((o.rate, o.score_cents, o.cost_cents), (None, None, 400_000));
        assert_eq!(o.incident_kind, Some(IncidentKind::Outage));
        assert_eq!(o.playbook.as_ref().map(|p| p.id), Some(Uuid::from_u128(2)));
    }

    #[test]
    fn periods_are_checked() {
        let now = at(20);
        let p = Period::resolve(now, None, None).expect("default");
        assert_eq!((p.from, p.to), (now - Duration::days(90), now));
        assert_eq!(p.previous().to, p.from);
        assert_eq!(p.previous().from, now - Duration::days(180));
        let field = |r: AppResult<Period>| match r {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(field(Period::resolve(now, Some(now), Some(now))), "to");
        assert_eq!(
            field(Period::resolve(now, Some(now - Duration::days(400)), None)),
            "from"
        );
        assert_eq!(field(Period::last_days(now, Some(0))), "days");
        assert!(Period::last_days(now, Some(366)).is_ok());
    }
}
