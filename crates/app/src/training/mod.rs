//! Training cases: resolved cases turned into anonymised case studies for
//! team training, picked by outcome. A *best recovery* is a failure
//! (severity ≥ 2 or negative feedback) that ended with a survey score of 4
//! or 5, was not reopened and whose customer is still a customer; a *failed
//! recovery* ended with a score of 1 or 2, was reopened, or the customer
//! left after the case was opened. Formulas and limits: docs/ANALYTICS.md.

pub mod anonymise;
pub mod study;

use crate::error::{AppError, AppResult};
use crate::state::App;
use amends_domain::Language;
use amends_i18n::catalog::I18n;
use amends_store::TrainingFacts;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use study::{CaseStudy, markdown, study};

/// Which recoveries a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrainingOutcome {
    Best,
    Failed,
}

impl TrainingOutcome {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingOutcome::Best => "best",
            TrainingOutcome::Failed => "failed",
        }
    }
}

/// The period of a training list when none is asked for.
pub const DEFAULT_DAYS: i64 = 180;
/// The most cases a list shows.
pub const MAX_CASES: usize = 50;
/// How many cases of the period are looked at, newest first.
const SCAN_LIMIT: i64 = 5_000;

/// The query of the training list: `outcome` (`best` or `failed`, default
/// `best`) and the last `days` days (1–366, default 180).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrainingQuery {
    /// `best` (default) or `failed`.
    #[param(value_type = Option<String>, pattern = "^(best|failed)$")]
    pub outcome: Option<TrainingOutcome>,
    /// Cases resolved in the last N days up to now (1–366, default 180).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
}

/// The outcome of a case from its facts; `None` if it is neither a best
/// nor a failed recovery. Failure signals win over a good score.
#[must_use]
pub fn classify(f: &TrainingFacts) -> Option<TrainingOutcome> {
    let churned = f.churned_at.is_some_and(|at| at >= f.created_at);
    let low = f.survey_score.is_some_and(|s| s <= 2);
    if low || f.reopened > 0 || churned {
        return Some(TrainingOutcome::Failed);
    }
    let failure = f.severity.is_some_and(|s| s >= 2) || f.negative_feedback > 0;
    if failure && f.survey_score.is_some_and(|s| s >= 4) {
        return Some(TrainingOutcome::Best);
    }
    None
}

/// How clearly a case shows its outcome: best first = highest score, then
/// most severe; failed first = most failure signals, then lowest score.
fn strength(f: &TrainingFacts, outcome: TrainingOutcome) -> (i64, i64) {
    let score = i64::from(f.survey_score.unwrap_or(3));
    match outcome {
        TrainingOutcome::Best => (score, i64::from(f.severity.unwrap_or(0))),
        TrainingOutcome::Failed => {
            let churned = f.churned_at.is_some_and(|at| at >= f.created_at);
            let signals = i64::from(churned) + i64::from(f.reopened > 0) + i64::from(score <= 2);
            (signals, -score)
        }
    }
}

/// One case of the list: no name, no customer id, amounts rounded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainingCase {
    /// The case (the study's address).
    pub id: uuid::Uuid,
    pub outcome: TrainingOutcome,
    /// Channel, tier and severity in words.
    pub title: String,
    pub severity: Option<i32>,
    pub survey_score: Option<i32>,
    pub reopened: bool,
    /// The customer left after the case was opened.
    pub churned: bool,
    /// Goodwill granted, rounded to 5 € (10 € from 100 €).
    pub goodwill_euros: i64,
    /// The rounded goodwill in words ("ca. 50 €").
    pub goodwill: String,
    /// Whole days from opening to resolution.
    pub days_to_resolve: i64,
}

/// The training list of a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TrainingList {
    pub outcome: TrainingOutcome,
    pub days: i64,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub cases: Vec<TrainingCase>,
}

/// "E-Mail · Premium · Schwere 3".
fn title(i18n: &I18n, lang: Language, f: &TrainingFacts) -> String {
    let channel = i18n.t(lang, &format!("channel-{}", f.channel.as_str()), &[]);
    let tier = i18n.t(lang, &format!("tier-{}", f.tier.as_str()), &[]);
    match f.severity {
        Some(s) => {
            let sev = i18n.t(lang, "training-severity", &[("severity", s.into())]);
            format!("{channel} · {tier} · {sev}")
        }
        None => format!("{channel} · {tier}"),
    }
}

