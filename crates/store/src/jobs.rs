//! The durable job queue (outbox). Jobs are inserted in the same
//! transaction as the change that causes them, claimed by workers with a
//! lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; one `UPDATE … RETURNING`
//! on SQLite, whose writers are serialised), retried with backoff and
//! declared dead after `max_attempts`. A job whose worker died is claimed
//! again once its lease has expired.
//!
//! A job's side effects on the database ([`JobEffects`]) are applied in the
//! same transaction that marks it done, and only if the worker still holds
//! the lease, so they happen exactly once.

use crate::audit::{Audit, CommitAudited, new_id};
use crate::dialect::{BeginWrite, Dialect};
use crate::followup::FollowUps;
use crate::outbox::{NewJob, Outbox};
use crate::rows::Exists;
use crate::{NewEvent, Store, StoreError, with_pool};
use amends_domain::{CaseId, CustomerId, Language, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: String,
    pub dedupe_key: Option<String>,
    pub case_id: Option<Uuid>,
    /// queued, running, done, dead
    pub state: String,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) const JOB_COLUMNS: &str = "id, kind, payload, dedupe_key, case_id, state, run_at, attempts, max_attempts, \
     last_error, locked_by, locked_until, created_at, updated_at";

/// A survey to create.
#[derive(Debug, Clone)]
pub struct NewSurvey {
    pub id: Uuid,
    pub case_id: CaseId,
    pub customer_id: CustomerId,
    pub language: Language,
    pub expires_at: DateTime<Utc>,
}

/// A webhook delivery to create (with its job in [`JobEffects::jobs`]).
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    pub payload: String,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone)]
pub struct DeliveryUpdate {
    pub id: Uuid,
    /// pending, delivered, failed
    pub state: String,
    pub status: Option<i32>,
    pub error: Option<String>,
}

/// What a finished (or failed) job changes in the database, applied in
/// the transaction that records the job's outcome.
#[derive(Debug, Clone, Default)]
pub struct JobEffects {
    pub events: Vec<(CaseId, NewEvent)>,
    pub jobs: Vec<NewJob>,
    pub new_survey: Option<NewSurvey>,
    /// Survey ids whose mail went out.
    pub survey_sent: Option<Uuid>,
    /// Survey ids that were not sent (case reopened, no address, …).
    pub survey_skipped: Option<Uuid>,
    /// The follow-up of this case happened (check-in sent): record it and
    /// move a resolved case to `followed_up`.
    pub follow_up_done: Option<CaseId>,
    pub new_deliveries: Vec<NewDelivery>,
    pub delivery: Option<DeliveryUpdate>,
}

crate::backend_trait! {
    /// Job statements shared with incident notices.
    pub(crate) trait JobWrites {
        /// Applies the effects of a job in its transaction.
        async fn apply_effects(&mut self, fx: &JobEffects, now: DateTime<Utc>) -> Result<(), StoreError> {
            if let Some(s) = &fx.new_survey {
                sqlx::query(
                    "INSERT INTO surveys (id, case_id, customer_id, language, state, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, 'scheduled', $5, $6)",
                )
                .bind(s.id)
                .bind(s.case_id.0)
                .bind(s.customer_id.0)
                .bind(s.language.code())
                .bind(now)
                .bind(s.expires_at)
                .execute(&mut *self)
                .await?;
            }
            if let Some(id) = fx.survey_sent {
                sqlx::query("UPDATE surveys SET state = 'sent', sent_at = $1 WHERE id = $2 AND state = 'scheduled'")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *self)
                    .await?;
            }
            if let Some(id) = fx.survey_skipped {
                sqlx::query("UPDATE surveys SET state = 'skipped' WHERE id = $1 AND state = 'scheduled'")
                    .bind(id)
                    .execute(&mut *self)
                    .await?;
            }
            for d in &fx.new_deliveries {
                sqlx::query(
                    "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, state, attempts, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
                )
                .bind(d.id)
                .bind(d.webhook_id)
                .bind(&d.event)
                .bind(&d.payload)
                .bind(now)
                .execute(&mut *self)
                .await?;
            }
            if let Some(d) = &fx.delivery {
                sqlx::query(
                    "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, last_status = $2, last_error = $3, \
                     updated_at = $4 WHERE id = $5",
                )
                .bind(&d.state)
                .bind(d.status)
                .bind(d.error.as_deref())
                .bind(now)
                .bind(d.id)
                .execute(&mut *self)
                .await?;
            }
            for (case, ev) in &fx.events {
                self.insert_event(case.0, ev).await?;
            }
            if let Some(case) = fx.follow_up_done {
                self.record_follow_up(case, now).await?;
            }
            for j in &fx.jobs {
                let _ = self.insert_job(j, now).await?;
            }
            Ok(())
        }
    }
}

