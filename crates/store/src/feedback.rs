//! Feedback items and the detection rules that turn them into cases.
//!
//! A feedback item, the case a rule opened for it (or the message added
//! to the customer's open case) and the audit entries are written in one
//! transaction; imports write chunks of items per transaction.

use crate::audit::{Audit, CommitAudited, Removal, new_id};
use crate::cases::CaseWrites;
use crate::dialect::BeginWrite;
use crate::outbox::Outbox;
use crate::{Cursor, EventKind, NewCase, NewEvent, Page, Store, StoreError, with_pool};
use amends_domain::detection::{Conditions, Reason, RuleAction};
use amends_domain::feedback::{Rating, SentimentLabel};
use amends_domain::{CaseId, Channel, CustomerId, FeedbackId, Language, Priority, RuleId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A validated, analysed feedback item to insert.
#[derive(Debug, Clone)]
pub struct NewFeedback {
    pub id: FeedbackId,
    pub customer_id: CustomerId,
    pub channel: Channel,
    pub rating: Option<Rating>,
    pub text: String,
    pub language: Language,
    pub sentiment: SentimentLabel,
    pub sentiment_score: f64,
    pub topics: Vec<String>,
    pub signals: Vec<String>,
    pub source: Option<serde_json::Value>,
    /// The product component the item is about, if the source said.
    pub component: Option<String>,
    pub created_at: DateTime<Utc>,
    pub author: Option<UserId>,
    /// What the rule that fired asks for, if one did.
    pub detection: Option<Detection>,
    /// The import key (16 bytes): an item whose key is stored already is
    /// not stored again (see `Store::insert_feedback`).
    pub import_key: Option<Vec<u8>>,
    /// The case reference the item names (8 hex digits, from a field or
    /// its text): it joins that case if it is one of the customer's open
    /// cases (`attach_or_open` only).
    pub reference: Option<String>,
}

/// The rule that fired for an item and the case it asks for.
#[derive(Debug, Clone)]
pub struct Detection {
    pub rule_id: RuleId,
    pub rule_name: String,
    pub reasons: Vec<Reason>,
    pub action: RuleAction,
    /// The case to open (for `attach_or_open` only if the customer has no open case).
    pub case: NewCase,
}

/// A stored feedback item.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Feedback {
    #[sqlx(try_from = "Uuid")]
    pub id: FeedbackId,
    #[sqlx(try_from = "Uuid")]
    pub customer_id: CustomerId,
    pub case_id: Option<Uuid>,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub rating: Option<i32>,
    pub text: String,
    #[sqlx(try_from = "String")]
    pub language: Language,
    #[sqlx(try_from = "String")]
    pub sentiment: SentimentLabel,
    pub sentiment_score: f64,
    /// JSON array text.
    pub topics: String,
    /// JSON array text.
    pub signals: String,
    pub rule_id: Option<Uuid>,
    pub rule_name: Option<String>,
    /// JSON array of [`Reason`]s.
    pub rule_reasons: Option<String>,
    /// JSON object text.
    pub source: Option<String>,
    pub component: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Joined from the customer.
    pub customer_name: String,
}

impl Feedback {
    #[must_use]
    pub fn topic_list(&self) -> Vec<String> {
        serde_json::from_str(&self.topics).unwrap_or_default()
    }

    #[must_use]
    pub fn signal_list(&self) -> Vec<String> {
        serde_json::from_str(&self.signals).unwrap_or_default()
    }

    #[must_use]
    pub fn reasons(&self) -> Vec<Reason> {
        self.rule_reasons
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default()
    }

    #[must_use]
    pub fn source_json(&self) -> Option<serde_json::Value> {
        self.source.as_deref().and_then(|s| serde_json::from_str(s).ok())
    }

    #[must_use]
    pub fn case(&self) -> Option<CaseId> {
        self.case_id.map(CaseId)
    }
}

#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    pub channel: Option<Channel>,
    pub sentiment: Option<SentimentLabel>,
    pub topic: Option<String>,
    pub rating: Option<Rating>,
    pub language: Option<Language>,
    pub customer_id: Option<CustomerId>,
    /// Only items with (`Some(true)`) or without (`Some(false)`) a case.
    pub has_case: Option<bool>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub cursor: Option<Cursor>,
    pub limit: usize,
}

