//! The audit log: who changed what, written in the same transaction as the change.

use crate::{AuditEntry, Store, StoreError, with_pool};
use amends_domain::UserId;
use amends_domain::ids::uuid_v7_at;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A fresh UUIDv7 for a row created at `now`.
pub(crate) fn new_id(now: DateTime<Utc>) -> Uuid {
    uuid_v7_at(now, Uuid::new_v4().as_u128())
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

/// Inserts `$audit` using the executor `$exec` (a transaction).
macro_rules! record_audit {
    ($exec:expr, $audit:expr) => {{
        let a: $crate::audit::Audit<'_> = $audit;
        sqlx::query(
            "INSERT INTO audit_log (id, actor_id, action, entity, entity_id, detail, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($crate::audit::new_id(a.at))
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
        .execute($exec)
        .await?;
    }};
}
pub(crate) use record_audit;

impl Store {
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
