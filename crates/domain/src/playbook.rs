//! Playbooks: recovery prepared in advance for one kind of failure.
//!
//! A playbook matches cases by topic and/or incident kind and a severity
//! range, and lists ordered steps (title in German and English, checklist,
//! reply template, recommended goodwill, target time after the case was
//! opened). This module validates a playbook as typed ([`PlaybookDraft`])
//! and picks the playbook for a case ([`pick`]): the most specific match
//! wins, ties go to the lowest position.

use crate::error::ValidationError;
use crate::incident::IncidentKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const NAME_MAX: usize = 120;
pub const TEAM_MAX: usize = 80;
pub const STEP_TITLE_MAX: usize = 200;
pub const CHECK_ITEM_MAX: usize = 200;
pub const CHECKLIST_MAX: usize = 20;
pub const STEPS_MAX: usize = 30;
/// Target times up to 30 days after the case was opened.
pub const DUE_MINUTES_MAX: u32 = 30 * 24 * 60;
pub const SEVERITY_MIN: u8 = 1;
pub const SEVERITY_MAX: u8 = 4;

/// Which cases a playbook is for. A missing topic or kind matches any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybookMatch {
    pub topic: Option<String>,
    pub incident_kind: Option<IncidentKind>,
    pub severity_min: u8,
    pub severity_max: u8,
}

impl PlaybookMatch {
    /// Whether `case` is of this failure type. A case without a severity
    /// matches only a playbook for every severity (1–4).
    #[must_use]
    pub fn matches(&self, case: &CaseProfile<'_>) -> bool {
        let topic = self.topic.as_ref().is_none_or(|t| case.topics.contains(t));
        let kind = self.incident_kind.is_none_or(|k| case.incident_kind == Some(k));
        let severity = match case.severity {
            Some(s) => (self.severity_min..=self.severity_max).contains(&s),
            None => self.all_severities(),
        };
        topic && kind && severity
    }

    fn all_severities(&self) -> bool {
        self.severity_min <= SEVERITY_MIN && self.severity_max >= SEVERITY_MAX
    }

    /// How specific the match is: one point each for a topic, an incident
    /// kind and a narrowed severity range.
    #[must_use]
    pub fn specificity(&self) -> u8 {
        u8::from(self.topic.is_some()) + u8::from(self.incident_kind.is_some()) + u8::from(!self.all_severities())
    }
}

/// One step of a playbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDraft {
    pub title_de: String,
    pub title_en: String,
    pub checklist: Vec<String>,
    pub template_id: Option<Uuid>,
    pub goodwill_item_id: Option<Uuid>,
    /// Due this many minutes after the case was opened.
    pub due_minutes: u32,
}

/// A playbook as typed, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaybookDraft {
    pub name_de: String,
    pub name_en: String,
    pub owner_team: String,
    pub matching: PlaybookMatch,
    pub steps: Vec<StepDraft>,
}

/// A step as typed (field names as the API and form use them).
#[derive(Debug, Clone, Default)]
pub struct RawStep<'a> {
    pub title_de: &'a str,
    pub title_en: &'a str,
    pub checklist: Vec<&'a str>,
    pub template_id: Option<Uuid>,
    pub goodwill_item_id: Option<Uuid>,
    pub due_minutes: i64,
}

/// A playbook as typed.
#[derive(Debug, Clone, Default)]
pub struct RawPlaybook<'a> {
    pub name_de: &'a str,
    pub name_en: &'a str,
    pub owner_team: &'a str,
    pub topic: Option<&'a str>,
    pub incident_kind: Option<&'a str>,
    pub severity_min: i64,
    pub severity_max: i64,
    pub steps: Vec<RawStep<'a>>,
}

fn text(field: &str, raw: &str, max: usize) -> Result<String, ValidationError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(ValidationError::new(
            field,
            format!("{field} must have 1 to {max} characters"),
        ));
    }
    Ok(t.to_string())
}

fn topic(raw: Option<&str>) -> Result<Option<String>, ValidationError> {
    let Some(t) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let ok = t.len() <= 40 && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if !ok {
        return Err(ValidationError::new(
            "topic",
            "topic must be a topic id of lowercase letters and underscores (e.g. delivery), at most 40",
        ));
    }
    Ok(Some(t.to_string()))
}

fn severity(field: &str, v: i64) -> Result<u8, ValidationError> {
    u8::try_from(v)
        .ok()
        .filter(|s| (SEVERITY_MIN..=SEVERITY_MAX).contains(s))
        .ok_or_else(|| ValidationError::new(field, format!("{field} must be from 1 to 4")))
}

