//! Bulk inserts for imports and demo data: multi-row `VALUES` in chunks
//! inside one transaction (SQLite allows at most 32,766 parameters per
//! statement; PostgreSQL 65,535).

use crate::dialect::BeginWrite;
use crate::{NewCustomer, Store, StoreError, with_pool};
use amends_domain::{AccountId, CaseId, CaseState, Channel, Origin, Priority, Tier, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A case with its full state, as imports and the demo generator know it.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub id: CaseId,
    pub customer_id: Uuid,
    pub subject: String,
    pub description: String,
    pub channel: Channel,
    pub origin: Origin,
    pub state: CaseState,
    pub priority: Priority,
    pub tier: Tier,
    pub assignee_id: Option<UserId>,
    pub first_response_due_at: DateTime<Utc>,
    pub resolution_due_at: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub sla_paused_at: Option<DateTime<Utc>>,
    pub severity: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The incident that opened the case (proactive recovery).
    pub incident_id: Option<Uuid>,
}

/// A timeline entry with its own id and time.
#[derive(Debug, Clone)]
pub struct EventRecord {
    pub id: Uuid,
    pub case_id: CaseId,
    pub kind: crate::EventKind,
    pub author_id: Option<UserId>,
    pub body: Option<String>,
    pub data: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Rows to insert together.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub accounts: Vec<(AccountId, String, DateTime<Utc>)>,
    pub customers: Vec<NewCustomer>,
    pub cases: Vec<CaseRecord>,
    pub events: Vec<EventRecord>,
}

pub(crate) const CHUNK: usize = 1000;

crate::backend_trait! {
    /// Multi-row inserts shared with the incident fan-out.
    pub(crate) trait BulkWrites {
        /// Inserts case records in multi-row statements.
        async fn insert_case_records(&mut self, records: &[CaseRecord]) -> Result<(), StoreError> {
            for chunk in records.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO cases (id, customer_id, subject, description, channel, origin, state, priority, tier, \
                     assignee_id, first_response_due_at, resolution_due_at, first_responded_at, resolved_at, closed_at, \
                     severity, created_at, updated_at, open, sla_paused_at, incident_id) ",
                );
                q.push_values(chunk, |mut r, c| {
                    r.push_bind(c.id.0)
                        .push_bind(c.customer_id)
                        .push_bind(c.subject.clone())
                        .push_bind(c.description.clone())
                        .push_bind(c.channel.as_str())
                        .push_bind(c.origin.as_str())
                        .push_bind(c.state.as_str())
                        .push_bind(c.priority.as_str())
                        .push_bind(c.tier.as_str())
                        .push_bind(c.assignee_id.map(|u| u.0))
                        .push_bind(c.first_response_due_at)
                        .push_bind(c.resolution_due_at)
                        .push_bind(c.first_responded_at)
                        .push_bind(c.resolved_at)
                        .push_bind(c.closed_at)
                        .push_bind(c.severity)
                        .push_bind(c.created_at)
                        .push_bind(c.updated_at)
                        .push_bind(c.state.is_open())
                        .push_bind(c.sla_paused_at)
                        .push_bind(c.incident_id);
                });
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        }

        /// Inserts timeline records in multi-row statements.
        async fn insert_event_records(&mut self, records: &[EventRecord]) -> Result<(), StoreError> {
            for chunk in records.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO case_events (id, case_id, kind, author_id, body, data, created_at) ",
                );
                q.push_values(chunk, |mut r, e| {
                    r.push_bind(e.id)
                        .push_bind(e.case_id.0)
                        .push_bind(e.kind.as_str())
                        .push_bind(e.author_id.map(|u| u.0))
                        .push_bind(e.body.clone())
                        .push_bind(e.data.clone())
                        .push_bind(e.created_at);
                });
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        }
    }
}

impl Store {
    /// Inserts the whole batch in one transaction: all or nothing.
    pub async fn insert_batch(&self, b: &Batch) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            for chunk in b.accounts.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new("INSERT INTO accounts (id, name, created_at) ");
                q.push_values(chunk, |mut r, (id, name, at)| {
                    r.push_bind(id.0).push_bind(name.clone()).push_bind(*at);
                });
                q.build().execute(&mut *tx).await?;
            }
            for chunk in b.customers.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO customers (id, external_id, account_id, name, email, language, tier, clv_cents, \
                     consent_contact, consent_survey, created_at, updated_at) ",
                );
                q.push_values(chunk, |mut r, c| {
                    r.push_bind(c.id.0)
                        .push_bind(c.external_id.clone())
                        .push_bind(c.account_id.map(|a| a.0))
                        .push_bind(c.name.as_str().to_string())
                        .push_bind(c.email.as_ref().map(|e| e.as_str().to_string()))
                        .push_bind(c.language.code())
                        .push_bind(c.tier.as_str())
                        .push_bind(c.clv_cents)
                        .push_bind(c.consent_contact)
                        .push_bind(c.consent_survey)
                        .push_bind(c.created_at)
                        .push_bind(c.created_at);
                });
                q.build().execute(&mut *tx).await?;
            }
            tx.insert_case_records(&b.cases).await?;
            tx.insert_event_records(&b.events).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}
