//! Read and write models of the patterns report: the feedback of a period
//! (who complained, when, on which channel, about what, on whose case),
//! change events (releases, outages, price changes) and the alerts of the
//! spike detector. The store only selects and counts; the tests are run by
//! `amends_app::analytics::patterns`.

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::outbox::Outbox;
use crate::rows::Row;
use crate::{NewJob, Store, StoreError, with_pool};
use amends_domain::{Tier, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One feedback item: a complaint when its sentiment is negative.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct FeedbackFact {
    pub created_at: DateTime<Utc>,
    pub channel: String,
    pub negative: bool,
    /// The agent of the case the feedback belongs to, if any.
    pub assignee_id: Option<Uuid>,
    /// JSON array of topic ids.
    pub topics: String,
    /// The product component: the item's own, else that of the incident
    /// its case came from.
    pub component: Option<String>,
    /// How many feedback items share these facts: 1 row by row
    /// ([`Store::feedback_facts`]), more when grouped ([`Store::feedback_groups`]).
    pub count: i64,
}

impl FeedbackFact {
    /// The topic ids (none when the column is not a JSON array of strings).
    #[must_use]
    pub fn topic_ids(&self) -> Vec<String> {
        serde_json::from_str(&self.topics).unwrap_or_default()
    }
}

/// A release, outage, price change or other change whose effect on
/// complaints the patterns report measures.
#[derive(sqlx::FromRow)]
struct FeedbackGroupRow {
    slot: i64,
    exact_at: Option<DateTime<Utc>>,
    channel: String,
    negative: bool,
    assignee_id: Option<Uuid>,
    topics: String,
    component: Option<String>,
    count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ChangeEvent {
    pub id: Uuid,
    /// release, outage, price_change, other
    pub kind: String,
    pub title: String,
    pub component: Option<String>,
    pub at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A checked change event to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChangeEvent {
    pub kind: String,
    pub title: String,
    pub component: Option<String>,
    pub at: DateTime<Utc>,
}

/// A spike of a topic's complaints, raised once per topic and day.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct PatternAlert {
    pub id: Uuid,
    pub topic: String,
    /// YYYY-MM-DD in the configured time zone.
    pub day: String,
    pub observed: i64,
    pub expected: f64,
    pub p_value: f64,
    pub q_value: f64,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

const CHANGE_COLUMNS: &str = "id, kind, title, component, at, created_by, created_at";
const ALERT_COLUMNS: &str =
    "id, topic, day, observed, expected, p_value, q_value, window_start, window_end, created_at";

/// The filter of the feedback of a period over [`Store::feedback_of_period`]:
/// `[$1, $2)`, channel `$3` and tier `$4` (none: all).
const FEEDBACK_FILTER: &str = "f.created_at >= $1 AND f.created_at < $2 AND ($3 IS NULL OR f.channel = $3) \
     AND ($4 IS NULL OR EXISTS (SELECT 1 FROM customers k WHERE k.id = f.customer_id AND k.tier = $4))";

impl Store {
    /// The feedback (`f`, read from `feedback_patterns`) with its case's
    /// agent and incident (`c`, `i`; `cases_refs` holds what is read of a
    /// case, which SQLite must be told, as it prefers the primary key).
    fn feedback_of_period(&self) -> String {
        format!(
            "feedback f LEFT JOIN cases c{} ON c.id = f.case_id LEFT JOIN incidents i ON i.id = c.incident_id",
            self.dialect().indexed_by("cases_refs")
        )
    }

    /// The feedback created in `[from, to)`, optionally of one channel and tier.
    pub async fn feedback_facts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        channel: Option<&str>,
        tier: Option<Tier>,
    ) -> Result<Vec<FeedbackFact>, StoreError> {
        let tier = tier.map(|t| t.as_str());
        let sql = format!(
            "SELECT f.created_at, f.channel, (f.sentiment = 'negative') AS negative, c.assignee_id, f.topics, \
             COALESCE(f.component, i.component) AS component, CAST(1 AS BIGINT) AS count \
             FROM {} WHERE {FEEDBACK_FILTER}",
            self.feedback_of_period(),
        );
        self.feedback_in_slices(sql, from, to, channel, tier).await
    }

    /// The rows of `sql` (binding a slice's start and end, the channel and
    /// the tier) for each slice of `[from, to)`, read at once (see
    /// [`Store::in_slices`]).
    async fn feedback_in_slices<T: Row + 'static>(
        &self,
        sql: String,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        channel: Option<&str>,
        tier: Option<&'static str>,
    ) -> Result<Vec<T>, StoreError> {
        let channel = channel.map(str::to_owned);
        self.in_slices(from, to, move |store, a, b| {
            let (sql, channel) = (sql.clone(), channel.clone());
            async move {
                with_pool!(store, |pool| {
                    Ok(sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql))
                        .bind(a)
                        .bind(b)
                        .bind(channel)
                        .bind(tier)
                        .fetch_all(pool)
                        .await?)
                })
            }
        })
        .await
    }

    /// The feedback of `[from, to)` as [`Store::feedback_facts`] gives it,
    /// grouped by every fact and the 15-minute slot of its time (whole
    /// seconds since 1970 ÷ 900): a group's `created_at` is the start of
    /// its slot, except in the slots of `exact_at`, whose items keep their
    /// own times. Any comparison of an item's time with an instant outside
    /// its slot comes out the same for the slot's start, and every time
    /// zone's offset is a multiple of 15 minutes: a report that gives the
    /// instants it compares with counts the same as on the rows.
    pub async fn feedback_groups(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        channel: Option<&str>,
        tier: Option<Tier>,
        exact_at: &[DateTime<Utc>],
    ) -> Result<Vec<FeedbackFact>, StoreError> {
        let tier = tier.map(|t| t.as_str());
        let slot = format!("{} / 900", self.dialect().epoch_seconds("f.created_at"));
        let mut slots: Vec<i64> = exact_at.iter().map(|t| t.timestamp().div_euclid(900)).collect();
        slots.sort_unstable();
        slots.dedup();
        // Whole numbers computed here, never user text.
        let exact = if slots.is_empty() {
            "FALSE".to_string()
        } else {
            format!(
                "{slot} IN ({})",
                slots.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            )
        };
        let sql = format!(
            "SELECT {slot} AS slot, CASE WHEN {exact} THEN f.created_at END AS exact_at, f.channel, \
             (f.sentiment = 'negative') AS negative, c.assignee_id, f.topics, \
             COALESCE(f.component, i.component) AS component, COUNT(*) AS count \
             FROM {from} WHERE {FEEDBACK_FILTER} GROUP BY 1, 2, 3, 4, 5, 6, 7",
            from = self.feedback_of_period(),
        );
        // A slot cut by a slice's edge comes as two groups: the report adds
        // up their counts.
        let rows: Vec<FeedbackGroupRow> = self.feedback_in_slices(sql, from, to, channel, tier).await?;
        Ok(rows
            .into_iter()
            .map(|r| FeedbackFact {
                created_at: r
                    .exact_at
                    .or_else(|| DateTime::from_timestamp(r.slot * 900, 0))
                    .unwrap_or(from),
                channel: r.channel,
                negative: r.negative,
                assignee_id: r.assignee_id,
                topics: r.topics,
                component: r.component,
                count: r.count,
            })
            .collect())
    }

    /// Stores a change event with its audit entry.
    pub async fn insert_change_event(
        &self,
        e: &NewChangeEvent,
        actor: UserId,
        now: DateTime<Utc>,
    ) -> Result<ChangeEvent, StoreError> {
        let id = crate::audit::new_id(now);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO change_events (id, kind, title, component, at, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(&e.kind)
            .bind(&e.title)
            .bind(e.component.as_deref())
            .bind(e.at)
            .bind(actor.0)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit_audited(Audit {
                actor: Some(actor),
                action: "change_event.create",
                entity: "change_event",
                entity_id: id.to_string(),
                detail: json!({"kind": e.kind, "title": e.title, "component": e.component, "at": e.at}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(ChangeEvent {
            id,
            kind: e.kind.clone(),
            title: e.title.clone(),
            component: e.component.clone(),
            at: e.at,
            created_by: Some(actor.0),
            created_at: now,
        })
    }

    /// Change events at `[from, to)`, newest first, at most `limit`.
    pub async fn list_change_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ChangeEvent>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, ChangeEvent>(sqlx::AssertSqlSafe(format!(
                "SELECT {CHANGE_COLUMNS} FROM change_events WHERE at >= $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3"
            )))
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Stores a spike alert and its `pattern.detected` event in one
    /// transaction, unless this topic already has an alert for this day;
    /// gives `true` if it was new (so the event goes out exactly once).
    pub async fn insert_pattern_alert(&self, a: &PatternAlert) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "INSERT INTO pattern_alerts (id, topic, day, observed, expected, p_value, q_value, window_start, \
                 window_end, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (topic, day) DO NOTHING",
            )
            .bind(a.id)
            .bind(&a.topic)
            .bind(&a.day)
            .bind(a.observed)
            .bind(a.expected)
            .bind(a.p_value)
            .bind(a.q_value)
            .bind(a.window_start)
            .bind(a.window_end)
            .bind(a.created_at)
            .execute(&mut *tx)
            .await?;
            let new = done.rows_affected() == 1;
            if new {
                let event = NewJob::event(
                    "pattern.detected",
                    None,
                    json!({"alert_id": a.id, "kind": "topic_spike", "topic": a.topic, "day": a.day,
                           "observed": a.observed, "expected": a.expected, "p_value": a.p_value,
                           "q_value": a.q_value, "window_start": a.window_start, "window_end": a.window_end}),
                    a.created_at,
                );
                let _ = tx.insert_job(&event, a.created_at).await?;
            }
            tx.commit().await?;
            Ok::<bool, StoreError>(new)
        })
    }

    /// Spike alerts raised at or after `since`, newest first.
    pub async fn pattern_alerts_since(&self, since: DateTime<Utc>) -> Result<Vec<PatternAlert>, StoreError> {
        self.rows_by(&format!(
                "SELECT {ALERT_COLUMNS} FROM pattern_alerts WHERE created_at >= $1 ORDER BY created_at DESC, id DESC LIMIT 50"
            ), since).await
    }
}
