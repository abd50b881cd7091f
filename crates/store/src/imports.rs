//! Bulk writes of feedback (imports, the bulk API, single items): the
//! customers of a chunk found or created by email in one transaction, and
//! a chunk of feedback items with the cases their rules asked for in
//! another, in multi-row statements.
//!
//! An item may carry an import key (see migration 0020); a key stored
//! already makes the item a duplicate, written not again. On PostgreSQL the
//! chunk transactions that carry keys take turns on an advisory lock, so two
//! imports of one file at once store each row once; SQLite has one writer
//! at a time anyway.

use crate::attach::AttachFacts;
use crate::audit::{Audit, new_id};
use crate::bulk::{BulkWrites, CHUNK, EventRecord};
use crate::cases::CaseWrites;
use crate::customers::{CUSTOMER_COLUMNS, customer_created};
use crate::dialect::{BeginWrite, Dialect};
use crate::{Customer, EventKind, NewCustomer, NewFeedback, Store, StoreError, with_pool};
use amends_domain::attach;
use amends_domain::detection::RuleAction;
use amends_domain::feedback::Rating;
use amends_domain::{CaseId, Email, UserId};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Items per transaction in [`Store::insert_feedback`].
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
fn feedback_lock(store: &Store) -> Option<&'static str> {
    match store.dialect() {
        crate::dialect::Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(27423355152134914)"),
        crate::dialect::Dialect::Sqlite => None,
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
                (self.open_cases_of(&attach).await?, self.attach_window().await?)
            };
            let mut out = Vec::with_capacity(chunk.len());
            let mut rows: Vec<(&NewFeedback, Option<CaseId>)> = Vec::with_capacity(chunk.len());
            let mut events = Vec::new();
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
                        self.insert_new_case(&d.case, json!({"feedback_id": f.id, "rule": d.rule_name}))
                            .await?;
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
                        events.push(EventRecord {
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
            self.insert_event_records(&events).await?;
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
            for part in rows.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO feedback (id, customer_id, case_id, channel, rating, text, language, sentiment, \
                     sentiment_score, topics, signals, rule_id, rule_name, rule_reasons, source, component, created_at, import_key) ",
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
                        .push_bind(f.import_key.clone());
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

        /// Audit entries in multi-row statements.
        async fn insert_audit_rows(&mut self, audits: &[Audit<'_>]) -> Result<(), StoreError> {
            for part in audits.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO audit_log (id, actor_id, action, entity, entity_id, detail, created_at) ",
                );
                q.push_values(part, |mut r, a| {
                    r.push_bind(new_id(a.at))
                        .push_bind(a.actor.map(|u| u.0))
                        .push_bind(a.action.to_string())
                        .push_bind(a.entity.to_string())
                        .push_bind(a.entity_id.clone())
                        .push_bind((!a.detail.is_null()).then(|| a.detail.to_string()))
                        .push_bind(a.at);
                });
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        }

        /// The customers with these ids (those that exist).
        async fn customers_with_ids(&mut self, ids: &[Uuid]) -> Result<Vec<Customer>, StoreError> {
            let mut found = Vec::with_capacity(ids.len());
            for part in ids.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id IN ("));
                let mut sep = q.separated(", ");
                for id in part {
                    sep.push_bind(*id);
                }
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
    /// Inserts feedback items with what their rules asked for, in chunks
    /// of [`FEEDBACK_CHUNK`] per transaction. Gives, per item, the case it
    /// was linked to, or that its import key was stored already.
    pub async fn insert_feedback(&self, items: &[NewFeedback]) -> Result<Vec<Written>, StoreError> {
        let lock = feedback_lock(self);
        let dialect = self.dialect();
        let mut out = Vec::with_capacity(items.len());
        for chunk in items.chunks(FEEDBACK_CHUNK) {
            let written = with_pool!(self, |pool| {
                let mut tx = pool.begin_write().await?;
                // Only writers of keyed items need to take turns (an item
                // without a key is never a duplicate): single items from the
                // API, the widget and mail keep writing side by side.
                if let Some(lock) = lock.filter(|_| chunk.iter().any(|i| i.import_key.is_some())) {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let written = tx.write_feedback_chunk(dialect, chunk).await?;
                tx.commit().await?;
                written
            });
            out.extend(written);
        }
        Ok(out)
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

    /// The customers with the addresses of `new` (compared without case),
    /// each created from its entry when there is none, in one transaction:
    /// `INSERT … ON CONFLICT DO NOTHING` on the unique index of the address,
    /// so concurrent imports make one customer per address. Each customer
    /// created gets its audit entry. Entries without an address are ignored.
    pub async fn find_or_create_customers_by_email(
        &self,
        new: &[NewCustomer],
        actor: Option<UserId>,
    ) -> Result<Vec<Customer>, StoreError> {
        let mut new: Vec<(String, &NewCustomer)> = new
            .iter()
            .filter_map(|c| c.email.as_ref().map(|e| (Email::as_str(e).to_lowercase(), c)))
            .collect();
        // One order for every writer: concurrent PostgreSQL transactions
        // then wait for each other instead of deadlocking.
        new.sort_by(|a, b| a.0.cmp(&b.0));
        new.dedup_by(|a, b| a.0 == b.0);
        let emails: Vec<String> = new.iter().map(|(e, _)| e.clone()).collect();
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let known: HashSet<String> = tx
                .customers_with_emails(&emails)
                .await?
                .into_iter()
                .filter_map(|c| c.email.map(|e| e.to_lowercase()))
                .collect();
            let missing: Vec<&NewCustomer> = new
                .iter()
                .filter(|(e, _)| !known.contains(e))
                .map(|(_, c)| *c)
                .collect();
            let created: HashSet<Uuid> = tx
                .insert_customer_records(&missing, " ON CONFLICT (lower(email)) DO NOTHING")
                .await?
                .into_iter()
                .collect();
            let audits: Vec<Audit<'static>> = missing
                .iter()
                .filter(|c| created.contains(&c.id.0))
                .map(|c| customer_created(c, actor))
                .collect();
            tx.insert_audit_rows(&audits).await?;
            let found = tx.customers_with_emails(&emails).await?;
            tx.commit().await?;
            Ok(found)
        })
    }
}
