//! The rows a change writes beside itself, in its own transaction: the
//! case's timeline event and the outbox job that tells the rest of the
//! system (webhooks, mails) about it. The [`Outbox`] statements are shared by
//! every aggregate module.

use crate::{NewEvent, StoreError};
use amends_domain::{CaseId, EventId};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What kind of work (the server's job type names it).
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    /// Enqueueing the same key again is a no-op.
    pub dedupe_key: Option<String>,
    /// The case the job belongs to, to show it there.
    pub case_id: Option<CaseId>,
    pub max_attempts: i32,
}

/// Attempts of jobs the store itself enqueues (domain events).
pub const EVENT_JOB_ATTEMPTS: i32 = 10;

impl NewJob {
    /// A domain event (`case.created`, `case.state_changed`, …) for the
    /// server to react to: webhooks, follow-up scheduling.
    #[must_use]
    pub fn event(event: &str, case: Option<CaseId>, data: serde_json::Value, at: DateTime<Utc>) -> Self {
        NewJob {
            kind: "event".into(),
            payload: json!({"type": event, "case_id": case, "at": at, "data": data}),
            run_at: at,
            dedupe_key: None,
            case_id: case,
            max_attempts: EVENT_JOB_ATTEMPTS,
        }
    }
}

crate::backend_trait! {
    /// The rows a change writes beside itself.
    pub(crate) trait Outbox {
        /// Inserts one timeline event of `case`.
        async fn insert_event(&mut self, case: Uuid, ev: &NewEvent) -> Result<EventId, StoreError> {
            let id = crate::audit::new_id(ev.at);
            sqlx::query(
                "INSERT INTO case_events (id, case_id, kind, author_id, body, data, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(case)
            .bind(ev.kind.as_str())
            .bind(ev.author.map(|u| u.0))
            .bind(ev.body.as_deref())
            .bind(if ev.data.is_null() {
                None
            } else {
                Some(ev.data.to_string())
            })
            .bind(ev.at)
            .execute(&mut *self)
            .await?;
            Ok(EventId(id))
        }

        /// Inserts a job; gives `true` if it was new (its dedupe key unused).
        async fn insert_job(&mut self, j: &NewJob, now: DateTime<Utc>) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "INSERT INTO jobs (id, kind, payload, dedupe_key, case_id, state, run_at, attempts, max_attempts, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, 0, $7, $8, $8) \
                 ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(crate::audit::new_id(now))
            .bind(&j.kind)
            .bind(j.payload.to_string())
            .bind(j.dedupe_key.as_deref())
            .bind(j.case_id.map(|c| c.0))
            .bind(j.run_at)
            .bind(j.max_attempts)
            .bind(now)
            .execute(&mut *self)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        /// Inserts jobs (each with its id) in multi-row statements; a job
        /// whose dedupe key is used already is left out.
        async fn insert_job_rows(&mut self, jobs: &[(Uuid, NewJob)]) -> Result<(), StoreError> {
            for part in jobs.chunks(crate::bulk::CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO jobs (id, kind, payload, dedupe_key, case_id, state, run_at, attempts, max_attempts, \
                     created_at, updated_at) ",
                );
                q.push_values(part, |mut r, (id, j)| {
                    r.push_bind(*id)
                        .push_bind(j.kind.as_str())
                        .push_bind(j.payload.to_string())
                        .push_bind(j.dedupe_key.as_deref())
                        .push_bind(j.case_id.map(|c| c.0))
                        .push_bind("queued")
                        .push_bind(j.run_at)
                        .push_bind(0_i32)
                        .push_bind(j.max_attempts)
                        .push_bind(j.run_at)
                        .push_bind(j.run_at);
                });
                q.push(" ON CONFLICT (dedupe_key) DO NOTHING");
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        }
    }
}
