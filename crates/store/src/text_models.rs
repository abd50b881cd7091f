//! Versions of the company sentiment model: the model file and its figures
//! on the held-out corrections. At most one version is active; with none
//! the analyser uses the shipped model. Training and the figures are in
//! `amends_app::text_models`.

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::{Store, StoreError, with_pool};
use amends_domain::UserId;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// A trained model's figures as stored (without the model file).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TextModelRow {
    pub version: i64,
    pub trained_at: DateTime<Utc>,
    pub trained_by: Option<Uuid>,
    /// Who trained it (none for the command line or a deleted user).
    pub trained_by_name: Option<String>,
    pub n_train: i64,
    pub n_corrections: i64,
    pub n_csv: i64,
    pub n_weak: i64,
    pub n_held_out: i64,
    pub shipped_accuracy: Option<f64>,
    pub new_accuracy: Option<f64>,
    /// JSON array of the per-class figures.
    pub per_class: String,
    pub active: bool,
}

/// A trained model to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTextModel {
    pub model: Vec<u8>,
    pub trained_at: DateTime<Utc>,
    pub trained_by: Option<UserId>,
    pub n_train: i64,
    pub n_corrections: i64,
    pub n_csv: i64,
    pub n_weak: i64,
    pub n_held_out: i64,
    pub shipped_accuracy: Option<f64>,
    pub new_accuracy: Option<f64>,
    pub per_class: String,
}

const COLUMNS: &str = "m.version, m.trained_at, m.trained_by, u.display_name AS trained_by_name, m.n_train, \
     m.n_corrections, m.n_csv, m.n_weak, m.n_held_out, m.shipped_accuracy, m.new_accuracy, m.per_class, m.active \
     FROM text_models m LEFT JOIN users u ON u.id = m.trained_by";

impl Store {
    /// Stores a trained model as the next version (inactive) with its audit
    /// entry (`text_model.train`), in one transaction.
    pub async fn insert_text_model(&self, m: &NewTextModel) -> Result<i64, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(lock) = self.dialect().lock_versions("text_models") {
                sqlx::query(sqlx::AssertSqlSafe(lock)).execute(&mut *tx).await?;
            }
            let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM text_models")
                .fetch_one(&mut *tx)
                .await?;
            let version = last.unwrap_or(0) + 1;
            sqlx::query(
                "INSERT INTO text_models (version, model, trained_at, trained_by, n_train, n_corrections, n_csv, \
                 n_weak, n_held_out, shipped_accuracy, new_accuracy, per_class, active) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, FALSE)",
            )
            .bind(version)
            .bind(&m.model)
            .bind(m.trained_at)
            .bind(m.trained_by.map(|u| u.0))
            .bind(m.n_train)
            .bind(m.n_corrections)
            .bind(m.n_csv)
            .bind(m.n_weak)
            .bind(m.n_held_out)
            .bind(m.shipped_accuracy)
            .bind(m.new_accuracy)
            .bind(&m.per_class)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor: m.trained_by,
                action: "text_model.train",
                entity: "text_model",
                entity_id: version.to_string(),
                detail: json!({
                    "n_train": m.n_train,
                    "n_held_out": m.n_held_out,
                    "shipped_accuracy": m.shipped_accuracy,
                    "new_accuracy": m.new_accuracy,
                }),
                at: m.trained_at,
            })
            .await?;
            Ok::<i64, StoreError>(version)
        })
    }

    /// The versions, newest first, at most `limit`.
    pub async fn list_text_models(&self, limit: i64) -> Result<Vec<TextModelRow>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, TextModelRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} ORDER BY m.version DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// One version's figures; `NotFound` if there is no such version.
    pub async fn get_text_model(&self, version: i64) -> Result<TextModelRow, StoreError> {
        self.find_row(&format!("SELECT {COLUMNS} WHERE m.version = $1"), version)
            .await?
            .ok_or(StoreError::NotFound("text model"))
    }

    /// The newest version's number, if any was trained.
    pub async fn latest_text_model_version(&self) -> Result<Option<i64>, StoreError> {
        with_pool!(self, |pool| {
            let (v,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM text_models")
                .fetch_one(pool)
                .await?;
            Ok(v)
        })
    }

    /// The active version's number, if one is active (cheap: an index read).
    pub async fn active_text_model_version(&self) -> Result<Option<i64>, StoreError> {
        with_pool!(self, |pool| {
            let v: Option<(i64,)> =
                sqlx::query_as("SELECT version FROM text_models WHERE active ORDER BY version DESC LIMIT 1")
                    .fetch_optional(pool)
                    .await?;
            Ok(v.map(|r| r.0))
        })
    }

    /// The model file of a version; `NotFound` if there is no such version.
    pub async fn text_model_bytes(&self, version: i64) -> Result<Vec<u8>, StoreError> {
        with_pool!(self, |pool| {
            let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT model FROM text_models WHERE version = $1")
                .bind(version)
                .fetch_optional(pool)
                .await?;
            row.map(|r| r.0).ok_or(StoreError::NotFound("text model"))
        })
    }

    /// Makes `version` the active model (`Some`) or none (`None`: back to
    /// the shipped model), with its audit entry (`text_model.activate`,
    /// `text_model.deactivate`); `NotFound` if there is no such version.
    pub async fn set_active_text_model(
        &self,
        version: Option<i64>,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(v) = version {
                let found: Option<(i64,)> = sqlx::query_as("SELECT version FROM text_models WHERE version = $1")
                    .bind(v)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound("text model"));
                }
            }
            sqlx::query("UPDATE text_models SET active = FALSE WHERE active")
                .execute(&mut *tx)
                .await?;
            if let Some(v) = version {
                sqlx::query("UPDATE text_models SET active = TRUE WHERE version = $1")
                    .bind(v)
                    .execute(&mut *tx)
                    .await?;
            }
            let (action, entity_id) = match version {
                Some(v) => ("text_model.activate", v.to_string()),
                None => ("text_model.deactivate", String::new()),
            };
            tx.commit_audited(Audit {
                actor,
                action,
                entity: "text_model",
                entity_id,
                detail: serde_json::Value::Null,
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })
    }
}
