//! SLA policies: targets per tier and priority with an optional calendar.

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
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
            let mut tx = pool.begin_write().await?;
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
            tx.commit_audited(Audit {
                actor,
                action: "sla_policy.set",
                entity: "sla_policy",
                entity_id: format!("{}/{}", p.tier, p.priority),
                detail: json!({"first_response_minutes": p.first_response_minutes,
                                   "resolution_minutes": p.resolution_minutes, "calendar": p.calendar}),
                at: p.updated_at,
            })
            .await?;
            Ok(row)
        })
    }
}

/// What the SLA sweep needs of an open, running case.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlaCandidate {
    pub id: uuid::Uuid,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub first_response_due_at: DateTime<Utc>,
    pub resolution_due_at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    pub sla_warned_for: Option<String>,
    pub sla_breached_for: Option<String>,
}

impl Store {
    /// Open cases whose running clock is due before `horizon` (at most `limit`).
    pub async fn sla_candidates(&self, horizon: DateTime<Utc>, limit: i64) -> Result<Vec<SlaCandidate>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, SlaCandidate>(
                "SELECT id, first_responded_at, first_response_due_at, resolution_due_at, priority, sla_warned_for, \
                 sla_breached_for FROM cases WHERE open = TRUE AND sla_paused_at IS NULL AND \
                 ((first_responded_at IS NULL AND first_response_due_at < $1) OR \
                  (first_responded_at IS NOT NULL AND resolution_due_at < $1)) \
                 ORDER BY id LIMIT $2",
            )
            .bind(horizon)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Records an SLA warning or breach on a case in one transaction: the
    /// handled key, on a breach the raised priority and the lead flag, and
    /// the timeline event. Does nothing if another instance got there first.
    pub async fn record_sla_escalation(
        &self,
        case: amends_domain::CaseId,
        warned_for: Option<&str>,
        breach: Option<(&str, Priority)>,
        event: &crate::NewEvent,
    ) -> Result<bool, StoreError> {
        use crate::outbox::Outbox;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = match (warned_for, breach) {
                (_, Some((key, priority))) => sqlx::query(
                    "UPDATE cases SET sla_breached_for = $1, priority = $2, lead_attention = TRUE, updated_at = $3 \
                     WHERE id = $4 AND (sla_breached_for IS NULL OR sla_breached_for <> $1)",
                )
                .bind(key)
                .bind(priority.as_str())
                .bind(event.at)
                .bind(case.0)
                .execute(&mut *tx)
                .await?,
                (Some(key), None) => sqlx::query(
                    "UPDATE cases SET sla_warned_for = $1 WHERE id = $2 AND (sla_warned_for IS NULL OR sla_warned_for <> $1)",
                )
                .bind(key)
                .bind(case.0)
                .execute(&mut *tx)
                .await?,
                (None, None) => return Ok(false),
            };
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            tx.insert_event(case.0, event).await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}

/// SLA attainment of the cases created in a period, per tier × priority × assignee.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SlaStat {
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    pub assignee_id: Option<uuid::Uuid>,
    pub assignee_name: Option<String>,
    pub cases: i64,
    /// First response in time.
    pub first_met: i64,
    /// First response given, or already overdue (so it can be judged).
    pub first_due: i64,
    pub resolution_met: i64,
    pub resolution_due: i64,
}

impl Store {
    pub async fn sla_stats(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SlaStat>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, SlaStat>(
                "SELECT c.tier, c.priority, c.assignee_id, u.display_name AS assignee_name, COUNT(*) AS cases, \
                 SUM(CASE WHEN c.first_responded_at IS NOT NULL AND c.first_responded_at <= c.first_response_due_at \
                     THEN 1 ELSE 0 END) AS first_met, \
                 SUM(CASE WHEN c.first_responded_at IS NOT NULL OR c.first_response_due_at < $3 THEN 1 ELSE 0 END) \
                     AS first_due, \
                 SUM(CASE WHEN c.resolved_at IS NOT NULL AND c.resolved_at <= c.resolution_due_at THEN 1 ELSE 0 END) \
                     AS resolution_met, \
                 SUM(CASE WHEN c.resolved_at IS NOT NULL OR c.resolution_due_at < $3 THEN 1 ELSE 0 END) \
                     AS resolution_due \
                 FROM cases c LEFT JOIN users u ON u.id = c.assignee_id \
                 WHERE c.id >= $4 AND c.created_at >= $1 AND c.created_at < $2 \
                 GROUP BY c.tier, c.priority, c.assignee_id, u.display_name",
            )
            .bind(from)
            .bind(to)
            .bind(now)
            .bind(amends_domain::ids::uuid_v7_at(from, 0))
            .fetch_all(pool)
            .await?)
        })
    }
}
