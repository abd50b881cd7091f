//! Goodwill-rule conditions: which affected customer of an incident, or
//! which newly opened case, an automatic goodwill rule applies to.
//!
//! A condition is a conjunction of comparisons such as
//! `kind = delay and delay_minutes > 180 and tier = premium`. This module
//! parses and checks conditions for their [`RuleScope`] and decides whether
//! one holds for a [`Subject`] (an incident's affected customer with their
//! facts) or a [`CaseSubject`] (a case as it is opened).

use crate::case::string_enum;
use crate::condition_problem::ConditionProblem;
use crate::error::ValidationError;
use crate::incident::{Fact, Facts, IncidentKind, check_name};
use crate::validate::truncate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A comparison in a rule condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// `field op value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub field: String,
    pub op: Op,
    pub value: Fact,
}

/// All clauses must hold (`and`). Written like
/// `kind = delay and delay_minutes > 180 and tier = premium`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub clauses: Vec<Clause>,
}

/// Fields a condition can name besides the facts of the customer.
pub const CONDITION_FIELDS: &[&str] = &[
    "kind",
    "severity",
    "controllable",
    "component",
    "release",
    "tier",
    "language",
];

impl FromStr for Condition {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).map_err(|p| ValidationError::new("condition", p.to_string()))
    }
}

/// The values of a closed list, for a problem's text.
fn allowed<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
}

/// `Some(problem)` when `value` is not one of `all` (by name).
fn unknown<T: Copy>(field: &str, value: &str, all: &[T], name: impl Fn(T) -> &'static str) -> Option<ConditionProblem> {
    (!all.iter().any(|v| name(*v) == value)).then(|| ConditionProblem::UnknownValue {
        field: field.to_string(),
        value: truncate(value, 60).to_string(),
        allowed: allowed(all, name),
    })
}

impl Condition {
    /// Reads a condition; the problem says why it cannot be read.
    pub fn parse(s: &str) -> Result<Self, ConditionProblem> {
        let clause_of = |part: &str| truncate(part, 60).to_string();
        let text = s.trim();
        if text.is_empty() {
            return Err(ConditionProblem::Empty);
        }
        if text.len() > 500 {
            return Err(ConditionProblem::TooLong);
        }
        let mut clauses = Vec::new();
        for part in split_and(text) {
            let part = part.trim();
            let (pos, op) = find_op(part).ok_or_else(|| ConditionProblem::NoComparison {
                clause: clause_of(part),
            })?;
            let field = part[..pos].trim().to_ascii_lowercase();
            let raw = part[pos + op.as_str().len()..].trim();
            if field.is_empty() || raw.is_empty() {
                return Err(ConditionProblem::MissingSide {
                    clause: clause_of(part),
                });
            }
            if check_name(&field).is_err() {
                return Err(ConditionProblem::BadName {
                    field: truncate(&field, 40).to_string(),
                });
            }
            let raw = raw.trim_matches(|c| c == '"' || c == '\'');
            let value = match (raw.parse::<i64>(), raw.parse::<f64>(), raw) {
                (Ok(i), _, _) => Fact::Int(i),
                (_, Ok(n), _) if n.is_finite() => Fact::Num(n),
                (_, _, "true") => Fact::Bool(true),
                (_, _, "false") => Fact::Bool(false),
                _ => Fact::Text(raw.to_string()),
            };
            if matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le) && value.as_f64().is_none() {
                return Err(ConditionProblem::NumbersOnly {
                    clause: clause_of(part),
                    op: op.as_str(),
                });
            }
            let v = value.to_string();
            let problem = match field.as_str() {
                "kind" => unknown(&field, &v, IncidentKind::ALL, IncidentKind::as_str),
                "tier" => unknown(&field, &v, crate::Tier::ALL, crate::Tier::as_str),
                _ => None,
            };
            if let Some(p) = problem {
                return Err(p);
            }
            clauses.push(Clause { field, op, value });
        }
        Ok(Condition { clauses })
    }

    /// What is wrong with the text of a condition for a rule of `scope`, if anything.
    #[must_use]
    pub fn problem(text: &str, scope: RuleScope) -> Option<ConditionProblem> {
        match Self::parse(text) {
            Ok(c) => c.scope_problem(scope),
            Err(p) => Some(p),
        }
    }

    /// The first way the condition does not fit what its rule applies to:
    /// a case rule may only name [`CASE_CONDITION_FIELDS`], with values of their kind.
    #[must_use]
    pub fn scope_problem(&self, scope: RuleScope) -> Option<ConditionProblem> {
        if scope == RuleScope::Incident {
            return None;
        }
        self.clauses.iter().find_map(|c| {
            let field = c.field.as_str();
            if !CASE_CONDITION_FIELDS.contains(&field) {
                return Some(ConditionProblem::NotForCases {
                    field: field.to_string(),
                    allowed: CASE_CONDITION_FIELDS.join(", "),
                });
            }
            let v = c.value.to_string();
            match field {
                "origin" => unknown(field, &v, crate::Origin::ALL, crate::Origin::as_str),
                "channel" => unknown(field, &v, crate::Channel::ALL, crate::Channel::as_str),
                "priority" => unknown(field, &v, crate::Priority::ALL, crate::Priority::as_str),
                "language" => unknown(field, &v, &crate::Language::ALL, crate::Language::code),
                "severity" | "clv_cents" | "prior_cases" if c.value.as_f64().is_none() => {
                    Some(ConditionProblem::NotNumber {
                        field: field.to_string(),
                    })
                }
                "repeat_failure" | "controllable" if !matches!(c.value, Fact::Bool(_)) => {
                    Some(ConditionProblem::NotBool {
                        field: field.to_string(),
                    })
                }
                _ => None,
            }
        })
    }

    /// [`Condition::scope_problem`] as a validation error of the field `condition`.
    pub fn check_scope(&self, scope: RuleScope) -> Result<(), ValidationError> {
        match self.scope_problem(scope) {
            None => Ok(()),
            Some(p) => Err(ValidationError::new("condition", p.to_string())),
        }
    }
}

