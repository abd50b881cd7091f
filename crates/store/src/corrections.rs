//! Corrections of a feedback item's sentiment and topics by a person; the
//! newest correction of an item wins. They are training data for a
//! company's own sentiment model (`amends_app::corrections`).

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::rows::Exists;
use crate::{Cursor, Page};
use crate::{Store, StoreError, with_pool};
use amends_domain::feedback::SentimentLabel;
use amends_domain::{FeedbackId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A validated correction to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCorrection {
    pub feedback_id: FeedbackId,
    pub user_id: UserId,
    pub sentiment: SentimentLabel,
    /// Topic ids.
    pub topics: Vec<String>,
    pub at: DateTime<Utc>,
}

/// The newest correction of a feedback item, with the item's text and the
/// analyser's original labels.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Correction {
    pub id: Uuid,
    pub feedback_id: Uuid,
    pub user_id: Uuid,
    /// Who corrected it.
    pub user_name: String,
    /// The corrected sentiment (`negative` | `neutral` | `positive`).
    pub sentiment: String,
    /// The corrected topic ids (a JSON array text in the database).
    #[serde(serialize_with = "json_list")]
    pub topics: String,
    pub created_at: DateTime<Utc>,
    pub text: String,
    pub language: String,
    /// The analyser's sentiment.
    pub original_sentiment: String,
    /// The analyser's topic ids (a JSON array text in the database).
    #[serde(serialize_with = "json_list")]
    pub original_topics: String,
}

/// A JSON array text written as the list it holds.
fn json_list<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    let list: Vec<String> = serde_json::from_str(text).unwrap_or_default();
    serde::Serialize::serialize(&list, s)
}

impl Correction {
    /// The corrected topic ids.
    #[must_use]
    pub fn topic_list(&self) -> Vec<String> {
        serde_json::from_str(&self.topics).unwrap_or_default()
    }

    /// The analyser's topic ids.
    #[must_use]
    pub fn original_topic_list(&self) -> Vec<String> {
        serde_json::from_str(&self.original_topics).unwrap_or_default()
    }
}

/// A feedback item that came with a rating (a weak label for training).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct RatedText {
    pub feedback_id: Uuid,
    pub text: String,
    pub language: String,
    pub rating: i32,
}

/// The newest corrections only: no later correction of the same item.
const LATEST: &str = "SELECT c.id, c.feedback_id, c.user_id, u.display_name AS user_name, c.sentiment, c.topics, \
     c.created_at, f.text, f.language, f.sentiment AS original_sentiment, f.topics AS original_topics \
     FROM feedback_corrections c JOIN feedback f ON f.id = c.feedback_id JOIN users u ON u.id = c.user_id \
     WHERE NOT EXISTS (SELECT 1 FROM feedback_corrections n WHERE n.feedback_id = c.feedback_id AND n.id > c.id)";

impl Store {
    /// Stores a correction of a feedback item and its audit entry in one
    /// transaction; `NotFound` when the item does not exist.
    pub async fn insert_correction(&self, c: &NewCorrection) -> Result<Uuid, StoreError> {
        let id = crate::audit::new_id(c.at);
        let topics = serde_json::to_string(&c.topics).unwrap_or_else(|_| "[]".to_owned());
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.require_row("SELECT id FROM feedback WHERE id = $1", c.feedback_id.0, "feedback")
                .await?;
            sqlx::query(
                "INSERT INTO feedback_corrections (id, feedback_id, user_id, sentiment, topics, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(c.feedback_id.0)
            .bind(c.user_id.0)
            .bind(c.sentiment.as_str())
            .bind(&topics)
            .bind(c.at)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor: Some(c.user_id),
                action: "feedback.correct",
                entity: "feedback",
                entity_id: c.feedback_id.0.to_string(),
                detail: json!({"correction_id": id, "sentiment": c.sentiment.as_str(), "topics": c.topics}),
                at: c.at,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(id)
    }

    /// The newest correction of every corrected item, newest first.
    pub async fn list_corrections(&self) -> Result<Vec<Correction>, StoreError> {
        self.all_rows(&format!("{LATEST} ORDER BY c.id DESC")).await
    }

    /// One page of [`Store::list_corrections`]: newest first, after `cursor`,
    /// at most `limit` (1–200).
    pub async fn page_corrections(
        &self,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> Result<Page<Correction>, StoreError> {
        let limit = limit.clamp(1, 200);
        let fetch = i64::try_from(limit + 1).unwrap_or(201);
        let rows = with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(LATEST);
            if let Some(c) = cursor {
                q.push(" AND c.id < ").push_bind(c.id);
            }
            q.push(" ORDER BY c.id DESC LIMIT ").push_bind(fetch);
            q.build_query_as::<Correction>().fetch_all(pool).await?
        });
        Ok(Page::from_rows(rows, limit, |r| Cursor { id: r.id, at: None }))
    }

    /// The newest correction of one item, if it has one.
    pub async fn latest_correction(&self, feedback: FeedbackId) -> Result<Option<Correction>, StoreError> {
        self.find_row(&format!("{LATEST} AND c.feedback_id = $1"), feedback.0)
            .await
    }

    /// The newest correction of each corrected item whose id lies in
    /// `[low, high]` (the items of one page of the feedback stream).
    pub async fn latest_corrections_between(&self, low: Uuid, high: Uuid) -> Result<Vec<Correction>, StoreError> {
        let sql = format!("{LATEST} AND c.feedback_id >= $1 AND c.feedback_id <= $2");
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, Correction>(sqlx::AssertSqlSafe(sql))
                .bind(low)
                .bind(high)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Every feedback item that came with a rating, oldest first.
    pub async fn rated_feedback(&self) -> Result<Vec<RatedText>, StoreError> {
        self.all_rows(
            "SELECT id AS feedback_id, text, language, rating FROM feedback WHERE rating IS NOT NULL ORDER BY id",
        )
        .await
    }
}
