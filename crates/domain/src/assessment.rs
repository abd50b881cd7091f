//! The assessment of a case: how severe the failure is, whether it
//! repeats, whether the customer sees it as controllable, how valuable the
//! customer is and how likely they are to leave decide the recommended
//! action (apologise and fix … escalate to a lead) and the level of
//! goodwill to offer, with the reasons behind the recommendation.

use crate::case::string_enum;
use crate::customer::Tier;
use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The facts an assessment weighs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AssessmentInput {
    /// 1 (minor) … 4 (critical).
    pub severity: u8,
    /// Cases of the same customer opened before this one within the window.
    pub prior_failures: u32,
    /// Whether the customer sees the failure as controllable / foreseeable.
    pub controllable: bool,
    pub tier: Tier,
    pub clv_cents: i64,
    /// 0.0 … 1.0.
    pub churn_risk: f32,
}

string_enum!(
    /// What to do next.
    RecommendedAction, "action" {
        ApologizeAndFix => "apologize_and_fix",
        ApologizeFixAndGoodwill => "apologize_fix_and_goodwill",
        PersonalCallAndGoodwill => "personal_call_and_goodwill",
        EscalateToLead => "escalate_to_lead",
    }
);

string_enum!(
    /// How much goodwill the assessment suggests.
    GoodwillLevel, "level" {
        None => "none",
        Token => "token",
        Moderate => "moderate",
        Substantial => "substantial",
    }
);

impl GoodwillLevel {
    /// A suggested value in cents for the level (EUR-scale defaults).
    #[must_use]
    pub fn suggested_cents(self) -> i64 {
        match self {
            GoodwillLevel::None => 0,
            GoodwillLevel::Token => 1_000,
            GoodwillLevel::Moderate => 5_000,
            GoodwillLevel::Substantial => 20_000,
        }
    }
}

/// The recommendation with the reasons behind it. `reasons` are keys of
/// the Fluent catalogues (`assess-…`), so the UI explains in German or
/// English; `explanation_en` is an English text for API clients.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub severity: u8,
    pub repeated: bool,
    pub controllable: bool,
    pub high_value: bool,
    pub churn_risk: f32,
    pub paradox_likely: bool,
    pub action: RecommendedAction,
    pub level: GoodwillLevel,
    pub suggested_value_cents: i64,
    pub reasons: Vec<&'static str>,
    pub explanation_en: String,
}

/// CLV from which a customer counts as high value regardless of tier (EUR 5,000).
pub const HIGH_CLV_CENTS: i64 = 500_000;

/// Assesses a case. The service-recovery-paradox research (McCollough et
/// al. 2000; Magnini et al. 2007) finds that recovered customers end up
/// more satisfied than before only for a first failure that is not severe
/// and that the customer does not see as controllable; a repeated, severe
/// or controllable failure needs a stronger recovery to win them back.
#[must_use]
pub fn assess(input: &AssessmentInput) -> Assessment {
    let severity = input.severity.clamp(1, 4);
    let repeated = input.prior_failures > 0;
    let severe = severity >= 3;
    let high_value = input.tier.is_high_value() || input.clv_cents >= HIGH_CLV_CENTS;
    let churn = input.churn_risk.clamp(0.0, 1.0);
    let paradox_likely = !repeated && !severe && !input.controllable;
    let mut reasons = Vec::new();
    // Base points: each aggravating factor asks for more.
    let mut points = 0u8;
    if paradox_likely {
        reasons.push("assess-paradox-likely");
    } else {
        reasons.push("assess-paradox-unlikely");
    }
    if repeated {
        points += 2;
        reasons.push("assess-repeated");
    } else {
        reasons.push("assess-first");
    }
    if severe {
        points += if severity == 4 { 3 } else { 2 };
        reasons.push("assess-severe");
    }
    if input.controllable {
        points += 1;
        reasons.push("assess-controllable");
    }
    if high_value {
        points += 1;
        reasons.push("assess-high-value");
    }
    if churn >= 0.6 {
        points += 1;
        reasons.push("assess-churn-risk");
    }
    let level = match points {
        0 => GoodwillLevel::None,
        1 => GoodwillLevel::Token,
        2..=3 => GoodwillLevel::Moderate,
        _ => GoodwillLevel::Substantial,
    };
    let action = if severity == 4 || (repeated && severe) {
        RecommendedAction::EscalateToLead
    } else if level == GoodwillLevel::Substantial || (high_value && churn >= 0.6) {
        RecommendedAction::PersonalCallAndGoodwill
    } else if level == GoodwillLevel::None {
        RecommendedAction::ApologizeAndFix
    } else {
        RecommendedAction::ApologizeFixAndGoodwill
    };
    let mut parts: Vec<&str> = reasons.iter().map(|k| explain_en(k)).collect();
    parts.push(match level {
        GoodwillLevel::None => "A quick apology and a fix are enough; a goodwill gesture is optional.",
        GoodwillLevel::Token => "A small gesture (e.g. a voucher) rounds off the recovery.",
        GoodwillLevel::Moderate => "Offer a noticeable compensation together with the fix.",
        GoodwillLevel::Substantial => "Offer substantial compensation and a personal contact.",
    });
    Assessment {
        severity,
        repeated,
        controllable: input.controllable,
        high_value,
        churn_risk: churn,
        paradox_likely,
        action,
        level,
        suggested_value_cents: level.suggested_cents(),
        reasons,
        explanation_en: parts.join(" "),
    }
}