fn split_and(s: &str) -> Vec<&str> {
    let lower = s.to_ascii_lowercase();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(found) = lower[i..].find(" and ") {
        let at = i + found;
        parts.push(&s[start..at]);
        start = at + 5;
        i = start;
    }
    parts.push(&s[start..]);
    parts
}

fn find_op(s: &str) -> Option<(usize, Op)> {
    let pos = s.find(['=', '!', '<', '>'])?;
    let rest = &s[pos..];
    let op = if rest.starts_with("!=") {
        Op::Ne
    } else if rest.starts_with(">=") {
        Op::Ge
    } else if rest.starts_with("<=") {
        Op::Le
    } else if rest.starts_with('>') {
        Op::Gt
    } else if rest.starts_with('<') {
        Op::Lt
    } else if rest.starts_with('=') {
        Op::Eq
    } else {
        return None;
    };
    Some((pos, op))
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" and ")?;
            }
            write!(f, "{} {} {}", c.field, c.op.as_str(), c.value)?;
        }
        Ok(())
    }
}

string_enum!(
    /// What an automatic goodwill rule reacts to: the fan-out of an
    /// incident (conditions on the incident and the customer's facts), or a
    /// case being opened (conditions on the case and its customer).
    RuleScope, "applies_to" {
        Incident => "incident",
        Case => "case",
    }
);

/// Fields a case rule can name.
pub const CASE_CONDITION_FIELDS: &[&str] = &[
    "origin",
    "channel",
    "priority",
    "tier",
    "language",
    "severity",
    "repeat_failure",
    "controllable",
    "clv_cents",
    "prior_cases",
];

/// A case as a case rule sees it, when it is opened.
#[derive(Debug, Clone, Copy)]
pub struct CaseSubject {
    pub origin: crate::Origin,
    pub channel: crate::Channel,
    pub priority: crate::Priority,
    pub tier: crate::Tier,
    pub language: crate::Language,
    /// 1 (minor) to 4 (critical): the case's, else from its priority.
    pub severity: u8,
    /// The customer had other cases in the last year.
    pub repeat_failure: bool,
    pub controllable: Option<bool>,
    pub clv_cents: i64,
    /// The customer's other cases in the last year.
    pub prior_cases: i64,
}

