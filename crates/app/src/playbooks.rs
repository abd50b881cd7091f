//! Playbooks: adding and versioning them (leads and admins), the playbook
//! of a case with its progress and due times, and checking steps off.
//! Matching and checks are the domain's (`amends_domain::playbook`).

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::playbook::{Candidate, CaseProfile, PlaybookDraft, RawPlaybook, RawStep, pick};
use amends_domain::{CaseId, IncidentId, UserId};
use amends_store::{Case, PlaybookRow, PlaybookStepRow, StepDone, StoreError};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A playbook to add, or the next version of one.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaybookIn {
    /// German name, 1 to 120 characters.
    #[schema(min_length = 1, max_length = 120, pattern = r"\S")]
    pub name_de: String,
    /// English name, 1 to 120 characters.
    #[schema(min_length = 1, max_length = 120, pattern = r"\S")]
    pub name_en: String,
    /// The team that owns the recovery (e.g. `Logistik`), 1 to 80 characters.
    #[schema(min_length = 1, max_length = 80, pattern = r"\S")]
    pub owner_team: String,
    /// A topic id of the text analysis (`delivery`, `billing`, `product_defect`, …); none: any topic.
    #[serde(default)]
    #[schema(pattern = "^[a-z_]{0,40}$", max_length = 40)]
    pub topic: Option<String>,
    /// An incident kind; none: any case.
    #[serde(default)]
    #[schema(value_type = Option<crate::playbooks::IncidentKindName>)]
    pub incident_kind: Option<String>,
    /// Lowest severity (1–4, default 1).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 4)]
    pub severity_min: Option<i64>,
    /// Highest severity (1–4, default 4); not below `severity_min`.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 4)]
    pub severity_max: Option<i64>,
    /// The ordered steps, 1 to 30.
    #[schema(min_items = 1, max_items = 30)]
    pub steps: Vec<StepIn>,
}

/// The incident kinds a playbook can be for.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum IncidentKindName {
    #[schema(rename = "outage")]
    Outage,
    #[schema(rename = "delay")]
    Delay,
    #[schema(rename = "delivery")]
    Delivery,
    #[schema(rename = "billing_error")]
    BillingError,
    #[schema(rename = "defective_release")]
    DefectiveRelease,
    #[schema(rename = "other")]
    Other,
}

/// One step of a playbook.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepIn {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title_de: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title_en: String,
    /// Things to tick off within the step, at most 20 of at most 200 characters.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub checklist: Vec<ChecklistItem>,
    /// The reply template to use (an existing one).
    #[serde(default)]
    pub template_id: Option<Uuid>,
    /// The goodwill catalog item recommended (an existing one; granted
    /// within the agent's limits like any other grant).
    #[serde(default)]
    pub goodwill_item_id: Option<Uuid>,
    /// Due this many minutes after the case was opened (0 to 43200 = 30 days).
    #[schema(minimum = 0, maximum = 43200)]
    pub due_minutes: i64,
}

/// One checklist item, 1 to 200 characters.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub struct ChecklistItem(pub String);

impl utoipa::PartialSchema for ChecklistItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(200))
            .pattern(Some(r"\S"))
            .into()
    }
}

impl ToSchema for ChecklistItem {}

impl PlaybookIn {
    /// The domain's check of the playbook as typed.
    pub fn draft(&self) -> AppResult<PlaybookDraft> {
        let steps = self
            .steps
            .iter()
            .map(|s| RawStep {
                title_de: &s.title_de,
                title_en: &s.title_en,
                checklist: s.checklist.iter().map(|c| c.0.as_str()).collect(),
                template_id: s.template_id,
                goodwill_item_id: s.goodwill_item_id,
                due_minutes: s.due_minutes,
            })
            .collect();
        Ok(PlaybookDraft::parse(&RawPlaybook {
            name_de: &self.name_de,
            name_en: &self.name_en,
            owner_team: &self.owner_team,
            topic: self.topic.as_deref(),
            incident_kind: self.incident_kind.as_deref(),
            severity_min: self.severity_min.unwrap_or(1),
            severity_max: self.severity_max.unwrap_or(4),
            steps,
        })?)
    }
}

/// A playbook version with its steps.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaybookOut {
    pub id: Uuid,
    pub position: i64,
    pub active: bool,
    /// The version shown.
    pub version: i32,
    /// The newest version (edits add versions).
    pub current_version: i32,
    pub name_de: String,
    pub name_en: String,
    pub owner_team: String,
    pub topic: Option<String>,
    pub incident_kind: Option<String>,
    pub severity_min: i32,
    pub severity_max: i32,
    pub edited_at: DateTime<Utc>,
    pub steps: Vec<StepOut>,
}

