//! The audit log: who changed what, written in the same transaction as the change.

use crate::write_turn::WriteTx;
use crate::{AuditEntry, Store, StoreError, with_pool};
use amends_domain::UserId;
use amends_domain::ids::uuid_v7_at;
use chrono::{DateTime, Utc};
use std::sync::Mutex;
use uuid::Uuid;

/// A fresh UUIDv7 for a row created at `now`. Ids made by this process
/// in the same millisecond carry a rising 42-bit counter in their first
/// random bits (RFC 9562, method 1: the 12 bits of `rand_a` and the top 30
/// of `rand_b`), followed by 32 random bits. So rows written together keep
/// their order (e.g. the "created" event before the first message), and a
/// bulk write (100,000 cases of an incident in one millisecond) appends to
/// its indexes instead of inserting all over them.
pub(crate) fn new_id(now: DateTime<Utc>) -> Uuid {
    const COUNTER_BITS: u32 = 42;
    static LAST: Mutex<(i64, u64)> = Mutex::new((i64::MIN, 0));
    let ms = now.timestamp_millis();
    let counter = {
        let mut last = LAST.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.0 == ms {
            last.1 = (last.1 + 1) & ((1 << COUNTER_BITS) - 1);
        } else {
            *last = (ms, 0);
        }
        last.1
    };
    let random = Uuid::new_v4().as_u128() & u128::from(u32::MAX);
    // `uuid_v7_at` takes rand_a from bits 64..76 and rand_b from bits 0..62.
    let rand_a = u128::from(counter >> 30) << 64;
    let rand_b_high = u128::from(counter & ((1 << 30) - 1)) << 32;
    uuid_v7_at(now, rand_a | rand_b_high | random)
}

/// One audit record, built by the store functions that change data.
pub(crate) struct Audit<'a> {
    pub actor: Option<UserId>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: String,
    pub detail: serde_json::Value,
    pub at: DateTime<Utc>,
}

crate::backend_trait! {
    /// The audit log's statement.
    pub(crate) trait AuditLog {
        /// Inserts `a` (in the transaction of the change it records).
        async fn record_audit(&mut self, a: Audit<'_>) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO audit_log (id, actor_id, action, entity, entity_id, detail, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(new_id(a.at))
            .bind(a.actor.map(|u| u.0))
            .bind(a.action)
            .bind(a.entity)
            .bind(&a.entity_id)
            .bind(if a.detail.is_null() {
                None
            } else {
                Some(a.detail.to_string())
            })
            .bind(a.at)
            .execute(&mut *self)
            .await?;
            Ok(())
        }

        /// Audit entries in multi-row statements.
        async fn insert_audit_rows(&mut self, audits: &[Audit<'_>]) -> Result<(), StoreError> {
            for part in audits.chunks(crate::bulk::CHUNK) {
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
    }
}

/// Committing a write transaction together with the audit entry of its
/// change (the last statement before the commit).
pub(crate) trait CommitAudited {
    async fn commit_audited(self, a: Audit<'_>) -> Result<(), StoreError>;
}

impl CommitAudited for WriteTx<'_, sqlx::Sqlite> {
    async fn commit_audited(mut self, a: Audit<'_>) -> Result<(), StoreError> {
        self.record_audit(a).await?;
        Ok(self.commit().await?)
    }
}

impl CommitAudited for WriteTx<'_, sqlx::Postgres> {
    async fn commit_audited(mut self, a: Audit<'_>) -> Result<(), StoreError> {
        self.record_audit(a).await?;
        Ok(self.commit().await?)
    }
}

/// Removing one row by id (a delete, or a switch to inactive): the
/// statement and how the audit log names it.
pub(crate) struct Removal {
    /// One statement with `$1` = the id; it changes at most one row.
    pub sql: &'static str,
    /// The thing, for "… not found".
    pub what: &'static str,
    pub action: &'static str,
    pub entity: &'static str,
}

impl Store {
    /// Runs the removal for `id` and records it in the audit log in the
    /// same transaction; `NotFound` when no row changed.
    pub(crate) async fn remove_audited(
        &self,
        r: &Removal,
        id: Uuid,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        use crate::dialect::BeginWrite;
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(r.sql).bind(id).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound(r.what));
            }
            tx.commit_audited(Audit {
                actor,
                action: r.action,
                entity: r.entity,
                entity_id: id.to_string(),
                detail: serde_json::Value::Null,
                at: now,
            })
            .await?;
            Ok(())
        })
    }

    /// The newest audit entries, optionally for one entity (`case`, `customer`, `user`, …).
    pub async fn list_audit(
        &self,
        entity: Option<&str>,
        entity_id: Option<&str>,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 500)).unwrap_or(100);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT a.id, a.actor_id, u.display_name AS actor_name, a.action, a.entity, a.entity_id, a.detail, \
                 a.created_at FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id WHERE 1=1",
            );
            if let Some(e) = entity {
                q.push(" AND a.entity = ").push_bind(e.to_string());
            }
            if let Some(id) = entity_id {
                q.push(" AND a.entity_id = ").push_bind(id.to_string());
            }
            if let Some(b) = before {
                q.push(" AND a.id < ").push_bind(b);
            }
            q.push(" ORDER BY a.id DESC LIMIT ").push_bind(limit);
            Ok(q.build_query_as::<AuditEntry>().fetch_all(pool).await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::new_id;
    use chrono::TimeZone;

    #[test]
    fn ids_of_one_millisecond_rise_past_the_old_12_bit_counter() {
        let at = chrono::Utc
            .with_ymd_and_hms(2026, 12, 2, 7, 0, 0)
            .single()
            .expect("a valid time");
        let ids: Vec<_> = (0..10_000).map(|_| new_id(at)).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ids made in one millisecond must rise"
        );
        let ms = |u: &uuid::Uuid| u.as_u128() >> 80;
        assert!(
            ids.iter().all(|u| ms(u) == ms(&ids[0])),
            "all ids carry the millisecond"
        );
        assert_eq!(ms(&ids[0]), u128::try_from(at.timestamp_millis()).expect("positive"));
        assert!(ids.iter().all(|u| u.get_version_num() == 7));
    }
}
