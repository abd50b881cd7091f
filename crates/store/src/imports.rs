//! Bulk writes of feedback (imports, the bulk API, single items): one
//! transaction per chunk creates the customers its items name by a new
//! address, stores the items, and opens the cases their rules asked for
//! or adds the items to open cases (`case_batch`), in multi-row statements.
//!
//! The caller plans a customer (with its id) for each address it did not
//! find; the transaction inserts them with `ON CONFLICT DO NOTHING` on the
//! unique address, so writers at once make one customer per address, and
//! an item whose planned customer lost that race is stored for the
//! customer who won it.
//!
//! An item may carry an import key (see migration 0020); a key stored
//! already makes the item a duplicate, written not again. On PostgreSQL the
//! chunk transactions that carry keys take turns on an advisory lock, so two
//! imports of one file at once store each row once; SQLite has one writer
//! at a time anyway.

use crate::attach::AttachFacts;
use crate::audit::{Audit, AuditLog, new_id};
use crate::bulk::{BulkWrites, CHUNK, EventRecord};
use crate::case_batch::{CaseBatch, CaseBatchWrites};
use crate::customers::{CUSTOMER_COLUMNS, customer_created};
use crate::dialect::{BeginWrite, BeginWriteOn, Dialect};
use crate::write_session::{WriteSession, with_session};
use crate::{Customer, EventKind, NewCustomer, NewFeedback, Store, StoreError, with_pool};
use amends_domain::attach;
use amends_domain::detection::RuleAction;
use amends_domain::feedback::Rating;
use amends_domain::{CaseId, CustomerId, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Items per transaction of the bulk API (`ingest_keyed` in the app).
pub const FEEDBACK_CHUNK: usize = 2_000;

/// What became of one item given to [`Store::insert_feedback`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Stored, linked to this case (a new one or the customer's open case).
    Stored(Option<CaseId>),
    /// Its import key was stored already (an earlier or concurrent import,
    /// or an earlier row of the same call): nothing written.
    Duplicate,
}

/// The statement that makes feedback writers take turns on PostgreSQL: a
/// transaction-level advisory lock ("amends" in ASCII, then 2).
fn feedback_lock(dialect: Dialect) -> Option<&'static str> {
    match dialect {
        Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(27423355152134914)"),
        Dialect::Sqlite => None,
    }
}

