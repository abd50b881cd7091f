//! The feature-feedback panel: recovered customers (a survey answered with
//! 4–5) as a segment, invitations (with their mail, in one transaction)
//! and membership.

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::outbox::{NewJob, Outbox};
use crate::{Store, StoreError, with_pool};
use amends_domain::{CustomerId, Language, Tier, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// A customer's invitation to the panel and whether they joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PanelMembership {
    pub invited_at: DateTime<Utc>,
    pub joined_at: Option<DateTime<Utc>>,
}

/// Which recovered customers the segment holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PanelFilter {
    pub language: Option<Language>,
    pub tier: Option<Tier>,
    /// Only customers who are not invited yet.
    pub not_invited: bool,
}

/// A recovered customer.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct PanelCandidate {
    pub customer_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub language: String,
    pub tier: String,
    pub consent_contact: bool,
    /// The best survey score they gave (4 or 5).
    pub best_score: i32,
    pub last_answered_at: DateTime<Utc>,
    /// Surveys sent to them since the fatigue period began.
    pub recent_surveys: i64,
    pub invited_at: Option<DateTime<Utc>>,
    pub joined_at: Option<DateTime<Utc>>,
}

impl Store {
    /// The recovered customers (still customers, not erased) that `f`
    /// selects, by id (at most 2,000); `since` starts the fatigue period.
    pub async fn panel_candidates(
        &self,
        f: &PanelFilter,
        since: DateTime<Utc>,
    ) -> Result<Vec<PanelCandidate>, StoreError> {
        let mut cond = String::new();
        if f.language.is_some() {
            cond.push_str(" AND k.language = $2");
        }
        if f.tier.is_some() {
            cond.push_str(if f.language.is_some() {
                " AND k.tier = $3"
            } else {
                " AND k.tier = $2"
            });
        }
        if f.not_invited {
            cond.push_str(" AND p.invited_at IS NULL");
        }
        let sql = format!(
            "SELECT k.id AS customer_id, k.name, k.email, k.language, k.tier, k.consent_contact, \
             MAX(s.score) AS best_score, MAX(s.answered_at) AS last_answered_at, \
             (SELECT COUNT(*) FROM surveys r WHERE r.customer_id = k.id AND r.created_at >= $1) AS recent_surveys, \
             p.invited_at, p.joined_at \
             FROM customers k JOIN surveys s ON s.customer_id = k.id AND s.state = 'answered' AND s.score >= 4 \
             LEFT JOIN panel_members p ON p.customer_id = k.id \
             WHERE k.erased_at IS NULL AND k.churned_at IS NULL{cond} \
             GROUP BY k.id, k.name, k.email, k.language, k.tier, k.consent_contact, p.invited_at, p.joined_at \
             ORDER BY k.id LIMIT 2000"
        );
        with_pool!(self, |pool| {
            let mut q = sqlx::query_as(AssertSqlSafe(sql.clone())).bind(since);
            if let Some(l) = f.language {
                q = q.bind(l.code());
            }
            if let Some(t) = f.tier {
                q = q.bind(t.as_str());
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// Invites `customer` with the mail `job` and an audit entry; `false`
    /// (and nothing written) if they were invited before.
    pub async fn invite_to_panel(
        &self,
        customer: CustomerId,
        job: &NewJob,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "INSERT INTO panel_members (customer_id, invited_at, invited_by) VALUES ($1, $2, $3) \
                 ON CONFLICT (customer_id) DO NOTHING",
            )
            .bind(customer.0)
            .bind(now)
            .bind(actor.map(|u| u.0))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                drop(tx);
                return Ok(false);
            }
            tx.insert_job(job, now).await?;
            tx.commit_audited(Audit {
                actor,
                action: "panel.invite",
                entity: "customer",
                entity_id: customer.0.to_string(),
                detail: json!({}),
                at: now,
            })
            .await?;
            Ok(true)
        })
    }

    /// The panel invitation of `customer`, if any (their data export).
    pub async fn panel_membership(&self, customer: CustomerId) -> Result<Option<PanelMembership>, StoreError> {
        self.find_row(
            "SELECT invited_at, joined_at FROM panel_members WHERE customer_id = $1",
            customer.0,
        )
        .await
    }

    /// Whether `customer` has joined the panel.
    pub async fn panel_joined(&self, customer: CustomerId) -> Result<bool, StoreError> {
        let row: Option<(Uuid,)> = self
            .find_row(
                "SELECT customer_id FROM panel_members WHERE customer_id = $1 AND joined_at IS NOT NULL",
                customer.0,
            )
            .await?;
        Ok(row.is_some())
    }

    /// Records that an invited `customer` joined; `false` if not invited or joined already.
    pub async fn join_panel(&self, customer: CustomerId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE panel_members SET joined_at = $2 WHERE customer_id = $1 AND joined_at IS NULL")
                .bind(customer.0)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                drop(tx);
                return Ok(false);
            }
            tx.commit_audited(Audit {
                actor: None,
                action: "panel.join",
                entity: "customer",
                entity_id: customer.0.to_string(),
                detail: json!({}),
                at: now,
            })
            .await?;
            Ok(true)
        })
    }
}
