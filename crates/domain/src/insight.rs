//! Insight routing: a team's rules (read once, when the team is saved),
//! which team a feedback item or a resolved case goes to, the cause it is
//! grouped under, and the states of an insight.
//!
//! A rule names one kind of fact and a value: a topic of the text analysis
//! (`delivery`), a product component (`checkout`), a signal (`churn_intent`,
//! `urgency`, `legal_threat`), an incident kind (`outage`) or one incident
//! (its id). A report matches a team when any of the team's rules matches;
//! the first matching rule (in the team's order) names the cause: a topic
//! or component rule groups by that topic or component; a signal or
//! incident-kind rule groups by the report's component (else its first
//! topic, else the signal or kind itself); an incident rule by the incident.

use crate::ValidationError;
use crate::incident::IncidentKind;
use uuid::Uuid;

/// Rules per team at most.
pub const RULES_MAX: usize = 30;

/// The signals a rule can name (the text analysis's).
pub const SIGNALS: [&str; 3] = ["churn_intent", "urgency", "legal_threat"];

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    Topic,
    Component,
    Signal,
    IncidentKind,
    Incident,
}

impl RuleKind {
    pub const ALL: [RuleKind; 5] = [
        RuleKind::Topic,
        RuleKind::Component,
        RuleKind::Signal,
        RuleKind::IncidentKind,
        RuleKind::Incident,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::Topic => "topic",
            RuleKind::Component => "component",
            RuleKind::Signal => "signal",
            RuleKind::IncidentKind => "incident_kind",
            RuleKind::Incident => "incident",
        }
    }
}

impl std::str::FromStr for RuleKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        RuleKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

/// One rule of a team, as read when it was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRule {
    pub kind: RuleKind,
    /// Lower case for topics, components, signals and kinds; a UUID for an incident.
    pub value: String,
}

impl TeamRule {
    /// Reads rule number `index` (from 0) of a team; errors name
    /// `rules[index].kind` or `rules[index].value`.
    pub fn parse(index: usize, kind: &str, value: &str) -> Result<Self, ValidationError> {
        let field = |f: &str| format!("rules[{index}].{f}");
        let kind: RuleKind = kind.trim().parse().map_err(|()| {
            ValidationError::new(
                field("kind"),
                "kind must be topic, component, signal, incident_kind or incident",
            )
        })?;
        let v = value.trim();
        let bad = |m: &str| Err(ValidationError::new(field("value"), m.to_string()));
        let value = match kind {
            RuleKind::Topic => {
                if v.is_empty() || v.len() > 40 || !v.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    return bad("a topic id: 1 to 40 of a-z and _ (e.g. delivery)");
                }
                v.to_string()
            }
            RuleKind::Component => {
                if v.is_empty() || value.chars().count() > 100 || value.chars().any(char::is_control) {
                    return bad("a component name: 1 to 100 characters");
                }
                v.to_lowercase()
            }
            RuleKind::Signal => {
                if !SIGNALS.contains(&v) {
                    return bad("a signal: churn_intent, urgency or legal_threat");
                }
                v.to_string()
            }
            RuleKind::IncidentKind => match v.parse::<IncidentKind>() {
                Ok(k) => k.as_str().to_string(),
                Err(_) => {
                    return bad("an incident kind: outage, delay, delivery, billing_error, defective_release or other");
                }
            },
            RuleKind::Incident => match Uuid::parse_str(v) {
                Ok(id) => id.to_string(),
                Err(_) => return bad("an incident id (a UUID)"),
            },
        };
        Ok(TeamRule { kind, value })
    }
}

/// What a report says, as the rules read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportFacts<'a> {
    pub topics: &'a [String],
    pub component: Option<&'a str>,
    pub signals: &'a [String],
    pub incident_kind: Option<&'a str>,
    pub incident_id: Option<Uuid>,
}