impl StepDraft {
    fn parse(i: usize, raw: &RawStep<'_>) -> Result<Self, ValidationError> {
        let f = |name: &str| format!("steps[{i}].{name}");
        let title_de = text(&f("title_de"), raw.title_de, STEP_TITLE_MAX)?;
        let title_en = text(&f("title_en"), raw.title_en, STEP_TITLE_MAX)?;
        let checklist: Vec<String> = raw
            .checklist
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .map(|c| text(&f("checklist"), c, CHECK_ITEM_MAX))
            .collect::<Result<_, _>>()?;
        if checklist.len() > CHECKLIST_MAX {
            return Err(ValidationError::new(
                f("checklist"),
                format!("a step has at most {CHECKLIST_MAX} checklist items"),
            ));
        }
        let due_minutes = u32::try_from(raw.due_minutes)
            .ok()
            .filter(|m| *m <= DUE_MINUTES_MAX)
            .ok_or_else(|| {
                ValidationError::new(
                    f("due_minutes"),
                    format!("due_minutes must be from 0 to {DUE_MINUTES_MAX} (30 days)"),
                )
            })?;
        Ok(StepDraft {
            title_de,
            title_en,
            checklist,
            template_id: raw.template_id,
            goodwill_item_id: raw.goodwill_item_id,
            due_minutes,
        })
    }
}

impl PlaybookDraft {
    /// Checks a playbook as typed; the error names the first bad field
    /// (`steps[2].title_en` for a step's field).
    pub fn parse(raw: &RawPlaybook<'_>) -> Result<Self, ValidationError> {
        let name_de = text("name_de", raw.name_de, NAME_MAX)?;
        let name_en = text("name_en", raw.name_en, NAME_MAX)?;
        let owner_team = text("owner_team", raw.owner_team, TEAM_MAX)?;
        let topic = topic(raw.topic)?;
        let incident_kind = raw
            .incident_kind
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::parse::<IncidentKind>)
            .transpose()
            .map_err(|e| e.for_field("incident_kind"))?;
        let severity_min = severity("severity_min", raw.severity_min)?;
        let severity_max = severity("severity_max", raw.severity_max)?;
        if severity_min > severity_max {
            return Err(ValidationError::new(
                "severity_max",
                "severity_max must not be below severity_min",
            ));
        }
        if raw.steps.is_empty() || raw.steps.len() > STEPS_MAX {
            return Err(ValidationError::new(
                "steps",
                format!("a playbook has 1 to {STEPS_MAX} steps"),
            ));
        }
        let steps = raw
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepDraft::parse(i, s))
            .collect::<Result<_, _>>()?;
        Ok(PlaybookDraft {
            name_de,
            name_en,
            owner_team,
            matching: PlaybookMatch {
                topic,
                incident_kind,
                severity_min,
                severity_max,
            },
            steps,
        })
    }
}

/// What the pick knows of a case.
#[derive(Debug, Clone, Copy)]
pub struct CaseProfile<'a> {
    pub topics: &'a [String],
    pub incident_kind: Option<IncidentKind>,
    pub severity: Option<u8>,
}

/// An active playbook the pick may choose.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub id: Uuid,
    pub position: i64,
    pub matching: &'a PlaybookMatch,
}

