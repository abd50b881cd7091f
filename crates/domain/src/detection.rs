//! Detection rules: which feedback opens a recovery case.
//!
//! A rule is a set of conditions (all must hold) and an action. Rules are
//! tried in order; the first that matches fires, and the reasons why it
//! matched are kept with the feedback so people can see why a case exists.

use crate::case::{Channel, Priority, string_enum};
use crate::customer::Tier;
use crate::error::ValidationError;
use crate::feedback::{Rating, SIGNALS, SentimentLabel};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// What a rule does when it fires: `open_case` opens a new recovery
    /// case (origin `feedback`); `attach_or_open` adds the feedback to an
    /// open case of the customer it belongs to (see [`crate::attach`]) as
    /// an incoming message, or opens a case if there is none.
    RuleAction, "action" {
        OpenCase => "open_case",
        AttachOrOpen => "attach_or_open",
    }
);

/// The conditions of a rule; absent conditions are not checked. A rule
/// needs at least one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_max: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_min: Option<Rating>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentLabel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clv_min_cents: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

impl Conditions {
    /// Checks the conditions make sense together.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if *self == Conditions::default() {
            return Err(ValidationError::new(
                "conditions",
                "a rule needs at least one condition (rating, sentiment, topic, signal, tier, CLV or channel)",
            ));
        }
        if let (Some(min), Some(max)) = (self.rating_min, self.rating_max)
            && min > max
        {
            return Err(ValidationError::new(
                "conditions.rating_min",
                format!("rating_min ({min}) must not be above rating_max ({max})"),
            ));
        }
        if let Some(s) = &self.signal
            && !SIGNALS.contains(&s.as_str())
        {
            return Err(ValidationError::new(
                "conditions.signal",
                format!(
                    "signal must be one of {}, got `{}`",
                    SIGNALS.join(", "),
                    crate::validate::truncate(s, 40)
                ),
            ));
        }
        if let Some(t) = &self.topic
            && (t.trim().is_empty() || t.len() > 64)
        {
            return Err(ValidationError::new(
                "conditions.topic",
                "topic must be a topic id such as `delivery` (1–64 characters)",
            ));
        }
        if let Some(c) = self.clv_min_cents
            && c < 0
        {
            return Err(ValidationError::new(
                "conditions.clv_min_cents",
                "clv_min_cents must not be negative",
            ));
        }
        Ok(())
    }
}

/// A rule as evaluation needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub enabled: bool,
    pub conditions: Conditions,
    pub action: RuleAction,
    pub priority: Priority,
}

/// What is known about one feedback item when rules run.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts<'a> {
    pub rating: Option<Rating>,
    pub sentiment: SentimentLabel,
    pub topics: &'a [String],
    pub signals: &'a [String],
    pub tier: Tier,
    pub clv_cents: i64,
    pub channel: Channel,
}

/// One reason a rule matched, for people to read (and for the UI to
/// translate: `kind` selects the text, `value`/`actual` fill it in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    RatingMax { value: u8, actual: u8 },
    RatingMin { value: u8, actual: u8 },
    Sentiment { value: SentimentLabel },
    Topic { value: String },
    Signal { value: String },
    Tier { value: Tier },
    ClvMin { value: i64, actual: i64 },
    Channel { value: Channel },
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::RatingMax { value, actual } => write!(f, "rating {actual} ≤ {value}"),
            Reason::RatingMin { value, actual } => write!(f, "rating {actual} ≥ {value}"),
            Reason::Sentiment { value } => write!(f, "sentiment is {value}"),
            Reason::Topic { value } => write!(f, "mentions topic `{value}`"),
            Reason::Signal { value } => write!(f, "signal `{value}` found"),
            Reason::Tier { value } => write!(f, "customer tier is {value}"),
            Reason::ClvMin { value, actual } => {
                write!(f, "customer lifetime value {actual} ≥ {value} (cents)")
            }
            Reason::Channel { value } => write!(f, "came by {value}"),
        }
    }
}

