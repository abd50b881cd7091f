//! Read and write models of the churn model: the customer history its
//! features are computed from, and the trained models (one version per
//! training, the newest active). The features, the fit and the ranking are
//! in `amends_app::analytics::churn`.

use crate::dialect::BeginWrite;
use crate::rows::Row;
use crate::{Store, StoreError, with_pool};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A customer as the churn model sees them.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ChurnCustomer {
    pub id: Uuid,
    pub name: String,
    pub tier: String,
    pub clv_cents: i64,
    pub created_at: DateTime<Utc>,
    pub churned_at: Option<DateTime<Utc>>,
}

/// A case (a failure the customer complained about).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ChurnCase {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub subject: String,
    pub state: String,
    pub open: bool,
    pub assignee_id: Option<Uuid>,
    pub repeat_failure: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    /// When it was resolved (or else closed), if it was.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A dated number of a customer: a feedback's sentiment score, a survey
/// answer's score, a goodwill grant's value in cents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, sqlx::FromRow)]
pub struct ChurnPoint {
    pub customer_id: Uuid,
    pub at: DateTime<Utc>,
    pub value: f64,
}

/// Everything the churn features are computed from, up to a moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChurnFacts {
    pub customers: Vec<ChurnCustomer>,
    pub cases: Vec<ChurnCase>,
    pub sentiments: Vec<ChurnPoint>,
    pub surveys: Vec<ChurnPoint>,
    pub goodwill: Vec<ChurnPoint>,
}

/// A trained churn model as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ChurnModelRow {
    pub version: i64,
    pub trained_at: DateTime<Utc>,
    /// JSON of the model (features, scaling, coefficients).
    pub model: String,
    pub n_train: i64,
    pub n_test: i64,
    pub auc: Option<f64>,
    /// JSON of the held-out calibration bins.
    pub calibration: String,
    pub active: bool,
}

/// A trained churn model to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChurnModel {
    pub trained_at: DateTime<Utc>,
    pub model: String,
    pub n_train: i64,
    pub n_test: i64,
    pub auc: Option<f64>,
    pub calibration: String,
}

const MODEL_COLUMNS: &str = "version, trained_at, model, n_train, n_test, auc, calibration, active";

/// The statements of [`ChurnFacts`]: each binds `until` at `$1`; `{of}`
/// is where the customer filter of [`Store::churn_facts_of`] goes.
const FACT_QUERIES: [&str; 5] = [
    "SELECT id, name, tier, clv_cents, created_at, churned_at FROM customers \
     WHERE created_at < $1{of_id} ORDER BY id",
    "SELECT id, customer_id, subject, state, open, assignee_id, repeat_failure, created_at, \
     first_responded_at, COALESCE(resolved_at, closed_at) AS ended_at FROM cases \
     WHERE created_at < $1{of} ORDER BY id",
    "SELECT customer_id, created_at AS at, sentiment_score AS value FROM feedback \
     WHERE created_at < $1{of} ORDER BY created_at, id",
    "SELECT customer_id, answered_at AS at, CAST(score AS DOUBLE PRECISION) AS value FROM surveys \
     WHERE answered_at IS NOT NULL AND score IS NOT NULL AND answered_at < $1{of} ORDER BY answered_at, id",
    "SELECT customer_id, granted_at AS at, CAST(value_cents AS DOUBLE PRECISION) AS value \
     FROM goodwill_grants WHERE state = 'granted' AND granted_at IS NOT NULL AND granted_at < $1{of} \
     ORDER BY granted_at, id",
];

impl Store {
    /// The customers created before `until` and their cases, feedback
    /// sentiment, survey scores and granted goodwill before `until`.
    pub async fn churn_facts(&self, until: DateTime<Utc>) -> Result<ChurnFacts, StoreError> {
        self.facts_of(until, None).await
    }

