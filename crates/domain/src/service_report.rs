//! The service report: what a customer is told was done for them after a
//! case is resolved ("what we did for you" — reinforcement, seed 003).
//!
//! It says only what the customer has seen or received: replies that went
//! out to them (not internal mails, not failed ones), goodwill actually
//! granted (not requested or refused), the playbook steps the team checked
//! off, whether amends contacted them before they complained (a proactive
//! incident notice), and how long the resolution took. Pure: the facts
//! come in, the report goes out.

use crate::goodwill::{GoodwillKind, GrantState};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A goodwill grant of the case, as the report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantFact {
    pub kind: GoodwillKind,
    pub value_cents: i64,
    pub state: GrantState,
}

/// What happened on a case, read from its rows and timeline.
#[derive(Debug, Clone, Default)]
pub struct ReportFacts {
    pub opened_at: Option<DateTime<Utc>>,
    /// The latest resolution; `None` while the case is not resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Messages to the customer that were sent (replies, notices).
    pub messages_sent: u32,
    /// The case came from an incident: the customer was told first.
    pub proactive: bool,
    pub grants: Vec<GrantFact>,
    /// Titles (German, English) of the playbook steps checked off, in order.
    pub steps_done: Vec<(String, String)>,
}

/// One piece of goodwill the customer received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GoodwillGiven {
    #[schema(value_type = String, example = "voucher")]
    pub kind: GoodwillKind,
    /// In cents of the goodwill currency; 0 for a gesture without a value.
    pub value_cents: i64,
}

/// A playbook step, titled in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StepTaken {
    pub title_de: String,
    pub title_en: String,
}

/// The report. `minutes_to_resolve` is wall-clock time from opening to
/// the latest resolution, whole minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ServiceReport {
    pub minutes_to_resolve: i64,
    pub messages_sent: u32,
    pub proactive: bool,
    pub goodwill: Vec<GoodwillGiven>,
    pub goodwill_total_cents: i64,
    pub steps: Vec<StepTaken>,
}

/// The report of a resolved case; `None` while it is not resolved (there
/// is nothing to report yet).
#[must_use]
pub fn build(facts: &ReportFacts) -> Option<ServiceReport> {
    let (opened, resolved) = (facts.opened_at?, facts.resolved_at?);
    let goodwill: Vec<GoodwillGiven> = facts
        .grants
        .iter()
        .filter(|g| g.state == GrantState::Granted)
        .map(|g| GoodwillGiven {
            kind: g.kind,
            value_cents: g.value_cents.max(0),
        })
        .collect();
    Some(ServiceReport {
        minutes_to_resolve: (resolved - opened).num_minutes().max(0),
        messages_sent: facts.messages_sent,
        proactive: facts.proactive,
        goodwill_total_cents: goodwill.iter().map(|g| g.value_cents).sum(),
        goodwill,
        steps: facts
            .steps_done
            .iter()
            .map(|(de, en)| StepTaken {
                title_de: de.clone(),
                title_en: en.clone(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).single().expect("valid") + Duration::hours(h)
    }

    #[test]
    fn nothing_to_report_before_the_resolution() {
        let facts = ReportFacts {
            opened_at: Some(at(0)),
            ..ReportFacts::default()
        };
        assert_eq!(build(&facts), None);
    }

    #[test]
    fn only_granted_goodwill_counts_and_time_is_opening_to_resolution() {
        let facts = ReportFacts {
            opened_at: Some(at(0)),
            resolved_at: Some(at(50)),
            messages_sent: 2,
            proactive: true,
            grants: vec![
                GrantFact {
                    kind: GoodwillKind::Voucher,
                    value_cents: 2000,
                    state: GrantState::Granted,
                },
                GrantFact {
                    kind: GoodwillKind::Refund,
                    value_cents: 9900,
                    state: GrantState::Pending,
                },
                GrantFact {
                    kind: GoodwillKind::Refund,
                    value_cents: 5000,
                    state: GrantState::Rejected,
                },
                GrantFact {
                    kind: GoodwillKind::HandwrittenNote,
                    value_cents: 0,
                    state: GrantState::Granted,
                },
            ],
            steps_done: vec![("Ersatz senden".into(), "Send a replacement".into())],
        };
        let r = build(&facts).expect("resolved");
        assert_eq!(r.minutes_to_resolve, 50 * 60);
        assert_eq!(r.goodwill_total_cents, 2000);
        assert_eq!(
            r.goodwill.iter().map(|g| g.kind).collect::<Vec<_>>(),
            vec![GoodwillKind::Voucher, GoodwillKind::HandwrittenNote]
        );
        assert_eq!(r.steps[0].title_en, "Send a replacement");
        assert!(r.proactive);
        assert_eq!(r.messages_sent, 2);
    }
}