crate::backend_trait! {
    trait FeedbackWrites {
        /// The keys of `keys` stored already.
        async fn stored_import_keys(&mut self, keys: &[&[u8]]) -> Result<HashSet<Vec<u8>>, StoreError> {
            let mut found = HashSet::new();
            for part in keys.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new("SELECT import_key FROM feedback WHERE import_key IN (");
                let mut sep = q.separated(", ");
                for k in part {
                    sep.push_bind(k.to_vec());
                }
                q.push(")");
                let rows: Vec<(Vec<u8>,)> = q.build_query_as().fetch_all(&mut *self).await?;
                found.extend(rows.into_iter().map(|(k,)| k));
            }
            Ok(found)
        }

        /// Writes a chunk in the open transaction (see the module
        /// documentation): the planned customers, then the items.
        async fn write_feedback(
            &mut self,
            dialect: Dialect,
            planned: &[NewCustomer],
            items: &mut [NewFeedback],
            actor: Option<UserId>,
        ) -> Result<Vec<Written>, StoreError> {
            // Only writers of keyed items need to take turns (an item
            // without a key is never a duplicate): single items from the
            // API, the widget and mail keep writing side by side.
            if let Some(lock) = feedback_lock(dialect).filter(|_| items.iter().any(|i| i.import_key.is_some())) {
                sqlx::query(lock).execute(&mut *self).await?;
            }
            let won = self.create_planned_customers(planned, actor).await?;
            if !won.is_empty() {
                for f in items.iter_mut() {
                    if let Some(to) = won.get(&f.customer_id.0) {
                        f.customer_id = CustomerId(*to);
                        if let Some(d) = &mut f.detection {
                            d.case.customer_id = CustomerId(*to);
                        }
                    }
                }
            }
            self.write_feedback_chunk(dialect, items).await
        }

        /// Inserts the planned customers whose addresses are free (each with
        /// its audit entry), in address order: concurrent PostgreSQL
        /// transactions then wait for each other instead of deadlocking.
        /// Gives, for each planned customer whose address is taken by
        /// another, the other's id.
        async fn create_planned_customers(&mut self, planned: &[NewCustomer], actor: Option<UserId>) -> Result<HashMap<Uuid, Uuid>, StoreError> {
            let mut new: Vec<(String, &NewCustomer)> = planned
                .iter()
                .filter_map(|c| c.email.as_ref().map(|e| (e.as_str().to_lowercase(), c)))
                .collect();
            if new.is_empty() {
                return Ok(HashMap::new());
            }
            new.sort_by(|a, b| a.0.cmp(&b.0));
            new.dedup_by(|a, b| a.0 == b.0);
            let records: Vec<&NewCustomer> = new.iter().map(|(_, c)| *c).collect();
            let created: HashSet<Uuid> = self
                .insert_customer_records(&records, " ON CONFLICT DO NOTHING")
                .await?
                .into_iter()
                .collect();
            let audits: Vec<Audit<'static>> = records
                .iter()
                .filter(|c| created.contains(&c.id.0))
                .map(|c| customer_created(c, actor))
                .collect();
            self.insert_audit_rows(&audits).await?;
            let lost: Vec<(String, Uuid)> = new
                .into_iter()
                .filter(|(_, c)| !created.contains(&c.id.0))
                .map(|(e, c)| (e, c.id.0))
                .collect();
            if lost.is_empty() {
                return Ok(HashMap::new());
            }
            let emails: Vec<String> = lost.iter().map(|(e, _)| e.clone()).collect();
            let holders: HashMap<String, Uuid> = self
                .customers_with_emails(&emails)
                .await?
                .into_iter()
                .filter_map(|c| c.email.map(|e| (e.to_lowercase(), c.id.0)))
                .collect();
            Ok(lost
                .into_iter()
                .filter_map(|(e, id)| holders.get(&e).filter(|h| **h != id).map(|h| (id, *h)))
                .collect())
        }

        /// Writes one chunk of items in the open transaction (see the module
        /// documentation).
        async fn write_feedback_chunk(&mut self, dialect: Dialect, chunk: &[NewFeedback]) -> Result<Vec<Written>, StoreError> {
            let keys: Vec<&[u8]> = chunk.iter().filter_map(|f| f.import_key.as_deref()).collect();
            let mut seen = self.stored_import_keys(&keys).await?;
            let mut attach: Vec<Uuid> = chunk
                .iter()
                .filter(|f| f.detection.as_ref().is_some_and(|d| d.action == RuleAction::AttachOrOpen))
                .map(|f| f.customer_id.0)
                .collect();
            attach.sort_unstable();
            attach.dedup();
            let (mut open, window) = if attach.is_empty() {
                (HashMap::new(), 0)
            } else {
                self.lock_customers(dialect, &attach).await?;
                (self.open_cases_of(dialect, &attach).await?, self.attach_window().await?)
            };
            let mut out = Vec::with_capacity(chunk.len());
            let mut rows: Vec<(&NewFeedback, Option<CaseId>)> = Vec::with_capacity(chunk.len());
            let mut batch = CaseBatch::new();
            let mut touched: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
            for f in chunk {
                if let Some(k) = &f.import_key
                    && !seen.insert(k.clone())
                {
                    out.push(Written::Duplicate);
                    continue;
                }
                let mut case_id: Option<CaseId> = None;
                if let Some(d) = &f.detection {
                    let mut reason = None;
                    let cases = open.entry(f.customer_id.0).or_default();
                    if d.action == RuleAction::AttachOrOpen {
                        let item = attach::Item {
                            reference: f.reference.as_deref(),
                            topics: &f.topics,
                            at: f.created_at,
                        };
                        if let Some((case, why)) = attach::decide(&item, cases, window) {
                            case_id = Some(case);
                            reason = Some(why);
                        }
                    }
                    let attached = case_id.is_some();
                    if !attached {
                        if batch.needs_router(&d.case) {
                            self.read_router(&mut batch).await?;
                        }
                        batch.open(&d.case, &json!({"feedback_id": f.id, "rule": d.rule_name}));
                        case_id = Some(d.case.id);
                        cases.insert(0, attach::OpenCase {
                            id: d.case.id,
                            topics: Vec::new(),
                            last_customer_message_at: f.created_at,
                        });
                    }
                    if let Some(case) = case_id {
                        if let Some(c) = cases.iter_mut().find(|c| c.id == case) {
                            c.last_customer_message_at = c.last_customer_message_at.max(f.created_at);
                            for t in &f.topics {
                                if !c.topics.contains(t) {
                                    c.topics.push(t.clone());
                                }
                            }
                        }
                        let mut data = json!({"feedback_id": f.id, "channel": f.channel,
                            "rating": f.rating.map(Rating::get), "rule": d.rule_name});
                        if let Some(why) = &reason {
                            data["attach"] = json!(why);
                        }
                        batch.events.push(EventRecord {
                            id: new_id(f.created_at),
                            case_id: case,
                            kind: EventKind::MessageIn,
                            author_id: None,
                            body: Some(f.text.clone()),
                            data: Some(data.to_string()),
                            created_at: f.created_at,
                        });
                        if attached {
                            touched.insert(case.0, f.created_at);
                        }
                    }
                }
                rows.push((f, case_id));
                out.push(Written::Stored(case_id));
            }
            self.write_case_batch(&batch).await?;
            for (case, at) in touched {
                sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(case)
                    .execute(&mut *self)
                    .await?;
            }
            self.insert_feedback_rows(&rows).await?;
            Ok(out)
        }

        /// The feedback rows, their topics and their audit entries.
        async fn insert_feedback_rows(&mut self, rows: &[(&NewFeedback, Option<CaseId>)]) -> Result<(), StoreError> {
            let senders: Vec<Uuid> = rows.iter().map(|(f, _)| f.customer_id.0).collect();
            let never = self.never_failed_among(&senders).await?;
            for part in rows.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO feedback (id, customer_id, case_id, channel, rating, text, language, sentiment, \
                     sentiment_score, topics, signals, rule_id, rule_name, rule_reasons, source, component, created_at, \
                     import_key, never_failed) ",
                );
                q.push_values(part, |mut r, (f, case_id)| {
                    r.push_bind(f.id.0)
                        .push_bind(f.customer_id.0)
                        .push_bind(case_id.map(|c| c.0))
                        .push_bind(f.channel.as_str())
                        .push_bind(f.rating.map(|r| i32::from(r.get())))
                        .push_bind(f.text.clone())
                        .push_bind(f.language.code())
                        .push_bind(f.sentiment.as_str())
                        .push_bind(f.sentiment_score)
                        .push_bind(serde_json::to_string(&f.topics).unwrap_or_else(|_| "[]".into()))
                        .push_bind(serde_json::to_string(&f.signals).unwrap_or_else(|_| "[]".into()))
                        .push_bind(f.detection.as_ref().map(|d| d.rule_id.0))
                        .push_bind(f.detection.as_ref().map(|d| d.rule_name.clone()))
                        .push_bind(f.detection.as_ref().map(|d| serde_json::to_string(&d.reasons).unwrap_or_default()))
                        .push_bind(f.source.as_ref().map(ToString::to_string))
                        .push_bind(f.component.clone())
                        .push_bind(f.created_at)
                        .push_bind(f.import_key.clone())
                        .push_bind(never.contains(&f.customer_id.0));
                });
                q.build().execute(&mut *self).await.map_err(|e| match &e {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound("customer"),
                    _ => StoreError::Database(e),
                })?;
                let mut topics: Vec<(Uuid, &str)> = Vec::new();
                for (f, _) in part {
                    let mut ts: Vec<&str> = f.topics.iter().map(String::as_str).collect();
                    ts.sort_unstable();
                    ts.dedup();
                    topics.extend(ts.into_iter().map(|t| (f.id.0, t)));
                }
                for ts in topics.chunks(CHUNK) {
                    let mut q = sqlx::QueryBuilder::new("INSERT INTO feedback_topics (topic, feedback_id) ");
                    q.push_values(ts, |mut r, (id, t)| {
                        r.push_bind(*t).push_bind(*id);
                    });
                    q.build().execute(&mut *self).await?;
                }
                let audits: Vec<Audit<'_>> = part
                    .iter()
                    .map(|(f, case_id)| Audit {
                        actor: f.author,
                        action: "feedback.create",
                        entity: "feedback",
                        entity_id: f.id.to_string(),
                        detail: json!({"customer_id": f.customer_id, "channel": f.channel,
                            "case_id": case_id, "rule": f.detection.as_ref().map(|d| &d.rule_name)}),
                        at: f.created_at,
                    })
                    .collect();
                self.insert_audit_rows(&audits).await?;
            }
            Ok(())
        }

        /// The customers with these ids (those that exist).
        async fn customers_with_ids(&mut self, ids: &[Uuid]) -> Result<Vec<Customer>, StoreError> {
            let mut found = Vec::with_capacity(ids.len());
            for part in ids.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id IN ("));
                crate::bulk::push_ids(&mut q, part);
                q.push(")");
                found.extend(q.build_query_as::<Customer>().fetch_all(&mut *self).await?);
            }
            Ok(found)
        }

        /// The customers whose lower-case address is one of `emails`.
        async fn customers_with_emails(&mut self, emails: &[String]) -> Result<Vec<Customer>, StoreError> {
            let mut found = Vec::with_capacity(emails.len());
            for part in emails.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE lower(email) IN ("
                ));
                let mut sep = q.separated(", ");
                for e in part {
                    sep.push_bind(e.clone());
                }
                q.push(")");
                found.extend(q.build_query_as::<Customer>().fetch_all(&mut *self).await?);
            }
            Ok(found)
        }
    }
}

