//! Inbound mail: threading lookups and stored attachments.

use crate::audit::{Audit, AuditLog};
use crate::dialect::BeginWrite;
use crate::outbox::Outbox;
use crate::{NewEvent, Store, StoreError, with_pool};
use amends_domain::{CaseId, FeedbackId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// An attachment of an inbound mail to store.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A stored attachment (without its bytes).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Attachment {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub feedback_id: Option<Uuid>,
    pub message_id: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

/// An inbound mail to record: attachments, and the timeline event on a case.
#[derive(Debug, Clone)]
pub struct InboundMail {
    pub case_id: Option<CaseId>,
    pub feedback_id: Option<FeedbackId>,
    pub message_id: Option<String>,
    pub event: Option<NewEvent>,
    pub attachments: Vec<NewAttachment>,
    pub actor: Option<UserId>,
    pub at: DateTime<Utc>,
}

pub(crate) const ATT_COLUMNS: &str = "id, case_id, feedback_id, message_id, filename, content_type, size, created_at";

/// `%` and `_` are wildcards of LIKE: escape them (with `\`).
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl Store {
    /// The case whose timeline has a message (out or in) with one of these Message-IDs (without brackets).
    pub async fn find_case_by_message_ids(&self, ids: &[String]) -> Result<Option<CaseId>, StoreError> {
        for id in ids.iter().rev().take(20) {
            if id.is_empty() || id.len() > 500 {
                continue;
            }
            let pattern = format!(
                "%\"message_id\":{}%",
                like_escape(&serde_json::Value::from(id.as_str()).to_string())
            );
            let row: Option<(Uuid,)> = with_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT case_id FROM case_events WHERE kind IN ('message_out', 'message_in') \
                     AND data LIKE $1 ESCAPE '\\' ORDER BY id DESC LIMIT 1",
                )
                .bind(&pattern)
                .fetch_optional(pool)
                .await?
            });
            if let Some((c,)) = row {
                return Ok(Some(CaseId(c)));
            }
            // The first mail of a thread is stored as feedback with its Message-ID.
            let row: Option<(Option<Uuid>,)> = with_pool!(self, |pool| {
                sqlx::query_as(
                    "SELECT case_id FROM feedback WHERE channel = 'email' AND case_id IS NOT NULL \
                     AND source LIKE $1 ESCAPE '\\' ORDER BY id DESC LIMIT 1",
                )
                .bind(&pattern)
                .fetch_optional(pool)
                .await?
            });
            if let Some((Some(c),)) = row {
                return Ok(Some(CaseId(c)));
            }
        }
        Ok(None)
    }

    /// True if a mail with this Message-ID (without brackets) was taken before
    /// (as feedback or as a message on a case): an MTA that retries a
    /// delivery must not create a second item.
    pub async fn inbound_mail_seen(&self, message_id: &str) -> Result<bool, StoreError> {
        if message_id.is_empty() || message_id.len() > 500 {
            return Ok(false);
        }
        let pattern = format!(
            "%\"message_id\":{}%",
            like_escape(&serde_json::Value::from(message_id).to_string())
        );
        let (n,): (i64,) = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM feedback WHERE channel = 'email' \
                 AND source LIKE $1 ESCAPE '\\' LIMIT 1) f) + (SELECT COUNT(*) FROM (SELECT 1 FROM case_events \
                 WHERE kind = 'message_in' AND data LIKE $1 ESCAPE '\\' LIMIT 1) e)",
            )
            .bind(&pattern)
            .fetch_one(pool)
            .await?
        });
        Ok(n > 0)
    }

    /// Stores the attachments and the timeline event of an inbound mail in one transaction.
    pub async fn record_inbound_mail(&self, m: &InboundMail) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            for a in &m.attachments {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO mail_attachments ({ATT_COLUMNS}, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                )))
                .bind(a.id)
                .bind(m.case_id.map(|c| c.0))
                .bind(m.feedback_id.map(|f| f.0))
                .bind(&m.message_id)
                .bind(&a.filename)
                .bind(&a.content_type)
                .bind(i64::try_from(a.bytes.len()).unwrap_or(i64::MAX))
                .bind(m.at)
                .bind(&a.bytes)
                .execute(&mut *tx)
                .await?;
            }
            if let (Some(case), Some(ev)) = (m.case_id, &m.event) {
                tx.insert_event(case.0, ev).await?;
                sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                    .bind(m.at)
                    .bind(case.0)
                    .execute(&mut *tx)
                    .await?;
                tx.record_audit(Audit {
                    actor: m.actor,
                    action: "case.mail_in",
                    entity: "case",
                    entity_id: case.to_string(),
                    detail: json!({"message_id": m.message_id, "attachments": m.attachments.len()}),
                    at: m.at,
                })
                .await?;
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })
    }

    pub async fn list_case_attachments(&self, case: CaseId) -> Result<Vec<Attachment>, StoreError> {
        self.rows_by(
            &format!("SELECT {ATT_COLUMNS} FROM mail_attachments WHERE case_id = $1 ORDER BY id LIMIT 500"),
            case.0,
        )
        .await
    }

    /// An attachment with its bytes.
    pub async fn get_attachment(&self, id: Uuid) -> Result<(Attachment, Vec<u8>), StoreError> {
        with_pool!(self, |pool| {
            let a = sqlx::query_as::<_, Attachment>(sqlx::AssertSqlSafe(format!(
                "SELECT {ATT_COLUMNS} FROM mail_attachments WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound("attachment"))?;
            let (bytes,): (Vec<u8>,) = sqlx::query_as("SELECT bytes FROM mail_attachments WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?;
            Ok((a, bytes))
        })
    }
}
