//! Customers and their service tiers.

use crate::case::string_enum;
use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// The service tier: selects SLA targets and goodwill limits.
    Tier, "tier" {
        Standard => "standard",
        Premium => "premium",
        Enterprise => "enterprise",
    }
);

/// Customer lifetime value in minor units (cents); never negative.
pub fn parse_clv_cents(field: &str, value: i64) -> Result<i64, ValidationError> {
    if value < 0 {
        return Err(ValidationError::new(
            field,
            format!("{field} must not be negative, got {value}"),
        ));
    }
    Ok(value)
}

impl Tier {
    /// A badge for the inbox: premium and enterprise customers stand out.
    #[must_use]
    pub fn is_high_value(self) -> bool {
        !matches!(self, Tier::Standard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_parse() {
        assert_eq!("premium".parse::<Tier>().expect("ok"), Tier::Premium);
        assert!("gold".parse::<Tier>().is_err());
        assert!(parse_clv_cents("clv", -1).is_err());
    }
}