impl CaseSubject {
    fn get(&self, field: &str) -> Option<Fact> {
        Some(match field {
            "origin" => Fact::Text(self.origin.as_str().into()),
            "channel" => Fact::Text(self.channel.as_str().into()),
            "priority" => Fact::Text(self.priority.as_str().into()),
            "tier" => Fact::Text(self.tier.as_str().into()),
            "language" => Fact::Text(self.language.code().into()),
            "severity" => Fact::Int(i64::from(self.severity)),
            "repeat_failure" => Fact::Bool(self.repeat_failure),
            "controllable" => Fact::Bool(self.controllable?),
            "clv_cents" => Fact::Int(self.clv_cents),
            "prior_cases" => Fact::Int(self.prior_cases),
            _ => return None,
        })
    }
}

/// What a condition is evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub kind: IncidentKind,
    pub severity: u8,
    pub controllable: bool,
    pub component: Option<&'a str>,
    pub release: Option<&'a str>,
    pub tier: crate::Tier,
    pub language: crate::Language,
    pub facts: &'a Facts,
}

impl Subject<'_> {
    fn get(&self, field: &str) -> Option<Fact> {
        Some(match field {
            "kind" => Fact::Text(self.kind.as_str().into()),
            "severity" => Fact::Int(i64::from(self.severity)),
            "controllable" => Fact::Bool(self.controllable),
            "component" => Fact::Text(self.component?.into()),
            "release" => Fact::Text(self.release?.into()),
            "tier" => Fact::Text(self.tier.as_str().into()),
            "language" => Fact::Text(self.language.code().into()),
            other => self.facts.get(other)?.clone(),
        })
    }
}

