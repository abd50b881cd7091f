//! Personal data of one customer (GDPR): every row amends holds about them
//! for the export ([`Store::customer_dossier`]), and the erasure that
//! replaces their personal data in one transaction while the facts the
//! analytics count (states, times, ratings, sentiment, amounts) stay
//! ([`Store::erase_customer`]).

use crate::audit::{Audit, CommitAudited};
use crate::cases::CASE_SELECT;
use crate::dialect::BeginWrite;
use crate::feedback::FEEDBACK_SELECT;
use crate::followup::SURVEY_COLUMNS;
use crate::goodwill::GRANT_SELECT;
use crate::jobs::JOB_COLUMNS;
use crate::mail::ATT_COLUMNS;
use crate::search::like_escaped;
use crate::{
    Account, Attachment, AuditEntry, Case, CaseEvent, Correction, Customer, Feedback, Grant, Job, Store, StoreError,
    Survey, with_pool,
};
use amends_domain::{CustomerId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// An incident that affected the customer, with the facts uploaded for them.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AffectedRecord {
    pub incident_id: Uuid,
    pub incident_title: String,
    /// JSON object text (delay, order id, amount, …).
    pub facts: String,
    pub state: String,
    pub case_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// An attachment with its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAttachment {
    pub meta: Attachment,
    pub bytes: Vec<u8>,
}

/// Everything stored about one customer.
#[derive(Debug, Clone)]
pub struct CustomerDossier {
    pub customer: Customer,
    pub account: Option<Account>,
    pub cases: Vec<Case>,
    /// The timelines of [`CustomerDossier::cases`], oldest first.
    pub events: Vec<CaseEvent>,
    pub feedback: Vec<Feedback>,
    /// Every correction of their feedback's labels.
    pub corrections: Vec<Correction>,
    pub surveys: Vec<Survey>,
    pub grants: Vec<Grant>,
    /// Outbox rows of their cases and any other mail to their address.
    pub jobs: Vec<Job>,
    pub attachments: Vec<StoredAttachment>,
    pub incidents: Vec<AffectedRecord>,
    /// Audit entries about the customer and their cases and feedback.
    pub audit: Vec<AuditEntry>,
    /// What they answered to "what would you consider fair?".
    pub fair_expectations: Vec<crate::FairExpectationRow>,
    pub tier_offers: Vec<crate::TierOfferRow>,
    pub panel: Option<crate::PanelMembership>,
    /// Their feedback and cases filed under teams' insights.
    pub insight_reports: Vec<crate::CustomerInsightReport>,
}

/// What an erasure replaces the personal data with.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub customer: CustomerId,
    /// The customer's new name (e.g. "Erased person 1a2b").
    pub pseudonym: String,
    /// Replaces every text they wrote or that was written to or about them.
    pub placeholder: String,
    pub actor: Option<UserId>,
    pub at: DateTime<Utc>,
}

/// How many rows an erasure changed (for the audit entry: counts only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ErasedCounts {
    pub cases: u64,
    pub events: u64,
    pub feedback: u64,
    pub surveys: u64,
    pub grants: u64,
    pub jobs: u64,
    pub attachments: u64,
    pub audit_entries: u64,
}

/// Name, email, external id and erasure time of the customer being erased.
type ErasureTarget = (String, Option<String>, Option<String>, Option<DateTime<Utc>>);

/// The cases of the customer `$1`.
const CUSTOMER_CASES: &str = "SELECT id FROM cases WHERE customer_id = $1";

/// Corrections with the columns of [`Correction`].
const CORRECTIONS: &str = "SELECT c.id, c.feedback_id, c.user_id, u.display_name AS user_name, c.sentiment, c.topics, \
     c.created_at, f.text, f.language, f.sentiment AS original_sentiment, f.topics AS original_topics \
     FROM feedback_corrections c JOIN feedback f ON f.id = c.feedback_id JOIN users u ON u.id = c.user_id \
     WHERE f.customer_id = $1 ORDER BY c.id";

/// The audit detail that replaces an erased one.
const ERASED_DETAIL: &str = r#"{"erased":true}"#;

/// `%text%` for `LIKE … ESCAPE '\'` (absent values use `''`, which
/// matches no text that is not empty).
fn containing(text: &str) -> String {
    format!("%{}%", like_escaped(text))
}

