//! Goodwill: what an agent may give a customer to make amends, and who may
//! decide it on the spot. Decides whether a grant is within the granter's
//! empowerment limits (per grant, case and month) and the month's budget,
//! so it is granted at once, needs approval or is refused, and whether an
//! approver may approve it.
//!
//! Money is in integer minor units (cents) with an ISO 4217 currency. What
//! the assessment of a case recommends lives in [`crate::assessment`]
//! (re-exported here).

use crate::case::string_enum;
use crate::error::ValidationError;
use crate::role::Role;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use crate::assessment::{Assessment, AssessmentInput, GoodwillLevel, HIGH_CLV_CENTS, RecommendedAction, assess};
pub use crate::goodwill_reason::{ApprovalCode, ApprovalReason, AutomaticReason, BudgetBreach, LimitBreach, Refusal};

string_enum!(
    /// What kind of compensation.
    GoodwillKind, "kind" {
        Voucher => "voucher",
        Discount => "discount",
        Refund => "refund",
        Upgrade => "upgrade",
        WaivedFee => "waived_fee",
        SlaCredit => "sla_credit",
        Gift => "gift",
        HandwrittenNote => "handwritten_note",
    }
);

string_enum!(
    /// Where a grant stands.
    GrantState, "state" {
        Granted => "granted",
        Pending => "pending",
        Rejected => "rejected",
    }
);

/// Goodwill that a rule granted automatically, as a case's timeline shows it
/// (the fan-out's goodwill event on a case it updated, and the goodwill of
/// the "created" event the store works out for a case it opened).
#[derive(Debug, Clone, Copy)]
pub struct AutomaticGrant<'a> {
    pub grant_id: uuid::Uuid,
    /// The grant's state now (`granted` when it is made).
    pub state: Option<&'a str>,
    pub kind: &'a str,
    pub value_cents: Option<i64>,
    pub currency: Option<&'a str>,
    /// The name of the rule that granted it.
    pub rule: Option<&'a str>,
}

impl AutomaticGrant<'_> {
    /// The event data: `{"action": "granted", "automatic": true, …}`.
    #[must_use]
    pub fn event_data(&self) -> serde_json::Value {
        serde_json::json!({"action": "granted", "state": self.state, "grant_id": self.grant_id, "kind": self.kind,
                           "value_cents": self.value_cents, "currency": self.currency, "rule": self.rule,
                           "automatic": true})
    }
}

/// The largest single goodwill value accepted (10 million in major units),
/// so sums stay far from overflow.
pub const MAX_VALUE_CENTS: i64 = 1_000_000_000;

/// Validates a goodwill value: not negative, not absurd.
pub fn parse_value_cents(field: &str, value: i64) -> Result<i64, ValidationError> {
    if value < 0 {
        return Err(ValidationError::new(
            field,
            format!("{field} must not be negative, got {value}; goodwill is given, never taken"),
        ));
    }
    if value > MAX_VALUE_CENTS {
        return Err(ValidationError::new(
            field,
            format!("{field} must be at most {MAX_VALUE_CENTS} (minor units), got {value}"),
        ));
    }
    Ok(value)
}

/// Validates an ISO 4217 currency code (three ASCII letters), upper-cased.
pub fn parse_currency(field: &str, s: &str) -> Result<String, ValidationError> {
    let c = s.trim().to_ascii_uppercase();
    if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err(ValidationError::new(
            field,
            format!(
                "{field} must be a three-letter ISO 4217 code such as `EUR`, got `{}`",
                s.trim()
            ),
        ))
    }
}

/// One thing in the goodwill catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogItem {
    pub kind: GoodwillKind,
    pub name_de: String,
    pub name_en: String,
    pub value_cents: i64,
    pub currency: String,
    pub active: bool,
}

/// How much a role may grant without approval. `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EmpowermentLimit {
    pub per_grant_cents: Option<i64>,
    pub per_case_cents: Option<i64>,
    pub per_month_cents: Option<i64>,
}

impl EmpowermentLimit {
    pub const UNLIMITED: EmpowermentLimit = EmpowermentLimit {
        per_grant_cents: None,
        per_case_cents: None,
        per_month_cents: None,
    };

