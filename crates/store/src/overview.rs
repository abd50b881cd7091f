//! Read models of the customer 360 and the B2B account view: counts, the
//! sentiment samples for the chart, survey answers, an account's customers
//! with their open cases and goodwill. Every query stays within one
//! customer or one account (no cross-tenant scans).

use crate::cases::CASE_SELECT;
use crate::{Case, Store, StoreError, with_pool};
use amends_domain::customer::SentimentSample;
use amends_domain::{AccountId, CustomerId, Tier};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Figures of one customer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CustomerFacts {
    pub total_cases: i64,
    pub open_cases: i64,
    /// Cases opened in the window (e.g. the last 365 days): failures the
    /// customer experienced.
    pub prior_failures: i64,
    /// Granted goodwill (pending and rejected not counted).
    pub goodwill_granted_cents: i64,
    pub feedback_count: i64,
    pub surveys_answered: i64,
    /// Mean CSAT (1–5) of the answered surveys.
    pub average_csat: Option<f64>,
}

/// A survey of a customer with its case's subject.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CustomerSurvey {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_subject: String,
    /// scheduled, sent, answered, skipped
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub score: Option<i32>,
    pub comment: Option<String>,
    pub solved: Option<bool>,
    pub negative: Option<bool>,
}

/// A customer of an account with their open cases, goodwill and value.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AccountCustomer {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    pub clv_cents: i64,
    pub open_cases: i64,
    pub total_cases: i64,
    pub goodwill_cents: i64,
}

impl Store {
    /// Counts and sums of `customer`; `failures_since` starts the window of
    /// [`CustomerFacts::prior_failures`].
    pub async fn customer_facts(
        &self,
        customer: CustomerId,
        failures_since: DateTime<Utc>,
    ) -> Result<CustomerFacts, StoreError> {
        with_pool!(self, |pool| {
            let (total_cases, open_cases, prior_failures): (i64, i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN open = TRUE THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN created_at >= $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 FROM cases WHERE customer_id = $1",
            )
            .bind(customer.0)
            .bind(failures_since)
            .fetch_one(pool)
            .await?;
            let (goodwill,): (Option<i64>,) = sqlx::query_as(
                "SELECT CAST(SUM(value_cents) AS BIGINT) FROM goodwill_grants WHERE customer_id = $1 AND state = 'granted'",
            )
            .bind(customer.0)
            .fetch_one(pool)
            .await?;
            let (feedback_count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM feedback WHERE customer_id = $1")
                .bind(customer.0)
                .fetch_one(pool)
                .await?;
            let (surveys_answered, average_csat): (i64, Option<f64>) = sqlx::query_as(
                "SELECT COUNT(*), CAST(AVG(score) AS DOUBLE PRECISION) FROM surveys \
                 WHERE customer_id = $1 AND state = 'answered' AND score IS NOT NULL",
            )
            .bind(customer.0)
            .fetch_one(pool)
            .await?;
            Ok(CustomerFacts {
                total_cases,
                open_cases,
                prior_failures,
                goodwill_granted_cents: goodwill.unwrap_or(0),
                feedback_count,
                surveys_answered,
                average_csat,
            })
        })
    }

    /// The sentiment scores of the customer's newest `limit` feedback
    /// items, oldest first (for the chart).
    pub async fn customer_sentiment(
        &self,
        customer: CustomerId,
        limit: usize,
    ) -> Result<Vec<SentimentSample>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 10_000)).unwrap_or(1000);
        let mut rows: Vec<(DateTime<Utc>, f64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT created_at, sentiment_score FROM feedback WHERE customer_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(customer.0)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.reverse();
        Ok(rows
            .into_iter()
            .map(|(at, score)| SentimentSample { at, score })
            .collect())
    }

    /// The customer's surveys (newest first), with their cases' subjects.
    pub async fn customer_surveys(
        &self,
        customer: CustomerId,
        limit: usize,
    ) -> Result<Vec<CustomerSurvey>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(100);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, CustomerSurvey>(
                "SELECT s.id, s.case_id, c.subject AS case_subject, s.state, s.created_at, s.answered_at, s.score, \
                 s.comment, s.solved, s.negative FROM surveys s JOIN cases c ON c.id = s.case_id \
                 WHERE s.customer_id = $1 ORDER BY s.created_at DESC, s.id DESC LIMIT $2",
            )
            .bind(customer.0)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The account's customers by name (at most 1000) with open and total
    /// cases, granted goodwill and value.
    pub async fn account_customers(&self, account: AccountId) -> Result<Vec<AccountCustomer>, StoreError> {
        self.rows_by(
            "SELECT cu.id, cu.name, cu.email, cu.tier, cu.clv_cents, \
                 (SELECT COUNT(*) FROM cases c WHERE c.customer_id = cu.id AND c.open = TRUE) AS open_cases, \
                 (SELECT COUNT(*) FROM cases c WHERE c.customer_id = cu.id) AS total_cases, \
                 (SELECT CAST(COALESCE(SUM(g.value_cents), 0) AS BIGINT) FROM goodwill_grants g \
                  WHERE g.customer_id = cu.id AND g.state = 'granted') AS goodwill_cents \
                 FROM customers cu WHERE cu.account_id = $1 ORDER BY cu.name, cu.id LIMIT 1000",
            account.0,
        )
        .await
    }

    /// Open cases of the account's customers, newest first (at most `limit`).
    pub async fn account_open_cases(&self, account: AccountId, limit: usize) -> Result<Vec<Case>, StoreError> {
        let limit = i64::try_from(limit.clamp(1, 1000)).unwrap_or(200);
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, Case>(sqlx::AssertSqlSafe(format!(
                "{CASE_SELECT} WHERE cu.account_id = $1 AND c.open = TRUE ORDER BY c.id DESC LIMIT $2"
            )))
            .bind(account.0)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }
}