/// The playbook for `case`: of the matching candidates the most specific;
/// among equally specific ones the lowest position, then the oldest id.
#[must_use]
pub fn pick(candidates: &[Candidate<'_>], case: &CaseProfile<'_>) -> Option<Uuid> {
    candidates
        .iter()
        .filter(|c| c.matching.matches(case))
        .min_by_key(|c| (std::cmp::Reverse(c.matching.specificity()), c.position, c.id))
        .map(|c| c.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(topic: Option<&str>, kind: Option<IncidentKind>, min: u8, max: u8) -> PlaybookMatch {
        PlaybookMatch {
            topic: topic.map(str::to_string),
            incident_kind: kind,
            severity_min: min,
            severity_max: max,
        }
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn the_most_specific_match_wins() {
        let any_delivery = m(Some("delivery"), None, 1, 4);
        let severe_delivery = m(Some("delivery"), None, 3, 4);
        let billing = m(Some("billing"), None, 1, 4);
        let c = [
            Candidate {
                id: id(1),
                position: 10,
                matching: &any_delivery,
            },
            Candidate {
                id: id(2),
                position: 20,
                matching: &severe_delivery,
            },
            Candidate {
                id: id(3),
                position: 0,
                matching: &billing,
            },
        ];
        let topics = vec!["delivery".to_string()];
        let severe = CaseProfile {
            topics: &topics,
            incident_kind: None,
            severity: Some(4),
        };
        assert_eq!(pick(&c, &severe), Some(id(2)), "narrowed severity beats any severity");
        let mild = CaseProfile {
            severity: Some(1),
            ..severe
        };
        assert_eq!(
            pick(&c, &mild),
            Some(id(1)),
            "the severe playbook does not match severity 1"
        );
        let unknown = CaseProfile {
            severity: None,
            ..severe
        };
        assert_eq!(
            pick(&c, &unknown),
            Some(id(1)),
            "no severity: only all-severity playbooks"
        );
        let none = CaseProfile {
            topics: &[],
            incident_kind: None,
            severity: Some(2),
        };
        assert_eq!(pick(&c, &none), None);
    }

    #[test]
    fn incident_kind_and_topic_together_beat_either() {
        let outage = m(None, Some(IncidentKind::Outage), 1, 4);
        let both = m(Some("app_website"), Some(IncidentKind::Outage), 1, 4);
        let c = [
            Candidate {
                id: id(1),
                position: 1,
                matching: &outage,
            },
            Candidate {
                id: id(2),
                position: 2,
                matching: &both,
            },
        ];
        let topics = vec!["app_website".to_string()];
        let case = CaseProfile {
            topics: &topics,
            incident_kind: Some(IncidentKind::Outage),
            severity: Some(2),
        };
        assert_eq!(pick(&c, &case), Some(id(2)));
        let other = CaseProfile { topics: &[], ..case };
        assert_eq!(pick(&c, &other), Some(id(1)));
        let delay = CaseProfile {
            incident_kind: Some(IncidentKind::Delay),
            ..case
        };
        assert_eq!(pick(&c, &delay), None);
    }

    #[test]
    fn ties_go_to_the_lowest_position_then_the_oldest() {
        let a = m(Some("billing"), None, 1, 4);
        let b = m(Some("billing"), None, 1, 4);
        let topics = vec!["billing".to_string()];
        let case = CaseProfile {
            topics: &topics,
            incident_kind: None,
            severity: Some(2),
        };
        let c = [
            Candidate {
                id: id(1),
                position: 20,
                matching: &a,
            },
            Candidate {
                id: id(2),
                position: 10,
                matching: &b,
            },
        ];
        assert_eq!(pick(&c, &case), Some(id(2)));
        let same = [
            Candidate {
                id: id(5),
                position: 10,
                matching: &a,
            },
            Candidate {
                id: id(4),
                position: 10,
                matching: &b,
            },
        ];
        assert_eq!(pick(&same, &case), Some(id(4)));
    }

    fn raw<'a>() -> RawPlaybook<'a> {
        RawPlaybook {
            name_de: "Lieferverzug",
            name_en: "Late delivery",
            owner_team: "Logistik",
            topic: Some("delivery"),
            incident_kind: Some(""),
            severity_min: 1,
            severity_max: 4,
            steps: vec![RawStep {
                title_de: "Anrufen",
                title_en: "Call",
                checklist: vec!["Sendung prüfen", " ", "Termin nennen"],
                due_minutes: 120,
                ..RawStep::default()
            }],
        }
    }

    #[test]
    fn a_draft_is_checked_field_by_field() {
        let d = PlaybookDraft::parse(&raw()).expect("valid");
        assert_eq!(d.steps[0].checklist, ["Sendung prüfen", "Termin nennen"]);
        assert_eq!(d.matching.incident_kind, None);
        let bad = |r: RawPlaybook<'_>| PlaybookDraft::parse(&r).expect_err("invalid").field;
        assert_eq!(bad(RawPlaybook { name_en: " ", ..raw() }), "name_en");
        assert_eq!(
            bad(RawPlaybook {
                topic: Some("Lieferung!"),
                ..raw()
            }),
            "topic"
        );
        assert_eq!(
            bad(RawPlaybook {
                incident_kind: Some("flood"),
                ..raw()
            }),
            "incident_kind"
        );
        assert_eq!(
            bad(RawPlaybook {
                severity_min: 0,
                ..raw()
            }),
            "severity_min"
        );
        assert_eq!(
            bad(RawPlaybook {
                severity_min: 3,
                severity_max: 2,
                ..raw()
            }),
            "severity_max"
        );
        assert_eq!(bad(RawPlaybook { steps: vec![], ..raw() }), "steps");
        let mut late = raw();
        late.steps[0].due_minutes = -1;
        assert_eq!(bad(late), "steps[0].due_minutes");
        let mut untitled = raw();
        untitled.steps.push(RawStep {
            title_de: "x",
            ..RawStep::default()
        });
        assert_eq!(bad(untitled), "steps[1].title_en");
    }
}
