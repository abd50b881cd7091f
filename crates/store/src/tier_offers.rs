//! Tier upgrade offers: the admin's rule, the offer made under the
//! customer's lock (so concurrent triggers make one), its mail in the same
//! transaction, and its way offered → opened → accepted | declined →
//! converted.

use crate::audit::{Audit, AuditLog, CommitAudited};
use crate::dialect::BeginWrite;
use crate::outbox::{NewJob, Outbox};
use crate::{Store, StoreError, with_pool};
use amends_domain::tier_offer::{NoOffer, OfferMoment, OfferState, TierOfferRule, decide};
use amends_domain::{CaseId, CustomerId, Tier, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The stored rule.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TierOfferSettings {
    pub enabled: bool,
    /// JSON object tier → tier.
    #[serde(skip)]
    pub upgrades: String,
    pub min_failures: i32,
    pub window_days: i32,
    pub cooldown_days: i32,
    pub updated_at: DateTime<Utc>,
}

impl TierOfferSettings {
    #[must_use]
    pub fn upgrade_map(&self) -> BTreeMap<String, String> {
        serde_json::from_str(&self.upgrades).unwrap_or_default()
    }

    /// The rule (an unreadable stored rule makes no offers).
    #[must_use]
    pub fn rule(&self) -> TierOfferRule {
        TierOfferRule::parse(
            self.enabled,
            &self.upgrade_map(),
            i64::from(self.min_failures),
            i64::from(self.window_days),
            i64::from(self.cooldown_days),
        )
        .unwrap_or(TierOfferRule {
            enabled: false,
            upgrades: BTreeMap::new(),
            min_failures: 1,
            window_days: 1,
            cooldown_days: 1,
        })
    }
}

/// One offer, with its customer's name and current tier.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TierOfferRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub customer_tier: String,
    pub case_id: Option<Uuid>,
    pub from_tier: String,
    pub to_tier: String,
    pub state: String,
    pub language: String,
    pub offered_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub converted_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT o.id, o.customer_id, k.name AS customer_name, k.tier AS customer_tier, o.case_id, \
     o.from_tier, o.to_tier, o.state, o.language, o.offered_at, o.opened_at, o.decided_at, o.converted_at \
     FROM tier_offers o JOIN customers k ON k.id = o.customer_id";

/// What the offer's mail is made from.
pub struct OfferDraft {
    pub id: Uuid,
    pub customer: CustomerId,
    pub case: Option<CaseId>,
    pub score: i32,
}

impl Store {
    pub async fn tier_offer_settings(&self) -> Result<TierOfferSettings, StoreError> {
        with_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT enabled, upgrades, min_failures, window_days, cooldown_days, updated_at \
             FROM tier_offer_settings WHERE id = 1"
        )
        .fetch_one(pool)
        .await?))
    }

    pub async fn set_tier_offer_settings(
        &self,
        rule: &TierOfferRule,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<TierOfferSettings, StoreError> {
        let upgrades: BTreeMap<&str, &str> = rule.upgrades.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect();
        let upgrades = json!(upgrades).to_string();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "UPDATE tier_offer_settings SET enabled = $1, upgrades = $2, min_failures = $3, window_days = $4, \
                 cooldown_days = $5, updated_at = $6 WHERE id = 1",
            )
            .bind(rule.enabled)
            .bind(&upgrades)
            .bind(i32::try_from(rule.min_failures).unwrap_or(i32::MAX))
            .bind(i32::try_from(rule.window_days).unwrap_or(i32::MAX))
            .bind(i32::try_from(rule.cooldown_days).unwrap_or(i32::MAX))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor,
                action: "tier_offer_settings.update",
                entity: "tier_offer_settings",
                entity_id: "1".into(),
                detail: json!({"enabled": rule.enabled, "upgrades": upgrades, "min_failures": rule.min_failures,
                    "window_days": rule.window_days, "cooldown_days": rule.cooldown_days}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.tier_offer_settings().await
    }

    /// Makes the offer `d` if the rule allows it now: reads the customer's
    /// facts under their row's lock (PostgreSQL; SQLite's one writer orders
    /// the same way), decides (`amends_domain::tier_offer::decide`), and
    /// writes the offer, its mail job (`mail`, given the tier offered and
    /// the customer's language) and the audit entry in one transaction.
    /// Concurrent triggers for one customer make one offer.
    pub async fn make_tier_offer(
        &self,
        d: &OfferDraft,
        rule: &TierOfferRule,
        mail: impl FnOnce(Tier, &crate::Customer) -> Option<NewJob>,
        now: DateTime<Utc>,
    ) -> Result<Result<TierOfferRow, NoOffer>, StoreError> {
        let dialect = self.dialect();
        let select = format!(
            "SELECT {} FROM customers WHERE id = $1",
            crate::customers::CUSTOMER_COLUMNS
        );
        let lock = dialect.lock_rows(&select).unwrap_or(select);
        let made = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let customer: Option<crate::Customer> = sqlx::query_as(AssertSqlSafe(lock.clone()))
                .bind(d.customer.0)
                .fetch_optional(&mut *tx)
                .await?;
            let customer = customer.ok_or(StoreError::NotFound("customer"))?;
            let (open_cases, failures): (i64, i64) = sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN open THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN created_at >= $2 THEN 1 ELSE 0 END), 0) FROM cases WHERE customer_id = $1",
            )
            .bind(d.customer.0)
            .bind(now - rule.window())
            .fetch_one(&mut *tx)
            .await?;
            let (last,): (Option<DateTime<Utc>>,) =
                sqlx::query_as("SELECT MAX(offered_at) FROM tier_offers WHERE customer_id = $1")
                    .bind(d.customer.0)
                    .fetch_one(&mut *tx)
                    .await?;
            let moment = OfferMoment {
                tier: customer.tier,
                score: d.score,
                open_cases,
                failures_in_window: failures,
                last_offer_at: last,
                now,
            };
            let to = match decide(rule, &moment) {
                Ok(to) => to,
                Err(why) => {
                    drop(tx);
                    return Ok(Err(why));
                }
            };
            sqlx::query(
                "INSERT INTO tier_offers (id, customer_id, case_id, from_tier, to_tier, state, language, offered_at) \
                 VALUES ($1, $2, $3, $4, $5, 'offered', $6, $7)",
            )
            .bind(d.id)
            .bind(d.customer.0)
            .bind(d.case.map(|c| c.0))
            .bind(customer.tier.as_str())
            .bind(to.as_str())
            .bind(customer.language.code())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(job) = mail(to, &customer) {
                tx.insert_job(&job, now).await?;
            }
            tx.commit_audited(Audit {
                actor: None,
                action: "tier_offer.offer",
                entity: "customer",
                entity_id: d.customer.0.to_string(),
                detail: json!({"offer_id": d.id, "from": customer.tier, "to": to, "case_id": d.case.map(|c| c.0),
                    "score": d.score, "failures": failures}),
                at: now,
            })
            .await?;
            Ok::<Result<(), NoOffer>, StoreError>(Ok(()))
        })?;
        match made {
            Ok(()) => Ok(Ok(self.get_tier_offer(d.id).await?)),
            Err(why) => Ok(Err(why)),
        }
    }

    pub async fn get_tier_offer(&self, id: Uuid) -> Result<TierOfferRow, StoreError> {
        self.find_row(&format!("{SELECT} WHERE o.id = $1"), id)
            .await?
            .ok_or(StoreError::NotFound("tier offer"))
    }

    /// Every offer made to `customer`, oldest first (their data export).
    pub async fn customer_tier_offers(&self, customer: CustomerId) -> Result<Vec<TierOfferRow>, StoreError> {
        self.rows_by(&format!("{SELECT} WHERE o.customer_id = $1 ORDER BY o.id"), customer.0)
            .await
    }

    /// Every offer, newest first (at most 500).
    pub async fn list_tier_offers(&self) -> Result<Vec<TierOfferRow>, StoreError> {
        self.all_rows(&format!("{SELECT} ORDER BY o.id DESC LIMIT 500")).await
    }

    /// Moves offer `id` on: `opened` from `offered`; `accepted` or
    /// `declined` from `offered` or `opened`. A step that does not apply
    /// changes nothing (`false`).
    pub async fn step_tier_offer(&self, id: Uuid, to: OfferState, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let (sql, action) = match to {
            OfferState::Opened => (
                "UPDATE tier_offers SET state = 'opened', opened_at = $2 WHERE id = $1 AND state = 'offered'",
                "tier_offer.open",
            ),
            OfferState::Accepted => (
                "UPDATE tier_offers SET state = 'accepted', decided_at = $2, opened_at = COALESCE(opened_at, $2) \
                 WHERE id = $1 AND state IN ('offered', 'opened')",
                "tier_offer.accept",
            ),
            OfferState::Declined => (
                "UPDATE tier_offers SET state = 'declined', decided_at = $2, opened_at = COALESCE(opened_at, $2) \
                 WHERE id = $1 AND state IN ('offered', 'opened')",
                "tier_offer.decline",
            ),
            OfferState::Offered | OfferState::Converted => return Ok(false),
        };
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(sql)
                .bind(id)
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
                action,
                entity: "tier_offer",
                entity_id: id.to_string(),
                detail: json!({"state": to}),
                at: now,
            })
            .await?;
            Ok(true)
        })
    }

    /// Marks the accepted offers of `customer` converted whose tier the
    /// customer now has; gives how many.
    pub async fn convert_tier_offers(&self, customer: CustomerId, now: DateTime<Utc>) -> Result<u64, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "UPDATE tier_offers SET state = 'converted', converted_at = $2 WHERE customer_id = $1 \
                 AND state = 'accepted' AND to_tier = (SELECT tier FROM customers WHERE id = $1)",
            )
            .bind(customer.0)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                tx.record_audit(Audit {
                    actor: None,
                    action: "tier_offer.convert",
                    entity: "customer",
                    entity_id: customer.0.to_string(),
                    detail: json!({"offers": n}),
                    at: now,
                })
                .await?;
            }
            tx.commit().await?;
            Ok(n)
        })
    }
}