/// Claims due jobs (and jobs whose lease ran out) for a worker; concurrent
/// workers pass over each other's rows ([`Dialect::skip_locked`]).
fn claim_sql(d: Dialect) -> String {
    let lock = d.skip_locked(None);
    format!(
        "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs WHERE (state = 'queued' AND run_at <= $3) \
         OR (state = 'running' AND locked_until < $3) ORDER BY run_at, id LIMIT $4{lock}) \
         RETURNING {JOB_COLUMNS}"
    )
}

impl Store {
    /// Enqueues one job in its own transaction; `None` if its dedupe key was used already.
    pub async fn enqueue_job(&self, job: &NewJob, now: DateTime<Utc>) -> Result<Option<Uuid>, StoreError> {
        let inserted = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let new = tx.insert_job(job, now).await?;
            tx.commit().await?;
            new
        });
        self.new_job_id(job, inserted).await
    }

    /// Enqueues a message's job and puts the message on the case timeline
    /// at once, in one transaction (the timeline shows its delivery state
    /// from the job). `None` if the job's dedupe key was used already:
    /// then nothing is written.
    pub async fn enqueue_message(
        &self,
        job: &NewJob,
        case: CaseId,
        ev: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, StoreError> {
        let inserted = with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.require_row("SELECT id FROM cases WHERE id = $1", case.0, "case")
                .await?;
            if !tx.insert_job(job, now).await? {
                return Ok(None);
            }
            let event = tx.insert_event(case.0, ev).await?;
            sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(case.0)
                .execute(&mut *tx)
                .await?;
            tx.commit_audited(Audit {
                actor: ev.author,
                action: "case.message",
                entity: "case",
                entity_id: case.to_string(),
                detail: serde_json::json!({"kind": ev.kind, "event_id": event}),
                at: now,
            })
            .await?;
            true
        });
        self.new_job_id(job, inserted).await
    }

    /// Runs a queued job (waiting for its next attempt) now; `false` if it is not queued.
    pub async fn run_job_now(&self, id: Uuid, actor: Option<UserId>, now: DateTime<Utc>) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE jobs SET run_at = $1, updated_at = $1 WHERE id = $2 AND state = 'queued'")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            tx.commit_audited(Audit {
                actor,
                action: "job.run_now",
                entity: "job",
                entity_id: id.to_string(),
                detail: serde_json::Value::Null,
                at: now,
            })
            .await?;
            Ok::<bool, StoreError>(true)
        })
    }

    /// The job queued with `key`, if any.
    pub async fn job_id_by_dedupe_key(&self, key: &str) -> Result<Option<Uuid>, StoreError> {
        let row: Option<(Uuid,)> = self
            .find_row("SELECT id FROM jobs WHERE dedupe_key = $1", key.to_owned())
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// The state of the job queued with `key` (queued, running, done, dead), if any.
    pub async fn job_state_by_dedupe_key(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = self
            .find_row("SELECT state FROM jobs WHERE dedupe_key = $1", key.to_owned())
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// The id of a job just inserted (`None` if it was not).
    async fn new_job_id(&self, job: &NewJob, inserted: bool) -> Result<Option<Uuid>, StoreError> {
        let key = job.dedupe_key.clone();
        if !inserted {
            return Ok(None);
        }
        // The newest job with this key or, without a key, the newest of this kind.
        let id: Option<(Uuid,)> = with_pool!(self, |pool| {
            match &key {
                Some(k) => {
                    sqlx::query_as("SELECT id FROM jobs WHERE dedupe_key = $1")
                        .bind(k)
                        .fetch_optional(pool)
                        .await?
                }
                None => {
                    sqlx::query_as("SELECT id FROM jobs WHERE kind = $1 ORDER BY id DESC LIMIT 1")
                        .bind(&job.kind)
                        .fetch_optional(pool)
                        .await?
                }
            }
        });
        Ok(id.map(|r| r.0))
    }

    /// Claims up to `limit` due jobs (or jobs whose lease expired) for
    /// `worker` until `now + lease`. Each job is claimed by one worker only.
    ///
    /// A write transaction that takes its turn like the requests' writes
    /// (`write_turn.rs`): as a plain statement on SQLite the claim met a
    /// request's transaction in SQLite's busy handler, which then slept
    /// with the writers' turn in hand while every other writer waited.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let sql = claim_sql(self.dialect());
        let limit = i64::try_from(limit.clamp(1, 100)).unwrap_or(1);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let jobs = sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(sql))
                .bind(worker)
                .bind(now + lease)
                .bind(now)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(jobs)
        })
    }

    /// Marks a job done and applies its effects, if `worker` still holds
    /// it. `false` means the lease was lost: nothing was changed.
    pub async fn complete_job(
        &self,
        id: Uuid,
        worker: &str,
        fx: &JobEffects,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.end_job(id, worker, ("done", None, None), fx, now).await
    }

    /// Records a failed attempt: queued again at `retry_at`, or dead when
    /// `retry_at` is `None`. Effects are applied as in [`Store::complete_job`].
    pub async fn fail_job(
        &self,
        id: Uuid,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        fx: &JobEffects,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let error: String = error.chars().take(2000).collect();
        let state = if retry_at.is_some() { "queued" } else { "dead" };
        self.end_job(id, worker, (state, retry_at, Some(&error)), fx, now).await
    }

    /// Ends a run of a job that `worker` holds and applies its effects:
    /// `(state, retry_at, error)` are the job's new state, its next run (`None`
    /// keeps `run_at`) and last error. `false` means the lease was lost:
    /// nothing was changed.
    async fn end_job(
        &self,
        id: Uuid,
        worker: &str,
        (state, retry_at, error): (&str, Option<DateTime<Utc>>, Option<&str>),
        fx: &JobEffects,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE jobs SET state = $1, run_at = COALESCE($2, run_at), last_error = $3, locked_by = NULL, \
                 locked_until = NULL, updated_at = $4 WHERE id = $5 AND state = 'running' AND locked_by = $6",
            )
            .bind(state)
            .bind(retry_at)
            .bind(error)
            .bind(now)
            .bind(id)
            .bind(worker)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            tx.apply_effects(fx, now).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn get_job(&self, id: Uuid) -> Result<Job, StoreError> {
        self.row_by(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"), id, "job")
            .await
    }

    /// Jobs in `state` (all states if `None`), newest first.
    pub async fn list_jobs(&self, state: Option<&str>, limit: usize) -> Result<Vec<Job>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 500)).unwrap_or(100);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE 1=1"));
            if let Some(s) = state {
                q.push(" AND state = ").push_bind(s.to_string());
            }
            q.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
            Ok(q.build_query_as::<Job>().fetch_all(pool).await?)
        })
    }

    /// The jobs of one case (its outbox), newest first.
    pub async fn list_case_jobs(&self, case: CaseId) -> Result<Vec<Job>, StoreError> {
        self.rows_by(
            &format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE case_id = $1 AND kind <> 'event' ORDER BY id DESC LIMIT 200"
            ),
            case.0,
        )
        .await
    }

    /// How many jobs are in each state.
    pub async fn count_jobs(&self) -> Result<Vec<(String, i64)>, StoreError> {
        with_pool!(self, |pool| {
            Ok(
                sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
                    .fetch_all(pool)
                    .await?,
            )
        })
    }

    /// Jobs of one kind per state.
    pub async fn count_jobs_of_kind(&self, kind: &str) -> Result<Vec<(String, i64)>, StoreError> {
        with_pool!(self, |pool| {
            Ok(
                sqlx::query_as("SELECT state, COUNT(*) FROM jobs WHERE kind = $1 GROUP BY state ORDER BY state")
                    .bind(kind)
                    .fetch_all(pool)
                    .await?,
            )
        })
    }

    /// Puts a dead job back in the queue with fresh attempts.
    pub async fn retry_job(&self, id: Uuid, actor: Option<UserId>, now: DateTime<Utc>) -> Result<Job, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, updated_at = $1 \
                 WHERE id = $2 AND state = 'dead'",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                let exists: Option<(String,)> = sqlx::query_as("SELECT state FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(match exists {
                    None => StoreError::NotFound("job"),
                    Some((s,)) => StoreError::Conflict {
                        field: None,
                        detail: format!("only dead jobs can be retried; this one is {s}"),
                    },
                });
            }
            tx.commit_audited(Audit {
                actor,
                action: "job.retry",
                entity: "job",
                entity_id: id.to_string(),
                detail: serde_json::Value::Null,
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_job(id).await
    }

    /// A server-wide secret: the stored one, or `candidate` stored now if
    /// none exists yet (every instance ends up with the same value).
    pub async fn secret(&self, name: &str, candidate: &str, now: DateTime<Utc>) -> Result<String, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO app_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(candidate)
            .bind(now)
            .execute(pool)
            .await?;
            let (v,): (String,) = sqlx::query_as("SELECT value FROM app_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?;
            Ok(v)
        })
    }
}

/// The one id generator of amends: a UUIDv7 for a row created at `now`,
/// with a per-process counter so ids of one millisecond keep their order
/// (see `audit::new_id`). Every use case takes its ids from here.
#[must_use]
pub fn new_row_id(now: DateTime<Utc>) -> Uuid {
    new_id(now)
}

/// The smallest id [`new_row_id`] can give for the millisecond `at`: every
/// row written from then on sorts after it (a keyset start by time).
#[must_use]
pub fn first_row_id_at(at: DateTime<Utc>) -> Uuid {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = 0x70;
    Uuid::from_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::{first_row_id_at, new_row_id};
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn the_first_id_of_a_millisecond_sorts_between_it_and_the_one_before() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 30, 0).single().expect("time");
        let floor = first_row_id_at(at);
        assert!(new_row_id(at) > floor);
        assert!(new_row_id(at + Duration::milliseconds(1)) > floor);
        assert!(new_row_id(at - Duration::milliseconds(1)) < floor);
        assert_eq!(floor.get_version_num(), 7);
    }
}
