//! "What would you consider fair?": the customer's answer (or the agent's
//! note of it) and how it compares with what was granted.

use crate::case::string_enum;
use crate::error::ValidationError;
use crate::validate::optional_text;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// What the customer would consider fair.
    FairChoice, "choice" {
        Apology => "apology",
        Replacement => "replacement",
        Refund => "refund",
        Voucher => "voucher",
        Other => "other",
    }
);

string_enum!(
    /// Who gave the answer.
    FairSource, "source" {
        Customer => "customer",
        Agent => "agent",
    }
);

/// The largest amount a customer may name: 100,000 € in cents.
pub const AMOUNT_MAX_CENTS: i64 = 10_000_000;
/// The longest free text.
pub const NOTE_MAX: usize = 2_000;

/// A validated answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FairAnswer {
    pub choice: FairChoice,
    /// In cents of EUR.
    pub amount_cents: Option<i64>,
    pub note: Option<String>,
}

impl FairAnswer {
    /// Validates raw input: a known choice, an amount of 0–100,000 € (in
    /// cents), a note of at most 2,000 characters; "other" needs a note.
    pub fn parse(choice: &str, amount_cents: Option<i64>, note: Option<&str>) -> Result<Self, ValidationError> {
        let choice: FairChoice = choice.parse()?;
        if let Some(a) = amount_cents
            && !(0..=AMOUNT_MAX_CENTS).contains(&a)
        {
            return Err(ValidationError::new(
                "amount_cents",
                format!("amount_cents must be between 0 and {AMOUNT_MAX_CENTS}, got {a}"),
            ));
        }
        let note = optional_text("note", note, NOTE_MAX)?.map(crate::NonEmptyText::into_inner);
        if choice == FairChoice::Other && note.is_none() {
            return Err(ValidationError::new(
                "note",
                "note must say what would be fair when the choice is `other`",
            ));
        }
        Ok(Self {
            choice,
            amount_cents,
            note,
        })
    }

    /// What the customer expects in money: nothing for an apology, the
    /// amount they named otherwise (`None` when they named none).
    #[must_use]
    pub fn expected_cents(&self) -> Option<i64> {
        expected_cents(self.choice, self.amount_cents)
    }
}

/// See [`FairAnswer::expected_cents`].
#[must_use]
pub fn expected_cents(choice: FairChoice, amount_cents: Option<i64>) -> Option<i64> {
    match (choice, amount_cents) {
        (FairChoice::Apology, a) => Some(a.unwrap_or(0)),
        (_, a) => a,
    }
}

/// Reads an amount typed in a form as euros ("12", "12,50", "12.5") into
/// cents; empty is `None`.
pub fn parse_euros(raw: &str) -> Result<Option<i64>, ValidationError> {
    let s = raw.trim().trim_end_matches('€').trim();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || {
        ValidationError::new(
            "amount_cents",
            format!(
                "amount must be a number of euros, got `{}`",
                crate::validate::truncate(raw, 20)
            ),
        )
    };
    let s = s.replace(',', ".");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty()
        || whole.len() > 7
        || frac.len() > 2
        || !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let euros: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().map_err(|_| bad())?
    };
    Ok(Some(euros * 100 + cents))
}

/// How the goodwill granted on a case compares with the expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// Granted at least what was expected.
    Met,
    /// Granted less.
    Short,
    /// The customer named no amount.
    Unknown,
}

#[must_use]
pub fn compare(expected_cents: Option<i64>, granted_cents: i64) -> Comparison {
    match expected_cents {
        None => Comparison::Unknown,
        Some(e) if granted_cents >= e => Comparison::Met,
        Some(_) => Comparison::Short,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_validate_and_name_the_field() {
        let a = FairAnswer::parse("voucher", Some(2_000), Some("  ")).expect("valid");
        assert_eq!(
            (a.choice, a.amount_cents, a.note),
            (FairChoice::Voucher, Some(2_000), None)
        );
        assert_eq!(
            FairAnswer::parse("cash", None, None).expect_err("unknown").field,
            "choice"
        );
        assert_eq!(
            FairAnswer::parse("refund", Some(-1), None).expect_err("negative").field,
            "amount_cents"
        );
        assert_eq!(
            FairAnswer::parse("refund", Some(AMOUNT_MAX_CENTS + 1), None)
                .expect_err("too much")
                .field,
            "amount_cents"
        );
        assert_eq!(
            FairAnswer::parse("other", None, None).expect_err("needs a note").field,
            "note"
        );
        let long = "x".repeat(NOTE_MAX + 1);
        assert_eq!(
            FairAnswer::parse("refund", None, Some(&long)).expect_err("long").field,
            "note"
        );
    }

    #[test]
    fn expectation_and_comparison() {
        assert_eq!(expected_cents(FairChoice::Apology, None), Some(0));
        assert_eq!(expected_cents(FairChoice::Refund, None), None);
        assert_eq!(expected_cents(FairChoice::Voucher, Some(1_500)), Some(1_500));
        assert_eq!(compare(Some(1_500), 1_500), Comparison::Met);
        assert_eq!(compare(Some(1_500), 1_499), Comparison::Short);
        assert_eq!(compare(Some(0), 0), Comparison::Met);
        assert_eq!(compare(None, 5_000), Comparison::Unknown);
    }

    #[test]
    fn euros_are_read_into_cents() {
        assert_eq!(parse_euros("").ok(), Some(None));
        assert_eq!(parse_euros("12").ok(), Some(Some(1_200)));
        assert_eq!(parse_euros("12,5").ok(), Some(Some(1_250)));
        assert_eq!(parse_euros("12.05 €").ok(), Some(Some(1_205)));
        assert!(parse_euros("12,345").is_err());
        assert!(parse_euros("-3").is_err());
        assert!(parse_euros("ten").is_err());
    }
}