impl Store {
    /// Stores a chunk of feedback items in one transaction (see the module
    /// documentation): first the `planned` customers, then the items with
    /// what their rules asked for. Gives, per item, the case it was linked
    /// to, or that its import key was stored already. An item stored for
    /// another customer than planned carries that customer's id afterwards.
    pub async fn insert_feedback(
        &self,
        planned: &[NewCustomer],
        items: &mut [NewFeedback],
        actor: Option<UserId>,
    ) -> Result<Vec<Written>, StoreError> {
        let dialect = self.dialect();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let written = tx.write_feedback(dialect, planned, items, actor).await?;
            tx.commit().await?;
            Ok(written)
        })
    }

    /// Which of `keys` are stored already (read outside a transaction:
    /// an import skips these rows before analysing them).
    pub async fn stored_import_keys(&self, keys: &[&[u8]]) -> Result<HashSet<Vec<u8>>, StoreError> {
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            conn.stored_import_keys(keys).await
        })
    }

    /// The customers with these ids (those that exist).
    pub async fn customers_by_ids(&self, ids: &[Uuid]) -> Result<Vec<Customer>, StoreError> {
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            conn.customers_with_ids(ids).await
        })
    }

    /// The customers with these lower-case addresses (those that exist).
    pub async fn customers_by_emails(&self, emails: &[String]) -> Result<Vec<Customer>, StoreError> {
        with_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            conn.customers_with_emails(emails).await
        })
    }
}

impl WriteSession {
    /// [`Store::insert_feedback`] on the session's connection.
    pub async fn insert_feedback(
        &mut self,
        planned: &[NewCustomer],
        items: &mut [NewFeedback],
        actor: Option<UserId>,
    ) -> Result<Vec<Written>, StoreError> {
        let dialect = self.store.dialect();
        let written = with_session!(self, |conn| {
            let mut tx = conn.begin_write().await?;
            let written = tx.write_feedback(dialect, planned, items, actor).await?;
            tx.commit().await?;
            written
        });
        self.committed().await;
        Ok(written)
    }
}