fn explain_en(key: &str) -> &'static str {
    match key {
        "assess-paradox-likely" => {
            "A first, not severe failure the customer does not see as controllable: a good recovery can leave them more loyal than before (service recovery paradox)."
        }
        "assess-paradox-unlikely" => {
            "The service recovery paradox is unlikely here (research: only first, not severe, not controllable failures); aim to restore trust."
        }
        "assess-repeated" => "This customer had failures before; repeated failures need a stronger recovery.",
        "assess-first" => "This is the customer's first failure in the window.",
        "assess-severe" => "The failure is severe; severe failures need more than an apology.",
        "assess-controllable" => "The customer sees the failure as controllable or foreseeable, which weighs heavier.",
        "assess-high-value" => "A high-value customer (tier or lifetime value).",
        "assess-churn-risk" => "High churn risk.",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AssessmentInput {
        AssessmentInput {
            severity: 1,
            prior_failures: 0,
            controllable: false,
            tier: Tier::Standard,
            clv_cents: 0,
            churn_risk: 0.1,
        }
    }

    #[test]
    fn paradox_only_for_first_mild_uncontrollable_failures() {
        let a = assess(&input());
        assert!(a.paradox_likely);
        assert_eq!(a.level, GoodwillLevel::None);
        assert_eq!(a.action, RecommendedAction::ApologizeAndFix);
        assert!(a.explanation_en.contains("paradox"));
        for changed in [
            AssessmentInput {
                prior_failures: 1,
                ..input()
            },
            AssessmentInput { severity: 3, ..input() },
            AssessmentInput {
                controllable: true,
                ..input()
            },
        ] {
            assert!(!assess(&changed).paradox_likely, "{changed:?}");
        }
    }

    #[test]
    fn repeated_or_severe_failures_need_more() {
        let base = assess(&input()).level;
        let repeated = assess(&AssessmentInput {
            prior_failures: 2,
            ..input()
        });
        assert!(repeated.level > base);
        assert!(repeated.reasons.contains(&"assess-repeated"));
        let severe = assess(&AssessmentInput { severity: 3, ..input() });
        assert!(severe.level > base);
        let worst = assess(&AssessmentInput {
            severity: 4,
            prior_failures: 3,
            controllable: true,
            tier: Tier::Enterprise,
            clv_cents: 1_000_000,
            churn_risk: 0.9,
        });
        assert_eq!(worst.level, GoodwillLevel::Substantial);
        assert_eq!(worst.action, RecommendedAction::EscalateToLead);
        assert!(worst.suggested_value_cents > severe.suggested_value_cents);
    }

    #[test]
    fn every_reason_has_an_english_text() {
        let a = assess(&AssessmentInput {
            severity: 3,
            prior_failures: 1,
            controllable: true,
            tier: Tier::Premium,
            clv_cents: 0,
            churn_risk: 0.8,
        });
        for r in &a.reasons {
            assert!(!explain_en(r).is_empty(), "{r}");
        }
    }
}
