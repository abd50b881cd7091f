//! Insight routing: teams with their members and rules, the insights
//! routed to them (one per team and cause, see migration 0034), their
//! reports, state changes and the reporters told about a fix. Which team
//! and cause a report gets is decided in `amends_domain::insight`.

use crate::audit::{Audit, AuditLog, CommitAudited};
use crate::dialect::BeginWrite;
use crate::outbox::{NewJob, Outbox};
use crate::{Store, StoreError, with_pool};
use amends_domain::insight::{InsightState, TeamDraft};
use amends_domain::{CustomerId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A team.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TeamRow {
    pub id: Uuid,
    pub name: String,
    pub digest: String,
    pub language: String,
    pub webhook_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One rule of a team, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TeamRuleRow {
    pub team_id: Uuid,
    pub position: i32,
    pub kind: String,
    pub value: String,
}

/// A member of a team.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TeamMemberRow {
    pub team_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub language: String,
}

/// A report routed to a team under a cause.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub team_id: Uuid,
    pub cause_key: String,
    /// `feedback` or `case`.
    pub source: &'static str,
    pub source_id: Uuid,
    pub customer_id: CustomerId,
    pub case_id: Option<Uuid>,
    pub reported_at: DateTime<Utc>,
}

/// An insight with its counts.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct InsightRow {
    pub id: Uuid,
    pub team_id: Uuid,
    pub team_name: String,
    pub cause_key: String,
    pub state: String,
    pub release: Option<String>,
    pub summary_de: Option<String>,
    pub summary_en: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub fixed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub reports: i64,
    pub customers: i64,
    pub notified: i64,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_seen: Option<DateTime<Utc>>,
}

/// One report of an insight, with its quote (the feedback text, or the
/// case subject) and customer.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct InsightReportRow {
    pub source: String,
    pub source_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub customer_language: String,
    pub case_id: Option<Uuid>,
    pub quote: Option<String>,
    pub reported_at: DateTime<Utc>,
}

/// What a fix says: the release and, for the reporters, what was fixed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fix<'a> {
    pub release: Option<&'a str>,
    pub summary_de: Option<&'a str>,
    pub summary_en: Option<&'a str>,
}

/// A reporter told about a fix: the insight, the customer, the case the
/// mail is on, its job and the release.
#[derive(Debug, Clone, Copy)]
pub struct InsightNotice<'a> {
    pub insight: Uuid,
    pub customer: CustomerId,
    pub case_id: Uuid,
    pub job_id: Uuid,
    pub release: &'a str,
}

/// Filter of the insight inbox.
#[derive(Debug, Clone, Default)]
pub struct InsightFilter {
    pub team_id: Option<Uuid>,
    pub state: Option<InsightState>,
    /// Created at or after (the digest's period).
    pub created_since: Option<DateTime<Utc>>,
    pub limit: i64,
}

const INSIGHT_SELECT: &str = "SELECT i.id, i.team_id, t.name AS team_name, i.cause_key, i.state, i.release, \
     i.summary_de, i.summary_en, i.acknowledged_at, i.fixed_at, i.created_at, \
     (SELECT COUNT(*) FROM insight_reports r WHERE r.insight_id = i.id) AS reports, \
     (SELECT COUNT(DISTINCT r.customer_id) FROM insight_reports r WHERE r.insight_id = i.id) AS customers, \
     (SELECT COUNT(*) FROM insight_notices n WHERE n.insight_id = i.id) AS notified, \
     (SELECT MIN(r.reported_at) FROM insight_reports r WHERE r.insight_id = i.id) AS first_seen, \
     (SELECT MAX(r.reported_at) FROM insight_reports r WHERE r.insight_id = i.id) AS last_seen \
     FROM insights i JOIN teams t ON t.id = i.team_id";