    /// [`Store::churn_facts`] of the given customers only (a page of them:
    /// one bound parameter each).
    pub async fn churn_facts_of(&self, customers: &[Uuid], until: DateTime<Utc>) -> Result<ChurnFacts, StoreError> {
        if customers.is_empty() {
            return Ok(ChurnFacts::default());
        }
        self.facts_of(until, Some(customers)).await
    }

    async fn facts_of(&self, until: DateTime<Utc>, customers: Option<&[Uuid]>) -> Result<ChurnFacts, StoreError> {
        let ids = customers.unwrap_or_default();
        let list = (2..2 + ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = |i: usize| {
            let (of_id, of) = match customers {
                Some(_) => (format!(" AND id IN ({list})"), format!(" AND customer_id IN ({list})")),
                None => (String::new(), String::new()),
            };
            FACT_QUERIES[i].replace("{of_id}", &of_id).replace("{of}", &of)
        };
        Ok(ChurnFacts {
            customers: self.fetch_of(&sql(0), until, ids).await?,
            cases: self.fetch_of(&sql(1), until, ids).await?,
            sentiments: self.fetch_of(&sql(2), until, ids).await?,
            surveys: self.fetch_of(&sql(3), until, ids).await?,
            goodwill: self.fetch_of(&sql(4), until, ids).await?,
        })
    }

    /// The rows of `sql` with `until` at `$1` and `ids` from `$2` on.
    async fn fetch_of<T: Row>(&self, sql: &str, until: DateTime<Utc>, ids: &[Uuid]) -> Result<Vec<T>, StoreError> {
        with_pool!(self, |pool| {
            let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.to_owned())).bind(until);
            for id in ids {
                q = q.bind(*id);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// A page of the customers who have not left and have an open case (of
    /// `assignee`, if given): at most `limit` ids after `after`, by id.
    pub async fn churn_open_customers(
        &self,
        assignee: Option<Uuid>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<Uuid>, StoreError> {
        let rows: Vec<(Uuid,)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT k.id FROM customers k WHERE k.churned_at IS NULL AND ($1 IS NULL OR k.id > $1) \
                 AND EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = k.id AND c.open = TRUE \
                 AND ($2 IS NULL OR c.assignee_id = $2)) ORDER BY k.id LIMIT $3",
            )
            .bind(after)
            .bind(assignee)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Stores a newly trained model as the next version and makes it the
    /// active one (the others inactive), in one transaction.
    pub async fn insert_churn_model(&self, m: &NewChurnModel) -> Result<ChurnModelRow, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            if let Some(lock) = self.dialect().lock_versions("churn_models") {
                sqlx::query(sqlx::AssertSqlSafe(lock)).execute(&mut *tx).await?;
            }
            let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM churn_models")
                .fetch_one(&mut *tx)
                .await?;
            let version = last.unwrap_or(0) + 1;
            sqlx::query("UPDATE churn_models SET active = FALSE WHERE active")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO churn_models (version, trained_at, model, n_train, n_test, auc, calibration, active) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE)",
            )
            .bind(version)
            .bind(m.trained_at)
            .bind(&m.model)
            .bind(m.n_train)
            .bind(m.n_test)
            .bind(m.auc)
            .bind(&m.calibration)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<ChurnModelRow, StoreError>(ChurnModelRow {
                version,
                trained_at: m.trained_at,
                model: m.model.clone(),
                n_train: m.n_train,
                n_test: m.n_test,
                auc: m.auc,
                calibration: m.calibration.clone(),
                active: true,
            })
        })
    }

    /// The active churn model, if one was trained.
    pub async fn active_churn_model(&self) -> Result<Option<ChurnModelRow>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, ChurnModelRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {MODEL_COLUMNS} FROM churn_models WHERE active ORDER BY version DESC LIMIT 1"
            )))
            .fetch_optional(pool)
            .await?)
        })
    }

    /// The versions of the churn model, newest first, at most `limit`.
    pub async fn list_churn_models(&self, limit: i64) -> Result<Vec<ChurnModelRow>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, ChurnModelRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {MODEL_COLUMNS} FROM churn_models ORDER BY version DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }
}
