//! Managing the detection rules that decide which feedback opens a case:
//! add, change, switch on and off, delete. The API and the rules page call
//! these.

use crate::App;
use crate::detection::RuleFields;
use crate::error::AppResult;
use amends_domain::detection::Conditions;
use amends_domain::{RuleId, UserId};
use amends_store::{DetectionRule, RuleInput};

/// Fields of a rule to change; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct RulePatch {
    pub name: Option<String>,
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    pub conditions: Option<Conditions>,
    pub action: Option<String>,
    pub priority: Option<String>,
}

/// Adds a rule.
pub async fn create(app: &App, fields: RuleFields, actor: UserId) -> AppResult<DetectionRule> {
    let input = fields.validate()?;
    Ok(app.store().insert_rule(&input, Some(actor), app.now()).await?)
}

/// Changes the fields of rule `id` that `patch` names.
pub async fn update(app: &App, id: RuleId, patch: RulePatch, actor: UserId) -> AppResult<DetectionRule> {
    let cur = app.store().get_rule(id).await?;
    let input = RuleFields {
        name: patch.name.unwrap_or_else(|| cur.name.clone()),
        position: Some(patch.position.unwrap_or(cur.position)),
        enabled: Some(patch.enabled.unwrap_or(cur.enabled)),
        conditions: patch.conditions.unwrap_or_else(|| cur.parsed_conditions()),
        action: Some(patch.action.unwrap_or_else(|| cur.action.as_str().into())),
        priority: Some(patch.priority.unwrap_or_else(|| cur.priority.as_str().into())),
    }
    .validate()?;
    Ok(app.store().update_rule(id, &input, Some(actor), app.now()).await?)
}

/// Switches rule `id` on or off, leaving the rest of it as it is.
pub async fn toggle(app: &App, id: RuleId, actor: UserId) -> AppResult<DetectionRule> {
    let cur = app.store().get_rule(id).await?;
    let input = RuleInput {
        name: cur.name.clone(),
        position: Some(cur.position),
        enabled: !cur.enabled,
        conditions: cur.parsed_conditions(),
        action: cur.action,
        priority: cur.priority,
    };
    Ok(app.store().update_rule(id, &input, Some(actor), app.now()).await?)
}

/// Deletes rule `id`; feedback keeps the name of the rule that fired.
pub async fn delete(app: &App, id: RuleId, actor: UserId) -> AppResult<()> {
    Ok(app.store().delete_rule(id, Some(actor), app.now()).await?)
}