impl Store {
    /// Every row stored about customer `id`; `NotFound` without one.
    pub async fn customer_dossier(&self, id: CustomerId) -> Result<CustomerDossier, StoreError> {
        let customer = self.get_customer(id).await?;
        let account = match customer.account() {
            Some(a) => Some(self.get_account(a).await?),
            None => None,
        };
        let cases: Vec<Case> = self
            .rows_by(&format!("{CASE_SELECT} WHERE c.customer_id = $1 ORDER BY c.id"), id.0)
            .await?;
        let mut events = Vec::new();
        let mut attachments = Vec::new();
        for c in &cases {
            events.extend(self.list_events(c.id).await?);
        }
        let metas: Vec<Attachment> = self
            .rows_by(
                &format!(
                    "SELECT {ATT_COLUMNS} FROM mail_attachments WHERE case_id IN ({CUSTOMER_CASES}) \
                     OR feedback_id IN (SELECT id FROM feedback WHERE customer_id = $1) ORDER BY id"
                ),
                id.0,
            )
            .await?;
        for meta in metas {
            let (meta, bytes) = self.get_attachment(meta.id).await?;
            attachments.push(StoredAttachment { meta, bytes });
        }
        let jobs = self.customer_jobs(&customer).await?;
        let audit = self.customer_audit(&customer).await?;
        Ok(CustomerDossier {
            account,
            feedback: self
                .rows_by(
                    &format!("{FEEDBACK_SELECT} WHERE f.customer_id = $1 ORDER BY f.id"),
                    id.0,
                )
                .await?,
            corrections: self.rows_by(CORRECTIONS, id.0).await?,
            surveys: self
                .rows_by(
                    &format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE customer_id = $1 ORDER BY id"),
                    id.0,
                )
                .await?,
            grants: self
                .rows_by(&format!("{GRANT_SELECT} WHERE g.customer_id = $1 ORDER BY g.id"), id.0)
                .await?,
            incidents: self
                .rows_by(
                    "SELECT a.incident_id, i.title AS incident_title, a.facts, a.state, a.case_id, a.created_at \
                     FROM incident_affected a JOIN incidents i ON i.id = a.incident_id \
                     WHERE a.customer_id = $1 ORDER BY a.created_at",
                    id.0,
                )
                .await?,
            fair_expectations: self.customer_fair_expectations(id).await?,
            tier_offers: self.customer_tier_offers(id).await?,
            panel: self.panel_membership(id).await?,
            insight_reports: self.customer_insight_reports(id).await?,
            customer,
            cases,
            events,
            jobs,
            attachments,
            audit,
        })
    }

