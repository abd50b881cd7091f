//! Self-service answers: what widget visitors did with the articles
//! suggested to them (deflection events, once per session, article and
//! event) and the setting of automatic answers to inbound mail per language.

use crate::audit::{Audit, CommitAudited, new_id};
use crate::dialect::BeginWrite;
use crate::{Store, StoreError, with_pool};
use amends_domain::{Language, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One deflection event to record.
#[derive(Debug, Clone)]
pub struct NewDeflection<'a> {
    pub site_id: Uuid,
    /// The widget's session token (letters and digits).
    pub session: &'a str,
    pub article_id: Uuid,
    /// `suggested`, `clicked`, `sent_anyway` or `resolved_without_sending`.
    pub event: &'a str,
    pub language: Language,
    pub at: DateTime<Utc>,
}

/// What one widget session did with one article in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DeflectionRow {
    pub session: String,
    pub article_id: Uuid,
    pub title: String,
    pub language: String,
    pub suggested: bool,
    pub clicked: bool,
    pub sent_anyway: bool,
    pub resolved: bool,
}

/// The automatic answer setting of one language.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AutoAnswerSetting {
    pub language: String,
    pub enabled: bool,
    /// The least match score (0–1) of the best public article.
    pub threshold: f64,
    pub updated_at: Option<DateTime<Utc>>,
}

/// The most session × article rows a report reads.
const REPORT_ROWS_MAX: i64 = 200_000;

impl Store {
    /// Records `e` once: `false` when the same session, article and event
    /// was recorded before (nothing changed). Fails with `NotFound` for an
    /// article that does not exist.
    pub async fn record_deflection(&self, e: &NewDeflection<'_>) -> Result<bool, StoreError> {
        let id = new_id(e.at);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let article: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM solutions WHERE id = $1 AND public = TRUE")
                .bind(e.article_id)
                .fetch_optional(&mut *tx)
                .await?;
            if article.is_none() {
                return Err(StoreError::NotFound("public article"));
            }
            let n = sqlx::query(
                "INSERT INTO deflection_events (id, site_id, session, article_id, event, language, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (session, article_id, event) DO NOTHING",
            )
            .bind(id)
            .bind(e.site_id)
            .bind(e.session)
            .bind(e.article_id)
            .bind(e.event)
            .bind(e.language.code())
            .bind(e.at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// Per widget session and article, which events happened between
    /// `from` and `to` (the session's first event decides the period).
    pub async fn deflection_rows(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DeflectionRow>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, DeflectionRow>(
                "SELECT d.session, d.article_id, s.title, MIN(d.language) AS language, \
                 MAX(CASE WHEN d.event = 'suggested' THEN 1 ELSE 0 END) = 1 AS suggested, \
                 MAX(CASE WHEN d.event = 'clicked' THEN 1 ELSE 0 END) = 1 AS clicked, \
                 MAX(CASE WHEN d.event = 'sent_anyway' THEN 1 ELSE 0 END) = 1 AS sent_anyway, \
                 MAX(CASE WHEN d.event = 'resolved_without_sending' THEN 1 ELSE 0 END) = 1 AS resolved \
                 FROM deflection_events d JOIN solutions s ON s.id = d.article_id \
                 WHERE d.at >= $1 AND d.at < $2 \
                 GROUP BY d.session, d.article_id, s.title ORDER BY d.session, d.article_id LIMIT $3",
            )
            .bind(from)
            .bind(to)
            .bind(REPORT_ROWS_MAX)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The automatic answer settings that were saved (a language without a row is off).
    pub async fn auto_answer_settings(&self) -> Result<Vec<AutoAnswerSetting>, StoreError> {
        self.all_rows("SELECT language, enabled, threshold, updated_at FROM auto_answer_settings ORDER BY language")
            .await
    }

    /// Saves the setting of `language`, audited as `auto_answer.set`.
    pub async fn set_auto_answer(
        &self,
        language: Language,
        enabled: bool,
        threshold: f64,
        actor: Option<UserId>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO auto_answer_settings (language, enabled, threshold, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (language) DO UPDATE SET enabled = excluded.enabled, \
                 threshold = excluded.threshold, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(language.code())
            .bind(enabled)
            .bind(threshold)
            .bind(actor.map(|a| a.0))
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor,
                action: "auto_answer.set",
                entity: "auto_answer_settings",
                entity_id: language.code().into(),
                detail: json!({"enabled": enabled, "threshold": threshold}),
                at,
            })
            .await
        })
    }
}
