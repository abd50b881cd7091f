//! Merging a duplicate customer into another (the survivor), in one
//! transaction: every row of the duplicate moves to the survivor, the
//! survivor's empty fields are filled (`domain::customer_merge`), the
//! duplicate's row is deleted and `customer_merges` remembers where it
//! went. Also the candidates for a merge (customers of the same name).

use crate::audit::{Audit, CommitAudited};
use crate::customers::CUSTOMER_COLUMNS;
use crate::dialect::BeginWrite;
use crate::{Customer, Store, StoreError, with_pool};
use amends_domain::customer_merge::{MergeProfile, merged_profile};
use amends_domain::{AccountId, CustomerId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// A merge to do: `duplicate` goes into `survivor`.
#[derive(Debug, Clone, Copy)]
pub struct CustomerMerge {
    pub survivor: CustomerId,
    pub duplicate: CustomerId,
    pub actor: Option<UserId>,
    pub at: DateTime<Utc>,
}

/// The rows of a customer a merge moves (before: what would move; after:
/// what moved).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MergeCounts {
    pub cases: i64,
    pub feedback: i64,
    pub surveys: i64,
    pub grants: i64,
    /// Incidents that affected the duplicate; where both were affected by
    /// one incident the survivor's row stays and the duplicate's goes
    /// (one notice, not two).
    pub incidents: i64,
    /// Outbox jobs that named the duplicate and now name the survivor.
    pub jobs: i64,
}

/// Two customers that may be one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DuplicatePair {
    pub first_id: Uuid,
    pub first_name: String,
    pub first_email: Option<String>,
    pub second_id: Uuid,
    pub second_name: String,
    pub second_email: Option<String>,
}

/// The counts of what customer `$1` holds.
const COUNTS_SQL: &str = "SELECT (SELECT COUNT(*) FROM cases WHERE customer_id = $1) AS cases, \
     (SELECT COUNT(*) FROM feedback WHERE customer_id = $1) AS feedback, \
     (SELECT COUNT(*) FROM surveys WHERE customer_id = $1) AS surveys, \
     (SELECT COUNT(*) FROM goodwill_grants WHERE customer_id = $1) AS grants, \
     (SELECT COUNT(*) FROM incident_affected WHERE customer_id = $1) AS incidents, \
     (SELECT COUNT(*) FROM jobs WHERE payload LIKE $2) AS jobs";

fn profile(c: &Customer) -> MergeProfile {
    MergeProfile {
        email: c.email.clone(),
        external_id: c.external_id.clone(),
        account_id: c.account(),
        tier: c.tier,
        clv_cents: c.clv_cents,
        consent_contact: c.consent_contact,
        consent_survey: c.consent_survey,
        created_at: c.created_at,
        churned_at: c.churned_at,
    }
}

/// `%id%`: a text that names the id (ids hold no LIKE wildcards).
fn naming(id: CustomerId) -> String {
    format!("%{id}%")
}

impl Store {
    /// Where customer `id` went if it was merged into another.
    pub async fn merged_into(&self, id: CustomerId) -> Result<Option<CustomerId>, StoreError> {
        let row: Option<(Uuid,)> = self
            .find_row("SELECT survivor_id FROM customer_merges WHERE duplicate_id = $1", id.0)
            .await?;
        Ok(row.map(|(s,)| CustomerId(s)))
    }