/// The rule that fired and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index into the rule list given to [`evaluate`].
    pub index: usize,
    pub reasons: Vec<Reason>,
}

impl Match {
    /// "Rule “Low rating” fired: rating 1 ≤ 2 and sentiment is negative".
    #[must_use]
    pub fn explanation(&self, rule_name: &str) -> String {
        explain(rule_name, &self.reasons)
    }
}

/// A sentence naming the rule and its reasons.
#[must_use]
pub fn explain(rule_name: &str, reasons: &[Reason]) -> String {
    let parts: Vec<String> = reasons.iter().map(ToString::to_string).collect();
    format!("rule “{rule_name}” fired: {}", parts.join(" and "))
}

/// The reasons `c` holds for `facts`, or `None` if any condition fails.
#[must_use]
pub fn check(c: &Conditions, facts: &Facts<'_>) -> Option<Vec<Reason>> {
    if *c == Conditions::default() {
        return None;
    }
    let mut reasons = Vec::new();
    if let Some(max) = c.rating_max {
        let r = facts.rating.filter(|r| *r <= max)?;
        reasons.push(Reason::RatingMax {
            value: max.get(),
            actual: r.get(),
        });
    }
    if let Some(min) = c.rating_min {
        let r = facts.rating.filter(|r| *r >= min)?;
        reasons.push(Reason::RatingMin {
            value: min.get(),
            actual: r.get(),
        });
    }
    if let Some(s) = c.sentiment {
        if facts.sentiment != s {
            return None;
        }
        reasons.push(Reason::Sentiment { value: s });
    }
    if let Some(t) = &c.topic {
        if !facts.topics.iter().any(|x| x == t) {
            return None;
        }
        reasons.push(Reason::Topic { value: t.clone() });
    }
    if let Some(s) = &c.signal {
        if !facts.signals.iter().any(|x| x == s) {
            return None;
        }
        reasons.push(Reason::Signal { value: s.clone() });
    }
    if let Some(t) = c.tier {
        if facts.tier != t {
            return None;
        }
        reasons.push(Reason::Tier { value: t });
    }
    if let Some(min) = c.clv_min_cents {
        if facts.clv_cents < min {
            return None;
        }
        reasons.push(Reason::ClvMin {
            value: min,
            actual: facts.clv_cents,
        });
    }
    if let Some(ch) = c.channel {
        if facts.channel != ch {
            return None;
        }
        reasons.push(Reason::Channel { value: ch });
    }
    Some(reasons)
}

/// The first enabled rule whose conditions all hold, with the reasons.
#[must_use]
pub fn evaluate(rules: &[Rule], facts: &Facts<'_>) -> Option<Match> {
    rules.iter().enumerate().find_map(|(index, r)| {
        if !r.enabled {
            return None;
        }
        check(&r.conditions, facts).map(|reasons| Match { index, reasons })
    })
}

