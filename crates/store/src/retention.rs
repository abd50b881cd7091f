//! Retention: the admin's setting "anonymise closed cases after N months"
//! ([`Store::retention_months`]) and the anonymisation of one batch of
//! expired cases ([`Store::anonymise_expired_cases`]). A case's texts
//! (subject, description, messages, notes, feedback, survey comments,
//! goodwill reasons, incident facts) become a placeholder and its
//! attachments and the addresses of its messages go; its state, times,
//! ratings, sentiment and amounts stay, so the analytics do not change.

use crate::audit::{Audit, AuditLog, CommitAudited};
use crate::dialect::BeginWrite;
use crate::{Store, StoreError, with_pool};
use amends_domain::{Language, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// The retention setting with the time it last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RetentionSetting {
    /// Closed cases are anonymised this many months after closing; `None`: off.
    pub months: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

/// One run of the retention sweep over a batch of cases.
pub struct Expiry<'a> {
    /// Cases closed before this time are anonymised.
    pub closed_before: DateTime<Utc>,
    /// The text that replaces the cases' texts, in the customer's language.
    pub placeholder: &'a (dyn Fn(Language) -> String + Sync),
    /// The setting that decided it (for the audit entry).
    pub months: i32,
    pub limit: i64,
    pub at: DateTime<Utc>,
}

/// The audit detail of a removed one.
const ERASED_DETAIL: &str = r#"{"erased":true}"#;

/// The case `$1` as a scope for [`crate::dialect::Dialect::case_index_rebuild`].
const ONE_CASE: &str = "SELECT id FROM cases WHERE id = $1";

crate::backend_trait! {
    /// The statements that anonymise one case.
    trait AnonymiseCase {
        /// Replaces the texts of case `id` by `ph` and removes its
        /// attachments; `false` (nothing changed) when it was anonymised
        /// already or is not closed.
        async fn anonymise_case(&mut self, id: Uuid, ph: &str, at: DateTime<Utc>, reindex: &[String]) -> Result<bool, StoreError> {
            let changed = sqlx::query(
                "UPDATE cases SET subject = $2, description = $2, anonymised_at = $3 \
                 WHERE id = $1 AND state = 'closed' AND anonymised_at IS NULL",
            )
            .bind(id)
            .bind(ph)
            .bind(at)
            .execute(&mut *self)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            // Messages, notes and updates carry addresses, message ids,
            // file names and incident facts in their data.
            let texts = [
                "UPDATE case_events SET body = CASE WHEN body IS NULL OR body = '' THEN body ELSE $2 END, \
                 data = CASE WHEN kind IN ('message_in', 'message_out', 'note', 'update') THEN NULL ELSE data END \
                 WHERE case_id = $1",
                "UPDATE feedback SET text = $2, source = NULL WHERE case_id = $1",
                "UPDATE surveys SET comment = $2 WHERE case_id = $1 AND comment IS NOT NULL",
                "UPDATE fair_expectations SET note = $2 WHERE case_id = $1 AND note IS NOT NULL",
                "UPDATE goodwill_grants SET reason = $2, \
                 decision_reason = CASE WHEN decision_reason IS NULL THEN NULL ELSE $2 END WHERE case_id = $1",
            ];
            for sql in texts {
                sqlx::query(sql).bind(id).bind(ph).execute(&mut *self).await?;
            }
            let facts = [
                "UPDATE incident_affected SET facts = '{}' WHERE case_id = $1",
                "DELETE FROM mail_attachments WHERE case_id = $1 \
                 OR feedback_id IN (SELECT id FROM feedback WHERE case_id = $1)",
            ];
            for sql in facts.iter().map(|s| (*s).to_owned()).chain(reindex.iter().cloned()) {
                sqlx::query(AssertSqlSafe(sql)).bind(id).execute(&mut *self).await?;
            }
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE jobs SET payload = '{ERASED_DETAIL}', updated_at = $2 WHERE case_id = $1 AND kind <> 'event'"
            )))
            .bind(id)
            .bind(at)
            .execute(&mut *self)
            .await?;
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE audit_log SET detail = '{ERASED_DETAIL}' WHERE entity = 'case' AND entity_id = $1 \
                 AND detail IS NOT NULL AND detail <> '{ERASED_DETAIL}'"
            )))
            .bind(id.to_string())
            .execute(&mut *self)
            .await?;
            Ok(true)
        }
    }
}

