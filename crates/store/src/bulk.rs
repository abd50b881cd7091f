//! Bulk inserts for imports and demo data: multi-row `VALUES` in chunks
//! inside one transaction (SQLite allows at most 32,766 parameters per
//! statement; PostgreSQL 65,535).

use crate::dialect::BeginWrite;
use crate::{NewCustomer, Store, StoreError, with_pool};
use amends_domain::goodwill::GoodwillKind;
use amends_domain::{AccountId, CaseId, CaseState, Channel, CustomerId, Language, Origin, Priority, Tier, UserId};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
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
    /// The customer had a failure before (the paradox's moderator).
    pub repeat_failure: Option<bool>,
    /// The customer sees the failure as controllable by the company.
    pub controllable: Option<bool>,
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
/// An answered CSAT survey of a case.
#[derive(Debug, Clone)]
pub struct SurveyRecord {
    pub id: Uuid,
    pub case_id: CaseId,
    pub customer_id: CustomerId,
    pub language: Language,
    pub sent_at: DateTime<Utc>,
    pub answered_at: DateTime<Utc>,
    pub score: i32,
    pub solved: Option<bool>,
}

/// A rating (1–5) a customer gave without a complaint, e.g. in a relationship survey.
#[derive(Debug, Clone)]
pub struct RatingRecord {
    pub id: Uuid,
    pub customer_id: CustomerId,
    pub rating: i32,
    pub text: String,
    pub language: Language,
    pub created_at: DateTime<Utc>,
}

/// A feedback item with its analysis already made (demo and benchmark
/// streams), optionally on a case.
#[derive(Debug, Clone)]
pub struct FeedbackRecord {
    pub id: Uuid,
    pub customer_id: CustomerId,
    pub case_id: Option<CaseId>,
    pub channel: Channel,
    pub rating: Option<i32>,
    pub text: String,
    pub language: Language,
    /// negative, neutral, positive
    pub sentiment: &'static str,
    pub topics: Vec<String>,
    /// The product component, if the source named one.
    pub component: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Goodwill granted on a case (within limits; no approval needed).
#[derive(Debug, Clone)]
pub struct GrantRecord {
    pub id: Uuid,
    pub case_id: CaseId,
    pub customer_id: CustomerId,
    pub kind: GoodwillKind,
    pub value_cents: i64,
    pub reason: String,
    pub requested_by: UserId,
    pub granted_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub accounts: Vec<(AccountId, String, DateTime<Utc>)>,
    pub customers: Vec<NewCustomer>,
    pub cases: Vec<CaseRecord>,
    pub events: Vec<EventRecord>,
    /// Answered surveys (after the cases).
    pub surveys: Vec<SurveyRecord>,
    /// Rated feedback without a case (relationship surveys).
    pub ratings: Vec<RatingRecord>,
    /// Analysed feedback (after the cases).
    pub feedback: Vec<FeedbackRecord>,
    /// Granted goodwill (after the cases).
    pub grants: Vec<GrantRecord>,
    /// Customers who left, and when.
    pub churned: Vec<(CustomerId, DateTime<Utc>)>,
}

pub(crate) const CHUNK: usize = 1000;

/// Binds `ids` separated by commas: the inside of an `IN (…)` list.
pub(crate) fn push_ids<'i, DB>(q: &mut sqlx::QueryBuilder<DB>, ids: impl IntoIterator<Item = &'i Uuid>)
where
    DB: sqlx::Database,
    for<'t> Uuid: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut sep = q.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
}

