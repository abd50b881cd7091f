//! Reply templates: text per purpose and language with `{{variable}}`
//! placeholders. Validation and rendering live in `amends_domain::template`.

use crate::audit::{Audit, CommitAudited, Removal};
use crate::dialect::BeginWrite;
use crate::{Store, StoreError, with_pool};
use amends_domain::template::{TemplateDraft, TemplatePurpose};
use amends_domain::{Language, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A reply template as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReplyTemplate {
    pub id: Uuid,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub purpose: TemplatePurpose,
    #[sqlx(try_from = "String")]
    pub language: Language,
    pub subject: String,
    pub body: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which templates to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateFilter {
    pub purpose: Option<TemplatePurpose>,
    pub language: Option<Language>,
    pub active_only: bool,
}

const SELECT: &str =
    "SELECT id, name, purpose, language, subject, body, active, created_at, updated_at FROM reply_templates";

/// The removal of one row of this module (see `Store::remove_audited`).
const DELETE_TEMPLATE: Removal = Removal {
    sql: "DELETE FROM reply_templates WHERE id = $1",
    what: "template",
    action: "template.delete",
    entity: "template",
};

impl Store {
    /// Templates matching `f`, by purpose, language and name.
    pub async fn list_templates(&self, f: TemplateFilter) -> Result<Vec<ReplyTemplate>, StoreError> {
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(SELECT);
            q.push(" WHERE 1 = 1");
            if let Some(p) = f.purpose {
                q.push(" AND purpose = ").push_bind(p.as_str());
            }
            if let Some(l) = f.language {
                q.push(" AND language = ").push_bind(l.code());
            }
            if f.active_only {
                q.push(" AND active = TRUE");
            }
            q.push(" ORDER BY purpose, language, name, id");
            Ok(q.build_query_as::<ReplyTemplate>().fetch_all(pool).await?)
        })
    }

    pub async fn get_template(&self, id: Uuid) -> Result<ReplyTemplate, StoreError> {
        self.row_by(&format!("{SELECT} WHERE id = $1"), id, "template").await
    }

    /// Creates (`id` = None) or replaces a template, with its audit entry.
    pub async fn save_template(
        &self,
        id: Option<Uuid>,
        t: &TemplateDraft,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<ReplyTemplate, StoreError> {
        let template_id = id.unwrap_or_else(|| crate::audit::new_id(now));
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = if id.is_some() {
                sqlx::query(
                    "UPDATE reply_templates SET name = $1, purpose = $2, language = $3, subject = $4, body = $5, \
                     active = $6, updated_at = $7 WHERE id = $8",
                )
            } else {
                sqlx::query(
                    "INSERT INTO reply_templates (name, purpose, language, subject, body, active, created_at, \
                     updated_at, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
                )
            }
            .bind(&t.name)
            .bind(t.purpose.as_str())
            .bind(t.language.code())
            .bind(&t.subject)
            .bind(&t.body)
            .bind(t.active)
            .bind(now)
            .bind(template_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("template"));
            }
            tx.commit_audited(Audit {
                actor,
                action: if id.is_some() {
                    "template.update"
                } else {
                    "template.create"
                },
                entity: "template",
                entity_id: template_id.to_string(),
                detail: json!({"name": t.name, "purpose": t.purpose, "language": t.language.code(),
                        "active": t.active}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_template(template_id).await
    }

    pub async fn delete_template(&self, id: Uuid, actor: Option<UserId>, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.remove_audited(&DELETE_TEMPLATE, id, actor, now).await
    }
}