    /// Mail and message jobs of the customer's cases, and any job whose
    /// payload names their address (proactive notices have no case).
    async fn customer_jobs(&self, c: &Customer) -> Result<Vec<Job>, StoreError> {
        let email = c.email.as_deref().map_or_else(String::new, containing);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, Job>(AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE (case_id IN ({CUSTOMER_CASES}) AND kind <> 'event') \
                 OR payload LIKE $2 ESCAPE '\\' ORDER BY id"
            )))
            .bind(c.id.0)
            .bind(&email)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Audit entries about the customer, their cases and their feedback.
    async fn customer_audit(&self, c: &Customer) -> Result<Vec<AuditEntry>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, AuditEntry>(
                "SELECT a.id, a.actor_id, u.display_name AS actor_name, a.action, a.entity, a.entity_id, a.detail, \
                 a.created_at FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
                 WHERE (a.entity = 'customer' AND a.entity_id = $1) OR a.detail LIKE $2 ESCAPE '\\' ORDER BY a.id",
            )
            .bind(c.id.to_string())
            .bind(containing(&c.id.to_string()))
            .fetch_all(pool)
            .await?)
        })
    }

    /// Replaces the personal data of `e.customer` everywhere in one
    /// transaction, with its `customer.erase` audit entry. `Ok(None)` when
    /// the customer was erased already (nothing changes); `NotFound`
    /// without the customer. Concurrent erasures take turns on the
    /// customer row; the second finds it erased.
    pub async fn erase_customer(&self, e: &Erasure) -> Result<Option<ErasedCounts>, StoreError> {
        let lock = self
            .dialect()
            .lock_rows("SELECT name, email, external_id, erased_at FROM customers WHERE id = $1");
        let reindex = self.dialect().case_index_rebuild(CUSTOMER_CASES);
        let id = e.customer.0;
        let id_text = e.customer.to_string();
        let ph = e.placeholder.as_str();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row: Option<ErasureTarget> = sqlx::query_as(AssertSqlSafe(lock.unwrap_or_else(|| {
                "SELECT name, email, external_id, erased_at FROM customers WHERE id = $1".to_owned()
            })))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((name, email, external_id, erased_at)) = row else {
                return Err(StoreError::NotFound("customer"));
            };
            if erased_at.is_some() {
                return Ok(None);
            }
            let email_like = email.as_deref().map_or_else(String::new, containing);
            let ext_like = external_id.as_deref().map_or_else(String::new, containing);
            let name_like = containing(&name);
            let mut n = ErasedCounts::default();
            sqlx::query(
                "UPDATE customers SET name = $2, email = NULL, external_id = NULL, consent_contact = FALSE, \
                 consent_survey = FALSE, erased_at = $3, updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(&e.pseudonym)
            .bind(e.at)
            .execute(&mut *tx)
            .await?;
            n.cases = sqlx::query("UPDATE cases SET subject = $2, description = $2 WHERE customer_id = $1")
                .bind(id)
                .bind(ph)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // Texts become the placeholder; the data of messages, notes and
            // updates (addresses, message ids, file names, incident facts) and
            // any other data that names them goes.
            n.events = sqlx::query(AssertSqlSafe(format!(
                "UPDATE case_events SET body = CASE WHEN body IS NULL OR body = '' THEN body ELSE $2 END, \
                 data = CASE WHEN kind IN ('message_in', 'message_out', 'note', 'update') OR data LIKE $3 ESCAPE '\\' \
                 OR data LIKE $4 ESCAPE '\\' OR data LIKE $5 ESCAPE '\\' THEN NULL ELSE data END \
                 WHERE case_id IN ({CUSTOMER_CASES})"
            )))
            .bind(id)
            .bind(ph)
            .bind(&name_like)
            .bind(&email_like)
            .bind(&ext_like)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            for sql in &reindex {
                sqlx::query(AssertSqlSafe(sql.clone()))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            n.feedback = sqlx::query("UPDATE feedback SET text = $2, source = NULL WHERE customer_id = $1")
                .bind(id)
                .bind(ph)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            n.surveys = sqlx::query("UPDATE surveys SET comment = $2 WHERE customer_id = $1 AND comment IS NOT NULL")
                .bind(id)
                .bind(ph)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            n.grants = sqlx::query(
                "UPDATE goodwill_grants SET reason = $2, \
                 decision_reason = CASE WHEN decision_reason IS NULL THEN NULL ELSE $2 END WHERE customer_id = $1",
            )
            .bind(id)
            .bind(ph)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // What the customer said would be fair, in their words.
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE fair_expectations SET note = $2 WHERE case_id IN ({CUSTOMER_CASES}) AND note IS NOT NULL"
            )))
            .bind(id)
            .bind(ph)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE incident_affected SET facts = '{}' WHERE customer_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            n.attachments = sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM mail_attachments WHERE case_id IN ({CUSTOMER_CASES}) \
                 OR feedback_id IN (SELECT id FROM feedback WHERE customer_id = $1)"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            // Mail not sent yet is not sent any more.
            n.jobs = sqlx::query(AssertSqlSafe(format!(
                "UPDATE jobs SET payload = '{ERASED_DETAIL}', \
                 state = CASE WHEN state = 'queued' THEN 'done' ELSE state END, \
                 last_error = CASE WHEN state = 'queued' THEN 'customer erased' ELSE last_error END, updated_at = $3 \
                 WHERE (case_id IN ({CUSTOMER_CASES}) AND kind <> 'event') OR payload LIKE $2 ESCAPE '\\'"
            )))
            .bind(id)
            .bind(&email_like)
            .bind(e.at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let id_like = containing(&id_text);
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE webhook_deliveries SET payload = '{ERASED_DETAIL}' \
                 WHERE payload LIKE $1 ESCAPE '\\' OR payload LIKE $2 ESCAPE '\\'"
            )))
            .bind(&id_like)
            .bind(&email_like)
            .execute(&mut *tx)
            .await?;
            n.audit_entries = sqlx::query(AssertSqlSafe(format!(
                "UPDATE audit_log SET detail = '{ERASED_DETAIL}' WHERE detail IS NOT NULL AND detail <> '{ERASED_DETAIL}' \
                 AND ((entity = 'customer' AND entity_id = $1) OR detail LIKE $2 ESCAPE '\\' \
                 OR detail LIKE $3 ESCAPE '\\' OR detail LIKE $4 ESCAPE '\\')"
            )))
            .bind(&id_text)
            .bind(&id_like)
            .bind(&email_like)
            .bind(&ext_like)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit_audited(Audit {
                actor: e.actor,
                action: "customer.erase",
                entity: "customer",
                entity_id: id_text.clone(),
                detail: json!(n),
                at: e.at,
            })
            .await?;
            Ok(Some(n))
        })
    }

    /// Records that `actor` exported the data of customer `id`.
    pub async fn record_customer_export(
        &self,
        id: CustomerId,
        actor: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let tx = pool.begin_write().await?;
            tx.commit_audited(Audit {
                actor,
                action: "customer.export",
                entity: "customer",
                entity_id: id.to_string(),
                detail: serde_json::Value::Null,
                at,
            })
            .await
        })
    }
}