    /// What a merge of `duplicate` would move.
    pub async fn merge_preview(&self, duplicate: CustomerId) -> Result<MergeCounts, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, MergeCounts>(COUNTS_SQL)
                .bind(duplicate.0)
                .bind(naming(duplicate))
                .fetch_one(pool)
                .await?)
        })
    }

    /// Pairs of customers of the same name (without case), not erased,
    /// oldest first; at most `limit` (1 … 200).
    pub async fn duplicate_candidates(&self, limit: usize) -> Result<Vec<DuplicatePair>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 200)).unwrap_or(50);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, DuplicatePair>(
                "SELECT a.id AS first_id, a.name AS first_name, a.email AS first_email, \
                 b.id AS second_id, b.name AS second_name, b.email AS second_email \
                 FROM customers a JOIN customers b ON lower(b.name) = lower(a.name) AND b.id > a.id \
                 WHERE a.erased_at IS NULL AND b.erased_at IS NULL ORDER BY a.id, b.id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Merges `m.duplicate` into `m.survivor` (see the module) and returns
    /// the survivor and what moved. `NotFound` for an id that never
    /// existed; `Conflict` when either was merged already (also by a
    /// concurrent merge: both rows are locked in id order first) or erased.
    pub async fn merge_customers(&self, m: &CustomerMerge) -> Result<(Customer, MergeCounts), StoreError> {
        self.merge_rows(m).await.map_err(|e| match e {
            StoreError::Database(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => StoreError::Conflict {
                field: Some("duplicate_id"),
                detail: "the duplicate received new data while it was merged; try again".into(),
            },
            e => e,
        })
    }

    /// The transaction of [`Store::merge_customers`].
    async fn merge_rows(&self, m: &CustomerMerge) -> Result<(Customer, MergeCounts), StoreError> {
        let select = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id IN ($1, $2) ORDER BY id");
        let lock = self.dialect().lock_rows(&select).unwrap_or(select);
        let (keep_id, dup_id) = (m.survivor.0, m.duplicate.0);
        let dup_text = m.duplicate.to_string();
        let keep_text = m.survivor.to_string();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let rows: Vec<Customer> = sqlx::query_as(AssertSqlSafe(lock))
                .bind(keep_id)
                .bind(dup_id)
                .fetch_all(&mut *tx)
                .await?;
            let keep = rows.iter().find(|c| c.id == m.survivor).cloned();
            let dup = rows.iter().find(|c| c.id == m.duplicate).cloned();
            let (Some(keep), Some(dup)) = (keep, dup) else {
                for (id, field) in [(m.duplicate, "duplicate_id"), (m.survivor, "id")] {
                    if rows.iter().any(|c| c.id == id) {
                        continue;
                    }
                    let went: Option<(Uuid,)> =
                        sqlx::query_as("SELECT survivor_id FROM customer_merges WHERE duplicate_id = $1")
                            .bind(id.0)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if let Some((to,)) = went {
                        return Err(StoreError::Conflict {
                            field: Some(field),
                            detail: format!("customer {id} was merged into customer {to} already"),
                        });
                    }
                }
                return Err(StoreError::NotFound("customer"));
            };
            if let Some(erased) = [&keep, &dup].into_iter().find(|c| c.erased_at.is_some()) {
                return Err(StoreError::Conflict {
                    field: Some(if erased.id == m.duplicate { "duplicate_id" } else { "id" }),
                    detail: format!(
                        "customer {} was erased; an erased customer is not merged with anyone",
                        erased.id
                    ),
                });
            }
            let p = merged_profile(&profile(&keep), &profile(&dup));
            // The duplicate lets go of its unique keys before the survivor takes them.
            sqlx::query("UPDATE customers SET email = NULL, external_id = NULL WHERE id = $1")
                .bind(dup_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE customers SET email = $2, external_id = $3, account_id = $4, tier = $5, clv_cents = $6, \
                 consent_contact = $7, consent_survey = $8, created_at = $9, churned_at = $10, updated_at = $11 \
                 WHERE id = $1",
            )
            .bind(keep_id)
            .bind(&p.email)
            .bind(&p.external_id)
            .bind(p.account_id.map(|a: AccountId| a.0))
            .bind(p.tier.as_str())
            .bind(p.clv_cents)
            .bind(p.consent_contact)
            .bind(p.consent_survey)
            .bind(p.created_at)
            .bind(p.churned_at)
            .bind(m.at)
            .execute(&mut *tx)
            .await?;
            let mut n = MergeCounts::default();
            for (table, count) in [
                ("cases", &mut n.cases),
                ("feedback", &mut n.feedback),
                ("surveys", &mut n.surveys),
                ("goodwill_grants", &mut n.grants),
            ] {
                let moved = sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {table} SET customer_id = $1 WHERE customer_id = $2"
                )))
                .bind(keep_id)
                .bind(dup_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                *count = i64::try_from(moved).unwrap_or(i64::MAX);
            }
            // One row per (incident, customer): the survivor's stays.
            let dropped = sqlx::query(
                "DELETE FROM incident_affected WHERE customer_id = $2 \
                 AND incident_id IN (SELECT incident_id FROM incident_affected WHERE customer_id = $1)",
            )
            .bind(keep_id)
            .bind(dup_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let moved = sqlx::query("UPDATE incident_affected SET customer_id = $1 WHERE customer_id = $2")
                .bind(keep_id)
                .bind(dup_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            n.incidents = i64::try_from(dropped + moved).unwrap_or(i64::MAX);
            // Queued messages for the duplicate whose twin for the survivor
            // exists already (same dedupe key) are not sent twice.
            sqlx::query(
                "UPDATE jobs SET state = 'done', last_error = 'customer merged', updated_at = $4 \
                 WHERE state = 'queued' AND payload LIKE $1 AND dedupe_key IS NOT NULL \
                 AND REPLACE(dedupe_key, $2, $3) IN (SELECT j.dedupe_key FROM jobs j WHERE j.dedupe_key IS NOT NULL)",
            )
            .bind(naming(m.duplicate))
            .bind(&dup_text)
            .bind(&keep_text)
            .bind(m.at)
            .execute(&mut *tx)
            .await?;
            let jobs = sqlx::query(
                "UPDATE jobs SET payload = REPLACE(payload, $2, $3), dedupe_key = CASE WHEN dedupe_key IS NOT NULL \
                 AND REPLACE(dedupe_key, $2, $3) NOT IN (SELECT j.dedupe_key FROM jobs j WHERE j.dedupe_key IS NOT NULL) \
                 THEN REPLACE(dedupe_key, $2, $3) ELSE dedupe_key END WHERE payload LIKE $1",
            )
            .bind(naming(m.duplicate))
            .bind(&dup_text)
            .bind(&keep_text)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            n.jobs = i64::try_from(jobs).unwrap_or(i64::MAX);
            // Tier offers follow the customer; a panel membership too, unless the survivor has one.
            sqlx::query("UPDATE tier_offers SET customer_id = $1 WHERE customer_id = $2")
                .bind(keep_id)
                .bind(dup_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM panel_members WHERE customer_id = $2 \
                 AND EXISTS (SELECT 1 FROM panel_members p WHERE p.customer_id = $1)",
            )
            .bind(keep_id)
            .bind(dup_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE panel_members SET customer_id = $1 WHERE customer_id = $2")
                .bind(keep_id)
                .bind(dup_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE customer_merges SET survivor_id = $1 WHERE survivor_id = $2")
                .bind(keep_id)
                .bind(dup_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO customer_merges (duplicate_id, survivor_id, merged_at) VALUES ($2, $1, $3)")
                .bind(keep_id)
                .bind(dup_id)
                .bind(m.at)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM customers WHERE id = $1")
                .bind(dup_id)
                .execute(&mut *tx)
                .await?;
            let survivor: Customer = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = $1"
            )))
            .bind(keep_id)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor: m.actor,
                action: "customer.merge",
                entity: "customer",
                entity_id: keep_text.clone(),
                detail: json!({
                    "survivor": keep_text,
                    "duplicate": dup_text,
                    "duplicate_name": dup.name,
                    "moved": n,
                }),
                at: m.at,
            })
            .await?;
            Ok((survivor, n))
        })
    }
}
