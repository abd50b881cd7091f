//! Playbooks: recovery prepared per failure type, in versions (an edit adds
//! one; a case keeps the version it started), and the steps checked off on
//! a case. What a playbook may say is checked in `amends_domain::playbook`.

use crate::audit::{Audit, CommitAudited};
use crate::dialect::BeginWrite;
use crate::outbox::Outbox;
use crate::rows::Exists;
use crate::{EventKind, NewEvent, Store, StoreError, with_pool};
use amends_domain::playbook::{PlaybookDraft, PlaybookMatch};
use amends_domain::{CaseId, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A playbook with the header of one of its versions.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct PlaybookRow {
    pub id: Uuid,
    pub position: i64,
    pub active: bool,
    /// The version this row shows.
    pub version: i32,
    /// The playbook's newest version.
    pub current_version: i32,
    pub name_de: String,
    pub name_en: String,
    pub owner_team: String,
    pub topic: Option<String>,
    pub incident_kind: Option<String>,
    pub severity_min: i32,
    pub severity_max: i32,
    pub edited_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl PlaybookRow {
    /// The match as the domain's pick reads it (`None` if a stored value no
    /// longer parses).
    #[must_use]
    pub fn matching(&self) -> Option<PlaybookMatch> {
        Some(PlaybookMatch {
            topic: self.topic.clone(),
            incident_kind: self.incident_kind.as_deref().map(str::parse).transpose().ok()?,
            severity_min: u8::try_from(self.severity_min).ok()?,
            severity_max: u8::try_from(self.severity_max).ok()?,
        })
    }
}

/// One step of a playbook version.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct PlaybookStepRow {
    /// From 1, in order.
    pub step: i32,
    pub title_de: String,
    pub title_en: String,
    /// JSON array of checklist items.
    #[serde(skip)]
    pub checklist: String,
    pub template_id: Option<Uuid>,
    pub goodwill_item_id: Option<Uuid>,
    pub due_minutes: i32,
}

impl PlaybookStepRow {
    #[must_use]
    pub fn checklist_items(&self) -> Vec<String> {
        serde_json::from_str(&self.checklist).unwrap_or_default()
    }
}

/// The version of a playbook a case works through.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CasePlaybook {
    pub playbook_id: Uuid,
    pub version: i32,
    pub started_at: DateTime<Utc>,
}

/// A step checked off on a case.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct StepDone {
    pub step: i32,
    pub done_by: Option<Uuid>,
    pub done_by_name: Option<String>,
    pub done_at: DateTime<Utc>,
}

/// The facts of one case worked through a playbook, for its effectiveness.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlaybookCaseFact {
    pub playbook_id: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Times the case was reopened.
    pub reopens: i64,
    /// When the customer left, if they did.
    pub churned_at: Option<DateTime<Utc>>,
}

/// One answered survey score of a case worked through a playbook.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PlaybookScore {
    pub playbook_id: Uuid,
    pub version: i32,
    pub score: i32,
}

const ROW_SELECT: &str = "SELECT p.id, p.position, p.active, v.version, p.version AS current_version, v.name_de, \
     v.name_en, v.owner_team, v.topic, v.incident_kind, v.severity_min, v.severity_max, v.edited_at, p.created_at \
     FROM playbooks p JOIN playbook_versions v ON v.playbook_id = p.id";

