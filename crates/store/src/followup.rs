//! Follow-up after resolution: surveys and their answers, check-ins,
//! webhooks and their delivery log.

use crate::audit::{Audit, AuditLog, CommitAudited, Removal};
use crate::dialect::BeginWrite;
use crate::outbox::{NewJob, Outbox};
use crate::{EventKind, NewEvent, Store, StoreError, with_pool};
use amends_domain::{CaseId, CaseState, CustomerId, Language, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

crate::backend_trait! {
    /// Follow-up statements shared with the job runner.
    pub(crate) trait FollowUps {
        /// Records that the follow-up of `case` happened at `now`; a resolved
        /// case moves on to `followed_up` (timeline, audit and event job included).
        async fn record_follow_up(&mut self, case: CaseId, now: DateTime<Utc>) -> Result<(), StoreError> {
            let moved = sqlx::query(
                "UPDATE cases SET state = 'followed_up', follow_up_at = $1, updated_at = $1, version = version + 1, \
                 open = FALSE WHERE id = $2 AND state = 'resolved'",
            )
            .bind(now)
            .bind(case.0)
            .execute(&mut *self)
            .await?;
            if moved.rows_affected() == 1 {
                let data = serde_json::json!({"from": "resolved", "to": "followed_up", "auto": true});
                let ev = crate::NewEvent {
                    kind: crate::EventKind::StateChange,
                    author: None,
                    body: None,
                    data: data.clone(),
                    at: now,
                };
                self.insert_event(case.0, &ev).await?;
                let job = crate::outbox::NewJob::event("case.state_changed", Some(case), data.clone(), now);
                let _ = self.insert_job(&job, now).await?;
                self.record_audit(crate::audit::Audit {
                    actor: None,
                    action: "case.transition",
                    entity: "case",
                    entity_id: case.to_string(),
                    detail: data,
                    at: now,
                })
                .await?;
            } else {
                sqlx::query("UPDATE cases SET follow_up_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(case.0)
                    .execute(&mut *self)
                    .await?;
            }
            Ok(())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Survey {
    pub id: Uuid,
    pub case_id: Uuid,
    pub customer_id: Uuid,
    #[sqlx(try_from = "String")]
    pub language: Language,
    /// scheduled, sent, answered, skipped
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub score: Option<i32>,
    pub comment: Option<String>,
    pub solved: Option<bool>,
    pub negative: Option<bool>,
}

pub(crate) const SURVEY_COLUMNS: &str = "id, case_id, customer_id, language, state, created_at, sent_at, expires_at, answered_at, \
     score, comment, solved, negative";

/// A validated survey answer.
#[derive(Debug, Clone)]
pub struct SurveyAnswer {
    pub survey_id: Uuid,
    pub score: i32,
    pub comment: Option<String>,
    pub solved: Option<bool>,
    /// Decided by the caller (score ≤ 2 or a negative comment).
    pub negative: bool,
    /// Extra jobs (e.g. the mail that tells the assignee).
    pub jobs: Vec<NewJob>,
    pub now: DateTime<Utc>,
}

/// What an answer did to its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerOutcome {
    /// Negative: the case was reopened and flagged for a lead.
    Reopened,
    /// Negative, but the case was open already: flagged for a lead.
    Flagged,
    /// Positive: the follow-up is done.
    FollowedUp,
}

/// Follow-up facts of a case.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CaseFollowUp {
    pub follow_up_at: Option<DateTime<Utc>>,
    pub lead_attention: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: String,
    #[serde(skip)]
    pub secret: String,
    pub active: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl Webhook {
    #[must_use]
    pub fn event_list(&self) -> Vec<String> {
        self.events
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    #[must_use]
    pub fn wants(&self, event: &str) -> bool {
        self.active && self.event_list().iter().any(|e| e == event || e == "*")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct WebhookDelivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    pub payload: String,
    /// pending, delivered, failed
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const DELIVERY_COLUMNS: &str =
    "id, webhook_id, event, payload, state, attempts, last_status, last_error, created_at, updated_at";

/// The removal of one row of this module (see `Store::remove_audited`).
const DEACTIVATE_WEBHOOK: Removal = Removal {
    sql: "UPDATE webhooks SET active = FALSE WHERE id = $1 AND active = TRUE",
    what: "webhook",
    action: "webhook.delete",
    entity: "webhook",
};

impl Store {
    pub async fn get_survey(&self, id: Uuid) -> Result<Survey, StoreError> {
        self.row_by(
            &format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE id = $1"),
            id,
            "survey",
        )
        .await
    }

    pub async fn list_case_surveys(&self, case: CaseId) -> Result<Vec<Survey>, StoreError> {
        self.rows_by(
            &format!("SELECT {SURVEY_COLUMNS} FROM surveys WHERE case_id = $1 ORDER BY id"),
            case.0,
        )
        .await
    }

    /// Surveys (not skipped) created for `customer` since `since` — for survey fatigue.
    pub async fn count_recent_surveys(&self, customer: CustomerId, since: DateTime<Utc>) -> Result<i64, StoreError> {
        with_pool!(self, |pool| {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM surveys WHERE customer_id = $1 AND created_at >= $2 AND state <> 'skipped'",
            )
            .bind(customer.0)
            .bind(since)
            .fetch_one(pool)
            .await?;
            Ok(n)
        })
    }

    pub async fn case_follow_up(&self, case: CaseId) -> Result<CaseFollowUp, StoreError> {
        self.row_by(
            "SELECT follow_up_at, lead_attention FROM cases WHERE id = $1",
            case.0,
            "case",
        )
        .await
    }

    /// Records a survey answer (single use: only an unanswered, unexpired
    /// survey takes one; `scheduled` counts, since the customer may click
    /// the link before the sending job has recorded it as sent). A negative answer reopens the case and flags it for a
    /// lead; a positive one completes the follow-up.
    pub async fn answer_survey(&self, a: &SurveyAnswer) -> Result<AnswerOutcome, StoreError> {
        let now = a.now;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE surveys SET state = 'answered', answered_at = $1, score = $2, comment = $3, solved = $4, \
                 negative = $5 WHERE id = $6 AND state IN ('scheduled', 'sent') AND expires_at > $1",
            )
            .bind(now)
            .bind(a.score)
            .bind(a.comment.as_deref())
            .bind(a.solved)
            .bind(a.negative)
            .bind(a.survey_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                let row: Option<(String, DateTime<Utc>)> =
                    sqlx::query_as("SELECT state, expires_at FROM surveys WHERE id = $1")
                        .bind(a.survey_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                return Err(match row {
                    None => StoreError::NotFound("survey"),
                    Some((s, _)) if s == "answered" => StoreError::Conflict {
                        field: Some("token"),
                        detail: "this survey was answered already".into(),
                    },
                    Some((_, exp)) if exp <= now => StoreError::Conflict {
                        field: Some("expired"),
                        detail: "this survey link has expired".into(),
                    },
                    Some(_) => StoreError::Conflict {
                        field: Some("token"),
                        detail: "this survey is not open for answers".into(),
                    },
                });
            }
            let (case_uuid, state): (Uuid, String) =
                sqlx::query_as("SELECT c.id, c.state FROM surveys s JOIN cases c ON c.id = s.case_id WHERE s.id = $1")
                    .bind(a.survey_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let case = CaseId(case_uuid);
            let data = json!({"survey_id": a.survey_id, "score": a.score, "solved": a.solved, "negative": a.negative});
            let ev = NewEvent {
                kind: EventKind::SurveyAnswered,
                author: None,
                body: a.comment.clone(),
                data: data.clone(),
                at: now,
            };
            tx.insert_event(case.0, &ev).await?;
            let outcome = if a.negative {
                let from: Option<CaseState> = state.parse().ok();
                let may_reopen = from.is_some_and(|s| s.transition(CaseState::Reopened).is_ok());
                sqlx::query("UPDATE cases SET lead_attention = TRUE, updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(case.0)
                    .execute(&mut *tx)
                    .await?;
                let outcome = if may_reopen {
                    sqlx::query(
                        "UPDATE cases SET state = 'reopened', resolved_at = NULL, closed_at = NULL, follow_up_at = NULL, \
                         open = TRUE, version = version + 1 WHERE id = $1",
                    )
                    .bind(case.0)
                    .execute(&mut *tx)
                    .await?;
                    let change = json!({"from": state, "to": "reopened", "reason": "survey"});
                    let ev = NewEvent {
                        kind: EventKind::StateChange,
                        author: None,
                        body: None,
                        data: change.clone(),
                        at: now,
                    };
                    tx.insert_event(case.0, &ev).await?;
                    let _ = tx
                        .insert_job(
                            &NewJob::event("case.state_changed", Some(case), change.clone(), now),
                            now,
                        )
                        .await?;
                    tx.record_audit(Audit {
                        actor: None,
                        action: "case.transition",
                        entity: "case",
                        entity_id: case.to_string(),
                        detail: change,
                        at: now,
                    })
                    .await?;
                    AnswerOutcome::Reopened
                } else {
                    AnswerOutcome::Flagged
                };
                let ev = NewEvent {
                    kind: EventKind::FollowUp,
                    author: None,
                    body: None,
                    data: json!({"what": "lead_attention", "survey_id": a.survey_id}),
                    at: now,
                };
                tx.insert_event(case.0, &ev).await?;
                outcome
            } else {
                tx.record_follow_up(case, now).await?;
                AnswerOutcome::FollowedUp
            };
            let _ = tx
                .insert_job(&NewJob::event("survey.answered", Some(case), data.clone(), now), now)
                .await?;
            for j in &a.jobs {
                let _ = tx.insert_job(j, now).await?;
            }
            tx.commit_audited(Audit {
                actor: None,
                action: "survey.answer",
                entity: "case",
                entity_id: case.to_string(),
                detail: data,
                at: now,
            })
            .await?;
            Ok(outcome)
        })
    }

    /// A lead has looked at the case: clears its flag.
    pub async fn clear_lead_attention(
        &self,
        case: CaseId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE cases SET lead_attention = FALSE, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(case.0)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("case"));
            }
            tx.commit_audited(Audit {
                actor,
                action: "case.lead_attention_cleared",
                entity: "case",
                entity_id: case.to_string(),
                detail: serde_json::Value::Null,
                at: now,
            })
            .await?;
            Ok(())
        })
    }

    pub async fn insert_webhook(
        &self,
        id: Uuid,
        url: &str,
        events: &[String],
        secret: &str,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Webhook, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO webhooks (id, url, events, secret, active, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, TRUE, $5, $6)",
            )
            .bind(id)
            .bind(url)
            .bind(events.join(","))
            .bind(secret)
            .bind(actor.map(|u| u.0))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor,
                action: "webhook.create",
                entity: "webhook",
                entity_id: id.to_string(),
                detail: json!({"url": url, "events": events}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_webhook(id).await
    }

    pub async fn get_webhook(&self, id: Uuid) -> Result<Webhook, StoreError> {
        self.row_by(
            "SELECT id, url, events, secret, active, created_by, created_at FROM webhooks WHERE id = $1",
            id,
            "webhook",
        )
        .await
    }

    /// Active webhooks, oldest first.
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        self.all_rows(
            "SELECT id, url, events, secret, active, created_by, created_at FROM webhooks \
                 WHERE active = TRUE ORDER BY id LIMIT 500",
        )
        .await
    }

    /// Stops a webhook (its delivery log stays).
    pub async fn deactivate_webhook(
        &self,
        id: Uuid,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.remove_audited(&DEACTIVATE_WEBHOOK, id, actor, now).await
    }

    pub async fn get_delivery(&self, id: Uuid) -> Result<WebhookDelivery, StoreError> {
        self.row_by(
            &format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"),
            id,
            "delivery",
        )
        .await
    }

    /// The delivery log, newest first; of one webhook or of all.
    pub async fn list_deliveries(
        &self,
        webhook: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 500)).unwrap_or(100);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE 1=1"));
            if let Some(w) = webhook {
                q.push(" AND webhook_id = ").push_bind(w);
            }
            q.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
            Ok(q.build_query_as::<WebhookDelivery>().fetch_all(pool).await?)
        })
    }
}
