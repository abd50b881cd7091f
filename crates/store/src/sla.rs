//! SLA policies: targets per tier and priority with an optional calendar.

use crate::audit::{Audit, record_audit};
use crate::{Store, StoreError, with_pool};
use amends_domain::{Priority, Tier, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// One stored policy; `calendar` is the JSON of a `CalendarSpec` (None = 24/7).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SlaPolicy {
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub calendar: Option<String>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "tier, priority, first_response_minutes, resolution_minutes, calendar, updated_at";

impl Store {
    pub async fn list_sla_policies(&self) -> Result<Vec<SlaPolicy>, StoreError> {
        with_pool!(self, |pool| {
            Ok(
                sqlx::query_as::<_, SlaPolicy>(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM sla_policies")))
                    .fetch_all(pool)
                    .await?,
            )
        })
    }

    pub async fn get_sla_policy(&self, tier: Tier, priority: Priority) -> Result<Option<SlaPolicy>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, SlaPolicy>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM sla_policies WHERE tier = $1 AND priority = $2"
            )))
            .bind(tier.as_str())
            .bind(priority.as_str())
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Creates or replaces the policy of `p.tier` × `p.priority` (validated by the caller).
    pub async fn upsert_sla_policy(&self, p: &SlaPolicy, actor: Option<UserId>) -> Result<SlaPolicy, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let row = sqlx::query_as::<_, SlaPolicy>(sqlx::AssertSqlSafe(format!(
                "INSERT INTO sla_policies ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (tier, priority) DO UPDATE SET first_response_minutes = excluded.first_response_minutes, \
                 resolution_minutes = excluded.resolution_minutes, calendar = excluded.calendar, \
                 updated_at = excluded.updated_at RETURNING {COLUMNS}"
            )))
            .bind(p.tier.as_str())
            .bind(p.priority.as_str())
            .bind(p.first_response_minutes)
            .bind(p.resolution_minutes)
            .bind(&p.calendar)
            .bind(p.updated_at)
            .fetch_one(&mut *tx)
            .await?;
            record_audit!(
                &mut *tx,
                Audit {
                    actor,
                    action: "sla_policy.set",
                    entity: "sla_policy",
                    entity_id: format!("{}/{}", p.tier, p.priority),
                    detail: json!({"first_response_minutes": p.first_response_minutes,
                                   "resolution_minutes": p.resolution_minutes, "calendar": p.calendar}),
                    at: p.updated_at,
                }
            );
            tx.commit().await?;
            Ok(row)
        })
    }
}