crate::backend_trait! {
    /// The statements of a playbook's versions.
    trait PlaybookWrites {
        /// Writes version `version` of playbook `id`: its header and its steps.
        async fn insert_version(&mut self, id: Uuid, version: i32, d: &PlaybookDraft, actor: Option<UserId>,
            now: DateTime<Utc>) -> Result<(), StoreError> {
            let m = &d.matching;
            sqlx::query(
                "INSERT INTO playbook_versions (playbook_id, version, name_de, name_en, owner_team, topic, \
                 incident_kind, severity_min, severity_max, edited_by, edited_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(id)
            .bind(version)
            .bind(&d.name_de)
            .bind(&d.name_en)
            .bind(&d.owner_team)
            .bind(m.topic.as_deref())
            .bind(m.incident_kind.map(|k| k.as_str()))
            .bind(i32::from(m.severity_min))
            .bind(i32::from(m.severity_max))
            .bind(actor.map(|u| u.0))
            .bind(now)
            .execute(&mut *self)
            .await?;
            for (i, s) in d.steps.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO playbook_steps (playbook_id, version, step, title_de, title_en, checklist, \
                     template_id, goodwill_item_id, due_minutes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(id)
                .bind(version)
                .bind(i32::try_from(i + 1).unwrap_or(i32::MAX))
                .bind(&s.title_de)
                .bind(&s.title_en)
                .bind(json!(s.checklist).to_string())
                .bind(s.template_id)
                .bind(s.goodwill_item_id)
                .bind(i32::try_from(s.due_minutes).unwrap_or(i32::MAX))
                .execute(&mut *self)
                .await?;
            }
            Ok(())
        }
    }
}

fn audit_detail(id: Uuid, version: i32, d: &PlaybookDraft) -> serde_json::Value {
    json!({"playbook_id": id, "version": version, "name_en": d.name_en, "topic": d.matching.topic,
        "incident_kind": d.matching.incident_kind, "severity_min": d.matching.severity_min,
        "severity_max": d.matching.severity_max, "steps": d.steps.len()})
}

impl Store {
    /// Every playbook (or the active ones) in its current version, by position.
    pub async fn list_playbooks(&self, active_only: bool) -> Result<Vec<PlaybookRow>, StoreError> {
        let only = if active_only { " AND p.active = TRUE" } else { "" };
        self.all_rows(&format!(
            "{ROW_SELECT} WHERE v.version = p.version{only} ORDER BY p.position, p.id"
        ))
        .await
    }

    /// Version `version` of playbook `id` (its current one when `None`).
    pub async fn get_playbook(&self, id: Uuid, version: Option<i32>) -> Result<PlaybookRow, StoreError> {
        let row: Option<PlaybookRow> = with_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{ROW_SELECT} WHERE p.id = $1 AND v.version = COALESCE($2, p.version)"
            )))
            .bind(id)
            .bind(version)
            .fetch_optional(pool)
            .await?
        });
        row.ok_or(StoreError::NotFound("playbook"))
    }

    /// The steps of version `version` of playbook `id`, in order.
    pub async fn playbook_steps(&self, id: Uuid, version: i32) -> Result<Vec<PlaybookStepRow>, StoreError> {
        with_pool!(self, |pool| Ok(sqlx::query_as(
            "SELECT step, title_de, title_en, checklist, template_id, goodwill_item_id, due_minutes \
             FROM playbook_steps WHERE playbook_id = $1 AND version = $2 ORDER BY step"
        )
        .bind(id)
        .bind(version)
        .fetch_all(pool)
        .await?))
    }

    /// The version of playbook `id` in force at `at` (its first version if
    /// it is younger).
    pub async fn playbook_version_at(&self, id: Uuid, at: DateTime<Utc>) -> Result<i32, StoreError> {
        let (v,): (Option<i32>,) = with_pool!(self, |pool| sqlx::query_as(
            "SELECT MAX(version) FROM playbook_versions WHERE playbook_id = $1 AND edited_at <= $2"
        )
        .bind(id)
        .bind(at)
        .fetch_one(pool)
        .await?);
        Ok(v.unwrap_or(1))
    }

    /// Adds a playbook (version 1) at `position`, with its audit entry.
    pub async fn create_playbook(
        &self,
        d: &PlaybookDraft,
        position: i64,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<PlaybookRow, StoreError> {
        let id = crate::audit::new_id(now);
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO playbooks (id, position, active, version, created_at, updated_at) \
                 VALUES ($1, $2, TRUE, 1, $3, $3)",
            )
            .bind(id)
            .bind(position)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.insert_version(id, 1, d, actor, now).await?;
            tx.commit_audited(Audit {
                actor,
                action: "playbook.create",
                entity: "playbook",
                entity_id: id.to_string(),
                detail: audit_detail(id, 1, d),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_playbook(id, None).await
    }

    /// Adds the next version of playbook `id`; cases that started an older
    /// version keep it.
    pub async fn add_playbook_version(
        &self,
        id: Uuid,
        d: &PlaybookDraft,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<PlaybookRow, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let next: Option<(i32,)> = sqlx::query_as(
                "UPDATE playbooks SET version = version + 1, updated_at = $1 WHERE id = $2 RETURNING version",
            )
            .bind(now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let (version,) = next.ok_or(StoreError::NotFound("playbook"))?;
            tx.insert_version(id, version, d, actor, now).await?;
            tx.commit_audited(Audit {
                actor,
                action: "playbook.update",
                entity: "playbook",
                entity_id: id.to_string(),
                detail: audit_detail(id, version, d),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_playbook(id, None).await
    }

    /// Switches playbook `id` on or off for new cases.
    pub async fn set_playbook_active(
        &self,
        id: Uuid,
        active: bool,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<PlaybookRow, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("UPDATE playbooks SET active = $1, updated_at = $2 WHERE id = $3")
                .bind(active)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("playbook"));
            }
            tx.commit_audited(Audit {
                actor,
                action: if active {
                    "playbook.activate"
                } else {
                    "playbook.deactivate"
                },
                entity: "playbook",
                entity_id: id.to_string(),
                detail: json!({"active": active}),
                at: now,
            })
            .await?;
            Ok::<(), StoreError>(())
        })?;
        self.get_playbook(id, None).await
    }

    /// The playbook version case `case` started, if it started one.
    pub async fn case_playbook(&self, case: CaseId) -> Result<Option<CasePlaybook>, StoreError> {
        self.find_row(
            "SELECT playbook_id, version, started_at FROM case_playbooks WHERE case_id = $1",
            case.0,
        )
        .await
    }

    /// The steps checked off on `case`, in step order.
    pub async fn case_steps_done(&self, case: CaseId) -> Result<Vec<StepDone>, StoreError> {
        self.rows_by(
            "SELECT d.step, d.done_by, u.display_name AS done_by_name, d.done_at FROM case_playbook_steps d \
             LEFT JOIN users u ON u.id = d.done_by WHERE d.case_id = $1 ORDER BY d.step",
            case.0,
        )
        .await
    }

    /// Checks off `step` on `case` (done = true) or takes the tick back. A
    /// case's first tick starts `start` (the playbook version picked for it);
    /// one started before stays. The progress row, the timeline event and
    /// the audit entry go in one transaction; a tick that changes nothing
    /// (already done, or not done) writes nothing and gives `false`.
    pub async fn mark_playbook_step(
        &self,
        case: CaseId,
        start: (Uuid, i32),
        step: i32,
        done: bool,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin_write().await?;
            tx.require_row("SELECT id FROM cases WHERE id = $1", case.0, "case")
                .await?;
            sqlx::query(
                "INSERT INTO case_playbooks (case_id, playbook_id, version, started_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (case_id) DO NOTHING",
            )
            .bind(case.0)
            .bind(start.0)
            .bind(start.1)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let title: Option<(Uuid, i32, String, String)> = sqlx::query_as(
                "SELECT c.playbook_id, c.version, s.title_de, s.title_en FROM case_playbooks c \
                 JOIN playbook_steps s ON s.playbook_id = c.playbook_id AND s.version = c.version \
                 WHERE c.case_id = $1 AND s.step = $2",
            )
            .bind(case.0)
            .bind(step)
            .fetch_optional(&mut *tx)
            .await?;
            let (playbook_id, version, title_de, title_en) = title.ok_or(StoreError::NotFound("step"))?;
            let changed = if done {
                sqlx::query(
                    "INSERT INTO case_playbook_steps (case_id, step, done_by, done_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (case_id, step) DO NOTHING",
                )
                .bind(case.0)
                .bind(step)
                .bind(actor.map(|u| u.0))
                .bind(now)
                .execute(&mut *tx)
                .await?
            } else {
                sqlx::query("DELETE FROM case_playbook_steps WHERE case_id = $1 AND step = $2")
                    .bind(case.0)
                    .bind(step)
                    .execute(&mut *tx)
                    .await?
            };
            if changed.rows_affected() == 0 {
                // The start of the playbook (if this was it) stays: it is no change of the case's work.
                tx.commit().await?;
                return Ok(false);
            }
            let what = if done { "step_done" } else { "step_undone" };
            let data = json!({"what": what, "playbook_id": playbook_id, "version": version, "step": step,
                "title_de": title_de, "title_en": title_en});
            tx.insert_event(
                case.0,
                &NewEvent {
                    kind: EventKind::Playbook,
                    author: actor,
                    body: None,
                    data: data.clone(),
                    at: now,
                },
            )
            .await?;
            sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(case.0)
                .execute(&mut *tx)
                .await?;
            tx.commit_audited(Audit {
                actor,
                action: if done {
                    "playbook.step_done"
                } else {
                    "playbook.step_undone"
                },
                entity: "case",
                entity_id: case.0.to_string(),
                detail: data,
                at: now,
            })
            .await?;
            Ok(true)
        })
    }

    /// The facts of every case that started a playbook.
    pub async fn playbook_case_facts(&self) -> Result<Vec<PlaybookCaseFact>, StoreError> {
        self.all_rows(
            "SELECT p.playbook_id, p.version, c.created_at, c.resolved_at, \
             (SELECT COUNT(*) FROM case_events e WHERE e.case_id = c.id AND e.kind = 'state_change' \
              AND e.data LIKE '%\"to\":\"reopened\"%') AS reopens, k.churned_at \
             FROM case_playbooks p JOIN cases c ON c.id = p.case_id JOIN customers k ON k.id = c.customer_id \
             ORDER BY p.playbook_id, p.version",
        )
        .await
    }

    /// The answered survey scores of cases that started a playbook.
    pub async fn playbook_scores(&self) -> Result<Vec<PlaybookScore>, StoreError> {
        self.all_rows(
            "SELECT p.playbook_id, p.version, s.score FROM case_playbooks p JOIN surveys s ON s.case_id = p.case_id \
             WHERE s.state = 'answered' AND s.score IS NOT NULL",
        )
        .await
    }
}
