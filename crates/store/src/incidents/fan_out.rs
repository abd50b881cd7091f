//! The fan-out of an incident: staging affected customers as pending; the
//! chunk transactions that write the server's plan with the affected rows
//! and the incident's totals ([`Store::fan_out_upload`] for an upload chunk
//! looked up inside it, [`WriteSession::write_fan_out`] for one looked up
//! before, [`Store::fan_out_chunk`] for staged rows); and the "created" event
//! of a case the fan-out made, which it does not store.

use crate::dialect::{BeginWrite, BeginWriteOn, Dialect};
use crate::outbox::Outbox;
use crate::write_session::{WriteSession, with_session};
use crate::{NewJob, Store, StoreError, with_pool};
use amends_domain::{IncidentId, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::budget::FanOutBudget;
use super::lookup::{
    UploadLookup, UploadLookups, external_ids_json, lookup_plan_hint, newest_open_case, upload_lookup_sql,
};
use super::plan_rows::{FanOutWrites, facts_of_outcomes};
use super::{FanOutPlan, PendingAffected};

/// What the fan-out of one upload chunk did.
#[derive(Debug, Clone, Default)]
pub struct UploadChunk {
    /// Indexes (into the chunk) of rows naming no known customer.
    pub unknown: Vec<usize>,
    /// Customers new to the incident, fanned out.
    pub added: u64,
    /// Customers already affected by the incident.
    pub known: u64,
}

/// What the timeline needs to show the creation of a case the fan-out made.
#[derive(sqlx::FromRow)]
struct FanOutCreation {
    created_at: DateTime<Utc>,
    channel: String,
    origin: String,
    priority: String,
    incident_id: Uuid,
    title: String,
    facts: Option<String>,
    grant_id: Option<Uuid>,
    grant_kind: Option<String>,
    value_cents: Option<i64>,
    currency: Option<String>,
    grant_state: Option<String>,
    rule_name: Option<String>,
}

impl FanOutCreation {
    /// The "created" event as the fan-out would have written it: the case's
    /// channel, origin and priority, the incident, the customer's facts and
    /// the automatic goodwill (in its state now). It has the case's id (the
    /// case was made before anything else happened to it) and no author: the
    /// fan-out made it, and who uploaded is in the audit log.
    fn into_event(self, case: amends_domain::CaseId) -> crate::CaseEvent {
        let facts = self
            .facts
            .as_deref()
            .and_then(|f| serde_json::from_str::<serde_json::Value>(f).ok())
            .unwrap_or(serde_json::Value::Null);
        let mut data = json!({"channel": self.channel, "origin": self.origin, "priority": self.priority,
                              "incident_id": self.incident_id, "title": self.title, "facts": facts});
        if let (Some(grant_id), Some(kind)) = (self.grant_id, self.grant_kind.as_deref()) {
            data["goodwill"] = amends_domain::goodwill::AutomaticGrant {
                grant_id,
                state: self.grant_state.as_deref(),
                kind,
                value_cents: self.value_cents,
                currency: self.currency.as_deref(),
                rule: self.rule_name.as_deref(),
            }
            .event_data();
        }
        crate::CaseEvent {
            id: amends_domain::EventId(case.0),
            case_id: case,
            kind: crate::EventKind::Created,
            author_id: None,
            author_name: None,
            body: None,
            data: Some(data.to_string()),
            created_at: self.created_at,
        }
    }
}

/// The lock that orders the chunk transactions of one incident: the
/// incident's row, on PostgreSQL (SQLite has one writer anyway).
fn incident_lock(d: Dialect) -> Option<String> {
    d.lock_rows("SELECT id FROM incidents WHERE id = $1")
}

impl Store {
    /// The "created" event of a case the incident fan-out made, worked out
    /// from the case, its affected row and its automatic grant: the fan-out
    /// does not store one (100,000 timeline rows fewer per 100,000 affected
    /// customers; see docs/INCIDENTS.md). `None` for every other case.
    pub(crate) async fn fan_out_created_event(
        &self,
        case: amends_domain::CaseId,
    ) -> Result<Option<crate::CaseEvent>, StoreError> {
        let row: Option<FanOutCreation> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT c.created_at, c.channel, c.origin, c.priority, c.incident_id, i.title, a.facts, \
                 g.id AS grant_id, g.kind AS grant_kind, g.value_cents, g.currency, g.state AS grant_state, \
                 r.name AS rule_name FROM cases c JOIN incidents i ON i.id = c.incident_id \
                 JOIN incident_affected a ON a.incident_id = c.incident_id AND a.customer_id = c.customer_id \
                 LEFT JOIN goodwill_grants g ON g.id = a.grant_id LEFT JOIN goodwill_rules r ON r.id = g.rule_id \
                 WHERE c.id = $1 AND a.case_id = c.id AND a.case_created = TRUE",
            )
            .bind(case.0)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|r| r.into_event(case)))
    }

    /// Stages affected customers (customer id, facts as JSON) as pending;
    /// rows already known for this incident are skipped. Enqueues `job`
    /// (the fan-out, deduplicated by its key) in the same transaction.
    /// Gives how many rows were new.
    pub async fn stage_affected(
        &self,
        incident: IncidentId,
        rows: &[(Uuid, String)],
        job: &NewJob,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let mut added = 0;
            for chunk in rows.chunks(crate::bulk::CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO incident_affected (incident_id, customer_id, facts, state, created_at) ",
                );
                q.push_values(chunk, |mut r, (customer, facts)| {
                    r.push_bind(incident.0)
                        .push_bind(*customer)
                        .push_bind(facts.clone())
                        .push_bind("pending")
                        .push_bind(now);
                });
                q.push(" ON CONFLICT (incident_id, customer_id) DO NOTHING");
                added += q.build().execute(&mut *tx).await?.rows_affected();
            }
            if added > 0 {
                sqlx::query("UPDATE incidents SET affected_count = affected_count + $1, updated_at = $2 WHERE id = $3")
                    .bind(i64::try_from(added).unwrap_or(i64::MAX))
                    .bind(now)
                    .bind(incident.0)
                    .execute(&mut *tx)
                    .await?;
                let _ = tx.insert_job(job, now).await?;
            }
            tx.commit().await?;
            Ok(added)
        })
    }

    /// Fans out one chunk of an upload (`rows`: external id and facts as
    /// JSON) in one transaction, writing each affected row once, in its
    /// final state: looks the customers up with their open case, skips those
    /// already affected by this incident, lets `plan` decide, writes cases,
    /// events, grants, the chunk's message job and the affected rows, and
    /// adds to the counters. On PostgreSQL the incident row is locked first,
    /// so two uploads of one incident take their chunks one after the other
    /// (and never add a customer twice).
    pub async fn fan_out_upload<F>(
        &self,
        incident: IncidentId,
        rows: &[(String, String)],
        actor: Option<UserId>,
        now: DateTime<Utc>,
        plan: F,
    ) -> Result<UploadChunk, StoreError>
    where
        F: FnOnce(&[PendingAffected]) -> FanOutPlan,
    {
        let d = self.dialect();
        let (lock, lookup, hint) = (incident_lock(d), upload_lookup_sql(d), lookup_plan_hint(d));
        let ledger = d.lock_goodwill_ledger();
        let ids = external_ids_json(rows);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(lock) = lock {
                sqlx::query(sqlx::AssertSqlSafe(lock))
                    .bind(incident.0)
                    .execute(&mut *tx)
                    .await?;
            }
            let found = tx.look_up_chunk(hint, lookup, incident, ids).await?;
            let UploadLookup {
                unknown,
                known,
                pending,
            } = UploadLookup::of(rows, found);
            let mut out = UploadChunk {
                unknown,
                added: 0,
                known,
            };
            if pending.is_empty() {
                return Ok(out);
            }
            let mut p = plan(&pending);
            tx.hold_over_budget(ledger, &mut p, now).await?;
            tx.write_plan_rows(&p, incident, now).await?;
            let row_facts = facts_of_outcomes(&pending, &p.outcomes);
            tx.insert_done_rows(incident, &p.outcomes, &row_facts, now).await?;
            out.added = u64::try_from(p.outcomes.len()).unwrap_or(0);
            tx.add_totals(incident, &p, true, actor, now).await?;
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Takes up to `limit` pending affected customers of `incident`, lets
    /// `plan` decide what to write for them, and writes it all in one
    /// transaction. Gives how many rows were processed (0 = nothing pending).
    pub async fn fan_out_chunk<F>(
        &self,
        incident: IncidentId,
        limit: usize,
        actor: Option<UserId>,
        now: DateTime<Utc>,
        plan: F,
    ) -> Result<usize, StoreError>
    where
        F: FnOnce(&[PendingAffected]) -> FanOutPlan,
    {
        let limit = i64::try_from(limit.clamp(1, 5000)).unwrap_or(1000);
        let d = self.dialect();
        let open_case = newest_open_case(d, "a.customer_id");
        let (lock, pending_index) = (d.skip_locked(Some("a")), d.indexed_by("incident_affected_pending"));
        let select = format!(
            "SELECT a.customer_id, a.facts, cu.tier, cu.language, \
             (cu.email IS NOT NULL AND cu.consent_contact) AS reachable, ({open_case}) \
             AS open_case_id FROM incident_affected a{pending_index} JOIN customers cu ON cu.id = a.customer_id \
             WHERE a.incident_id = $1 AND a.state = 'pending' LIMIT $2{lock}"
        );
        let (hint, ledger) = (lookup_plan_hint(d), d.lock_goodwill_ledger());
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(hint) = hint {
                sqlx::query(hint).execute(&mut *tx).await?;
            }
            let pending: Vec<PendingAffected> = sqlx::query_as(sqlx::AssertSqlSafe(select))
                .bind(incident.0)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
            if pending.is_empty() {
                return Ok(0);
            }
            let mut p = plan(&pending);
            tx.hold_over_budget(ledger, &mut p, now).await?;
            tx.write_plan_rows(&p, incident, now).await?;
            for chunk in p.outcomes.chunks(crate::bulk::CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "WITH v (customer_id, case_id, case_created, language, message_job_id, grant_id) AS (",
                );
                q.push_values(chunk, |mut r, o| {
                    r.push_bind(o.customer_id)
                        .push_bind(o.case_id)
                        .push_bind(o.case_created)
                        .push_bind(o.language.clone())
                        .push_bind(o.message_job_id)
                        .push_bind(o.grant_id);
                });
                q.push(
                    ") UPDATE incident_affected SET state = 'done', case_id = v.case_id, case_created = v.case_created, \
                     language = v.language, message_job_id = v.message_job_id, grant_id = v.grant_id, \
                     message_state = CASE WHEN v.message_job_id IS NULL THEN NULL ELSE 'queued' END, processed_at = ",
                )
                .push_bind(now)
                .push(" FROM v WHERE incident_affected.incident_id = ")
                .push_bind(incident.0)
                .push(" AND incident_affected.customer_id = v.customer_id");
                q.build().execute(&mut *tx).await?;
            }
            tx.add_totals(incident, &p, false, actor, now).await?;
            tx.commit().await?;
            Ok(pending.len())
        })
    }

    /// Writes the rows of `plans` (cases, events, grants, jobs and the
    /// affected rows, already done) with plain multi-row inserts in one
    /// transaction, without staging, lookups or counters: the baseline of
    /// the fan-out benchmark.
    pub async fn insert_plan_rows(
        &self,
        incident: IncidentId,
        plans: &[FanOutPlan],
        facts: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            for p in plans {
                tx.write_plan_rows(p, incident, now).await?;
                let facts: Vec<&str> = vec![facts; p.outcomes.len()];
                tx.insert_done_rows(incident, &p.outcomes, &facts, now).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

impl WriteSession {
    /// Writes a chunk looked up by [`Store::lookup_upload`] and planned by the
    /// server, in one transaction on the upload's write session: the plan's
    /// rows, the affected rows (done) and the totals. `Ok(false)`: someone
    /// added one of these customers to the incident since the lookup (a
    /// concurrent upload); nothing was written, and the chunk should go
    /// through [`Store::fan_out_upload`].
    pub async fn write_fan_out(
        &mut self,
        incident: IncidentId,
        pending: &[PendingAffected],
        p: &mut FanOutPlan,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let lock = incident_lock(self.store.dialect());
        let ledger = self.store.dialect().lock_goodwill_ledger();
        let written = with_session!(self, |conn| {
            let mut tx = conn.begin_write().await?;
            if let Some(lock) = lock {
                sqlx::query(sqlx::AssertSqlSafe(lock))
                    .bind(incident.0)
                    .execute(&mut *tx)
                    .await?;
            }
            let written: Result<(), StoreError> = async {
                tx.hold_over_budget(ledger, p, now).await?;
                tx.write_plan_rows(p, incident, now).await?;
                let row_facts = facts_of_outcomes(pending, &p.outcomes);
                tx.insert_done_rows(incident, &p.outcomes, &row_facts, now).await?;
                Ok(())
            }
            .await;
            match written {
                Err(StoreError::Database(sqlx::Error::Database(db))) if db.is_unique_violation() => false,
                Err(e) => return Err(e),
                Ok(()) => {
                    tx.add_totals(incident, p, true, actor, now).await?;
                    tx.commit().await?;
                    true
                }
            }
        });
        if written {
            self.committed().await;
        }
        Ok(written)
    }
}