/// A step of a playbook version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepOut {
    /// From 1, in order.
    pub step: i32,
    pub title_de: String,
    pub title_en: String,
    pub checklist: Vec<String>,
    pub template_id: Option<Uuid>,
    pub goodwill_item_id: Option<Uuid>,
    pub due_minutes: i32,
}

impl StepOut {
    fn of(s: PlaybookStepRow) -> Self {
        StepOut {
            checklist: s.checklist_items(),
            step: s.step,
            title_de: s.title_de,
            title_en: s.title_en,
            template_id: s.template_id,
            goodwill_item_id: s.goodwill_item_id,
            due_minutes: s.due_minutes,
        }
    }
}

/// Version `version` (the current one when `None`) of playbook `id`.
pub async fn get(app: &App, id: Uuid, version: Option<i32>) -> AppResult<PlaybookOut> {
    let row = app.store().get_playbook(id, version).await?;
    with_steps(app, row).await
}

async fn with_steps(app: &App, p: PlaybookRow) -> AppResult<PlaybookOut> {
    let steps = app.store().playbook_steps(p.id, p.version).await?;
    Ok(PlaybookOut {
        id: p.id,
        position: p.position,
        active: p.active,
        version: p.version,
        current_version: p.current_version,
        name_de: p.name_de,
        name_en: p.name_en,
        owner_team: p.owner_team,
        topic: p.topic,
        incident_kind: p.incident_kind,
        severity_min: p.severity_min,
        severity_max: p.severity_max,
        edited_at: p.edited_at,
        steps: steps.into_iter().map(StepOut::of).collect(),
    })
}

/// Every playbook in its current version, with steps.
pub async fn list(app: &App) -> AppResult<Vec<PlaybookOut>> {
    let mut out = Vec::new();
    for p in app.store().list_playbooks(false).await? {
        out.push(with_steps(app, p).await?);
    }
    Ok(out)
}

/// Checks what the store cannot: that the templates and catalog items the
/// steps name exist.
async fn check_references(app: &App, d: &PlaybookDraft) -> AppResult<()> {
    for (i, s) in d.steps.iter().enumerate() {
        if let Some(t) = s.template_id {
            absent(
                app.store().get_template(t).await,
                format!("steps[{i}].template_id"),
                "no reply template with this id",
            )?;
        }
        if let Some(g) = s.goodwill_item_id {
            absent(
                app.store().get_catalog_item(g).await,
                format!("steps[{i}].goodwill_item_id"),
                "no goodwill catalog item with this id",
            )?;
        }
    }
    Ok(())
}

fn absent<T>(r: Result<T, StoreError>, field: String, message: &str) -> AppResult<()> {
    match r {
        Ok(_) => Ok(()),
        Err(StoreError::NotFound(_)) => Err(AppError::validation(field, message)),
        Err(e) => Err(e.into()),
    }
}

/// Adds a playbook after the last one.
pub async fn create(app: &App, d: &PlaybookDraft, actor: UserId) -> AppResult<PlaybookOut> {
    check_references(app, d).await?;
    let last = app
        .store()
        .list_playbooks(false)
        .await?
        .iter()
        .map(|p| p.position)
        .max();
    let row = app
        .store()
        .create_playbook(d, last.unwrap_or(0) + 10, Some(actor), app.now())
        .await?;
    with_steps(app, row).await
}

/// Adds the next version of playbook `id`.
pub async fn update(app: &App, id: Uuid, d: &PlaybookDraft, actor: UserId) -> AppResult<PlaybookOut> {
    app.store().get_playbook(id, None).await?;
    check_references(app, d).await?;
    let row = app.store().add_playbook_version(id, d, Some(actor), app.now()).await?;
    with_steps(app, row).await
}

/// Switches playbook `id` on or off for cases that have not started one.
pub async fn set_active(app: &App, id: Uuid, active: bool, actor: UserId) -> AppResult<PlaybookOut> {
    let row = app
        .store()
        .set_playbook_active(id, active, Some(actor), app.now())
        .await?;
    with_steps(app, row).await
}

