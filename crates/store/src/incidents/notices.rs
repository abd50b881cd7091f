//! The notice outbox of incidents. The fan-out queues one message job per
//! chunk, and each affected row it contacts is that job's outbox entry for
//! one customer's notice; the job reads its queued notices and records each
//! sent one. Also here: the multi-row insert of message jobs (the fan-out's
//! and the closing update's) and the closing update, which enqueues one
//! message job per processed customer with a case.

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::jobs::JobWrites;
use crate::{JobEffects, NewJob, Store, StoreError, with_pool};
use amends_domain::{IncidentId, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::PendingAffected;

/// A notice still to send (the affected row is its outbox entry).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedNotice {
    pub incident_id: Uuid,
    pub customer_id: Uuid,
    pub case_id: Option<Uuid>,
    pub language: Option<String>,
}

crate::backend_trait! {
    /// The multi-row insert of message jobs.
    pub(super) trait NoticeWrites {
        /// Inserts `jobs` (a slice of `(id, NewJob)`) as queued outbox jobs with
        /// multi-row statements; a used dedupe key is skipped. Gives how many were new.
        async fn insert_job_rows(&mut self, jobs: &[(Uuid, NewJob)], now: DateTime<Utc>) -> Result<u64, StoreError> {
            let mut added = 0_u64;
            for chunk in jobs.chunks(crate::bulk::CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO jobs (id, kind, payload, dedupe_key, case_id, state, run_at, attempts, max_attempts, \
                     created_at, updated_at) ",
                );
                q.push_values(chunk, |mut r, (id, j)| {
                    r.push_bind(*id)
                        .push_bind(j.kind.clone())
                        .push_bind(j.payload.to_string())
                        .push_bind(j.dedupe_key.clone())
                        .push_bind(j.case_id.map(|c| c.0))
                        .push_bind("queued")
                        .push_bind(j.run_at)
                        .push_bind(0_i32)
                        .push_bind(j.max_attempts)
                        .push_bind(now)
                        .push_bind(now);
                });
                q.push(" ON CONFLICT (dedupe_key) DO NOTHING");
                added += q.build().execute(&mut *self).await?.rows_affected();
            }
            Ok(added)
        }
    }
}

impl Store {
    /// The notices the `incident_notices` job `job` still has to send.
    pub async fn queued_notices(&self, job: Uuid) -> Result<Vec<QueuedNotice>, StoreError> {
        self.rows_by(
            "SELECT incident_id, customer_id, case_id, language FROM incident_affected \
                 WHERE message_job_id = $1 AND message_state = 'queued' ORDER BY customer_id",
            job,
        )
        .await
    }

    /// Records the outcome of one notice (`done` or `dead`) with its effects
    /// (the message on the case timeline), if `worker` still holds the job
    /// `job`; renews its lease until `lease_until`. `false`: the lease was
    /// lost, nothing was changed (the job's new holder sends the rest).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_notice(
        &self,
        job: Uuid,
        worker: &str,
        lease_until: DateTime<Utc>,
        n: &QueuedNotice,
        state: &str,
        fx: &JobEffects,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let held = sqlx::query(
                "UPDATE jobs SET locked_until = $1, updated_at = $2 WHERE id = $3 AND state = 'running' AND locked_by = $4",
            )
            .bind(lease_until)
            .bind(now)
            .bind(job)
            .bind(worker)
            .execute(&mut *tx)
            .await?;
            if held.rows_affected() == 0 {
                return Ok(false);
            }
            let done = sqlx::query(
                "UPDATE incident_affected SET message_state = $1, message_sent_at = $2 \
                 WHERE incident_id = $3 AND customer_id = $4 AND message_state = 'queued'",
            )
            .bind(state)
            .bind((state == "done").then_some(now))
            .bind(n.incident_id)
            .bind(n.customer_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                tx.apply_effects(fx, now).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Marks the incident resolved and enqueues the closing update for
    /// every processed affected customer with a case, in chunks; `job`
    /// builds the message job of one customer (`None`: not to be contacted).
    /// Safe to call again: dedupe keys keep each closing message single.
    pub async fn queue_closing_update<F>(
        &self,
        incident: IncidentId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
        job: F,
    ) -> Result<i64, StoreError>
    where
        F: Fn(&PendingAffected, Uuid) -> Option<NewJob>,
    {
        let mut after: Option<Uuid> = None;
        let mut queued = 0_i64;
        loop {
            let rows: Vec<PendingAffected> = with_pool!(self, |pool| {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT a.customer_id, a.facts, cu.tier, COALESCE(a.language, cu.language) AS language, \
                     (cu.email IS NOT NULL AND cu.consent_contact) AS reachable, a.case_id AS open_case_id FROM incident_affected a \
                     JOIN customers cu ON cu.id = a.customer_id WHERE a.state = 'done' AND a.incident_id = ",
                );
                q.push_bind(incident.0);
                if let Some(a) = after {
                    q.push(" AND a.customer_id > ").push_bind(a);
                }
                q.push(" ORDER BY a.customer_id LIMIT 1000");
                q.build_query_as::<PendingAffected>().fetch_all(pool).await?
            });
            let Some(last) = rows.last() else { break };
            after = Some(last.customer_id);
            // `open_case_id` holds the case the fan-out linked to the customer.
            let jobs: Vec<NewJob> = rows
                .iter()
                .filter_map(|r| r.open_case_id.and_then(|c| job(r, c)))
                .collect();
            with_pool!(self, |pool| {
                let mut tx = pool.begin_write().await?;
                let with_ids: Vec<(Uuid, NewJob)> = jobs.into_iter().map(|j| (crate::audit::new_id(now), j)).collect();
                let added: u64 = tx.insert_job_rows(&with_ids, now).await?;
                let added = i64::try_from(added).unwrap_or(i64::MAX);
                sqlx::query(
                    "UPDATE incidents SET closing_messages = closing_messages + $1, \
                     closing_queued_at = COALESCE(closing_queued_at, $2), updated_at = $2 WHERE id = $3",
                )
                .bind(added)
                .bind(now)
                .bind(incident.0)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                queued += added;
                Ok::<(), StoreError>(())
            })?;
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE incidents SET closing_queued_at = COALESCE(closing_queued_at, $1) WHERE id = $2")
                .bind(now)
                .bind(incident.0)
                .execute(&mut *tx)
                .await?;
            tx.commit_audited(Audit {
                actor,
                action: "incident.closing_update",
                entity: "incident",
                entity_id: incident.to_string(),
                detail: json!({"messages_queued": queued}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(queued)
    }
}
