//! Why goodwill waits for approval, why it was refused, and why a rule
//! granted it — as data (a code and its parameters), so every reader sees
//! the reason in their own language. The English `Display` texts are for
//! logs, the CLI and the API's `detail`; pages and mails render the codes
//! through the Fluent catalogues (`amends_i18n::reasons`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Which limit a grant would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "limit", rename_all = "snake_case")]
pub enum LimitBreach {
    PerGrant { max: i64 },
    PerCase { max: i64, spent: i64 },
    PerMonth { max: i64, spent: i64 },
}

impl fmt::Display for LimitBreach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitBreach::PerGrant { max } => write!(f, "above the limit per grant of {}", money(*max)),
            LimitBreach::PerCase { max, spent } => write!(
                f,
                "above the limit per case of {} ({} already granted on this case)",
                money(*max),
                money(*spent)
            ),
            LimitBreach::PerMonth { max, spent } => write!(
                f,
                "above the monthly limit of {} ({} already granted this month)",
                money(*max),
                money(*spent)
            ),
        }
    }
}

/// Money in the English texts of logs and the API: `900.00`.
pub(crate) fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// A grant would push the month's spend over the budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetBreach {
    pub amount_cents: i64,
    pub spent_cents: i64,
    pub currency: String,
}

impl fmt::Display for BudgetBreach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "monthly budget of {} would be exceeded: {} spent",
            budget_money(self.amount_cents, &self.currency),
            budget_money(self.spent_cents, &self.currency)
        )
    }
}

/// Money as budgets are shown in the ledger: `5.000,00 €` (other
/// currencies by code: `5.000,00 USD`).
fn budget_money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    let digits = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    let symbol = if currency == "EUR" { "€" } else { currency };
    format!("{sign}{grouped},{:02} {symbol}", c % 100)
}

/// Who must approve a grant that waits: a lead (a limit of the granter is
/// exceeded), an admin (the month's budget would be exceeded), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalCode {
    Limit,
    Budget,
    LimitAndBudget,
}

impl ApprovalCode {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalCode::Limit => "limit",
            ApprovalCode::Budget => "budget",
            ApprovalCode::LimitAndBudget => "limit_and_budget",
        }
    }
}

/// Why a grant waits for approval: `{"code": "limit", "value_cents": 9000,
/// "limit": {"limit": "per_grant", "max": 5000}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalReason {
    pub code: ApprovalCode,
    /// The value of the grant (minor units).
    pub value_cents: i64,
    /// The granter's limit it breaks, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitBreach>,
    /// The month's budget it breaks, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetBreach>,
}

impl ApprovalReason {
    /// A limit of the granter is exceeded: a lead approves.
    #[must_use]
    pub fn limit(value_cents: i64, breach: LimitBreach) -> Self {
        Self {
            code: ApprovalCode::Limit,
            value_cents,
            limit: Some(breach),
            budget: None,
        }
    }

    /// The month's budget would be exceeded: an admin approves.
    #[must_use]
    pub fn budget(value_cents: i64, breach: BudgetBreach) -> Self {
        Self {
            code: ApprovalCode::Budget,
            value_cents,
            limit: None,
            budget: Some(breach),
        }
    }

    /// This reason with the budget breach added.
    #[must_use]
    pub fn and_budget(self, breach: BudgetBreach) -> Self {
        Self {
            code: if self.limit.is_some() {
                ApprovalCode::LimitAndBudget
            } else {
                ApprovalCode::Budget
            },
            budget: Some(breach),
            ..self
        }
    }
}

impl fmt::Display for ApprovalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = money(self.value_cents);
        match (&self.limit, &self.budget) {
            (Some(l), Some(b)) => write!(f, "{value} needs approval by a lead: {l}; {b}"),
            (Some(l), None) => write!(f, "{value} needs approval by a lead: {l}"),
            (None, Some(b)) => write!(f, "{value} needs approval by an admin: {b}"),
            (None, None) => write!(f, "{value} needs approval"),
        }
    }
}

/// Why a grant or an approval is refused (nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    /// A negative value: goodwill is given, never taken.
    NegativeValue { value_cents: i64 },
    /// Nobody decides their own request.
    OwnRequest,
    /// Only leads and admins approve.
    NotAnApprover,
    /// The approver's own limit does not cover the grant.
    ApproverLimit { breach: LimitBreach },
    /// A lead's approval would take the month over its budget.
    Budget { breach: BudgetBreach },
    /// An automatic rule grants once per case.
    RuleAlreadyGranted,
}

impl Refusal {
    /// The code, as in the JSON (`own_request`, …).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NegativeValue { .. } => "negative_value",
            Refusal::OwnRequest => "own_request",
            Refusal::NotAnApprover => "not_an_approver",
            Refusal::ApproverLimit { .. } => "approver_limit",
            Refusal::Budget { .. } => "budget",
            Refusal::RuleAlreadyGranted => "rule_already_granted",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NegativeValue { value_cents } => {
                write!(f, "a goodwill value must not be negative, got {value_cents}")
            }
            Refusal::OwnRequest => f.write_str("you cannot decide your own goodwill request; another lead must"),
            Refusal::NotAnApprover => f.write_str("only leads and admins approve goodwill"),
            Refusal::ApproverLimit { breach } => write!(
                f,
                "your own limit does not cover this grant ({breach}); an admin must approve it"
            ),
            Refusal::Budget { breach } => write!(f, "{breach}; an admin must approve it (or raise the budget)"),
            Refusal::RuleAlreadyGranted => f.write_str("this rule granted goodwill on this case already"),
        }
    }
}

/// Why a rule granted goodwill without a person asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AutomaticReason {
    /// An incident rule, for a customer the incident affected.
    IncidentRule { rule: String, incident: String },
    /// A case rule, for a case being opened.
    CaseRule { rule: String, condition: String },
}

impl fmt::Display for AutomaticReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AutomaticReason::IncidentRule { rule, incident } => {
                write!(f, "Automatic goodwill «{rule}» for incident «{incident}»")
            }
            AutomaticReason::CaseRule { rule, condition } => write!(f, "{rule} ({condition})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_reasons_round_trip_as_codes() {
        let r = ApprovalReason::limit(9_000, LimitBreach::PerGrant { max: 5_000 });
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"code": "limit", "value_cents": 9000, "limit": {"limit": "per_grant", "max": 5000}})
        );
        assert_eq!(serde_json::from_value::<ApprovalReason>(json).expect("back"), r);
        assert_eq!(
            r.to_string(),
            "90.00 needs approval by a lead: above the limit per grant of 50.00"
        );
        let b = BudgetBreach {
            amount_cents: 100,
            spent_cents: 90,
            currency: "EUR".into(),
        };
        let both = r.and_budget(b.clone());
        assert_eq!(both.code, ApprovalCode::LimitAndBudget);
        assert_eq!(ApprovalReason::budget(20, b).code.as_str(), "budget");
    }

    #[test]
    fn refusals_carry_their_code() {
        let r = Refusal::ApproverLimit {
            breach: LimitBreach::PerCase { max: 100, spent: 50 },
        };
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["code"], "approver_limit");
        assert_eq!(json["breach"]["limit"], "per_case");
        assert_eq!(r.code(), "approver_limit");
        assert!(r.to_string().contains("an admin must approve"));
        let a = AutomaticReason::IncidentRule {
            rule: "Outage".into(),
            incident: "Login down".into(),
        };
        assert_eq!(serde_json::to_value(&a).expect("json")["code"], "incident_rule");
    }
}