impl Store {
    /// The retention setting.
    pub async fn retention_setting(&self) -> Result<RetentionSetting, StoreError> {
        let (months, updated_at): (Option<i32>, DateTime<Utc>) = with_pool!(self, |pool| {
            sqlx::query_as("SELECT retention_months, updated_at FROM privacy_settings WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        Ok(RetentionSetting { months, updated_at })
    }

    /// Sets the retention (`None`: off), audited as `privacy.retention.set`.
    pub async fn set_retention(
        &self,
        months: Option<i32>,
        actor: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<RetentionSetting, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE privacy_settings SET retention_months = $1, updated_at = $2 WHERE id = 1")
                .bind(months)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            tx.commit_audited(Audit {
                actor,
                action: "privacy.retention.set",
                entity: "privacy_settings",
                entity_id: "retention".into(),
                detail: json!({ "months": months }),
                at,
            })
            .await
        })?;
        self.retention_setting().await
    }

    /// Anonymises up to `e.limit` closed cases closed before
    /// `e.closed_before`, oldest first, in one transaction with a
    /// `case.anonymise` audit entry per case. Gives the cases changed
    /// (none: nothing is left to do). Two sweeps at once take turns on the
    /// write lock; the second finds the cases done and changes nothing.
    pub async fn anonymise_expired_cases(&self, e: &Expiry<'_>) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        let reindex = self.dialect().case_index_rebuild(ONE_CASE);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let due: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
                "SELECT c.id, c.customer_id, cu.language FROM cases c JOIN customers cu ON cu.id = c.customer_id \
                 WHERE c.state = 'closed' AND c.anonymised_at IS NULL AND c.closed_at < $1 \
                 ORDER BY c.closed_at, c.id LIMIT $2",
            )
            .bind(e.closed_before)
            .bind(e.limit)
            .fetch_all(&mut *tx)
            .await?;
            let mut done = Vec::with_capacity(due.len());
            for (case, customer, language) in due {
                let ph = (e.placeholder)(language.parse().unwrap_or(Language::De));
                if tx.anonymise_case(case, &ph, e.at, &reindex).await? {
                    tx.record_audit(Audit {
                        actor: None,
                        action: "case.anonymise",
                        entity: "case",
                        entity_id: case.to_string(),
                        detail: json!({"retention_months": e.months, "closed_before": e.closed_before}),
                        at: e.at,
                    })
                    .await?;
                    done.push((case, customer));
                }
            }
            tx.commit().await?;
            Ok(done)
        })
    }

    /// Whether every trace of customer `id` is an anonymised case: they
    /// have cases, all of them anonymised, and no feedback or survey
    /// outside them. Such a customer is erased by the retention sweep.
    pub async fn only_anonymised_cases(&self, id: amends_domain::CustomerId) -> Result<bool, StoreError> {
        let (cases, open, loose): (i64, i64, i64) = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM cases WHERE customer_id = $1), \
                 (SELECT COUNT(*) FROM cases WHERE customer_id = $1 AND anonymised_at IS NULL), \
                 (SELECT COUNT(*) FROM feedback f WHERE f.customer_id = $1 AND (f.case_id IS NULL \
                  OR f.case_id NOT IN (SELECT id FROM cases WHERE customer_id = $1 AND anonymised_at IS NOT NULL)))",
            )
            .bind(id.0)
            .fetch_one(pool)
            .await?
        });
        Ok(cases > 0 && open == 0 && loose == 0)
    }
}
