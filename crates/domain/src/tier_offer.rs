//! Tier upgrade offers: which customers get one, and when. The moment is a
//! recovery the customer rated 4–5, never while a case of theirs is open,
//! never twice within the cooldown.

use crate::case::string_enum;
use crate::customer::Tier;
use crate::error::ValidationError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// Where an offer stands.
    OfferState, "state" {
        Offered => "offered",
        Opened => "opened",
        Accepted => "accepted",
        Declined => "declined",
        Converted => "converted",
    }
);

/// The admin's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierOfferRule {
    pub enabled: bool,
    /// Tier → the higher tier it is offered.
    pub upgrades: BTreeMap<Tier, Tier>,
    /// Cases of the customer within `window_days` needed for an offer.
    pub min_failures: u32,
    pub window_days: u32,
    pub cooldown_days: u32,
}

impl TierOfferRule {
    /// Validates raw settings: known tiers, each upgrade to a higher tier;
    /// 1–100 failures within 1–730 days; cooldown 1–3650 days.
    pub fn parse(
        enabled: bool,
        upgrades: &BTreeMap<String, String>,
        min_failures: i64,
        window_days: i64,
        cooldown_days: i64,
    ) -> Result<Self, ValidationError> {
        let mut map = BTreeMap::new();
        for (from, to) in upgrades {
            let f: Tier = from.parse().map_err(|e: ValidationError| e.for_field("upgrades"))?;
            let t: Tier = to.parse().map_err(|e: ValidationError| e.for_field("upgrades"))?;
            if t <= f {
                return Err(ValidationError::new(
                    "upgrades",
                    format!("upgrades must go to a higher tier, `{f}` → `{t}` does not"),
                ));
            }
            map.insert(f, t);
        }
        let range = |field: &str, v: i64, lo: i64, hi: i64| {
            if (lo..=hi).contains(&v) {
                u32::try_from(v).map_err(|_| ValidationError::new(field, "out of range"))
            } else {
                Err(ValidationError::new(
                    field,
                    format!("{field} must be between {lo} and {hi}, got {v}"),
                ))
            }
        };
        Ok(Self {
            enabled,
            upgrades: map,
            min_failures: range("min_failures", min_failures, 1, 100)?,
            window_days: range("window_days", window_days, 1, 730)?,
            cooldown_days: range("cooldown_days", cooldown_days, 1, 3650)?,
        })
    }

    #[must_use]
    pub fn window(&self) -> Duration {
        Duration::days(i64::from(self.window_days))
    }
}

/// What is known about a customer when a survey answer comes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferMoment {
    pub tier: Tier,
    /// The survey score just given (1–5).
    pub score: i32,
    /// Cases of the customer not resolved or closed.
    pub open_cases: i64,
    /// Cases of the customer opened within the rule's window.
    pub failures_in_window: i64,
    /// The newest offer made to the customer, if any.
    pub last_offer_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

/// Why no offer is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoOffer {
    Disabled,
    NoHigherTier,
    /// The recovery was rated below 4.
    NotDelighted,
    /// A case of the customer is open.
    OpenCase,
    TooFewFailures,
    Cooldown,
}

/// The tier to offer, or why not.
pub fn decide(rule: &TierOfferRule, m: &OfferMoment) -> Result<Tier, NoOffer> {
    if !rule.enabled {
        return Err(NoOffer::Disabled);
    }
    let to = *rule.upgrades.get(&m.tier).ok_or(NoOffer::NoHigherTier)?;
    if m.score < 4 {
        return Err(NoOffer::NotDelighted);
    }
    if m.open_cases > 0 {
        return Err(NoOffer::OpenCase);
    }
    if m.failures_in_window < i64::from(rule.min_failures) {
        return Err(NoOffer::TooFewFailures);
    }
    if m.last_offer_at
        .is_some_and(|at| m.now < at + Duration::days(i64::from(rule.cooldown_days)))
    {
        return Err(NoOffer::Cooldown);
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rule() -> TierOfferRule {
        let up = BTreeMap::from([("standard".to_string(), "premium".to_string())]);
        TierOfferRule::parse(true, &up, 2, 90, 180).expect("valid")
    }

    fn moment() -> OfferMoment {
        OfferMoment {
            tier: Tier::Standard,
            score: 5,
            open_cases: 0,
            failures_in_window: 2,
            last_offer_at: None,
            now: Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).single().expect("a time"),
        }
    }

    #[test]
    fn the_good_moment_only() {
        let r = rule();
        assert_eq!(decide(&r, &moment()), Ok(Tier::Premium));
        assert_eq!(
            decide(&r, &OfferMoment { score: 3, ..moment() }),
            Err(NoOffer::NotDelighted)
        );
        assert_eq!(decide(&r, &OfferMoment { score: 4, ..moment() }), Ok(Tier::Premium));
        assert_eq!(
            decide(
                &r,
                &OfferMoment {
                    open_cases: 1,
                    ..moment()
                }
            ),
            Err(NoOffer::OpenCase)
        );
        assert_eq!(
            decide(
                &r,
                &OfferMoment {
                    failures_in_window: 1,
                    ..moment()
                }
            ),
            Err(NoOffer::TooFewFailures)
        );
        assert_eq!(
            decide(
                &r,
                &OfferMoment {
                    tier: Tier::Premium,
                    ..moment()
                }
            ),
            Err(NoOffer::NoHigherTier)
        );
        let off = TierOfferRule {
            enabled: false,
            ..r.clone()
        };
        assert_eq!(decide(&off, &moment()), Err(NoOffer::Disabled));
    }

    #[test]
    fn never_twice_within_the_cooldown() {
        let r = rule();
        let m = moment();
        let recent = OfferMoment {
            last_offer_at: Some(m.now - Duration::days(179)),
            ..m.clone()
        };
        assert_eq!(decide(&r, &recent), Err(NoOffer::Cooldown));
        let old = OfferMoment {
            last_offer_at: Some(m.now - Duration::days(180)),
            ..m
        };
        assert_eq!(decide(&r, &old), Ok(Tier::Premium));
    }

    #[test]
    fn settings_are_checked() {
        let down = BTreeMap::from([("premium".to_string(), "standard".to_string())]);
        assert_eq!(
            TierOfferRule::parse(true, &down, 2, 90, 180).expect_err("down").field,
            "upgrades"
        );
        let bad = BTreeMap::from([("gold".to_string(), "premium".to_string())]);
        assert_eq!(
            TierOfferRule::parse(true, &bad, 2, 90, 180).expect_err("unknown").field,
            "upgrades"
        );
        let up = BTreeMap::new();
        assert_eq!(
            TierOfferRule::parse(true, &up, 0, 90, 180).expect_err("zero").field,
            "min_failures"
        );
        assert_eq!(
            TierOfferRule::parse(true, &up, 2, 0, 180).expect_err("zero").field,
            "window_days"
        );
        assert_eq!(
            TierOfferRule::parse(true, &up, 2, 90, 0).expect_err("zero").field,
            "cooldown_days"
        );
    }
}
