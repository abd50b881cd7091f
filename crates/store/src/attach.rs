//! The facts for attaching feedback to a customer's open case
//! (`amends_domain::attach`), read in the writing transaction, and the
//! admin's window.
//!
//! Writers of `attach_or_open` items first lock the rows of the customers
//! concerned (PostgreSQL, `FOR NO KEY UPDATE`, in id order), so two items
//! of one customer at once decide one after the other: the second sees
//! the case the first opened. SQLite has one writer at a time anyway.

use crate::audit::{Audit, CommitAudited};
use crate::bulk::CHUNK;
use crate::dialect::{BeginWrite, Dialect};
use crate::{Store, StoreError, with_pool};
use amends_domain::CaseId;
use amends_domain::UserId;
use amends_domain::attach::OpenCase;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// The admin's attach window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AttachSetting {
    /// Days after a case's last customer message in which feedback on a
    /// shared topic joins it; 0: never by topic.
    pub days: i32,
    pub updated_at: DateTime<Utc>,
}

crate::backend_trait! {
    pub(crate) trait AttachFacts {
        /// Locks the rows of `customers` (sorted) until the transaction
        /// ends, on PostgreSQL; nothing on SQLite.
        async fn lock_customers(&mut self, dialect: Dialect, customers: &[Uuid]) -> Result<(), StoreError> {
            let Some(lock) = dialect.lock_rows_no_key() else {
                return Ok(());
            };
            for part in customers.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new("SELECT id FROM customers WHERE id IN (");
                let mut sep = q.separated(", ");
                for c in part {
                    sep.push_bind(*c);
                }
                q.push(") ORDER BY id").push(lock);
                q.build().execute(&mut *self).await?;
            }
            Ok(())
        }

        /// The window in days.
        async fn attach_window(&mut self) -> Result<i32, StoreError> {
            let (days,): (i32,) = sqlx::query_as("SELECT attach_window_days FROM detection_settings WHERE id = 1")
                .fetch_one(&mut *self)
                .await?;
            Ok(days)
        }

        /// The open cases of each of `customers`, newest first, with the
        /// topics of their feedback and their last customer message. Each
        /// read goes through an index on the case or customer (on SQLite the
        /// planner, without statistics, would rather scan every open case).
        async fn open_cases_of(&mut self, dialect: Dialect, customers: &[Uuid]) -> Result<HashMap<Uuid, Vec<OpenCase>>, StoreError> {
            let by_customer = dialect.indexed_by("cases_customer");
            let mut cases: Vec<(Uuid, Uuid, DateTime<Utc>)> = Vec::new();
            for part in customers.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(format!(
                    "SELECT customer_id, id, created_at FROM cases{by_customer} WHERE open = TRUE AND customer_id IN ("
                ));
                let mut sep = q.separated(", ");
                for c in part {
                    sep.push_bind(*c);
                }
                q.push(")");
                cases.extend(q.build_query_as::<(Uuid, Uuid, DateTime<Utc>)>().fetch_all(&mut *self).await?);
            }
            let ids: Vec<Uuid> = cases.iter().map(|c| c.1).collect();
            let mut last: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
            let mut topics: HashMap<Uuid, Vec<String>> = HashMap::new();
            for part in ids.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT case_id, created_at FROM case_events WHERE kind = 'message_in' AND case_id IN (",
                );
                let mut sep = q.separated(", ");
                for c in part {
                    sep.push_bind(*c);
                }
                q.push(")");
                for (case, at) in q.build_query_as::<(Uuid, DateTime<Utc>)>().fetch_all(&mut *self).await? {
                    let e = last.entry(case).or_insert(at);
                    *e = (*e).max(at);
                }
                // The topics column of each item (the JSON array that
                // `feedback_topics` repeats row by row), read by the case
                // index: `feedback_topics` has no index on the item.
                let mut q = sqlx::QueryBuilder::new("SELECT case_id, topics FROM feedback WHERE case_id IN (");
                let mut sep = q.separated(", ");
                for c in part {
                    sep.push_bind(*c);
                }
                q.push(")");
                for (case, json) in q.build_query_as::<(Uuid, String)>().fetch_all(&mut *self).await? {
                    let list = topics.entry(case).or_default();
                    for t in serde_json::from_str::<Vec<String>>(&json).unwrap_or_default() {
                        if !list.contains(&t) {
                            list.push(t);
                        }
                    }
                }
            }
            let mut out: HashMap<Uuid, Vec<OpenCase>> = HashMap::new();
            for (customer, id, created_at) in cases {
                out.entry(customer).or_default().push(OpenCase {
                    id: CaseId(id),
                    topics: topics.remove(&id).unwrap_or_default(),
                    last_customer_message_at: last.get(&id).copied().unwrap_or(created_at),
                });
            }
            for list in out.values_mut() {
                list.sort_by_key(|c| std::cmp::Reverse(c.id.0));
            }
            Ok(out)
        }
    }
}

impl Store {
    /// The attach window.
    pub async fn attach_setting(&self) -> Result<AttachSetting, StoreError> {
        let (days, updated_at): (i32, DateTime<Utc>) = with_pool!(self, |pool| {
            sqlx::query_as("SELECT attach_window_days, updated_at FROM detection_settings WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        Ok(AttachSetting { days, updated_at })
    }

    /// Sets the attach window, audited as `detection.attach_window.set`.
    pub async fn set_attach_window(
        &self,
        days: i32,
        actor: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<AttachSetting, StoreError> {
        let before = self.attach_setting().await?.days;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE detection_settings SET attach_window_days = $1, updated_at = $2 WHERE id = 1")
                .bind(days)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            tx.commit_audited(Audit {
                actor,
                action: "detection.attach_window.set",
                entity: "detection_settings",
                entity_id: "attach_window".into(),
                detail: json!({ "before": before, "days": days }),
                at,
            })
            .await
        })?;
        self.attach_setting().await
    }
}