crate::backend_trait! {
    /// The members and rules of a team, written anew.
    trait TeamWrites {
        async fn write_members_rules(&mut self, id: Uuid, d: &TeamDraft) -> Result<(), StoreError> {
            sqlx::query("DELETE FROM team_members WHERE team_id = $1").bind(id).execute(&mut *self).await?;
            sqlx::query("DELETE FROM team_rules WHERE team_id = $1").bind(id).execute(&mut *self).await?;
            for u in &d.members {
                sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(*u)
                    .execute(&mut *self)
                    .await
                    .map_err(|e| match &e {
                        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound("user"),
                        _ => StoreError::Database(e),
                    })?;
            }
            for (i, r) in d.rules.iter().enumerate() {
                sqlx::query("INSERT INTO team_rules (team_id, position, kind, value) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(i32::try_from(i).unwrap_or(i32::MAX))
                    .bind(r.kind.as_str())
                    .bind(&r.value)
                    .execute(&mut *self)
                    .await?;
            }
            Ok(())
        }
    }
}

fn team_detail(d: &TeamDraft) -> serde_json::Value {
    json!({"name": d.name, "digest": d.digest.as_str(), "language": d.language.code(),
        "webhook": d.webhook_url.is_some(), "members": d.members.len(),
        "rules": d.rules.iter().map(|r| format!("{}:{}", r.kind.as_str(), r.value)).collect::<Vec<_>>()})
}

fn name_taken(e: sqlx::Error) -> StoreError {
    StoreError::unique(e, "name", || "a team of this name exists".into())
}

impl Store {
    /// Every team, by name.
    pub async fn list_teams(&self) -> Result<Vec<TeamRow>, StoreError> {
        self.all_rows(
            "SELECT id, name, digest, language, webhook_url, created_at, updated_at FROM teams ORDER BY name, id",
        )
        .await
    }

    pub async fn get_team(&self, id: Uuid) -> Result<TeamRow, StoreError> {
        self.row_by(
            "SELECT id, name, digest, language, webhook_url, created_at, updated_at FROM teams WHERE id = $1",
            id,
            "team",
        )
        .await
    }

    /// The rules of every team, in each team's order.
    pub async fn all_team_rules(&self) -> Result<Vec<TeamRuleRow>, StoreError> {
        self.all_rows("SELECT team_id, position, kind, value FROM team_rules ORDER BY team_id, position")
            .await
    }

    /// The members of every team (or of one), by name.
    pub async fn team_members(&self, team: Option<Uuid>) -> Result<Vec<TeamMemberRow>, StoreError> {
        with_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT m.team_id, m.user_id, u.display_name AS name, u.email, u.language FROM team_members m \
             JOIN users u ON u.id = m.user_id WHERE $1 IS NULL OR m.team_id = $1 ORDER BY u.display_name, u.id"
        )
        .bind(team)
        .fetch_all(pool)
        .await?))
    }

    /// Adds a team with its members and rules.
    pub async fn create_team(
        &self,
        d: &TeamDraft,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Uuid, StoreError> {
        let id = crate::audit::new_id(now);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO teams (id, name, digest, language, webhook_url, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(id)
            .bind(&d.name)
            .bind(d.digest.as_str())
            .bind(d.language.code())
            .bind(d.webhook_url.as_deref())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(name_taken)?;
            tx.write_members_rules(id, d).await?;
            tx.commit_audited(Audit {
                actor,
                action: "team.create",
                entity: "team",
                entity_id: id.to_string(),
                detail: team_detail(d),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        Ok(id)
    }

    /// Replaces a team's settings, members and rules.
    pub async fn update_team(
        &self,
        id: Uuid,
        d: &TeamDraft,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "UPDATE teams SET name = $2, digest = $3, language = $4, webhook_url = $5, updated_at = $6 WHERE id = $1",
            )
            .bind(id)
            .bind(&d.name)
            .bind(d.digest.as_str())
            .bind(d.language.code())
            .bind(d.webhook_url.as_deref())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(name_taken)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("team"));
            }
            tx.write_members_rules(id, d).await?;
            tx.commit_audited(Audit {
                actor,
                action: "team.update",
                entity: "team",
                entity_id: id.to_string(),
                detail: team_detail(d),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })
    }

    /// Removes a team with its rules, members and insights (their reports
    /// and notices); the feedback, cases and mails stay.
    pub async fn delete_team(&self, id: Uuid, actor: Option<UserId>, now: DateTime<Utc>) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let sub = "(SELECT id FROM insights WHERE team_id = $1)";
            for sql in [
                format!("DELETE FROM insight_notices WHERE insight_id IN {sub}"),
                format!("DELETE FROM insight_reports WHERE insight_id IN {sub}"),
                "DELETE FROM insights WHERE team_id = $1".to_string(),
                "DELETE FROM team_rules WHERE team_id = $1".to_string(),
                "DELETE FROM team_members WHERE team_id = $1".to_string(),
            ] {
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).execute(&mut *tx).await?;
            }
            let done = sqlx::query("DELETE FROM teams WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("team"));
            }
            tx.commit_audited(Audit {
                actor,
                action: "team.delete",
                entity: "team",
                entity_id: id.to_string(),
                detail: json!({}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })
    }

    /// Files reports under their insights in one transaction: the insight
    /// of a team and cause is made by the first report (with its
    /// `insight.created` event and audit entry); a report filed before adds
    /// nothing. Gives the insights made.
    pub async fn file_reports(&self, reports: &[NewReport], now: DateTime<Utc>) -> Result<Vec<Uuid>, StoreError> {
        if reports.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let mut made = Vec::new();
            for (n, r) in reports.iter().enumerate() {
                let fresh = crate::audit::new_id(now + chrono::Duration::microseconds(i64::try_from(n).unwrap_or(0)));
                let inserted = sqlx::query(
                    "INSERT INTO insights (id, team_id, cause_key, state, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'open', $4, $4) ON CONFLICT (team_id, cause_key) DO NOTHING",
                )
                .bind(fresh)
                .bind(r.team_id)
                .bind(&r.cause_key)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                let (id,): (Uuid,) = sqlx::query_as("SELECT id FROM insights WHERE team_id = $1 AND cause_key = $2")
                    .bind(r.team_id)
                    .bind(&r.cause_key)
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO insight_reports (insight_id, source, source_id, customer_id, case_id, reported_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(r.source)
                .bind(r.source_id)
                .bind(r.customer_id.0)
                .bind(r.case_id)
                .bind(r.reported_at)
                .execute(&mut *tx)
                .await?;
                if inserted {
                    let data = json!({"insight_id": id, "team_id": r.team_id, "cause": r.cause_key});
                    tx.insert_job(&NewJob::event("insight.created", None, data.clone(), now), now)
                        .await?;
                    tx.record_audit(Audit {
                        actor: None,
                        action: "insight.create",
                        entity: "insight",
                        entity_id: id.to_string(),
                        detail: data,
                        at: now,
                    })
                    .await?;
                    made.push(id);
                }
            }
            tx.commit().await?;
            Ok::<Vec<Uuid>, StoreError>(made)
        })
    }

    /// The insight inbox, newest first.
    pub async fn list_insights(&self, f: &InsightFilter) -> Result<Vec<InsightRow>, StoreError> {
        with_pool!(self, |pool| Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{INSIGHT_SELECT} WHERE ($1 IS NULL OR i.team_id = $1) AND ($2 IS NULL OR i.state = $2) \
             AND ($3 IS NULL OR i.created_at >= $3) ORDER BY i.id DESC LIMIT $4"
        )))
        .bind(f.team_id)
        .bind(f.state.map(InsightState::as_str))
        .bind(f.created_since)
        .bind(f.limit)
        .fetch_all(pool)
        .await?))
    }

    pub async fn get_insight(&self, id: Uuid) -> Result<InsightRow, StoreError> {
        self.row_by(&format!("{INSIGHT_SELECT} WHERE i.id = $1"), id, "insight")
            .await
    }

    /// The reports of an insight, newest first.
    pub async fn insight_reports(&self, id: Uuid) -> Result<Vec<InsightReportRow>, StoreError> {
        self.rows_by(
            "SELECT r.source, r.source_id, r.customer_id, COALESCE(c.name, '') AS customer_name, \
             COALESCE(c.language, 'de') AS customer_language, \
             COALESCE(r.case_id, f.case_id) AS case_id, COALESCE(f.text, k.subject) AS quote, r.reported_at \
             FROM insight_reports r LEFT JOIN customers c ON c.id = r.customer_id \
             LEFT JOIN feedback f ON r.source = 'feedback' AND f.id = r.source_id \
             LEFT JOIN cases k ON r.source = 'case' AND k.id = r.source_id \
             WHERE r.insight_id = $1 ORDER BY r.reported_at DESC, r.source_id DESC",
            id,
        )
        .await
    }

    /// Moves an insight from one of `from` to `next` (with the release and
    /// summaries of `fix`), with its audit entry and, when fixed, its `insight.fixed`
    /// event. `false` when it was in none of `from`.
    pub async fn set_insight_state(
        &self,
        id: Uuid,
        from: &[InsightState],
        next: InsightState,
        fix: &Fix<'_>,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let release = fix.release;
        let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        let list = from.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE insights SET state = $2, \
                 acknowledged_at = CASE WHEN $2 = 'acknowledged' THEN $3 ELSE acknowledged_at END, \
                 fixed_at = CASE WHEN $2 = 'fixed' THEN $3 ELSE fixed_at END, \
                 fixed_by = CASE WHEN $2 = 'fixed' THEN $5 ELSE fixed_by END, \
                 release = COALESCE($4, release), \
                 summary_de = COALESCE($6, summary_de), summary_en = COALESCE($7, summary_en), updated_at = $3 WHERE id = $1 AND state IN ({list})"
            )))
            .bind(id)
            .bind(next.as_str())
            .bind(now)
            .bind(release)
            .bind(actor.map(|a| a.0))
            .bind(fix.summary_de)
            .bind(fix.summary_en)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            let data = json!({"insight_id": id, "state": next.as_str(), "release": release});
            if next == InsightState::Fixed {
                tx.insert_job(&NewJob::event("insight.fixed", None, data.clone(), now), now)
                    .await?;
            }
            tx.commit_audited(Audit {
                actor,
                action: if next == InsightState::Fixed {
                    "insight.fixed"
                } else {
                    "insight.acknowledge"
                },
                entity: "insight",
                entity_id: id.to_string(),
                detail: data,
                at: now,
            })
            .await?;
            Ok::<bool, StoreError>(true)
        })
    }

    /// Records that `customer` was told about the fix of `insight` (the
    /// mail job `job_id` on `case_id`); `false` when they were already.
    pub async fn record_insight_notice(
        &self,
        n: &InsightNotice<'_>,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let inserted = sqlx::query(
                "INSERT INTO insight_notices (insight_id, customer_id, case_id, job_id, release, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(n.insight)
            .bind(n.customer.0)
            .bind(n.case_id)
            .bind(n.job_id)
            .bind(n.release)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Ok(false);
            }
            tx.commit_audited(Audit {
                actor,
                action: "insight.notify",
                entity: "insight",
                entity_id: n.insight.to_string(),
                detail: json!({"customer_id": n.customer.0, "case_id": n.case_id, "job_id": n.job_id, "release": n.release}),
                at: now,
            })
            .await?;
            Ok::<bool, StoreError>(true)
        })
    }

    /// The customers told about the fix of `insight`.
    pub async fn insight_notified(&self, insight: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let rows: Vec<(Uuid,)> = self
            .rows_by(
                "SELECT customer_id FROM insight_notices WHERE insight_id = $1 ORDER BY customer_id",
                insight,
            )
            .await?;
        Ok(rows.into_iter().map(|(c,)| c).collect())
    }
}

