//! Sites that embed the feedback widget (`/widget.js`) with a public key.

use crate::audit::{Audit, CommitAudited, Removal, new_id};
use crate::dialect::BeginWrite;
use crate::{Store, StoreError, with_pool};
use amends_domain::{Language, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A stored widget site.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct WidgetSite {
    pub id: Uuid,
    pub site_key: String,
    pub name: String,
    /// JSON array text of origins.
    pub allowed_origins: String,
    #[sqlx(try_from = "String")]
    pub language: Language,
    pub enabled: bool,
    pub survey_question_de: Option<String>,
    pub survey_question_en: Option<String>,
    pub survey_trigger: Option<String>,
    pub survey_after_seconds: Option<i32>,
    pub survey_period_days: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WidgetSite {
    #[must_use]
    pub fn origins(&self) -> Vec<String> {
        serde_json::from_str(&self.allowed_origins).unwrap_or_default()
    }

    /// True if `origin` (as sent in the `Origin` header) may post for this site.
    #[must_use]
    pub fn allows_origin(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.origins().iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}

/// Validated fields of a widget site (the key is made by the store caller).
#[derive(Debug, Clone)]
pub struct WidgetSiteInput {
    pub name: String,
    pub allowed_origins: Vec<String>,
    pub language: Language,
    pub enabled: bool,
    pub survey_question_de: Option<String>,
    pub survey_question_en: Option<String>,
    pub survey_trigger: Option<String>,
    pub survey_after_seconds: Option<i32>,
    pub survey_period_days: i32,
}

const COLUMNS: &str = "id, site_key, name, allowed_origins, language, enabled, survey_question_de, \
     survey_question_en, survey_trigger, survey_after_seconds, survey_period_days, created_at, updated_at";

/// The removal of one row of this module (see `Store::remove_audited`).
const DELETE_SITE: Removal = Removal {
    sql: "DELETE FROM widget_sites WHERE id = $1",
    what: "widget site",
    action: "widget_site.delete",
    entity: "widget_site",
};

impl Store {
    pub async fn insert_widget_site(
        &self,
        site_key: &str,
        s: &WidgetSiteInput,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<WidgetSite, StoreError> {
        let id = new_id(now);
        let origins = serde_json::to_string(&s.allowed_origins).unwrap_or_else(|_| "[]".into());
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query_as::<_, WidgetSite>(sqlx::AssertSqlSafe(format!(
                "INSERT INTO widget_sites ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
                 RETURNING {COLUMNS}"
            )))
            .bind(id)
            .bind(site_key)
            .bind(&s.name)
            .bind(&origins)
            .bind(s.language.code())
            .bind(s.enabled)
            .bind(&s.survey_question_de)
            .bind(&s.survey_question_en)
            .bind(&s.survey_trigger)
            .bind(s.survey_after_seconds)
            .bind(s.survey_period_days)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor,
                action: "widget_site.create",
                entity: "widget_site",
                entity_id: id.to_string(),
                detail: json!({"name": s.name, "allowed_origins": s.allowed_origins}),
                at: now,
            })
            .await?;
            Ok(row)
        })
    }

    pub async fn list_widget_sites(&self) -> Result<Vec<WidgetSite>, StoreError> {
        self.all_rows(&format!("SELECT {COLUMNS} FROM widget_sites ORDER BY id LIMIT 1000"))
            .await
    }

    pub async fn get_widget_site(&self, id: Uuid) -> Result<WidgetSite, StoreError> {
        self.row_by(
            &format!("SELECT {COLUMNS} FROM widget_sites WHERE id = $1"),
            id,
            "widget site",
        )
        .await
    }

    pub async fn find_widget_site_by_key(&self, site_key: &str) -> Result<Option<WidgetSite>, StoreError> {
        self.find_row(
            &format!("SELECT {COLUMNS} FROM widget_sites WHERE site_key = $1"),
            site_key,
        )
        .await
    }

    pub async fn update_widget_site(
        &self,
        id: Uuid,
        s: &WidgetSiteInput,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<WidgetSite, StoreError> {
        let origins = serde_json::to_string(&s.allowed_origins).unwrap_or_else(|_| "[]".into());
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query_as::<_, WidgetSite>(sqlx::AssertSqlSafe(format!(
                "UPDATE widget_sites SET name = $2, allowed_origins = $3, language = $4, enabled = $5, \
                 survey_question_de = $6, survey_question_en = $7, survey_trigger = $8, survey_after_seconds = $9, \
                 survey_period_days = $10, updated_at = $11 WHERE id = $1 RETURNING {COLUMNS}"
            )))
            .bind(id)
            .bind(&s.name)
            .bind(&origins)
            .bind(s.language.code())
            .bind(s.enabled)
            .bind(&s.survey_question_de)
            .bind(&s.survey_question_en)
            .bind(&s.survey_trigger)
            .bind(s.survey_after_seconds)
            .bind(s.survey_period_days)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("widget site"))?;
            tx.commit_audited(Audit {
                actor,
                action: "widget_site.update",
                entity: "widget_site",
                entity_id: id.to_string(),
                detail: json!({"name": s.name, "allowed_origins": s.allowed_origins, "enabled": s.enabled}),
                at: now,
            })
            .await?;
            Ok(row)
        })
    }

    pub async fn delete_widget_site(
        &self,
        id: Uuid,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.remove_audited(&DELETE_SITE, id, actor, now).await
    }
}
