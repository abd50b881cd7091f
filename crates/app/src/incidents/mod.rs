//! Proactive recovery: incidents, the upload of affected customers
//! (streamed JSON or CSV), the fan-out into cases, outbox messages and
//! automatic goodwill, the incident messages themselves and the closing
//! update. See docs/INCIDENTS.md.

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::incident::{self as inc, AlertmanagerPayload, IncidentDraft, IncidentKind, IncidentStatus};
use amends_domain::{IncidentId, UserId, ValidationError};
use amends_store::Incident;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

mod notices;
mod planner;
mod upload;

pub use notices::{resume_fan_out, send_message, send_notices};
pub use planner::Planner;
pub use upload::{RowError, Totals, UploadFormat, UploadReport, upload};

/// Affected customers fanned out per transaction: 10 commits for 100,000
/// (each commit writes the touched index pages once more), while at most
/// two chunks (a few MB) are in memory at a time.
pub const CHUNK: usize = 10_000;
/// Row errors reported in full; the rest are counted.
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// The fields of an incident as entered (API body or UI form).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentIn {
    /// outage, delay, delivery, billing_error, defective_release, other
    pub kind: String,
    pub title: String,
    /// 1 (minor) to 4 (critical)
    #[schema(minimum = 1, maximum = 4)]
    pub severity: i64,
    /// Whether the company caused it (as opposed to weather, strikes, …).
    #[serde(default = "yes")]
    pub controllable: bool,
    /// RFC 3339
    pub started_at: String,
    #[serde(default)]
    pub ended_at: Option<String>,
    #[serde(default)]
    pub component: Option<String>,
    #[serde(default)]
    pub release: Option<String>,
    /// What customers are told, in German.
    #[serde(default)]
    pub summary_de: Option<String>,
    /// What customers are told, in English.
    #[serde(default)]
    pub summary_en: Option<String>,
    /// open, mitigated, resolved (changes only)
    #[serde(default)]
    pub status: Option<String>,
}

fn yes() -> bool {
    true
}

impl IncidentIn {
    /// Validates every field; all errors at once (for the form).
    pub fn validate(&self) -> Result<IncidentDraft, Vec<ValidationError>> {
        let mut errors = Vec::new();
        fn keep<T>(errors: &mut Vec<ValidationError>, r: Result<T, ValidationError>) -> Option<T> {
            r.map_err(|e| errors.push(e)).ok()
        }
        macro_rules! ok {
            ($e:expr) => {
                keep(&mut errors, $e)
            };
        }
        let kind = ok!(self.kind.parse::<IncidentKind>());
        let title = ok!(inc::required_text("title", &self.title, inc::TITLE_MAX));
        let severity = ok!(inc::parse_severity(self.severity));
        let started_at = ok!(inc::parse_time("started_at", &self.started_at));
        let ended_at = match self.ended_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Some(None),
            Some(s) => ok!(inc::parse_time("ended_at", s).map(Some)),
        };
        let component = ok!(inc::optional_label(
            "component",
            self.component.as_deref(),
            inc::LABEL_MAX
        ));
        let release = ok!(inc::optional_label("release", self.release.as_deref(), inc::LABEL_MAX));
        let summary = |field: &str, v: &Option<String>| {
            let t = v.as_deref().unwrap_or("").trim().to_string();
            if t.chars().count() > inc::SUMMARY_MAX {
                Err(ValidationError::new(
                    field,
                    format!("{field} must be at most {} characters", inc::SUMMARY_MAX),
                ))
            } else {
                Ok(t)
            }
        };
        let summary_de = ok!(summary("summary_de", &self.summary_de));
        let summary_en = ok!(summary("summary_en", &self.summary_en));
        if let Some(s) = &self.status {
            ok!(s.parse::<IncidentStatus>());
        }
        match (
            kind, title, severity, started_at, ended_at, component, release, summary_de, summary_en,
        ) {
            (
                Some(kind),
                Some(title),
                Some(severity),
                Some(started_at),
                Some(ended_at),
                Some(component),
                Some(release),
                Some(summary_de),
                Some(summary_en),
            ) if errors.is_empty() => IncidentDraft {
                kind,
                title,
                severity,
                controllable: self.controllable,
                started_at,
                ended_at,
                component,
                release,
                summary_de,
                summary_en,
            }
            .check()
            .map_err(|e| vec![e]),
            _ => Err(errors),
        }
    }
}

/// The fields of a stored incident, to change some of them.
#[must_use]
pub fn draft_of(i: &Incident) -> IncidentDraft {
    IncidentDraft {
        kind: i.kind,
        title: i.title.clone(),
        severity: u8::try_from(i.severity).unwrap_or(3),
        controllable: i.controllable,
        started_at: i.started_at,
        ended_at: i.ended_at,
        component: i.component.clone(),
        release: i.release.clone(),
        summary_de: i.summary_de.clone(),
        summary_en: i.summary_en.clone(),
    }
}

/// Declares an incident.
pub async fn create(state: &App, input: &IncidentIn, source: &str, actor: UserId) -> AppResult<Incident> {
    let draft = input.validate().map_err(crate::service::first_error)?;
    declare(state, &draft, source, actor).await
}

