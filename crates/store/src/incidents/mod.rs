//! Incidents and their affected customers: the incident rows (create,
//! change, list), the affected rows as the incident page shows them and the
//! figures counted live.
//!
//! The fan-out that turns each affected customer into a proactive recovery
//! case, an outbox message and automatic goodwill lives in the submodules:
//! an upload first *stages* the affected customers (`pending` rows, one per
//! (incident, customer), so a retried upload adds nothing twice); the
//! fan-out then takes pending rows in chunks and, in one transaction per
//! chunk, writes the cases, timeline events, grants and message jobs and
//! marks the rows done. A crash loses at most the chunk in flight, which
//! stays pending and is taken again by the next fan-out (the job enqueued
//! with the first staged rows).
//!
//! - `lookup`: finding the customers an upload names (who exists, their
//!   newest open case, who is affected already);
//! - `plan_rows`: the plan the server makes for a chunk and the
//!   multi-row statements that write it;
//! - `fan_out`: staging, the chunk transactions and what they add to the
//!   incident;
//! - `notices`: the notice outbox (queued notices, recording sent ones,
//!   the closing update).

mod budget;
mod fan_out;
mod lookup;
mod notices;
mod plan_rows;

pub use fan_out::UploadChunk;
pub use lookup::{CustomerRef, PendingAffected, UploadLookup};
pub use notices::QueuedNotice;
pub use plan_rows::{AffectedOutcome, AutoGrant, FanOutPlan};

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::outbox::Outbox;
use crate::{NewJob, Store, StoreError, with_pool};
use amends_domain::incident::{IncidentDraft, IncidentKind, IncidentStatus};
use amends_domain::{IncidentId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Incident {
    #[sqlx(try_from = "Uuid")]
    pub id: IncidentId,
    #[sqlx(try_from = "String")]
    pub kind: IncidentKind,
    pub title: String,
    pub severity: i32,
    pub controllable: bool,
    #[sqlx(try_from = "String")]
    pub status: IncidentStatus,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub component: Option<String>,
    pub release: Option<String>,
    pub summary_de: String,
    pub summary_en: String,
    /// manual, api, alertmanager
    pub source: String,
    pub alert_key: Option<String>,
    pub created_by: Uuid,
    pub affected_count: i64,
    pub processed_count: i64,
    pub cases_created: i64,
    pub cases_updated: i64,
    pub messages_queued: i64,
    pub goodwill_granted: i64,
    pub goodwill_cents: i64,
    pub closing_messages: i64,
    pub closing_queued_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const INCIDENT_COLUMNS: &str = "id, kind, title, severity, controllable, status, started_at, ended_at, component, \
     release, summary_de, summary_en, source, alert_key, created_by, affected_count, processed_count, cases_created, \
     cases_updated, messages_queued, goodwill_granted, goodwill_cents, closing_messages, closing_queued_at, \
     created_at, updated_at";

/// One affected customer on the incident page.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AffectedRow {
    pub customer_id: Uuid,
    pub customer_name: String,
    pub external_id: Option<String>,
    pub facts: String,
    /// pending, done
    pub state: String,
    pub language: Option<String>,
    pub case_id: Option<Uuid>,
    pub case_state: Option<String>,
    pub case_created: Option<bool>,
    pub message_job_id: Option<Uuid>,
    /// queued, done, dead (of the notice; none: not contacted)
    pub message_state: Option<String>,
    pub grant_id: Option<Uuid>,
    pub goodwill_cents: Option<i64>,
    pub goodwill_currency: Option<String>,
    pub goodwill_name_de: Option<String>,
    pub goodwill_name_en: Option<String>,
}

const AFFECTED_SELECT: &str = "SELECT a.customer_id, cu.name AS customer_name, cu.external_id, a.facts, a.state, \
     a.language, a.case_id, c.state AS case_state, a.case_created, a.message_job_id, a.message_state, \
     a.grant_id, g.value_cents AS goodwill_cents, g.currency AS goodwill_currency, gc.name_de AS goodwill_name_de, \
     gc.name_en AS goodwill_name_en FROM incident_affected a JOIN customers cu ON cu.id = a.customer_id \
     LEFT JOIN cases c ON c.id = a.case_id \
     LEFT JOIN goodwill_grants g ON g.id = a.grant_id LEFT JOIN goodwill_catalog gc ON gc.id = g.catalog_item_id";

/// Live figures of an incident beyond its counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IncidentStats {
    pub cases_open: i64,
    /// Notices by state (queued, done, dead).
    pub messages_by_state: Vec<(String, i64)>,
    /// Feedback from affected customers since the incident started, by sentiment.
    pub feedback_by_sentiment: Vec<(String, i64)>,
    pub surveys_answered: i64,
    pub csat_average: Option<f64>,
}

