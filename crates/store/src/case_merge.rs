//! Splitting a customer message out of a case into a case of its own, and
//! merging one case into another, each in one transaction with its
//! timeline events on both cases and its audit entry.
//!
//! Both lock the case rows they change first (PostgreSQL, in id order) and
//! check the cases' states after the lock, so two merges of the same pair
//! at once (A into B and B into A) take turns: the second finds its target
//! closed and changes nothing.

use crate::cases::{CaseWrites, NewCase, NewEvent};
use crate::dialect::{BeginWrite, Dialect};
use crate::outbox::Outbox;
use crate::{EventKind, Store, StoreError, with_pool};
use amends_domain::{CaseId, EventId, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AssertSqlSafe;
use uuid::Uuid;

/// The tables whose rows follow a case when it is merged into another
/// (`case_solutions` is handled apart: its key includes the case).
const MOVED_WITH_CASE: [&str; 5] = [
    "case_events",
    "feedback",
    "goodwill_grants",
    "mail_attachments",
    "surveys",
];

/// A split asked for.
#[derive(Debug, Clone)]
pub struct Split {
    pub case_id: CaseId,
    pub event_id: EventId,
    /// The new case (its subject and description are the message's).
    pub new_case: NewCase,
    pub actor: UserId,
}

/// What a merge moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merged {
    /// Timeline entries moved from the source.
    pub events: u64,
    pub feedback: u64,
}

crate::backend_trait! {
    trait MergeWrites {
        /// Locks the case rows `ids` (sorted) and gives their customer,
        /// state and reference in `ids`' order; a missing case is `NotFound`.
        async fn lock_cases(&mut self, dialect: Dialect, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, StoreError> {
            let mut sorted = ids.to_vec();
            sorted.sort_unstable();
            if let Some(lock) = dialect.lock_rows("SELECT id FROM cases WHERE id IN ($1, $2) ORDER BY id") {
                sqlx::query(AssertSqlSafe(lock))
                    .bind(sorted[0])
                    .bind(sorted[sorted.len() - 1])
                    .execute(&mut *self)
                    .await?;
            }
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let row: Option<(Uuid, String)> = sqlx::query_as("SELECT customer_id, state FROM cases WHERE id = $1")
                    .bind(*id)
                    .fetch_optional(&mut *self)
                    .await?;
                out.push(row.ok_or(StoreError::NotFound("case"))?);
            }
            Ok(out)
        }

        /// Brings the search index of `cases` up to date after texts moved.
        async fn reindex(&mut self, dialect: Dialect, cases: &[Uuid]) -> Result<(), StoreError> {
            for case in cases {
                for sql in dialect.case_index_refresh("$1") {
                    sqlx::query(AssertSqlSafe(sql)).bind(*case).execute(&mut *self).await?;
                }
            }
            Ok(())
        }
    }
}

fn conflict(field: &'static str, detail: &str) -> StoreError {
    StoreError::Conflict {
        field: Some(field),
        detail: detail.to_string(),
    }
}