/// A case's playbook: the version it works through, each step with its due
/// time and whether (by whom, when) it was done.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CasePlaybookOut {
    pub playbook: PlaybookOut,
    /// When the first step was checked off (the version is fixed from then on).
    pub started_at: Option<DateTime<Utc>>,
    pub steps: Vec<CaseStepOut>,
    pub done: usize,
    pub total: usize,
}

/// One step of a case's playbook.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseStepOut {
    #[serde(flatten)]
    pub step: StepOut,
    /// The case's opening plus the step's target time.
    pub due_at: DateTime<Utc>,
    /// Not done and past its due time.
    pub overdue: bool,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<Uuid>,
    pub done_by_name: Option<String>,
}

/// The playbook version for `case`: the one it started, else the most
/// specific active playbook matching its topics, incident kind and
/// severity (current version).
async fn playbook_for(app: &App, case: &Case) -> AppResult<Option<(Uuid, i32)>> {
    if let Some(started) = app.store().case_playbook(case.id).await? {
        return Ok(Some((started.playbook_id, started.version)));
    }
    let active = app.store().list_playbooks(true).await?;
    let matches: Vec<_> = active.iter().map(PlaybookRow::matching).collect();
    let candidates: Vec<Candidate<'_>> = active
        .iter()
        .zip(&matches)
        .filter_map(|(p, m)| {
            m.as_ref().map(|matching| Candidate {
                id: p.id,
                position: p.position,
                matching,
            })
        })
        .collect();
    if candidates.is_empty() {
        return Ok(None);
    }
    let text = format!("{}\n{}", case.subject, case.description);
    let topics = app
        .analyzer()
        .analyze(&text, Some(crate::analysis::to_text_lang(case.customer_language)))
        .topics;
    let incident_kind = match case.incident_id {
        Some(i) => Some(app.store().get_incident(IncidentId(i)).await?.kind),
        None => None,
    };
    let profile = CaseProfile {
        topics: &topics,
        incident_kind,
        severity: case.severity.and_then(|s| u8::try_from(s).ok()),
    };
    Ok(pick(&candidates, &profile).and_then(|id| active.iter().find(|p| p.id == id).map(|p| (p.id, p.version))))
}

/// The playbook of case `id` with its progress; `None` when no playbook fits.
pub async fn for_case(app: &App, id: CaseId) -> AppResult<Option<CasePlaybookOut>> {
    let case = app.store().get_case(id).await?;
    let Some((playbook_id, version)) = playbook_for(app, &case).await? else {
        return Ok(None);
    };
    let playbook = get(app, playbook_id, Some(version)).await?;
    let started_at = app.store().case_playbook(id).await?.map(|c| c.started_at);
    let done = app.store().case_steps_done(id).await?;
    Ok(Some(progress(playbook, started_at, &done, case.created_at, app.now())))
}

/// Each step with its due time and tick. Pure.
#[must_use]
pub fn progress(
    playbook: PlaybookOut,
    started_at: Option<DateTime<Utc>>,
    done: &[StepDone],
    opened: DateTime<Utc>,
    now: DateTime<Utc>,
) -> CasePlaybookOut {
    let steps: Vec<CaseStepOut> = playbook
        .steps
        .iter()
        .map(|s| {
            let tick = done.iter().find(|d| d.step == s.step);
            let due_at = opened + Duration::minutes(i64::from(s.due_minutes));
            CaseStepOut {
                step: s.clone(),
                due_at,
                overdue: tick.is_none() && due_at < now,
                done_at: tick.map(|d| d.done_at),
                done_by: tick.and_then(|d| d.done_by),
                done_by_name: tick.and_then(|d| d.done_by_name.clone()),
            }
        })
        .collect();
    CasePlaybookOut {
        total: steps.len(),
        done: steps.iter().filter(|s| s.done_at.is_some()).count(),
        playbook,
        started_at,
        steps,
    }
}

/// Checks off step `step` of case `id`'s playbook (`done` false: takes the
/// tick back). Ticking a done step again changes nothing.
pub async fn mark_step(app: &App, id: CaseId, step: i32, done: bool, actor: UserId) -> AppResult<CasePlaybookOut> {
    let case = app.store().get_case(id).await?;
    let start = playbook_for(app, &case)
        .await?
        .ok_or_else(|| AppError::NotFound("playbook".into()))?;
    app.store()
        .mark_playbook_step(id, start, step, done, Some(actor), app.now())
        .await?;
    for_case(app, id)
        .await?
        .ok_or_else(|| AppError::NotFound("playbook".into()))
}
