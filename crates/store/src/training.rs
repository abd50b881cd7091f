//! Read model of the training case studies: the facts that decide whether a
//! resolved or closed case was a best or a failed recovery (its severity,
//! negative feedback, the last survey answer, a reopening, the customer's
//! churn). The decision itself is made in `amends_app::training`.

use crate::{Store, StoreError, with_pool};
use amends_domain::{CaseId, Channel, Tier};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// One case that left the backlog, with its outcome facts.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TrainingFacts {
    #[sqlx(try_from = "Uuid")]
    pub id: CaseId,
    pub created_at: DateTime<Utc>,
    /// When the case was resolved, else closed.
    pub ended_at: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub first_response_due_at: DateTime<Utc>,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    pub severity: Option<i32>,
    pub repeat_failure: Option<bool>,
    /// The last answered survey's score (1–5).
    pub survey_score: Option<i32>,
    /// Times the case was reopened.
    pub reopened: i64,
    /// Negative feedback items linked to the case.
    pub negative_feedback: i64,
    /// Goodwill granted on the case.
    pub goodwill_cents: i64,
    pub churned_at: Option<DateTime<Utc>>,
}

const FACTS_SELECT: &str = "SELECT c.id, c.created_at, COALESCE(c.resolved_at, c.closed_at, c.updated_at) AS ended_at, \
     c.first_responded_at, c.first_response_due_at, c.channel, c.tier, c.severity, c.repeat_failure, \
     (SELECT s.score FROM surveys s WHERE s.case_id = c.id AND s.state = 'answered' AND s.score IS NOT NULL \
      ORDER BY s.answered_at DESC LIMIT 1) AS survey_score, \
     (SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.kind = 'state_change' \
      AND e.data LIKE '%\"to\":\"reopened\"%') AS reopened, \
     (SELECT COUNT(*) FROM feedback f WHERE f.case_id = c.id AND f.sentiment = 'negative') AS negative_feedback, \
     (SELECT CAST(COALESCE(SUM(g.value_cents), 0) AS BIGINT) FROM goodwill_grants g \
      WHERE g.case_id = c.id AND g.state = 'granted') AS goodwill_cents, \
     k.churned_at \
     FROM cases c JOIN customers k ON k.id = c.customer_id";

impl Store {
    /// The cases no longer open that were resolved (else closed) in
    /// `[from, to)`, newest first, at most `limit`.
    pub async fn training_facts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<TrainingFacts>, StoreError> {
        let sql = format!(
            "{FACTS_SELECT} WHERE c.open = FALSE AND COALESCE(c.resolved_at, c.closed_at, c.updated_at) >= $1 \
             AND COALESCE(c.resolved_at, c.closed_at, c.updated_at) < $2 ORDER BY c.id DESC LIMIT $3"
        );
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, TrainingFacts>(sqlx::AssertSqlSafe(sql))
                .bind(from)
                .bind(to)
                .bind(limit)
                .fetch_all(pool)
                .await?)
        })
    }

    /// The outcome facts of one case that is no longer open.
    pub async fn training_facts_of(&self, id: CaseId) -> Result<TrainingFacts, StoreError> {
        let sql = format!("{FACTS_SELECT} WHERE c.id = $1 AND c.open = FALSE");
        with_pool!(self, |pool| {
            sqlx::query_as::<_, TrainingFacts>(sqlx::AssertSqlSafe(sql))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound("case"))
        })
    }
}
