//! What the customer considers fair: every answer of a case (the newest
//! counts), and the facts the fairness report compares.

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::outbox::Outbox;
use crate::rows::Exists;
use crate::{EventKind, NewEvent, Store, StoreError, with_pool};
use amends_domain::fair::{FairAnswer, FairSource};
use amends_domain::{CaseId, CustomerId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One answer to "what would you consider fair?".
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct FairExpectationRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub choice: String,
    pub amount_cents: Option<i64>,
    pub note: Option<String>,
    pub source: String,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A case with an expectation, for the fairness report: its newest answer,
/// the goodwill granted on it (EUR), its newest survey score, how often it
/// was reopened, and whether its customer left.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FairnessFact {
    pub case_id: Uuid,
    pub choice: String,
    pub amount_cents: Option<i64>,
    pub granted_cents: i64,
    pub score: Option<i32>,
    pub reopens: i64,
    pub resolved_at: Option<DateTime<Utc>>,
    pub churned_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT f.id, f.case_id, f.choice, f.amount_cents, f.note, f.source, f.author_id, \
     u.display_name AS author_name, f.created_at FROM fair_expectations f LEFT JOIN users u ON u.id = f.author_id";

const GRANTED: &str = "SELECT CAST(COALESCE(SUM(g.value_cents), 0) AS BIGINT) FROM goodwill_grants g \
     WHERE g.case_id = $1 AND g.state = 'granted' AND g.currency = 'EUR'";

impl Store {
    /// Records an answer on `case` with its timeline event and audit entry;
    /// the newest answer of a case is the one that counts.
    pub async fn add_fair_expectation(
        &self,
        case: CaseId,
        answer: &FairAnswer,
        source: FairSource,
        author: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<FairExpectationRow, StoreError> {
        let id = crate::audit::new_id(now);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.require_row("SELECT id FROM cases WHERE id = $1", case.0, "case")
                .await?;
            sqlx::query(
                "INSERT INTO fair_expectations (id, case_id, choice, amount_cents, note, source, author_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(id)
            .bind(case.0)
            .bind(answer.choice.as_str())
            .bind(answer.amount_cents)
            .bind(answer.note.as_deref())
            .bind(source.as_str())
            .bind(author.map(|u| u.0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let data = json!({"choice": answer.choice, "amount_cents": answer.amount_cents, "source": source});
            tx.insert_event(
                case.0,
                &NewEvent {
                    kind: EventKind::FairExpectation,
                    author,
                    body: answer.note.clone(),
                    data: data.clone(),
                    at: now,
                },
            )
            .await?;
            sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(case.0)
                .execute(&mut *tx)
                .await?;
            tx.commit_audited(Audit {
                actor: author,
                action: "case.fair_expectation",
                entity: "case",
                entity_id: case.0.to_string(),
                detail: data,
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.find_row(&format!("{SELECT} WHERE f.id = $1"), id)
            .await?
            .ok_or(StoreError::NotFound("fair expectation"))
    }

    /// Every answer on the cases of `customer`, oldest first (their data export).
    pub async fn customer_fair_expectations(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<FairExpectationRow>, StoreError> {
        self.rows_by(
            &format!("{SELECT} WHERE f.case_id IN (SELECT id FROM cases WHERE customer_id = $1) ORDER BY f.id"),
            customer.0,
        )
        .await
    }

    /// Every answer of `case`, newest first.
    pub async fn fair_expectations(&self, case: CaseId) -> Result<Vec<FairExpectationRow>, StoreError> {
        self.rows_by(&format!("{SELECT} WHERE f.case_id = $1 ORDER BY f.id DESC"), case.0)
            .await
    }

    /// The goodwill granted on `case` in EUR, in cents.
    pub async fn case_granted_eur_cents(&self, case: CaseId) -> Result<i64, StoreError> {
        let (cents,): (i64,) = with_pool!(self, |pool| sqlx::query_as(GRANTED)
            .bind(case.0)
            .fetch_one(pool)
            .await?);
        Ok(cents)
    }

    /// The facts of every case with an expectation (its newest answer).
    pub async fn fairness_facts(&self) -> Result<Vec<FairnessFact>, StoreError> {
        self.all_rows(
            "SELECT f.case_id, f.choice, f.amount_cents, \
             (SELECT CAST(COALESCE(SUM(g.value_cents), 0) AS BIGINT) FROM goodwill_grants g \
              WHERE g.case_id = f.case_id AND g.state = 'granted' AND g.currency = 'EUR') AS granted_cents, \
             (SELECT s.score FROM surveys s WHERE s.case_id = f.case_id AND s.state = 'answered' \
              AND s.score IS NOT NULL ORDER BY s.answered_at DESC, s.id DESC LIMIT 1) AS score, \
             (SELECT COUNT(*) FROM case_events e WHERE e.case_id = f.case_id AND e.kind = 'state_change' \
              AND e.data LIKE '%\"to\":\"reopened\"%') AS reopens, c.resolved_at, k.churned_at \
             FROM fair_expectations f JOIN cases c ON c.id = f.case_id JOIN customers k ON k.id = c.customer_id \
             WHERE NOT EXISTS (SELECT 1 FROM fair_expectations n WHERE n.case_id = f.case_id AND n.id > f.id) \
             ORDER BY f.case_id",
        )
        .await
    }
}