impl Store {
    /// Moves the customer message `s.event_id` (with its feedback item) out
    /// of case `s.case_id` into the new case `s.new_case`. Refused
    /// (`Conflict`) when the event is no customer message of that case.
    pub async fn split_message(&self, s: &Split) -> Result<CaseId, StoreError> {
        let dialect = self.dialect();
        let at = s.new_case.created_at;
        let new_id = s.new_case.id;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.lock_cases(dialect, &[s.case_id.0]).await?;
            let ev: Option<(String, Option<String>)> =
                sqlx::query_as("SELECT kind, data FROM case_events WHERE id = $1 AND case_id = $2")
                    .bind(s.event_id.0)
                    .bind(s.case_id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (kind, data) = ev.ok_or(StoreError::NotFound("message"))?;
            let data: serde_json::Value = data.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default();
            if kind != EventKind::MessageIn.as_str() {
                return Err(conflict(
                    "event_id",
                    "only a customer message can be split out of a case",
                ));
            }
            let feedback = data
                .get("feedback_id")
                .and_then(|f| f.as_str())
                .and_then(|f| f.parse::<Uuid>().ok());
            let from_ref = s.case_id.short();
            tx.insert_new_case(
                &s.new_case,
                json!({"split_from": s.case_id, "split_from_ref": from_ref}),
            )
            .await?;
            sqlx::query("UPDATE case_events SET case_id = $1 WHERE id = $2")
                .bind(new_id.0)
                .bind(s.event_id.0)
                .execute(&mut *tx)
                .await?;
            if let Some(f) = feedback {
                sqlx::query("UPDATE feedback SET case_id = $1 WHERE id = $2 AND case_id = $3")
                    .bind(new_id.0)
                    .bind(f)
                    .bind(s.case_id.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE mail_attachments SET case_id = $1 WHERE feedback_id = $2 AND case_id = $3")
                    .bind(new_id.0)
                    .bind(f)
                    .bind(s.case_id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.insert_event(
                new_id.0,
                &NewEvent {
                    kind: EventKind::Split,
                    author: Some(s.actor),
                    body: None,
                    data: json!({"from": s.case_id, "from_ref": from_ref, "event_id": s.event_id}),
                    at,
                },
            )
            .await?;
            tx.log_case_change(
                s.case_id,
                "case.split",
                NewEvent {
                    kind: EventKind::Split,
                    author: Some(s.actor),
                    body: None,
                    data: json!({"to": new_id, "to_ref": new_id.short(), "event_id": s.event_id,
                        "feedback_id": feedback}),
                    at,
                },
            )
            .await?;
            sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                .bind(at)
                .bind(s.case_id.0)
                .execute(&mut *tx)
                .await?;
            tx.reindex(dialect, &[s.case_id.0, new_id.0]).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(new_id)
    }

    /// Merges case `source` into case `target` of the same customer: the
    /// source's timeline, feedback, goodwill, attachments, surveys and
    /// solution links move to the target; the source is closed with
    /// `merged_into` set. Refused when the cases are one, belong to two
    /// customers (`Validation`-like `Conflict` on `source_case_id`) or
    /// either is closed (`Conflict`).
    pub async fn merge_cases(
        &self,
        target: CaseId,
        source: CaseId,
        actor: UserId,
        at: DateTime<Utc>,
    ) -> Result<Merged, StoreError> {
        let dialect = self.dialect();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let rows = tx.lock_cases(dialect, &[target.0, source.0]).await?;
            let ((t_customer, t_state), (s_customer, s_state)) = (&rows[0], &rows[1]);
            if t_customer != s_customer {
                return Err(conflict(
                    "source_case_id",
                    "only cases of the same customer can be merged",
                ));
            }
            if t_state == "closed" {
                return Err(conflict("case_id", "the case to merge into is closed"));
            }
            if s_state == "closed" {
                return Err(conflict("source_case_id", "the case to merge is closed already"));
            }
            let events: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM case_events WHERE case_id = $1")
                .bind(source.0)
                .fetch_one(&mut *tx)
                .await?;
            let mut feedback = 0;
            for table in MOVED_WITH_CASE {
                let done = sqlx::query(AssertSqlSafe(format!(
                    "UPDATE {table} SET case_id = $1 WHERE case_id = $2"
                )))
                .bind(target.0)
                .bind(source.0)
                .execute(&mut *tx)
                .await?;
                if table == "feedback" {
                    feedback = done.rows_affected();
                }
            }
            sqlx::query(
                "INSERT INTO case_solutions (case_id, solution_id, linked_by, linked_at) \
                 SELECT $1, solution_id, linked_by, linked_at FROM case_solutions s WHERE case_id = $2 \
                 AND NOT EXISTS (SELECT 1 FROM case_solutions t WHERE t.case_id = $1 AND t.solution_id = s.solution_id)",
            )
            .bind(target.0)
            .bind(source.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM case_solutions WHERE case_id = $1")
                .bind(source.0)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE cases SET state = 'closed', open = FALSE, closed_at = $1, merged_into = $2, sla_paused_at = NULL, \
                 updated_at = $1, version = version + 1 WHERE id = $3",
            )
            .bind(at)
            .bind(target.0)
            .bind(source.0)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE cases SET updated_at = $1, version = version + 1 WHERE id = $2")
                .bind(at)
                .bind(target.0)
                .execute(&mut *tx)
                .await?;
            let moved = u64::try_from(events.0).unwrap_or(0);
            tx.insert_event(
                source.0,
                &NewEvent {
                    kind: EventKind::Merge,
                    author: Some(actor),
                    body: None,
                    data: json!({"into": target, "into_ref": target.short(), "from_state": s_state}),
                    at,
                },
            )
            .await?;
            tx.log_case_change(
                target,
                "case.merge",
                NewEvent {
                    kind: EventKind::Merge,
                    author: Some(actor),
                    body: None,
                    data: json!({"from": source, "from_ref": source.short(), "events": moved, "feedback": feedback}),
                    at,
                },
            )
            .await?;
            tx.reindex(dialect, &[target.0, source.0]).await?;
            tx.commit().await?;
            Ok(Merged {
                events: moved,
                feedback,
            })
        })
    }
}
