//! The mail quarantine: inbound messages that could not be taken, kept
//! whole until an admin releases or deletes them (`amends_app::quarantine`).

use crate::audit::{Audit, CommitAudited, new_id};
use crate::dialect::BeginWrite;
use crate::{Store, StoreError, with_pool};
use amends_domain::UserId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A message to put in quarantine.
#[derive(Debug, Clone)]
pub struct NewQuarantined {
    /// `pipe` or `imap`.
    pub source: &'static str,
    /// `no_sender`, `not_mail`, `too_large` or `unreadable`.
    pub reason_code: &'static str,
    pub reason: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    /// Hex SHA-256 of `raw`: the same message lands once.
    pub sha256: String,
    pub raw: Vec<u8>,
    pub at: DateTime<Utc>,
}

/// A quarantined message without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct QuarantinedMail {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    /// `pipe` (the MTA) or `imap`.
    pub source: String,
    /// Why it could not be taken: `no_sender`, `not_mail`, `too_large` or `unreadable`.
    pub reason_code: String,
    /// The same in words (English).
    pub reason: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    /// Bytes of the raw message.
    pub size: i64,
    /// When an admin released or deleted it; open while empty.
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<Uuid>,
    /// `released: <outcome>` or `deleted`.
    pub outcome: Option<String>,
}

const COLUMNS: &str =
    "id, received_at, source, reason_code, reason, sender, subject, size, closed_at, closed_by, outcome";

impl Store {
    /// Puts a message in quarantine and writes its audit entry; a message
    /// with the same bytes already there is not added again. Returns the
    /// row's id and whether it is new.
    pub async fn quarantine_mail(&self, m: &NewQuarantined) -> Result<(Uuid, bool), StoreError> {
        let id = new_id(m.at);
        let size = i64::try_from(m.raw.len()).unwrap_or(i64::MAX);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "INSERT INTO mail_quarantine (id, received_at, source, reason_code, reason, sender, subject, size, sha256, raw) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(id)
            .bind(m.at)
            .bind(m.source)
            .bind(m.reason_code)
            .bind(&m.reason)
            .bind(&m.sender)
            .bind(&m.subject)
            .bind(size)
            .bind(&m.sha256)
            .bind(&m.raw)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                let (existing,): (Uuid,) = sqlx::query_as("SELECT id FROM mail_quarantine WHERE sha256 = $1")
                    .bind(&m.sha256)
                    .fetch_one(&mut *tx)
                    .await?;
                return Ok((existing, false));
            }
            tx.commit_audited(Audit {
                actor: None,
                action: "mail.quarantine",
                entity: "mail_quarantine",
                entity_id: id.to_string(),
                detail: json!({"source": m.source, "reason": m.reason_code, "size": size}),
                at: m.at,
            })
            .await?;
            Ok((id, true))
        })
    }

    /// Quarantined messages, newest first (at most 500): the open ones, or all.
    pub async fn list_quarantine(&self, open_only: bool) -> Result<Vec<QuarantinedMail>, StoreError> {
        let filter = if open_only { "WHERE closed_at IS NULL " } else { "" };
        self.all_rows(&format!(
            "SELECT {COLUMNS} FROM mail_quarantine {filter}ORDER BY id DESC LIMIT 500"
        ))
        .await
    }

    /// How many quarantined messages wait for an admin.
    pub async fn count_open_quarantine(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = self
            .all_rows("SELECT COUNT(*) FROM mail_quarantine WHERE closed_at IS NULL")
            .await?
            .pop()
            .unwrap_or((0,));
        Ok(n)
    }

    /// The raw bytes of a quarantined message (empty once it was deleted).
    pub async fn quarantined_raw(&self, id: Uuid) -> Result<Vec<u8>, StoreError> {
        let (raw,): (Vec<u8>,) = self
            .row_by("SELECT raw FROM mail_quarantine WHERE id = $1", id, "quarantined mail")
            .await?;
        Ok(raw)
    }

    /// Claims an open quarantined message for release: of concurrent
    /// callers one succeeds, the others get `Conflict` (`NotFound` when unknown).
    pub async fn claim_quarantined(&self, id: Uuid, by: UserId, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.close_quarantined(id, by, at, "releasing", false).await
    }

    /// Opens a claimed message again (its release failed).
    pub async fn unclaim_quarantined(&self, id: Uuid) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE mail_quarantine SET closed_at = NULL, closed_by = NULL, outcome = NULL \
                 WHERE id = $1 AND outcome = 'releasing'",
            )
            .bind(id)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Records how a release ended (`released: <outcome>`), audited.
    pub async fn finish_release(
        &self,
        id: Uuid,
        by: UserId,
        at: DateTime<Utc>,
        outcome: &str,
    ) -> Result<(), StoreError> {
        let text = format!("released: {outcome}");
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE mail_quarantine SET outcome = $2 WHERE id = $1")
                .bind(id)
                .bind(&text)
                .execute(&mut *tx)
                .await?;
            tx.commit_audited(Audit {
                actor: Some(by),
                action: "mail.release",
                entity: "mail_quarantine",
                entity_id: id.to_string(),
                detail: json!({"outcome": outcome}),
                at,
            })
            .await?;
            Ok(())
        })
    }

    /// Deletes an open quarantined message's bytes and closes it, audited.
    pub async fn delete_quarantined(&self, id: Uuid, by: UserId, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.close_quarantined(id, by, at, "deleted", true).await
    }

    async fn close_quarantined(
        &self,
        id: Uuid,
        by: UserId,
        at: DateTime<Utc>,
        outcome: &'static str,
        drop_bytes: bool,
    ) -> Result<(), StoreError> {
        let sql = if drop_bytes {
            "UPDATE mail_quarantine SET closed_at = $2, closed_by = $3, outcome = $4, raw = $5 \
             WHERE id = $1 AND closed_at IS NULL"
        } else {
            "UPDATE mail_quarantine SET closed_at = $2, closed_by = $3, outcome = $4 \
             WHERE id = $1 AND closed_at IS NULL"
        };
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let mut update = sqlx::query(sql).bind(id).bind(at).bind(by.0).bind(outcome);
            if drop_bytes {
                update = update.bind(Vec::<u8>::new());
            }
            let done = update.execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                let exists: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM mail_quarantine WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(match exists {
                    None => StoreError::NotFound("quarantined mail"),
                    Some(_) => StoreError::Conflict {
                        field: None,
                        detail: "this message was already released or deleted".into(),
                    },
                });
            }
            if drop_bytes {
                tx.commit_audited(Audit {
                    actor: Some(by),
                    action: "mail.delete",
                    entity: "mail_quarantine",
                    entity_id: id.to_string(),
                    detail: serde_json::Value::Null,
                    at,
                })
                .await?;
            } else {
                tx.commit().await?;
            }
            Ok(())
        })
    }
}