/// The best or failed recoveries resolved in the last `days` days.
pub async fn list(app: &App, i18n: &I18n, lang: Language, q: &TrainingQuery) -> AppResult<TrainingList> {
    let days = q.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=crate::analytics::MAX_DAYS).contains(&days) {
        return Err(AppError::validation(
            "days",
            format!("days must be 1 to {}, got {days}", crate::analytics::MAX_DAYS),
        ));
    }
    let outcome = q.outcome.unwrap_or(TrainingOutcome::Best);
    let to = app.now();
    let from = to - Duration::days(days);
    let mut facts: Vec<TrainingFacts> = app
        .store()
        .training_facts(from, to, SCAN_LIMIT)
        .await?
        .into_iter()
        .filter(|f| classify(f) == Some(outcome))
        .collect();
    // Stable: equally strong cases stay newest first.
    facts.sort_by_key(|f| std::cmp::Reverse(strength(f, outcome)));
    let words = study::words(i18n, lang);
    let cases = facts
        .iter()
        .take(MAX_CASES)
        .map(|f| TrainingCase {
            id: f.id.0,
            outcome,
            title: title(i18n, lang, f),
            severity: f.severity,
            survey_score: f.survey_score,
            reopened: f.reopened > 0,
            churned: f.churned_at.is_some_and(|at| at >= f.created_at),
            goodwill_euros: anonymise::round_euros(f.goodwill_cents),
            goodwill: words.amount(anonymise::round_euros(f.goodwill_cents)),
            days_to_resolve: (f.ended_at - f.created_at).num_days(),
        })
        .collect();
    Ok(TrainingList {
        outcome,
        days,
        from,
        to,
        cases,
    })
}

/// A best recovery opened on 2 March 2026, resolved two days later.
#[cfg(test)]
pub(crate) fn test_facts() -> TrainingFacts {
    use chrono::TimeZone;
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().expect("valid time");
    TrainingFacts {
        id: amends_domain::CaseId(uuid::Uuid::nil()),
        created_at: at,
        ended_at: at + Duration::days(2),
        first_responded_at: None,
        first_response_due_at: at,
        channel: amends_domain::Channel::Email,
        tier: amends_domain::Tier::Premium,
        severity: Some(3),
        repeat_failure: None,
        survey_score: Some(5),
        reopened: 0,
        negative_feedback: 0,
        goodwill_cents: 0,
        churned_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> TrainingFacts {
        test_facts()
    }

    #[test]
    fn best_needs_a_failure_a_high_score_and_a_customer_who_stayed() {
        assert_eq!(classify(&facts()), Some(TrainingOutcome::Best));
        let four = TrainingFacts {
            survey_score: Some(4),
            severity: Some(1),
            negative_feedback: 1,
            ..facts()
        };
        assert_eq!(classify(&four), Some(TrainingOutcome::Best));
        let minor = TrainingFacts {
            severity: Some(1),
            ..facts()
        };
        assert_eq!(classify(&minor), None);
        let unrated = TrainingFacts {
            survey_score: None,
            ..facts()
        };
        assert_eq!(classify(&unrated), None);
        let three = TrainingFacts {
            survey_score: Some(3),
            ..facts()
        };
        assert_eq!(classify(&three), None);
    }

    #[test]
    fn failed_on_a_low_score_a_reopening_or_churn_after_the_case() {
        let f = facts();
        let low = TrainingFacts {
            survey_score: Some(2),
            ..facts()
        };
        let reopened = TrainingFacts { reopened: 1, ..facts() };
        let churned = TrainingFacts {
            churned_at: Some(f.created_at + Duration::days(10)),
            ..facts()
        };
        let churned_before = TrainingFacts {
            churned_at: Some(f.created_at - Duration::days(1)),
            ..facts()
        };
        for x in [&low, &reopened, &churned] {
            assert_eq!(classify(x), Some(TrainingOutcome::Failed));
        }
        assert_eq!(classify(&churned_before), Some(TrainingOutcome::Best));
        assert_eq!(strength(&churned, TrainingOutcome::Failed), (1, -5));
        let both = TrainingFacts {
            survey_score: Some(1),
            reopened: 2,
            ..churned
        };
        assert_eq!(strength(&both, TrainingOutcome::Failed), (3, -1));
    }
}