/// Declares an incident from fields already checked (a form that shows
/// every problem at once validates the input itself).
pub async fn declare(state: &App, draft: &IncidentDraft, source: &str, actor: UserId) -> AppResult<Incident> {
    Ok(state
        .store()
        .insert_incident(draft, source, None, actor, state.now())
        .await?)
}

/// Sets an incident's status and keeps its other fields; reopening it
/// clears its end. Resolving it this way sends no closing update.
pub async fn set_status(state: &App, id: IncidentId, status: IncidentStatus, actor: UserId) -> AppResult<Incident> {
    let i = state.store().get_incident(id).await?;
    let draft = IncidentDraft {
        ended_at: if status == IncidentStatus::Open {
            None
        } else {
            i.ended_at
        },
        ..draft_of(&i)
    };
    Ok(state
        .store()
        .update_incident(i.id, &draft, status, Some(actor), state.now())
        .await?)
}

/// Changes an incident's fields and status; resolving it does not send
/// the closing update (see [`resolve`]).
pub async fn update(state: &App, id: IncidentId, input: &IncidentIn, actor: UserId) -> AppResult<Incident> {
    let current = state.store().get_incident(id).await?;
    let draft = input.validate().map_err(crate::service::first_error)?;
    let status = match &input.status {
        Some(s) => s.parse::<IncidentStatus>()?,
        None => current.status,
    };
    Ok(state
        .store()
        .update_incident(id, &draft, status, Some(actor), state.now())
        .await?)
}

/// What an Alertmanager notification did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertOutcome {
    pub incident_id: Uuid,
    /// `true` when this notification opened the incident.
    pub created: bool,
    pub status: String,
}

/// Takes an Alertmanager notification: the first of a group opens an
/// incident, later ones update it (`resolved` → mitigated, firing again → open).
pub async fn alert(state: &App, body: &[u8], actor: UserId) -> AppResult<AlertOutcome> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("the body is not JSON: {e}")))?;
    let payload: AlertmanagerPayload = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        AppError::validation(
            if path == "." { "body".to_string() } else { path },
            format!(
                "not an Alertmanager webhook payload (version 4: version, groupKey, status, alerts[] with startsAt): {}",
                e.inner()
            ),
        )
    })?;
    let a = inc::from_alertmanager(&payload)?;
    let now = state.now();
    match state.store().find_incident_by_alert(&a.group_key).await? {
        None => {
            let created = state
                .store()
                .insert_incident(&a.draft, "alertmanager", Some(&a.group_key), actor, now)
                .await;
            let i = match created {
                Ok(i) => i,
                // Two notifications of a new group at once: the other one created it.
                Err(amends_store::StoreError::Conflict { .. }) => state
                    .store()
                    .find_incident_by_alert(&a.group_key)
                    .await?
                    .ok_or_else(|| AppError::internal("incident vanished"))?,
                Err(e) => return Err(e.into()),
            };
            Ok(AlertOutcome {
                incident_id: i.id.0,
                created: true,
                status: i.status.to_string(),
            })
        }
        Some(i) => {
            let status = match (a.firing, i.status) {
                (_, IncidentStatus::Resolved) => IncidentStatus::Resolved,
                (true, _) => IncidentStatus::Open,
                (false, _) => IncidentStatus::Mitigated,
            };
            // People may have edited title and summaries: keep theirs, take the
            // alert's times and the higher severity.
            let draft = IncidentDraft {
                severity: u8::try_from(i.severity).unwrap_or(3).max(a.draft.severity),
                started_at: i.started_at.min(a.draft.started_at),
                ended_at: if a.firing { None } else { a.draft.ended_at.or(Some(now)) },
                component: i.component.clone().or(a.draft.component),
                release: i.release.clone().or(a.draft.release),
                ..draft_of(&i)
            };
            let u = state
                .store()
                .update_incident(i.id, &draft, status, Some(actor), now)
                .await?;
            Ok(AlertOutcome {
                incident_id: u.id.0,
                created: false,
                status: u.status.to_string(),
            })
        }
    }
}

/// Resolves the incident and queues the closing update to every affected
/// customer who may be contacted. Calling it again sends nothing twice.
pub async fn resolve(state: &App, id: IncidentId, actor: UserId) -> AppResult<Incident> {
    let i = state.store().get_incident(id).await?;
    let now = state.now();
    let draft = IncidentDraft {
        ended_at: i.ended_at.or(Some(now.max(i.started_at))),
        ..draft_of(&i)
    };
    state
        .store()
        .update_incident(id, &draft, IncidentStatus::Resolved, Some(actor), now)
        .await?;
    let attempts = crate::jobs::max_attempts(state);
    state
        .store()
        .queue_closing_update(id, Some(actor), now, |a, case| {
            a.reachable
                .then(|| planner::message_job(id, attempts, a.customer_id, case, a.language, "closing", now))
        })
        .await?;
    state.wake_workers();
    Ok(state.store().get_incident(id).await?)
}