crate::backend_trait! {
    /// Multi-row inserts shared with the incident fan-out.
    pub(crate) trait BulkWrites {
        /// After cases of `customers` were inserted: they have had a case,
        /// and their feedback no longer comes from customers who never had
        /// one (migration 0037). Per chunk of inserted cases one statement
        /// marks the customers, not a trigger per row; the feedback of those
        /// it marked (their first case) is unmarked by a second one, which
        /// the usual case — a customer who had a case before — does without.
        async fn cases_inserted_for(&mut self, customers: &[Uuid]) -> Result<(), StoreError> {
            for chunk in customers.chunks(CHUNK) {
                // `NOT had_case`, not `had_case = FALSE`: SQLite would read
                // the whole partial index `customers_never_failed` instead
                // of looking the chunk's customers up by id.
                let mut q = sqlx::QueryBuilder::new("UPDATE customers SET had_case = TRUE WHERE NOT had_case AND id IN (");
                push_ids(&mut q, chunk);
                q.push(") RETURNING id");
                let first: Vec<(Uuid,)> = q.build_query_as().fetch_all(&mut *self).await?;
                if first.is_empty() {
                    continue;
                }
                let mut q = sqlx::QueryBuilder::new(
                    "UPDATE feedback SET never_failed = FALSE WHERE never_failed = TRUE AND customer_id IN (",
                );
                push_ids(&mut q, first.iter().map(|(id,)| id));
                q.push(")");
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        }

        /// Which of `customers` never had a case: their new feedback is
        /// inserted with `never_failed` set (migration 0039). One lookup by
        /// id per chunk, not a probe of the cases per inserted item.
        async fn never_failed_among(&mut self, customers: &[Uuid]) -> Result<HashSet<Uuid>, StoreError> {
            let mut ids: Vec<Uuid> = customers.to_vec();
            ids.sort_unstable();
            ids.dedup();
            let mut never = HashSet::new();
            for chunk in ids.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new("SELECT id FROM customers WHERE NOT had_case AND id IN (");
                push_ids(&mut q, chunk);
                q.push(")");
                let rows: Vec<(Uuid,)> = q.build_query_as().fetch_all(&mut *self).await?;
                never.extend(rows.into_iter().map(|(id,)| id));
            }
            Ok(never)
        }

        /// Inserts case records in multi-row statements.
        async fn insert_case_records(&mut self, records: &[CaseRecord]) -> Result<(), StoreError> {
            for chunk in records.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO cases (id, customer_id, subject, description, channel, origin, state, priority, tier, \
                     assignee_id, first_response_due_at, resolution_due_at, first_responded_at, resolved_at, closed_at, \
                     severity, repeat_failure, controllable, created_at, updated_at, open, sla_paused_at, incident_id) ",
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
                        .push_bind(c.repeat_failure)
                        .push_bind(c.controllable)
                        .push_bind(c.created_at)
                        .push_bind(c.updated_at)
                        .push_bind(c.state.is_open())
                        .push_bind(c.sla_paused_at)
                        .push_bind(c.incident_id);
                });
                q.build().execute(&mut *self).await?;
                let customers: Vec<Uuid> = chunk.iter().map(|c| c.customer_id).collect();
                self.cases_inserted_for(&customers).await?;
            }
            Ok(())
        }

        /// Inserts customers in multi-row statements; `on_conflict` (empty,
        /// or a clause) goes before `RETURNING id`. Gives the ids inserted.
        async fn insert_customer_records(&mut self, records: &[&NewCustomer], on_conflict: &str) -> Result<Vec<Uuid>, StoreError> {
            let mut ids = Vec::with_capacity(records.len());
            for chunk in records.chunks(CHUNK) {
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
                q.push(on_conflict).push(" RETURNING id");
                let rows: Vec<(Uuid,)> = q.build_query_as().fetch_all(&mut *self).await?;
                ids.extend(rows.into_iter().map(|(id,)| id));
            }
            Ok(ids)
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
            let customers: Vec<&NewCustomer> = b.customers.iter().collect();
            tx.insert_customer_records(&customers, "").await?;
            tx.insert_case_records(&b.cases).await?;
            tx.insert_event_records(&b.events).await?;
            for chunk in b.surveys.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO surveys (id, case_id, customer_id, language, state, created_at, sent_at, expires_at, \
                     answered_at, score, solved, negative) ",
                );
                q.push_values(chunk, |mut r, s| {
                    r.push_bind(s.id)
                        .push_bind(s.case_id.0)
                        .push_bind(s.customer_id.0)
                        .push_bind(s.language.code())
                        .push_bind("answered")
                        .push_bind(s.sent_at)
                        .push_bind(s.sent_at)
                        .push_bind(s.sent_at + chrono::Duration::days(14))
                        .push_bind(s.answered_at)
                        .push_bind(s.score)
                        .push_bind(s.solved)
                        .push_bind(s.score <= 2);
                });
                q.build().execute(&mut *tx).await?;
            }
            // No case is written between the ratings and the feedback: one
            // lookup marks both.
            let senders: Vec<Uuid> = b
                .ratings
                .iter()
                .map(|f| f.customer_id.0)
                .chain(b.feedback.iter().map(|f| f.customer_id.0))
                .collect();
            let never = tx.never_failed_among(&senders).await?;
            for chunk in b.ratings.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO feedback (id, customer_id, channel, rating, text, language, sentiment, sentiment_score, \
                     topics, signals, created_at, never_failed) ",
                );
                q.push_values(chunk, |mut r, f| {
                    let sentiment = match f.rating {
                        4.. => "positive",
                        3 => "neutral",
                        _ => "negative",
                    };
                    r.push_bind(f.id)
                        .push_bind(f.customer_id.0)
                        .push_bind("survey")
                        .push_bind(f.rating)
                        .push_bind(f.text.clone())
                        .push_bind(f.language.code())
                        .push_bind(sentiment)
                        .push_bind(f64::from(f.rating - 3) / 2.0)
                        .push_bind("[]")
                        .push_bind("[]")
                        .push_bind(f.created_at)
                        .push_bind(never.contains(&f.customer_id.0));
                });
                q.build().execute(&mut *tx).await?;
            }
            for chunk in b.feedback.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO feedback (id, customer_id, case_id, channel, rating, text, language, sentiment, \
                     sentiment_score, topics, signals, component, created_at, never_failed) ",
                );
                q.push_values(chunk, |mut r, f| {
                    let score = match f.sentiment {
                        "negative" => -0.6,
                        "positive" => 0.6,
                        _ => 0.0,
                    };
                    r.push_bind(f.id)
                        .push_bind(f.customer_id.0)
                        .push_bind(f.case_id.map(|c| c.0))
                        .push_bind(f.channel.as_str())
                        .push_bind(f.rating)
                        .push_bind(f.text.clone())
                        .push_bind(f.language.code())
                        .push_bind(f.sentiment)
                        .push_bind(score)
                        .push_bind(serde_json::to_string(&f.topics).unwrap_or_else(|_| "[]".into()))
                        .push_bind("[]")
                        .push_bind(f.component.clone())
                        .push_bind(f.created_at)
                        .push_bind(never.contains(&f.customer_id.0));
                });
                q.build().execute(&mut *tx).await?;
                let topics: Vec<(Uuid, &str)> = chunk
                    .iter()
                    .flat_map(|f| f.topics.iter().map(move |t| (f.id, t.as_str())))
                    .collect();
                for part in topics.chunks(CHUNK) {
                    let mut q = sqlx::QueryBuilder::new("INSERT INTO feedback_topics (topic, feedback_id) ");
                    q.push_values(part, |mut r, (id, t)| {
                        r.push_bind(*t).push_bind(*id);
                    });
                    q.build().execute(&mut *tx).await?;
                }
            }
            for chunk in b.grants.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO goodwill_grants (id, case_id, customer_id, kind, value_cents, currency, reason, state, \
                     requested_by, created_at, granted_at) ",
                );
                q.push_values(chunk, |mut r, g| {
                    r.push_bind(g.id)
                        .push_bind(g.case_id.0)
                        .push_bind(g.customer_id.0)
                        .push_bind(g.kind.as_str())
                        .push_bind(g.value_cents)
                        .push_bind("EUR")
                        .push_bind(g.reason.clone())
                        .push_bind("granted")
                        .push_bind(g.requested_by.0)
                        .push_bind(g.granted_at)
                        .push_bind(g.granted_at);
                });
                q.build().execute(&mut *tx).await?;
            }
            for (customer, at) in &b.churned {
                sqlx::query("UPDATE customers SET churned_at = $1 WHERE id = $2")
                    .bind(*at)
                    .bind(customer.0)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