/// The analysed facts of the feedback items of a case.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CaseFeedbackFacts {
    /// JSON arrays.
    pub topics: String,
    pub signals: String,
    pub component: Option<String>,
}

/// A stored feedback item as the insight routing reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedbackToRoute {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub case_id: Option<Uuid>,
    /// JSON arrays.
    pub topics: String,
    pub signals: String,
    pub component: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Feedback stored after the item `after` (ids are UUIDv7, so in the
    /// order they were written), at most `limit`, oldest first.
    pub async fn feedback_written_after(&self, after: Uuid, limit: i64) -> Result<Vec<FeedbackToRoute>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, FeedbackToRoute>(
                "SELECT id, customer_id, case_id, topics, signals, component, created_at FROM feedback \
                 WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The topics, signals and component of the feedback of `case`, oldest first.
    pub async fn case_feedback_facts(&self, case: Uuid) -> Result<Vec<CaseFeedbackFacts>, StoreError> {
        self.rows_by(
            "SELECT topics, signals, component FROM feedback WHERE case_id = $1 ORDER BY id",
            case,
        )
        .await
    }

    /// How many notices of fixes other than `insight`'s `customer` was sent since `since`.
    pub async fn count_recent_insight_notices(
        &self,
        customer: CustomerId,
        insight: Uuid,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let (n,): (i64,) = with_pool!(self, |pool| sqlx::query_as(
            "SELECT COUNT(*) FROM insight_notices WHERE customer_id = $1 AND insight_id <> $3 AND created_at >= $2"
        )
        .bind(customer.0)
        .bind(since)
        .bind(insight)
        .fetch_one(pool)
        .await?);
        Ok(n)
    }
}

/// A feedback item or case of one customer filed under a team's insight.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CustomerInsightReport {
    pub insight_id: Uuid,
    pub team_name: String,
    pub cause_key: String,
    /// `feedback` or `case`.
    pub source: String,
    pub source_id: Uuid,
    pub case_id: Option<Uuid>,
    pub reported_at: DateTime<Utc>,
}

impl Store {
    /// What of `customer` was filed under insights, oldest first (their data export).
    pub async fn customer_insight_reports(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<CustomerInsightReport>, StoreError> {
        self.rows_by(
            "SELECT r.insight_id, t.name AS team_name, i.cause_key, r.source, r.source_id, r.case_id, r.reported_at \
             FROM insight_reports r JOIN insights i ON i.id = r.insight_id JOIN teams t ON t.id = i.team_id \
             WHERE r.customer_id = $1 ORDER BY r.reported_at, r.source_id",
            customer.0,
        )
        .await
    }
}
