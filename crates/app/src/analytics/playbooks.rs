//! How well each playbook version recovers: over the cases that started it,
//! the mean CSAT, the reopen rate, the median time to resolve and the share
//! of customers still there `settle_days` after the resolution. Formulas in
//! `docs/PLAYBOOKS.md`.

use super::{hours, percent};
use crate::App;
use crate::error::AppResult;
use amends_store::{PlaybookCaseFact, PlaybookScore};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// The figures of one playbook version.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlaybookFigures {
    pub playbook_id: Uuid,
    pub version: i32,
    pub name_de: String,
    pub name_en: String,
    /// Cases that started this version (checked off a step).
    pub cases: u64,
    /// Of them, resolved (or closed).
    pub resolved: u64,
    /// Mean survey score (1–5) of their answered surveys.
    pub csat_mean: Option<f64>,
    pub csat_answers: u64,
    /// Cases reopened at least once, in percent of the cases resolved at least once.
    pub reopen_rate_pct: Option<f64>,
    /// Median hours from opening to resolution of the resolved cases.
    pub resolution_median_hours: Option<f64>,
    /// Customers still there `settle_days` after the resolution, in percent
    /// of the cases resolved at least `settle_days` ago.
    pub retention_pct: Option<f64>,
    pub retention_judged: u64,
}

/// The figures of every version with cases, by playbook and version. Pure;
/// names are filled in by the caller.
#[must_use]
pub fn figures(
    facts: &[PlaybookCaseFact],
    scores: &[PlaybookScore],
    now: DateTime<Utc>,
    settle: Duration,
) -> Vec<PlaybookFigures> {
    type Group<'a> = (Vec<&'a PlaybookCaseFact>, Vec<i32>);
    let mut groups: BTreeMap<(Uuid, i32), Group<'_>> = BTreeMap::new();
    for f in facts {
        groups.entry((f.playbook_id, f.version)).or_default().0.push(f);
    }
    for s in scores {
        if let Some(g) = groups.get_mut(&(s.playbook_id, s.version)) {
            g.1.push(s.score);
        }
    }
    groups
        .into_iter()
        .map(|((playbook_id, version), (cases, scores))| {
            let resolved: Vec<(&PlaybookCaseFact, DateTime<Utc>)> =
                cases.iter().filter_map(|c| c.resolved_at.map(|r| (*c, r))).collect();
            // A reopened case counts as resolved once, whether it is resolved now or not.
            let ever_resolved = cases
                .iter()
                .filter(|c| c.resolved_at.is_some() || c.reopens > 0)
                .count() as u64;
            let reopened = cases.iter().filter(|c| c.reopens > 0).count() as u64;
            let durations: Vec<f64> = resolved.iter().map(|(c, r)| hours(*r - c.created_at)).collect();
            let judged: Vec<bool> = resolved
                .iter()
                .filter(|(_, r)| *r + settle <= now)
                .map(|(c, r)| c.churned_at.is_none_or(|k| k >= *r + settle))
                .collect();
            let answers = scores.len() as u64;
            PlaybookFigures {
                playbook_id,
                version,
                name_de: String::new(),
                name_en: String::new(),
                cases: cases.len() as u64,
                resolved: resolved.len() as u64,
                csat_mean: (answers > 0).then(|| scores.iter().map(|s| f64::from(*s)).sum::<f64>() / answers as f64),
                csat_answers: answers,
                reopen_rate_pct: percent(reopened, ever_resolved),
                resolution_median_hours: amends_stats::median(&durations),
                retention_pct: percent(judged.iter().filter(|r| **r).count() as u64, judged.len() as u64),
                retention_judged: judged.len() as u64,
            }
        })
        .collect()
}

/// The figures of every playbook version that cases started, with names.
pub async fn effectiveness(app: &App, settle_days: Option<i64>) -> AppResult<Vec<PlaybookFigures>> {
    let settle = Duration::days(super::settle_days(settle_days)?);
    let facts = app.store().playbook_case_facts().await?;
    let scores = app.store().playbook_scores().await?;
    let mut out = figures(&facts, &scores, app.now(), settle);
    for f in &mut out {
        let p = app.store().get_playbook(f.playbook_id, Some(f.version)).await?;
        f.name_de = p.name_de;
        f.name_en = p.name_en;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).single().expect("a time")
    }

    #[test]
    fn known_answer_per_version() {
        let p = Uuid::from_u128(7);
        let fact = |version, resolved: Option<DateTime<Utc>>, reopens, churned| PlaybookCaseFact {
            playbook_id: p,
            version,
            created_at: at(1, 0),
            resolved_at: resolved,
            reopens,
            churned_at: churned,
        };
        let facts = [
            fact(1, Some(at(1, 2)), 0, None),
            fact(1, Some(at(1, 6)), 1, Some(at(2, 0))),
            fact(1, None, 0, None),
            fact(1, Some(at(1, 4)), 0, None),
            fact(2, Some(at(20, 0)), 0, None),
        ];
        let scores = [
            PlaybookScore {
                playbook_id: p,
                version: 1,
                score: 5,
            },
            PlaybookScore {
                playbook_id: p,
                version: 1,
                score: 2,
            },
            PlaybookScore {
                playbook_id: p,
                version: 2,
                score: 4,
            },
        ];
        let out = figures(&facts, &scores, at(25, 0), Duration::days(7));
        assert_eq!(out.len(), 2);
        let v1 = &out[0];
        assert_eq!((v1.version, v1.cases, v1.resolved, v1.csat_answers), (1, 4, 3, 2));
        assert_eq!(v1.csat_mean, Some(3.5));
        assert_eq!(v1.reopen_rate_pct, Some(100.0 / 3.0));
        assert_eq!(v1.resolution_median_hours, Some(4.0));
        // Three resolved more than 7 days ago; one customer left a day later.
        assert_eq!(v1.retention_judged, 3);
        assert_eq!(v1.retention_pct, Some(200.0 / 3.0));
        let v2 = &out[1];
        assert_eq!((v2.cases, v2.retention_judged, v2.retention_pct), (1, 0, None));
        assert_eq!(v2.csat_mean, Some(4.0));
    }
}
