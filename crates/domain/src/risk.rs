//! The risk register's areas: where failures come from — a feedback topic,
//! a product component, an incident kind or a release — and which playbook
//! a failure of an area would get (the pick of [`crate::playbook`]).
//!
//! There is no "process" area: nothing in the data names the process a
//! failure came from.

use crate::case::string_enum;
use crate::error::ValidationError;
use crate::incident::IncidentKind;
use crate::playbook::{Candidate, CaseProfile, SEVERITY_MAX, SEVERITY_MIN, pick};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

string_enum!(
    /// What kind of area a row of the risk register is: a topic of the
    /// text analysis (`delivery`, `billing`, …) of the feedback; the
    /// product component a feedback item names, else that of the incident
    /// its case came from; the kind of the incident a case came from; or
    /// the release an incident names.
    AreaKind, "kind" {
        Topic => "topic",
        Component => "component",
        IncidentKind => "incident_kind",
        Release => "release",
    }
);

/// What an area's failures are about, as the playbook pick reads a case:
/// the area itself for a topic or an incident kind; for a component or a
/// release the most frequent complaint topic and incident kind of its
/// failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaProfile {
    pub topic: Option<String>,
    pub incident_kind: Option<IncidentKind>,
}

/// The playbook a failure of the area would get: [`pick`] on a case with
/// the profile's topic and incident kind, at the highest severity any
/// candidate takes (4 down to 1) — the worst failures are the ones a
/// Plan B must be ready for. `None` when no candidate matches at any
/// severity, or the profile names neither a topic nor a kind (a playbook
/// for "any case" is no plan for this area in particular).
#[must_use]
pub fn playbook_for(candidates: &[Candidate<'_>], profile: &AreaProfile) -> Option<Uuid> {
    if profile.topic.is_none() && profile.incident_kind.is_none() {
        return None;
    }
    let topics: Vec<String> = profile.topic.iter().cloned().collect();
    let relevant: Vec<Candidate<'_>> = candidates
        .iter()
        .filter(|c| c.matching.topic.is_some() || c.matching.incident_kind.is_some())
        .cloned()
        .collect();
    (SEVERITY_MIN..=SEVERITY_MAX).rev().find_map(|severity| {
        pick(
            &relevant,
            &CaseProfile {
                topics: &topics,
                incident_kind: profile.incident_kind,
                severity: Some(severity),
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::PlaybookMatch;

    fn m(topic: Option<&str>, kind: Option<IncidentKind>, min: u8, max: u8) -> PlaybookMatch {
        PlaybookMatch {
            topic: topic.map(str::to_string),
            incident_kind: kind,
            severity_min: min,
            severity_max: max,
        }
    }

    fn profile(topic: Option<&str>, kind: Option<IncidentKind>) -> AreaProfile {
        AreaProfile {
            topic: topic.map(str::to_string),
            incident_kind: kind,
        }
    }

    #[test]
    fn an_area_gets_the_playbook_of_its_worst_failures() {
        let any_delivery = m(Some("delivery"), None, 1, 2);
        let severe_delivery = m(Some("delivery"), None, 3, 4);
        let outage = m(None, Some(IncidentKind::Outage), 1, 4);
        let anything = m(None, None, 1, 4);
        let c = [
            Candidate {
                id: Uuid::from_u128(1),
                position: 1,
                matching: &any_delivery,
            },
            Candidate {
                id: Uuid::from_u128(2),
                position: 2,
                matching: &severe_delivery,
            },
            Candidate {
                id: Uuid::from_u128(3),
                position: 3,
                matching: &outage,
            },
            Candidate {
                id: Uuid::from_u128(4),
                position: 0,
                matching: &anything,
            },
        ];
        assert_eq!(
            playbook_for(&c, &profile(Some("delivery"), None)),
            Some(Uuid::from_u128(2))
        );
        assert_eq!(
            playbook_for(&c[..1], &profile(Some("delivery"), None)),
            Some(Uuid::from_u128(1)),
            "a playbook for mild failures only still covers the area"
        );
        assert_eq!(
            playbook_for(&c, &profile(None, Some(IncidentKind::Outage))),
            Some(Uuid::from_u128(3))
        );
        assert_eq!(
            playbook_for(&c, &profile(Some("waiting_time"), None)),
            None,
            "a playbook for any case is no plan for this area"
        );
        assert_eq!(playbook_for(&c, &AreaProfile::default()), None);
        // A component whose failures are delivery complaints from outages:
        // the topic-and-kind playbook would win, here the topic one does.
        assert_eq!(
            playbook_for(&c, &profile(Some("delivery"), Some(IncidentKind::Outage))),
            Some(Uuid::from_u128(2))
        );
    }

    #[test]
    fn kinds_read_and_name_themselves() {
        for k in AreaKind::ALL {
            assert_eq!(k.as_str().parse::<AreaKind>(), Ok(*k));
        }
        assert_eq!("process".parse::<AreaKind>().expect_err("no such kind").field, "kind");
    }
}