/// A stored detection rule.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct DetectionRule {
    #[sqlx(try_from = "Uuid")]
    pub id: RuleId,
    pub name: String,
    pub position: i32,
    pub enabled: bool,
    /// JSON object text of [`Conditions`].
    pub conditions: String,
    #[sqlx(try_from = "String")]
    pub action: RuleAction,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl DetectionRule {
    /// The parsed conditions (stored rules were validated when written;
    /// a broken row yields conditions that never match).
    #[must_use]
    pub fn parsed_conditions(&self) -> Conditions {
        self.conditions.parse().unwrap_or_default()
    }

    #[must_use]
    pub fn to_rule(&self) -> amends_domain::detection::Rule {
        amends_domain::detection::Rule {
            name: self.name.clone(),
            enabled: self.enabled,
            conditions: self.parsed_conditions(),
            action: self.action,
            priority: self.priority,
        }
    }
}

/// A validated rule to insert or replace.
#[derive(Debug, Clone)]
pub struct RuleInput {
    pub name: String,
    pub position: Option<i32>,
    pub enabled: bool,
    pub conditions: Conditions,
    pub action: RuleAction,
    pub priority: Priority,
}

pub(crate) const FEEDBACK_SELECT: &str = "SELECT f.id, f.customer_id, f.case_id, f.channel, f.rating, f.text, f.language, \
     f.sentiment, f.sentiment_score, f.topics, f.signals, f.rule_id, f.rule_name, f.rule_reasons, f.source, \
     f.component, f.created_at, cu.name AS customer_name FROM feedback f JOIN customers cu ON cu.id = f.customer_id";

const RULE_COLUMNS: &str = "id, name, position, enabled, conditions, action, priority, created_at, updated_at";

/// The removal of one row of this module (see `Store::remove_audited`).
const DELETE_RULE: Removal = Removal {
    sql: "DELETE FROM detection_rules WHERE id = $1",
    what: "detection rule",
    action: "rule.delete",
    entity: "detection_rule",
};

impl Store {
    /// How many feedback items exist.
    pub async fn count_feedback(&self) -> Result<i64, StoreError> {
        with_pool!(self, |pool| {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM feedback").fetch_one(pool).await?;
            Ok(n)
        })
    }

    pub async fn get_feedback(&self, id: FeedbackId) -> Result<Feedback, StoreError> {
        self.row_by(&format!("{FEEDBACK_SELECT} WHERE f.id = $1"), id.0, "feedback")
            .await
    }

