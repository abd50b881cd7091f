//! Automatic goodwill rules (for incidents and for cases being opened):
//! the raw rule a client sends, its validation, and adding, changing and
//! deleting rules.

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::UserId;
use amends_domain::goodwill_rule::{Condition, RuleScope};
use amends_store::{GoodwillRule, GoodwillRuleInput, StoreError};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An automatic goodwill rule (in the OpenAPI document `GoodwillRuleIn`,
/// apart from the detection rules' `DetectionRuleIn`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = GoodwillRuleIn)]
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
        let applies_to: RuleScope = crate::service::parse_or(self.applies_to.as_deref(), RuleScope::Incident)?;
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

/// Where a new goodwill rule goes: after the last one.
pub async fn next_position(app: &App) -> AppResult<i64> {
    Ok(app
        .store()
        .list_goodwill_rules(false)
        .await?
        .iter()
        .map(|r| r.position)
        .max()
        .unwrap_or(0)
        + 10)
}

/// An unknown catalog item is a problem of the `catalog_item_id` field.
fn missing_item(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound("catalog item") => {
            AppError::validation("catalog_item_id", "no goodwill catalog item with this id")
        }
        e => e.into(),
    }
}

/// Adds a rule; without a position it goes after the last one.
pub async fn create(app: &App, body: &RuleIn, actor: UserId) -> AppResult<GoodwillRule> {
    let next = next_position(app).await?;
    let input = body.validate(next)?;
    app.store()
        .save_goodwill_rule(None, &input, Some(actor), app.now())
        .await
        .map_err(missing_item)
}

/// Replaces rule `id`; without a position it keeps its place.
pub async fn update(app: &App, id: Uuid, body: &RuleIn, actor: UserId) -> AppResult<GoodwillRule> {
    let current = app.store().get_goodwill_rule(id).await?;
    let input = body.validate(current.position)?;
    app.store()
        .save_goodwill_rule(Some(id), &input, Some(actor), app.now())
        .await
        .map_err(missing_item)
}

/// Switches rule `id` on or off, leaving the rest of it as it is.
pub async fn toggle(app: &App, id: Uuid, actor: UserId) -> AppResult<GoodwillRule> {
    let r = app.store().get_goodwill_rule(id).await?;
    let input = GoodwillRuleInput {
        name: r.name,
        condition: r.condition,
        catalog_item_id: r.catalog_item_id,
        position: r.position,
        active: !r.active,
        applies_to: r
            .applies_to
            .parse()
            .map_err(|e: amends_domain::ValidationError| AppError::internal(e.message))?,
    };
    Ok(app
        .store()
        .save_goodwill_rule(Some(id), &input, Some(actor), app.now())
        .await?)
}

/// Deletes rule `id`; the grants it made stay.
pub async fn delete(app: &App, id: Uuid, actor: UserId) -> AppResult<()> {
    Ok(app.store().delete_goodwill_rule(id, Some(actor), app.now()).await?)
}
