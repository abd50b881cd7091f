//! Automatic goodwill rules: a condition on the customer's facts and the
//! catalog item it grants. The incident fan-out applies the rules scoped to
//! incidents; ordinary cases apply those scoped to cases.

use crate::audit::{Audit, CommitAudited, Removal};
use crate::dialect::BeginWrite;
use crate::rows::Exists;
use crate::{Store, StoreError, with_pool};
use amends_domain::UserId;
use amends_domain::goodwill_rule::RuleScope;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// An automatic goodwill rule.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct GoodwillRule {
    pub id: Uuid,
    pub name: String,
    pub condition: String,
    pub catalog_item_id: Uuid,
    pub item_name_de: String,
    pub item_name_en: String,
    pub item_kind: String,
    pub value_cents: i64,
    pub currency: String,
    pub position: i64,
    pub active: bool,
    /// `incident` or `case` (`amends_domain::goodwill_rule::RuleScope`).
    pub applies_to: String,
    /// Who saved it last (the requester of the grants it makes on cases).
    pub updated_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated goodwill rule to save.
#[derive(Debug, Clone)]
pub struct GoodwillRuleInput {
    pub name: String,
    /// Already parsed and printed back by the domain's `Condition`.
    pub condition: String,
    pub catalog_item_id: Uuid,
    pub position: i64,
    pub active: bool,
    pub applies_to: RuleScope,
}

const RULE_SELECT: &str = "SELECT r.id, r.name, r.condition, r.catalog_item_id, g.name_de AS item_name_de, \
     g.name_en AS item_name_en, g.kind AS item_kind, g.value_cents, g.currency, r.position, r.active, r.applies_to, \
     r.updated_by, r.created_at, r.updated_at FROM goodwill_rules r JOIN goodwill_catalog g ON g.id = r.catalog_item_id";

/// The removal of one row of this module (see `Store::remove_audited`).
const DELETE_RULE: Removal = Removal {
    sql: "DELETE FROM goodwill_rules WHERE id = $1",
    what: "goodwill rule",
    action: "goodwill_rule.delete",
    entity: "goodwill_rule",
};

impl Store {
    pub async fn list_goodwill_rules(&self, only_active: bool) -> Result<Vec<GoodwillRule>, StoreError> {
        let filter = if only_active { " WHERE r.active = TRUE" } else { "" };
        self.all_rows(&format!("{RULE_SELECT}{filter} ORDER BY r.position, r.id"))
            .await
    }

    pub async fn get_goodwill_rule(&self, id: Uuid) -> Result<GoodwillRule, StoreError> {
        self.row_by(&format!("{RULE_SELECT} WHERE r.id = $1"), id, "goodwill rule")
            .await
    }

    /// Creates (`id` = None) or replaces a goodwill rule.
    pub async fn save_goodwill_rule(
        &self,
        id: Option<Uuid>,
        r: &GoodwillRuleInput,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<GoodwillRule, StoreError> {
        let rule_id = id.unwrap_or_else(|| crate::audit::new_id(now));
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.require_row(
                "SELECT id FROM goodwill_catalog WHERE id = $1",
                r.catalog_item_id,
                "catalog item",
            )
            .await?;
            let done = if id.is_some() {
                sqlx::query(
                    "UPDATE goodwill_rules SET name = $1, condition = $2, catalog_item_id = $3, position = $4, \
                     active = $5, updated_at = $6, applies_to = $8, updated_by = $9 WHERE id = $7",
                )
            } else {
                sqlx::query(
                    "INSERT INTO goodwill_rules (name, condition, catalog_item_id, position, active, created_at, \
                     updated_at, id, applies_to, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)",
                )
            }
            .bind(&r.name)
            .bind(&r.condition)
            .bind(r.catalog_item_id)
            .bind(r.position)
            .bind(r.active)
            .bind(now)
            .bind(rule_id)
            .bind(r.applies_to.as_str())
            .bind(actor.map(|u| u.0))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("goodwill rule"));
            }
            tx.commit_audited(Audit {
                actor,
                action: if id.is_some() {
                    "goodwill_rule.update"
                } else {
                    "goodwill_rule.create"
                },
                entity: "goodwill_rule",
                entity_id: rule_id.to_string(),
                detail: json!({"name": r.name, "condition": r.condition, "catalog_item_id": r.catalog_item_id,
                        "position": r.position, "active": r.active, "applies_to": r.applies_to}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_goodwill_rule(rule_id).await
    }

    pub async fn delete_goodwill_rule(
        &self,
        id: Uuid,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.remove_audited(&DELETE_RULE, id, actor, now).await
    }
}