/// The cause key a report is grouped under in a team whose rules are
/// `rules`, or `None` when no rule matches.
#[must_use]
pub fn cause_of(rules: &[TeamRule], f: &ReportFacts<'_>) -> Option<String> {
    let component = f.component.map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty());
    let fallback = |own: String| {
        component
            .as_ref()
            .map(|c| format!("component:{c}"))
            .or_else(|| f.topics.first().map(|t| format!("topic:{t}")))
            .unwrap_or(own)
    };
    rules.iter().find_map(|r| match r.kind {
        RuleKind::Topic => f.topics.contains(&r.value).then(|| format!("topic:{}", r.value)),
        RuleKind::Component => {
            (component.as_deref() == Some(r.value.as_str())).then(|| format!("component:{}", r.value))
        }
        RuleKind::Signal => f
            .signals
            .contains(&r.value)
            .then(|| fallback(format!("signal:{}", r.value))),
        RuleKind::IncidentKind => {
            (f.incident_kind == Some(r.value.as_str())).then(|| fallback(format!("incident_kind:{}", r.value)))
        }
        RuleKind::Incident => (f.incident_id.map(|i| i.to_string()).as_deref() == Some(r.value.as_str()))
            .then(|| format!("incident:{}", r.value)),
    })
}

/// How often a team's members get a digest of new insights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Digest {
    Off,
    Daily,
    Weekly,
}

impl Digest {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Digest::Off => "off",
            Digest::Daily => "daily",
            Digest::Weekly => "weekly",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "off" => Ok(Digest::Off),
            "daily" => Ok(Digest::Daily),
            "weekly" => Ok(Digest::Weekly),
            _ => Err(ValidationError::new("digest", "digest must be off, daily or weekly")),
        }
    }
}

/// Where an insight stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InsightState {
    Open,
    Acknowledged,
    Fixed,
}

impl InsightState {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            InsightState::Open => "open",
            InsightState::Acknowledged => "acknowledged",
            InsightState::Fixed => "fixed",
        }
    }

    /// Whether an insight in this state may move to `next`: open →
    /// acknowledged → fixed, open → fixed; fixed is final (a later report of
    /// the cause is a new problem and reopens nothing by itself).
    #[must_use]
    pub fn may_become(self, next: InsightState) -> bool {
        matches!(
            (self, next),
            (InsightState::Open, InsightState::Acknowledged | InsightState::Fixed)
                | (InsightState::Acknowledged, InsightState::Fixed)
        )
    }
}

impl std::str::FromStr for InsightState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "open" => Ok(InsightState::Open),
            "acknowledged" => Ok(InsightState::Acknowledged),
            "fixed" => Ok(InsightState::Fixed),
            _ => Err(()),
        }
    }
}

/// A release name as a team writes it ("2.4.1", "Sprint 12"): 1 to 60
/// characters of text.
pub fn parse_release(raw: &str) -> Result<String, ValidationError> {
    crate::validate::NonEmptyText::parse("release", raw, 60).map(crate::validate::NonEmptyText::into_inner)
}

/// A team as saved: every value checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamDraft {
    pub name: String,
    pub digest: Digest,
    /// The language of the team's channel messages.
    pub language: crate::validate::Language,
    /// Checked against the outbound rules by the caller (they need the
    /// server's allow-list).
    pub webhook_url: Option<String>,
    pub members: Vec<Uuid>,
    pub rules: Vec<TeamRule>,
}

/// Reads a team's rules (`(kind, value)` in order): at most [`RULES_MAX`],
/// no rule twice.
pub fn parse_rules(raw: &[(&str, &str)]) -> Result<Vec<TeamRule>, ValidationError> {
    if raw.len() > RULES_MAX {
        return Err(ValidationError::new("rules", format!("at most {RULES_MAX} rules")));
    }
    let mut out: Vec<TeamRule> = Vec::with_capacity(raw.len());
    for (i, (k, v)) in raw.iter().enumerate() {
        let r = TeamRule::parse(i, k, v)?;
        if out.contains(&r) {
            return Err(ValidationError::new(
                format!("rules[{i}].value"),
                "this rule is there already",
            ));
        }
        out.push(r);
    }
    Ok(out)
}

