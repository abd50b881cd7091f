//! Automatic goodwill rules (for incidents and for cases being opened):
//! the raw rule a client sends and its validation.

use crate::error::{AppError, AppResult};
use amends_domain::goodwill_rule::{Condition, RuleScope};
use amends_store::GoodwillRuleInput;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An automatic goodwill rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleIn {
    pub name: String,
    /// Clauses joined by `and`: `field op value` with =, !=, >, >=, <, <=.
    /// Incident rules: kind, severity, controllable, component, release,
    /// tier, language, and any fact (delay_minutes, amount, …), e.g.
    /// `kind = delay and delay_minutes > 180 and tier = premium`. Case
    /// rules: origin, channel, priority, tier, language, severity,
    /// repeat_failure, controllable, clv_cents, prior_cases, e.g.
    /// `tier = premium and prior_cases >= 1`.
    pub condition: String,
    pub catalog_item_id: Uuid,
    /// Rules are tried by position (lowest first); the first match grants.
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
    /// `incident` (default: applied when an incident fans out) or `case`
    /// (applied when a case is opened by hand, API, feedback or email).
    #[serde(default)]
    pub applies_to: Option<String>,
}

fn yes() -> bool {
    true
}

impl RuleIn {
    pub fn validate(&self, default_position: i64) -> AppResult<GoodwillRuleInput> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::validation("name", "name must have 1 to 200 characters"));
        }
        let applies_to: RuleScope = self
            .applies_to
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map_or(Ok(RuleScope::Incident), str::parse)?;
        let condition: Condition = self.condition.parse()?;
        condition.check_scope(applies_to)?;
        Ok(GoodwillRuleInput {
            name: name.to_string(),
            condition: condition.to_string(),
            catalog_item_id: self.catalog_item_id,
            position: self.position.unwrap_or(default_position),
            active: self.active,
            applies_to,
        })
    }
}