    /// The first limit that `value` would break, given what was already
    /// granted this month (by the same person) and on this case.
    #[must_use]
    pub fn exceeded(&self, value: i64, month_spent: i64, case_spent: i64) -> Option<LimitBreach> {
        if let Some(max) = self.per_grant_cents
            && value > max
        {
            return Some(LimitBreach::PerGrant { max });
        }
        if let Some(max) = self.per_case_cents
            && case_spent.saturating_add(value) > max
        {
            return Some(LimitBreach::PerCase { max, spent: case_spent });
        }
        if let Some(max) = self.per_month_cents
            && month_spent.saturating_add(value) > max
        {
            return Some(LimitBreach::PerMonth {
                max,
                spent: month_spent,
            });
        }
        None
    }
}

/// What the engine decides about a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Within the granter's limit: granted at once.
    GrantNow,
    /// Above the limit: a lead (or admin) must approve.
    NeedsApproval { reason: ApprovalReason },
    /// Not allowed at all.
    Rejected { reason: Refusal },
}

/// Decides a new grant by `role` with `limit`, given what this person
/// granted this month and what the case received so far.
#[must_use]
pub fn decide_grant(
    role: Role,
    limit: &EmpowermentLimit,
    value_cents: i64,
    month_spent: i64,
    case_spent: i64,
) -> Decision {
    if value_cents < 0 {
        return Decision::Rejected {
            reason: Refusal::NegativeValue { value_cents },
        };
    }
    let _ = role;
    match limit.exceeded(value_cents, month_spent, case_spent) {
        None => Decision::GrantNow,
        Some(b) => Decision::NeedsApproval {
            reason: ApprovalReason::limit(value_cents, b),
        },
    }
}

/// Decides whether `approver` (with `limit` and their own month's
/// approvals) may approve a pending grant requested by `requester`.
#[must_use]
pub fn decide_approval(
    approver_role: Role,
    approver_is_requester: bool,
    limit: &EmpowermentLimit,
    value_cents: i64,
    month_spent: i64,
    case_spent: i64,
) -> Decision {
    if approver_is_requester {
        return Decision::Rejected {
            reason: Refusal::OwnRequest,
        };
    }
    if approver_role == Role::Agent {
        return Decision::Rejected {
            reason: Refusal::NotAnApprover,
        };
    }
    if value_cents < 0 {
        return Decision::Rejected {
            reason: Refusal::NegativeValue { value_cents },
        };
    }
    match limit.exceeded(value_cents, month_spent, case_spent) {
        None => Decision::GrantNow,
        Some(breach) => Decision::Rejected {
            reason: Refusal::ApproverLimit { breach },
        },
    }
}

/// This month's goodwill budget with what was granted so far (everyone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthBudget {
    pub amount_cents: i64,
    pub currency: String,
    /// Granted this month by everyone, before the grant being decided.
    pub spent_cents: i64,
}

impl MonthBudget {
    /// The breach if granting `value` would take the spend above the amount.
    #[must_use]
    pub fn exceeded(&self, value: i64) -> Option<BudgetBreach> {
        (self.spent_cents.saturating_add(value) > self.amount_cents).then(|| BudgetBreach {
            amount_cents: self.amount_cents,
            spent_cents: self.spent_cents,
            currency: self.currency.clone(),
        })
    }
}

/// [`decide_grant`], and then the month's budget: a grant that would take
/// this month's spend (everyone's) over the budget needs approval even
/// within the person's own limit. Admins own the budget and may exceed
/// it: their grants are not held back by it. Without a budget for the
/// month nothing changes.
#[must_use]
pub fn decide_grant_in_budget(
    role: Role,
    limit: &EmpowermentLimit,
    value_cents: i64,
    month_spent: i64,
    case_spent: i64,
    budget: Option<&MonthBudget>,
) -> Decision {
    let decision = decide_grant(role, limit, value_cents, month_spent, case_spent);
    let breach = match budget {
        Some(b) if role != Role::Admin => b.exceeded(value_cents),
        _ => None,
    };
    match (decision, breach) {
        (Decision::GrantNow, Some(b)) => Decision::NeedsApproval {
            reason: ApprovalReason::budget(value_cents, b),
        },
        (Decision::NeedsApproval { reason }, Some(b)) => Decision::NeedsApproval {
            reason: reason.and_budget(b),
        },
        (d, _) => d,
    }
}