/// Feedback of an affected customer.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AffectedFeedback {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub channel: String,
    pub rating: Option<i32>,
    pub text: String,
    pub sentiment: String,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Records a new incident.
    pub async fn insert_incident(
        &self,
        d: &IncidentDraft,
        source: &str,
        alert_key: Option<&str>,
        actor: UserId,
        now: DateTime<Utc>,
    ) -> Result<Incident, StoreError> {
        let id = crate::audit::new_id(now);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO incidents (id, kind, title, severity, controllable, status, started_at, ended_at, \
                 component, release, summary_de, summary_en, source, alert_key, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
            )
            .bind(id)
            .bind(d.kind.as_str())
            .bind(&d.title)
            .bind(i32::from(d.severity))
            .bind(d.controllable)
            .bind(if d.ended_at.is_some() && source == "alertmanager" {
                IncidentStatus::Mitigated.as_str()
            } else {
                IncidentStatus::Open.as_str()
            })
            .bind(d.started_at)
            .bind(d.ended_at)
            .bind(d.component.as_deref())
            .bind(d.release.as_deref())
            .bind(&d.summary_de)
            .bind(&d.summary_en)
            .bind(source)
            .bind(alert_key)
            .bind(actor.0)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "groupKey", || "an incident for this alert group exists".into()))?;
            let event = NewJob::event(
                "incident.created",
                None,
                json!({"incident_id": id, "title": d.title, "kind": d.kind, "severity": d.severity, "source": source,
                       "started_at": d.started_at}),
                now,
            );
            let _ = tx.insert_job(&event, now).await?;
            tx.commit_audited(Audit {
                actor: Some(actor),
                action: "incident.create",
                entity: "incident",
                entity_id: id.to_string(),
                detail: json!({"title": d.title, "kind": d.kind, "severity": d.severity, "source": source}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_incident(IncidentId(id)).await
    }

    /// The incident of an Alertmanager group, if one was opened for it.
    pub async fn find_incident_by_alert(&self, key: &str) -> Result<Option<Incident>, StoreError> {
        self.find_row(
            &format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE alert_key = $1"),
            key,
        )
        .await
    }

    pub async fn get_incident(&self, id: IncidentId) -> Result<Incident, StoreError> {
        self.row_by(
            &format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1"),
            id.0,
            "incident",
        )
        .await
    }

    /// Incidents, newest first, optionally of one status.
    pub async fn list_incidents(
        &self,
        status: Option<IncidentStatus>,
        limit: usize,
    ) -> Result<Vec<Incident>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 500)).unwrap_or(100);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE 1=1"));
            if let Some(s) = status {
                q.push(" AND status = ").push_bind(s.as_str());
            }
            q.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
            Ok(q.build_query_as::<Incident>().fetch_all(pool).await?)
        })
    }

    /// Changes the fields of an incident (not its counters), with an audit entry.
    pub async fn update_incident(
        &self,
        id: IncidentId,
        d: &IncidentDraft,
        status: IncidentStatus,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Incident, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE incidents SET kind = $1, title = $2, severity = $3, controllable = $4, status = $5, \
                 started_at = $6, ended_at = $7, component = $8, release = $9, summary_de = $10, summary_en = $11, \
                 updated_at = $12 WHERE id = $13",
            )
            .bind(d.kind.as_str())
            .bind(&d.title)
            .bind(i32::from(d.severity))
            .bind(d.controllable)
            .bind(status.as_str())
            .bind(d.started_at)
            .bind(d.ended_at)
            .bind(d.component.as_deref())
            .bind(d.release.as_deref())
            .bind(&d.summary_de)
            .bind(&d.summary_en)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("incident"));
            }
            let event = NewJob::event(
                "incident.updated",
                None,
                json!({"incident_id": id, "title": d.title, "status": status, "severity": d.severity,
                       "ended_at": d.ended_at}),
                now,
            );
            let _ = tx.insert_job(&event, now).await?;
            tx.commit_audited(Audit {
                actor,
                action: "incident.update",
                entity: "incident",
                entity_id: id.to_string(),
                detail: json!({"title": d.title, "status": status, "severity": d.severity, "ended_at": d.ended_at}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_incident(id).await
    }

    /// Affected customers of an incident, by customer id (keyset `after`).
    pub async fn list_affected(
        &self,
        incident: IncidentId,
        after: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<AffectedRow>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(100);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("{AFFECTED_SELECT} WHERE a.incident_id = "));
            q.push_bind(incident.0);
            if let Some(a) = after {
                q.push(" AND a.customer_id > ").push_bind(a);
            }
            q.push(" ORDER BY a.customer_id LIMIT ").push_bind(limit);
            Ok(q.build_query_as::<AffectedRow>().fetch_all(pool).await?)
        })
    }

    /// One affected customer of an incident.
    pub async fn get_affected(&self, incident: IncidentId, customer: Uuid) -> Result<AffectedRow, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, AffectedRow>(sqlx::AssertSqlSafe(format!(
                "{AFFECTED_SELECT} WHERE a.incident_id = $1 AND a.customer_id = $2"
            )))
            .bind(incident.0)
            .bind(customer)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound("affected customer"))
        })
    }

    /// Figures of the incident page that are counted live.
    pub async fn incident_stats(&self, i: &Incident) -> Result<IncidentStats, StoreError> {
        with_pool!(self, |pool| {
            let (cases_open,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM cases WHERE incident_id = $1 AND open = TRUE")
                    .bind(i.id.0)
                    .fetch_one(pool)
                    .await?;
            let messages_by_state: Vec<(String, i64)> = sqlx::query_as(
                "SELECT message_state, COUNT(*) FROM incident_affected WHERE incident_id = $1 \
                 AND message_state IS NOT NULL GROUP BY message_state ORDER BY message_state",
            )
            .bind(i.id.0)
            .fetch_all(pool)
            .await?;
            let feedback_by_sentiment: Vec<(String, i64)> = sqlx::query_as(
                "SELECT f.sentiment, COUNT(*) FROM incident_affected a JOIN feedback f ON f.customer_id = a.customer_id \
                 WHERE a.incident_id = $1 AND f.created_at >= $2 GROUP BY f.sentiment ORDER BY f.sentiment",
            )
            .bind(i.id.0)
            .bind(i.started_at)
            .fetch_all(pool)
            .await?;
            let (surveys_answered, csat_average): (i64, Option<f64>) = sqlx::query_as(
                "SELECT COUNT(*), AVG(CAST(s.score AS DOUBLE PRECISION)) FROM surveys s JOIN cases c ON c.id = s.case_id \
                 WHERE c.incident_id = $1 AND s.state = 'answered'",
            )
            .bind(i.id.0)
            .fetch_one(pool)
            .await?;
            Ok(IncidentStats {
                cases_open,
                messages_by_state,
                feedback_by_sentiment,
                surveys_answered,
                csat_average,
            })
        })
    }

    /// The newest feedback of affected customers since the incident started.
    pub async fn incident_feedback(&self, i: &Incident, limit: usize) -> Result<Vec<AffectedFeedback>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 200)).unwrap_or(20);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, AffectedFeedback>(
                "SELECT f.id, f.customer_id, cu.name AS customer_name, f.channel, f.rating, f.text, f.sentiment, \
                 f.created_at FROM incident_affected a JOIN feedback f ON f.customer_id = a.customer_id \
                 JOIN customers cu ON cu.id = a.customer_id WHERE a.incident_id = $1 AND f.created_at >= $2 \
                 ORDER BY f.id DESC LIMIT $3",
            )
            .bind(i.id.0)
            .bind(i.started_at)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }
}