/// A team name: 1 to 80 characters of text.
pub fn parse_team_name(raw: &str) -> Result<String, ValidationError> {
    crate::validate::NonEmptyText::parse("name", raw, 80).map(crate::validate::NonEmptyText::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(list: &[(&str, &str)]) -> Vec<TeamRule> {
        list.iter()
            .enumerate()
            .map(|(i, (k, v))| TeamRule::parse(i, k, v).expect("valid"))
            .collect()
    }

    #[test]
    fn rules_are_read_once_and_errors_name_the_field() {
        assert_eq!(
            TeamRule::parse(0, "component", " Checkout ").expect("valid").value,
            "checkout"
        );
        assert_eq!(
            TeamRule::parse(2, "colour", "x").expect_err("an error").field,
            "rules[2].kind"
        );
        assert_eq!(
            TeamRule::parse(1, "signal", "angry").expect_err("an error").field,
            "rules[1].value"
        );
        assert_eq!(
            TeamRule::parse(0, "topic", "Delivery!").expect_err("an error").field,
            "rules[0].value"
        );
        assert_eq!(
            TeamRule::parse(0, "incident_kind", "flood")
                .expect_err("an error")
                .field,
            "rules[0].value"
        );
        assert!(TeamRule::parse(0, "incident", "not-a-uuid").is_err());
        assert!(TeamRule::parse(0, "incident_kind", "outage").is_ok());
    }

    #[test]
    fn the_first_matching_rule_names_the_cause() {
        let topics = vec!["delivery".to_string(), "billing".to_string()];
        let signals = vec!["churn_intent".to_string()];
        let f = ReportFacts {
            topics: &topics,
            component: Some("Checkout"),
            signals: &signals,
            ..ReportFacts::default()
        };
        assert_eq!(
            cause_of(&rules(&[("topic", "billing"), ("topic", "delivery")]), &f).as_deref(),
            Some("topic:billing")
        );
        assert_eq!(
            cause_of(&rules(&[("component", "checkout")]), &f).as_deref(),
            Some("component:checkout")
        );
        // A signal groups by the component the report names.
        assert_eq!(
            cause_of(&rules(&[("signal", "churn_intent")]), &f).as_deref(),
            Some("component:checkout")
        );
        assert_eq!(cause_of(&rules(&[("signal", "urgency")]), &f), None);
        assert_eq!(cause_of(&rules(&[("topic", "app")]), &f), None);
        let bare = ReportFacts {
            signals: &signals,
            ..ReportFacts::default()
        };
        assert_eq!(
            cause_of(&rules(&[("signal", "churn_intent")]), &bare).as_deref(),
            Some("signal:churn_intent")
        );
        let id = Uuid::from_u128(7);
        let inc = ReportFacts {
            incident_kind: Some("outage"),
            incident_id: Some(id),
            ..ReportFacts::default()
        };
        assert_eq!(
            cause_of(&rules(&[("incident", &id.to_string())]), &inc),
            Some(format!("incident:{id}"))
        );
        assert_eq!(
            cause_of(&rules(&[("incident_kind", "outage")]), &inc).as_deref(),
            Some("incident_kind:outage")
        );
    }

    #[test]
    fn states_move_forward_only() {
        use InsightState::*;
        assert!(Open.may_become(Acknowledged));
        assert!(Open.may_become(Fixed));
        assert!(Acknowledged.may_become(Fixed));
        assert!(!Fixed.may_become(Open));
        assert!(!Fixed.may_become(Fixed));
        assert!(!Acknowledged.may_become(Acknowledged));
        assert_eq!(parse_release(" 2.4.1 ").expect("valid"), "2.4.1");
        assert_eq!(parse_release("").expect_err("an error").field, "release");
        assert_eq!(Digest::parse("hourly").expect_err("an error").field, "digest");
    }
}