/// [`decide_approval`], and then the month's budget: a lead may not
/// approve a grant that would take this month's spend over the budget;
/// an admin may (admins set the budget; the approval is audited).
#[must_use]
pub fn decide_approval_in_budget(
    approver_role: Role,
    approver_is_requester: bool,
    limit: &EmpowermentLimit,
    value_cents: i64,
    month_spent: i64,
    case_spent: i64,
    budget: Option<&MonthBudget>,
) -> Decision {
    let decision = decide_approval(
        approver_role,
        approver_is_requester,
        limit,
        value_cents,
        month_spent,
        case_spent,
    );
    if decision != Decision::GrantNow || approver_role == Role::Admin {
        return decision;
    }
    match budget.and_then(|b| b.exceeded(value_cents)) {
        Some(breach) => Decision::Rejected {
            reason: Refusal::Budget { breach },
        },
        None => decision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENT: EmpowermentLimit = EmpowermentLimit {
        per_grant_cents: Some(5_000),
        per_case_cents: Some(10_000),
        per_month_cents: Some(100_000),
    };

    #[test]
    fn within_limit_grants_now() {
        assert_eq!(decide_grant(Role::Agent, &AGENT, 2_500, 0, 0), Decision::GrantNow);
        assert_eq!(
            decide_grant(Role::Agent, &AGENT, 5_000, 95_000, 5_000),
            Decision::GrantNow
        );
    }

    #[test]
    fn above_a_limit_needs_approval() {
        for (v, m, c, word) in [
            (5_001, 0, 0, "per grant"),
            (5_000, 0, 5_001, "per case"),
            (5_000, 95_001, 0, "monthly"),
        ] {
            match decide_grant(Role::Agent, &AGENT, v, m, c) {
                Decision::NeedsApproval { reason } => assert!(reason.to_string().contains(word), "{reason}"),
                d => panic!("expected approval, got {d:?}"),
            }
        }
    }

    #[test]
    fn negative_values_are_rejected() {
        assert!(matches!(
            decide_grant(Role::Admin, &EmpowermentLimit::UNLIMITED, -1, 0, 0),
            Decision::Rejected { .. }
        ));
        assert!(parse_value_cents("value_cents", -5).is_err());
        assert_eq!(parse_value_cents("value_cents", 0), Ok(0));
    }

    #[test]
    fn unlimited_grants_anything() {
        assert_eq!(
            decide_grant(
                Role::Admin,
                &EmpowermentLimit::UNLIMITED,
                MAX_VALUE_CENTS,
                i64::MAX,
                i64::MAX
            ),
            Decision::GrantNow
        );
    }

    #[test]
    fn approval_rules() {
        let lead = EmpowermentLimit {
            per_grant_cents: Some(50_000),
            per_case_cents: Some(100_000),
            per_month_cents: Some(1_000_000),
        };
        assert!(matches!(
            decide_approval(Role::Lead, true, &lead, 1_000, 0, 0),
            Decision::Rejected {
                reason: Refusal::OwnRequest
            }
        ));
        assert!(matches!(
            decide_approval(Role::Agent, false, &AGENT, 1_000, 0, 0),
            Decision::Rejected { .. }
        ));
        assert_eq!(
            decide_approval(Role::Lead, false, &lead, 10_000, 0, 0),
            Decision::GrantNow
        );
        assert!(matches!(
            decide_approval(Role::Lead, false, &lead, 60_000, 0, 0),
            Decision::Rejected { reason } if reason.to_string().contains("admin")
        ));
        assert_eq!(
            decide_approval(Role::Admin, false, &EmpowermentLimit::UNLIMITED, 60_000, 0, 0),
            Decision::GrantNow
        );
    }

    fn budget(amount: i64, spent: i64) -> MonthBudget {
        MonthBudget {
            amount_cents: amount,
            currency: "EUR".into(),
            spent_cents: spent,
        }
    }

    #[test]
    fn a_grant_over_the_monthly_budget_needs_approval() {
        let b = budget(500_000, 498_000);
        // Within the budget: as before.
        assert_eq!(
            decide_grant_in_budget(Role::Agent, &AGENT, 2_000, 0, 0, Some(&b)),
            Decision::GrantNow
        );
        assert_eq!(
            decide_grant_in_budget(Role::Agent, &AGENT, 2_500, 0, 0, None),
            Decision::GrantNow
        );
        // Over it: approval, with the budget and the spend in the reason.
        match decide_grant_in_budget(Role::Agent, &AGENT, 2_001, 0, 0, Some(&b)) {
            Decision::NeedsApproval { reason } => assert_eq!(
                reason.to_string(),
                "20.01 needs approval by an admin: monthly budget of 5.000,00 € would be exceeded: 4.980,00 € spent"
            ),
            other => panic!("{other:?}"),
        }
        // Over a limit and the budget: both reasons.
        match decide_grant_in_budget(Role::Agent, &AGENT, 6_000, 0, 0, Some(&b)) {
            Decision::NeedsApproval { reason } => {
                let reason = reason.to_string();
                assert!(
                    reason.contains("limit per grant") && reason.contains("monthly budget"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        // Admins own the budget.
        assert_eq!(
            decide_grant_in_budget(Role::Admin, &EmpowermentLimit::UNLIMITED, 9_000, 0, 0, Some(&b)),
            Decision::GrantNow
        );
        // A budget that is spent already holds back even the smallest grant.
        assert!(matches!(
            decide_grant_in_budget(
                Role::Lead,
                &EmpowermentLimit::UNLIMITED,
                1,
                0,
                0,
                Some(&budget(100, 100))
            ),
            Decision::NeedsApproval { .. }
        ));
        // Negative values stay refused.
        assert!(matches!(
            decide_grant_in_budget(Role::Agent, &AGENT, -1, 0, 0, Some(&b)),
            Decision::Rejected { .. }
        ));
        assert_eq!(
            budget(123_456_789, 0).exceeded(123_456_790).expect("over").to_string(),
            "monthly budget of 1.234.567,89 € would be exceeded: 0,00 € spent"
        );
        let usd = MonthBudget {
            currency: "USD".into(),
            ..budget(100, 50)
        };
        assert!(usd.exceeded(51).expect("over").to_string().contains("1,00 USD"));
    }

    #[test]
    fn approvals_respect_the_budget_except_for_admins() {
        let lead = EmpowermentLimit {
            per_grant_cents: Some(50_000),
            per_case_cents: None,
            per_month_cents: None,
        };
        let b = budget(500_000, 498_000);
        match decide_approval_in_budget(Role::Lead, false, &lead, 3_000, 0, 0, Some(&b)) {
            Decision::Rejected { reason } => {
                let reason = reason.to_string();
                assert!(
                    reason.starts_with("monthly budget of 5.000,00 € would be exceeded: 4.980,00 € spent"),
                    "{reason}"
                );
                assert!(reason.contains("an admin must approve"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            decide_approval_in_budget(Role::Lead, false, &lead, 2_000, 0, 0, Some(&b)),
            Decision::GrantNow
        );
        assert_eq!(
            decide_approval_in_budget(Role::Admin, false, &EmpowermentLimit::UNLIMITED, 3_000, 0, 0, Some(&b)),
            Decision::GrantNow
        );
        // The other rules still come first.
        assert!(matches!(
            decide_approval_in_budget(Role::Admin, true, &EmpowermentLimit::UNLIMITED, 3_000, 0, 0, Some(&b)),
            Decision::Rejected { .. }
        ));
    }

    proptest::proptest! {
        /// Whatever the numbers: a non-admin grant is granted at once only
        /// if it keeps the month within the budget.
        #[test]
        fn granted_now_never_exceeds_the_budget(
            amount in 0i64..1_000_000, spent in 0i64..1_000_000, value in 0i64..100_000,
            lead in proptest::bool::ANY,
        ) {
            let b = budget(amount, spent);
            let role = if lead { Role::Lead } else { Role::Agent };
            let d = decide_grant_in_budget(role, &EmpowermentLimit::UNLIMITED, value, 0, 0, Some(&b));
            if d == Decision::GrantNow {
                proptest::prop_assert!(spent + value <= amount);
            } else {
                proptest::prop_assert!(spent + value > amount);
            }
            let a = decide_approval_in_budget(Role::Lead, false, &EmpowermentLimit::UNLIMITED, value, 0, 0, Some(&b));
            proptest::prop_assert_eq!(a == Decision::GrantNow, spent + value <= amount);
        }
    }

    #[test]
    fn currency_codes() {
        assert_eq!(parse_currency("currency", " eur ").as_deref(), Ok("EUR"));
        assert!(parse_currency("currency", "EURO").is_err());
        assert!(parse_currency("currency", "€").is_err());
    }
}