    /// Feedback, newest first, by keyset pagination.
    pub async fn list_feedback(&self, f: &FeedbackFilter) -> Result<Page<Feedback>, StoreError> {
        let limit = f.limit.clamp(1, 200);
        let rows = with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(FEEDBACK_SELECT);
            q.push(" WHERE 1=1");
            if let Some(c) = f.channel {
                q.push(" AND f.channel = ").push_bind(c.as_str());
            }
            if let Some(s) = f.sentiment {
                q.push(" AND f.sentiment = ").push_bind(s.as_str());
            }
            if let Some(r) = f.rating {
                q.push(" AND f.rating = ").push_bind(i32::from(r.get()));
            }
            if let Some(l) = f.language {
                q.push(" AND f.language = ").push_bind(l.code());
            }
            if let Some(c) = f.customer_id {
                q.push(" AND f.customer_id = ").push_bind(c.0);
            }
            match f.has_case {
                Some(true) => {
                    q.push(" AND f.case_id IS NOT NULL");
                }
                Some(false) => {
                    q.push(" AND f.case_id IS NULL");
                }
                None => {}
            }
            if let Some(t) = &f.topic {
                q.push(" AND f.id IN (SELECT feedback_id FROM feedback_topics WHERE topic = ")
                    .push_bind(t.clone())
                    .push(")");
            }
            // Ids are UUIDv7: a time range is also an id range.
            if let Some(from) = f.created_from {
                q.push(" AND f.id >= ")
                    .push_bind(amends_domain::ids::uuid_v7_at(from, 0));
                q.push(" AND f.created_at >= ").push_bind(from);
            }
            if let Some(to) = f.created_to {
                q.push(" AND f.id < ")
                    .push_bind(amends_domain::ids::uuid_v7_at(to, u128::MAX));
                q.push(" AND f.created_at < ").push_bind(to);
            }
            if let Some(c) = &f.cursor {
                q.push(" AND f.id < ").push_bind(c.id);
            }
            q.push(" ORDER BY f.id DESC LIMIT ")
                .push_bind(i64::try_from(limit + 1).unwrap_or(201));
            q.build_query_as::<Feedback>().fetch_all(pool).await?
        });
        Ok(Page::from_rows(rows, limit, |r| Cursor { id: r.id.0, at: None }))
    }

    /// Links a feedback item to a case opened for it by hand (e.g. from the
    /// stream); the case, its messages and the link are one transaction.
    pub async fn open_case_for_feedback(&self, feedback: FeedbackId, c: &NewCase) -> Result<CaseId, StoreError> {
        let f = self.get_feedback(feedback).await?;
        if let Some(existing) = f.case() {
            return Err(StoreError::Conflict {
                field: Some("case_id"),
                detail: format!("this feedback is already linked to case {existing}"),
            });
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.insert_new_case(c, json!({"feedback_id": feedback})).await?;
            let msg = NewEvent {
                kind: EventKind::MessageIn,
                author: None,
                body: Some(f.text.clone()),
                data: json!({"feedback_id": feedback, "channel": f.channel, "rating": f.rating}),
                at: c.created_at,
            };
            tx.insert_event(c.id.0, &msg).await?;
            let done = sqlx::query("UPDATE feedback SET case_id = $1 WHERE id = $2 AND case_id IS NULL")
                .bind(c.id.0)
                .bind(feedback.0)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict {
                    field: Some("case_id"),
                    detail: "this feedback was linked to a case meanwhile".into(),
                });
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(c.id)
    }

    /// All detection rules in evaluation order.
    pub async fn list_rules(&self) -> Result<Vec<DetectionRule>, StoreError> {
        self.all_rows(&format!(
            "SELECT {RULE_COLUMNS} FROM detection_rules ORDER BY position, id LIMIT 1000"
        ))
        .await
    }

    pub async fn get_rule(&self, id: RuleId) -> Result<DetectionRule, StoreError> {
        self.row_by(
            &format!("SELECT {RULE_COLUMNS} FROM detection_rules WHERE id = $1"),
            id.0,
            "detection rule",
        )
        .await
    }

    /// Adds a rule; without a position it goes after the last one.
    pub async fn insert_rule(
        &self,
        r: &RuleInput,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<DetectionRule, StoreError> {
        let id = RuleId(new_id(now));
        let conditions = serde_json::to_string(&r.conditions).unwrap_or_else(|_| "{}".into());
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let position = match r.position {
                Some(p) => p,
                None => {
                    let (max,): (Option<i32>,) = sqlx::query_as("SELECT MAX(position) FROM detection_rules")
                        .fetch_one(&mut *tx)
                        .await?;
                    max.unwrap_or(0).saturating_add(10)
                }
            };
            let row = sqlx::query_as::<_, DetectionRule>(sqlx::AssertSqlSafe(format!(
                "INSERT INTO detection_rules ({RULE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 RETURNING {RULE_COLUMNS}"
            )))
            .bind(id.0)
            .bind(&r.name)
            .bind(position)
            .bind(r.enabled)
            .bind(&conditions)
            .bind(r.action.as_str())
            .bind(r.priority.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor,
                action: "rule.create",
                entity: "detection_rule",
                entity_id: id.to_string(),
                detail: json!({"name": r.name, "conditions": r.conditions, "action": r.action, "priority": r.priority}),
                at: now,
            })
            .await?;
            Ok(row)
        })
    }

    /// Replaces a rule's fields (a missing position keeps the current one).
    pub async fn update_rule(
        &self,
        id: RuleId,
        r: &RuleInput,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<DetectionRule, StoreError> {
        let cur = self.get_rule(id).await?;
        let conditions = serde_json::to_string(&r.conditions).unwrap_or_else(|_| "{}".into());
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let row = sqlx::query_as::<_, DetectionRule>(sqlx::AssertSqlSafe(format!(
                "UPDATE detection_rules SET name = $2, position = $3, enabled = $4, conditions = $5, action = $6, \
                 priority = $7, updated_at = $8 WHERE id = $1 RETURNING {RULE_COLUMNS}"
            )))
            .bind(id.0)
            .bind(&r.name)
            .bind(r.position.unwrap_or(cur.position))
            .bind(r.enabled)
            .bind(&conditions)
            .bind(r.action.as_str())
            .bind(r.priority.as_str())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("detection rule"))?;
            tx.commit_audited(Audit {
                actor,
                action: "rule.update",
                entity: "detection_rule",
                entity_id: id.to_string(),
                detail: json!({"before": {"name": cur.name, "enabled": cur.enabled, "conditions": cur.conditions},
                                   "after": {"name": r.name, "enabled": r.enabled, "conditions": r.conditions}}),
                at: now,
            })
            .await?;
            Ok(row)
        })
    }

    pub async fn delete_rule(&self, id: RuleId, actor: Option<UserId>, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.remove_audited(&DELETE_RULE, id.0, actor, now).await
    }
}