impl FromStr for Conditions {
    type Err = ValidationError;
    /// Parses conditions from JSON text (as stored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_str(s).map_err(|e| ValidationError::new("conditions", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(n: i64) -> Option<Rating> {
        Some(Rating::new(n).expect("rating"))
    }

    fn defaults() -> Vec<Rule> {
        vec![
            Rule {
                name: "Legal threat".into(),
                enabled: true,
                conditions: Conditions {
                    signal: Some("legal_threat".into()),
                    ..Conditions::default()
                },
                action: RuleAction::OpenCase,
                priority: Priority::Urgent,
            },
            Rule {
                name: "Churn".into(),
                enabled: true,
                conditions: Conditions {
                    sentiment: Some(SentimentLabel::Negative),
                    signal: Some("churn_intent".into()),
                    ..Conditions::default()
                },
                action: RuleAction::OpenCase,
                priority: Priority::High,
            },
            Rule {
                name: "Low rating".into(),
                enabled: true,
                conditions: Conditions {
                    rating_max: rating(2),
                    ..Conditions::default()
                },
                action: RuleAction::AttachOrOpen,
                priority: Priority::Normal,
            },
        ]
    }

    fn facts<'a>(rating_: Option<Rating>, sentiment: SentimentLabel, signals: &'a [String]) -> Facts<'a> {
        Facts {
            rating: rating_,
            sentiment,
            topics: &[],
            signals,
            tier: Tier::Standard,
            clv_cents: 0,
            channel: Channel::Api,
        }
    }

    #[test]
    fn the_first_matching_rule_fires_with_reasons() {
        let rules = defaults();
        let churn = vec!["churn_intent".to_string()];
        let m = evaluate(&rules, &facts(rating(1), SentimentLabel::Negative, &churn)).expect("fires");
        assert_eq!(m.index, 1);
        assert_eq!(
            m.explanation(&rules[m.index].name),
            "rule “Churn” fired: sentiment is negative and signal `churn_intent` found"
        );
        let m = evaluate(&rules, &facts(rating(2), SentimentLabel::Neutral, &[])).expect("low rating");
        assert_eq!(m.index, 2);
        assert_eq!(m.reasons, vec![Reason::RatingMax { value: 2, actual: 2 }]);
        let legal = vec!["legal_threat".to_string()];
        assert_eq!(
            evaluate(&rules, &facts(None, SentimentLabel::Positive, &legal)).map(|m| m.index),
            Some(0)
        );
    }

    #[test]
    fn nothing_fires_for_happy_customers_or_disabled_rules() {
        let mut rules = defaults();
        assert_eq!(evaluate(&rules, &facts(rating(5), SentimentLabel::Positive, &[])), None);
        // No rating: a rating condition does not hold.
        assert_eq!(evaluate(&rules, &facts(None, SentimentLabel::Negative, &[])), None);
        for r in &mut rules {
            r.enabled = false;
        }
        let legal = vec!["legal_threat".to_string()];
        assert_eq!(
            evaluate(&rules, &facts(rating(1), SentimentLabel::Negative, &legal)),
            None
        );
    }

    #[test]
    fn customer_conditions_check_tier_value_and_channel() {
        let c = Conditions {
            tier: Some(Tier::Premium),
            clv_min_cents: Some(100_000),
            channel: Some(Channel::Widget),
            topic: Some("delivery".into()),
            rating_min: rating(1),
            ..Conditions::default()
        };
        let topics = vec!["delivery".to_string()];
        let mut f = Facts {
            rating: rating(3),
            sentiment: SentimentLabel::Neutral,
            topics: &topics,
            signals: &[],
            tier: Tier::Premium,
            clv_cents: 250_000,
            channel: Channel::Widget,
        };
        assert_eq!(check(&c, &f).map(|r| r.len()), Some(5));
        f.clv_cents = 99_999;
        assert_eq!(check(&c, &f), None);
        f.clv_cents = 100_000;
        f.channel = Channel::Email;
        assert_eq!(check(&c, &f), None);
    }

    #[test]
    fn conditions_are_validated() {
        assert_eq!(Conditions::default().validate().expect_err("empty").field, "conditions");
        let c: Conditions = r#"{"rating_max": 2, "signal": "legal_threat"}"#.parse().expect("parses");
        assert!(c.validate().is_ok());
        assert!(r#"{"rating_max": 9}"#.parse::<Conditions>().is_err());
        assert!(r#"{"colour": "red"}"#.parse::<Conditions>().is_err());
        let bad = Conditions {
            signal: Some("shouting".into()),
            ..Conditions::default()
        };
        assert_eq!(bad.validate().expect_err("signal").field, "conditions.signal");
        let bad = Conditions {
            rating_min: rating(4),
            rating_max: rating(2),
            ..Conditions::default()
        };
        assert!(bad.validate().is_err());
        let reasons = vec![Reason::RatingMax { value: 2, actual: 1 }];
        let json = serde_json::to_string(&reasons).expect("json");
        assert_eq!(json, r#"[{"kind":"rating_max","value":2,"actual":1}]"#);
    }
}