impl Condition {
    /// Whether every clause holds; a fact the customer lacks never matches.
    #[must_use]
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        self.holds(|field| s.get(field))
    }

    /// Whether every clause holds for a case (a rule that applies to cases).
    #[must_use]
    pub fn matches_case(&self, s: &CaseSubject) -> bool {
        self.holds(|field| s.get(field))
    }

    fn holds(&self, get: impl Fn(&str) -> Option<Fact>) -> bool {
        self.clauses.iter().all(|c| {
            let Some(actual) = get(&c.field) else {
                return false;
            };
            match (actual.as_f64(), c.value.as_f64()) {
                (Some(a), Some(b)) => match c.op {
                    Op::Eq => (a - b).abs() < f64::EPSILON,
                    Op::Ne => (a - b).abs() >= f64::EPSILON,
                    Op::Gt => a > b,
                    Op::Ge => a >= b,
                    Op::Lt => a < b,
                    Op::Le => a <= b,
                },
                _ => {
                    let (a, b) = (actual.to_string(), c.value.to_string());
                    match c.op {
                        Op::Eq => a.eq_ignore_ascii_case(&b),
                        Op::Ne => !a.eq_ignore_ascii_case(&b),
                        _ => false,
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_problem_has_its_code_and_parameters() {
        let p = |text: &str, scope| Condition::problem(text, scope).expect("a problem");
        assert_eq!(p(" ", RuleScope::Incident), ConditionProblem::Empty);
        assert_eq!(p("tier premium", RuleScope::Incident).key(), "cond-no-comparison");
        assert_eq!(p("tier =", RuleScope::Incident).key(), "cond-missing-side");
        let bad_kind = p("kind = flood", RuleScope::Incident);
        assert_eq!(bad_kind.key(), "cond-unknown-value");
        assert!(bad_kind.args().contains(&("value", "flood".into())));
        assert_eq!(
            bad_kind.to_string(),
            "kind must be one of outage, delay, delivery, billing_error, defective_release, other, got `flood`"
        );
        assert_eq!(p("channel = fax", RuleScope::Case).key(), "cond-unknown-value");
        assert_eq!(p("delay_minutes > 3", RuleScope::Case).key(), "cond-not-for-cases");
        assert_eq!(p("severity = high", RuleScope::Case).key(), "cond-not-number");
        assert_eq!(p("controllable = 1", RuleScope::Case).key(), "cond-not-bool");
        assert_eq!(p("delay-minutes = 1", RuleScope::Incident).key(), "cond-bad-name");
        assert_eq!(
            p("tier >= gold", RuleScope::Incident),
            ConditionProblem::NumbersOnly {
                clause: "tier >= gold".into(),
                op: ">="
            }
        );
        assert_eq!(Condition::problem("delay_minutes > 3", RuleScope::Incident), None);
    }

    use super::*;
    use crate::{Language, Priority, Tier};

    fn subject<'a>(facts: &'a Facts, tier: Tier) -> Subject<'a> {
        Subject {
            kind: IncidentKind::Delay,
            severity: 3,
            controllable: true,
            component: Some("flights"),
            release: None,
            tier,
            language: Language::De,
            facts,
        }
    }

    #[test]
    fn conditions_parse_and_match() {
        let c: Condition = "kind = delay and delay_minutes > 180".parse().expect("valid");
        assert_eq!(c.clauses.len(), 2);
        assert_eq!(c.to_string(), "kind = delay and delay_minutes > 180");
        let mut f = Facts::new();
        f.insert("delay_minutes".into(), Fact::Int(181));
        assert!(c.matches(&subject(&f, Tier::Standard)));
        f.insert("delay_minutes".into(), Fact::Int(180));
        assert!(!c.matches(&subject(&f, Tier::Standard)));
        assert!(
            !c.matches(&subject(&Facts::new(), Tier::Standard)),
            "missing fact never matches"
        );
        let premium: Condition = "delay_minutes >= 60 AND tier = premium".parse().expect("valid");
        assert!(premium.matches(&subject(&f, Tier::Premium)));
        assert!(!premium.matches(&subject(&f, Tier::Standard)));
    }

    #[test]
    fn bad_conditions_say_what_is_wrong() {
        for (bad, needle) in [
            ("", "must not be empty"),
            ("delay_minutes", "no comparison"),
            ("kind = flood", "kind must be one of"),
            ("tier > premium", "compares numbers only"),
            ("= 3", "needs a field"),
            ("tier = gold", "tier must be one of"),
            ("Delay-Minutes > 3", "fact name"),
        ] {
            let e = bad.parse::<Condition>().expect_err(bad);
            assert!(e.message.contains(needle), "{bad}: {}", e.message);
        }
    }

    #[test]
    fn case_rules_name_case_fields_and_match_cases() {
        let c: Condition = "tier = premium and prior_cases >= 1 and origin = feedback"
            .parse()
            .expect("parse");
        c.check_scope(RuleScope::Case).expect("case fields");
        let mut s = CaseSubject {
            origin: crate::Origin::Feedback,
            channel: crate::Channel::Email,
            priority: Priority::High,
            tier: crate::Tier::Premium,
            language: crate::Language::De,
            severity: 3,
            repeat_failure: true,
            controllable: None,
            clv_cents: 500_000,
            prior_cases: 2,
        };
        assert!(c.matches_case(&s));
        s.prior_cases = 0;
        assert!(!c.matches_case(&s));
        let field = |text: &str| {
            text.parse::<Condition>()
                .and_then(|c| c.check_scope(RuleScope::Case))
                .expect_err(text)
                .message
        };
        assert!(field("delay_minutes > 180").contains("cannot use `delay_minutes`"));
        assert!(field("origin = fax").contains("origin"));
        assert!(field("repeat_failure = 3").contains("true or false"));
        // Incident rules keep their free facts.
        let i: Condition = "delay_minutes > 180".parse().expect("parse");
        i.check_scope(RuleScope::Incident).expect("incident rule");
        let unknown: Condition = "controllable = true".parse().expect("parse");
        assert!(!unknown.matches_case(&s), "an unknown controllability never matches");
    }
}
