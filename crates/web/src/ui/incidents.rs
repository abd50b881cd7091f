//! Incidents in the UI: the list with the form to declare one, the
//! incident page (affected customers, messages, goodwill and its cost,
//! open cases, feedback, live progress of the fan-out, upload, closing
//! update), and the automatic goodwill rules on the goodwill settings page.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::forms::IdButton;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::goodwill_rules;
use amends_app::incidents::{self as inc, IncidentIn, Totals, UploadFormat, UploadReport};
use amends_domain::goodwill_rule::{Condition, RuleScope};
use amends_domain::incident::{IncidentKind, IncidentStatus};
use amends_domain::{IncidentId, Permission};
use amends_i18n::FluentValue;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The incident form as typed (kept on errors).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct IncidentForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    controllable: Option<String>,
    #[serde(default)]
    started_at: String,
    #[serde(default)]
    component: String,
    #[serde(default)]
    release: String,
    #[serde(default)]
    summary_de: String,
    #[serde(default)]
    summary_en: String,
}

fn error_key(field: &str) -> &'static str {
    match field {
        "kind" => "err-incident-kind",
        "title" => "err-incident-title",
        "severity" => "err-incident-severity",
        "started_at" => "err-incident-started",
        "component" | "release" => "err-incident-label",
        "summary_de" | "summary_en" => "err-incident-summary",
        _ => "err-invalid",
    }
}

async fn list_page(
    state: &AppState,
    ui: &UiUser,
    form: &IncidentForm,
    errors: &BTreeMap<String, &'static str>,
) -> Result<Response, UiError> {
    let incidents = state.store().list_incidents(None, 100).await?;
    let rows: Vec<Value> = incidents
        .iter()
        .map(|i| context! { i => Value::from_serialize(i), totals => Value::from_serialize(Totals::of(i)) })
        .collect();
    Ok(ui
        .render(
            state,
            "incidents.html",
            context! {
                nav => "incidents",
                incidents => rows,
                form => Value::from_serialize(form),
                errors => errors,
                kinds => IncidentKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                can_manage => ui.user.role.can(Permission::ManageIncidents),
            },
        )?
        .into_response())
}

pub async fn list(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let form = IncidentForm {
        kind: "outage".into(),
        severity: "3".into(),
        controllable: Some("on".into()),
        started_at: state.now().format("%Y-%m-%dT%H:%M").to_string(),
        ..IncidentForm::default()
    };
    list_page(&state, &ui, &form, &BTreeMap::new()).await
}

/// `2026-11-24T08:30` from a datetime-local input, read in the configured time zone.
fn local_time(state: &AppState, s: &str) -> String {
    let s = s.trim();
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return s.to_string();
    }
    let tz = state.config().timezone;
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|n| n.and_local_timezone(tz).earliest())
        .map_or_else(|| s.to_string(), |t| t.to_rfc3339())
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<IncidentForm>,
) -> Result<Response, UiError> {
    let input = IncidentIn {
        kind: form.kind.clone(),
        title: form.title.clone(),
        severity: form.severity.trim().parse().unwrap_or(0),
        controllable: form.controllable.is_some(),
        started_at: local_time(&state, &form.started_at),
        component: Some(form.component.clone()),
        release: Some(form.release.clone()),
        summary_de: Some(form.summary_de.clone()),
        summary_en: Some(form.summary_en.clone()),
        ..IncidentIn::default()
    };
    match input.validate() {
        Err(errors) => {
            let errors = errors.iter().map(|e| (e.field.clone(), error_key(&e.field))).collect();
            list_page(&state, &ui, &form, &errors).await
        }
        Ok(draft) => {
            let i = inc::declare(&state, &draft, "manual", ui.user.id).await?;
            Ok(crate::ui::flash::to(&format!("/incidents/{}", i.id.0), "flash-saved"))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    after: Option<Uuid>,
}

async fn detail_page(
    state: &AppState,
    ui: &UiUser,
    id: Uuid,
    after: Option<Uuid>,
    report: Option<&UploadReport>,
    upload_error: Option<String>,
) -> Result<Response, UiError> {
    ui.require(Permission::ReadCases)?;
    let i = state.store().get_incident(IncidentId(id)).await?;
    let stats = state.store().incident_stats(&i).await?;
    let affected = state.store().list_affected(i.id, after, 100).await?;
    let next = (affected.len() == 100)
        .then(|| affected.last().map(|a| a.customer_id))
        .flatten();
    let feedback = state.store().incident_feedback(&i, 20).await?;
    let facts: Vec<Value> = affected
        .iter()
        .map(|a| {
            let f: amends_domain::incident::Facts = serde_json::from_str(&a.facts).unwrap_or_default();
            Value::from(amends_domain::incident::facts_line(&f))
        })
        .collect();
    Ok(ui
        .render(
            state,
            "incident.html",
            context! {
                nav => "incidents",
                i => Value::from_serialize(&i),
                totals => Value::from_serialize(Totals::of(&i)),
                stats => Value::from_serialize(&stats),
                affected => Value::from_serialize(&affected),
                facts => facts,
                next => next,
                feedback => Value::from_serialize(&feedback),
                report => report.map(Value::from_serialize),
                upload_error => upload_error,
                statuses => IncidentStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                can_manage => ui.user.role.can(Permission::ManageIncidents),
            },
        )?
        .into_response())
}

pub async fn page(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<PageQuery>,
) -> Result<Response, UiError> {
    detail_page(&state, &ui, id, q.after, None, None).await
}

/// The totals while the fan-out runs (polled by the incident page).
pub async fn progress(State(state): State<AppState>, _: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    let i = state.store().get_incident(IncidentId(id)).await?;
    Ok(Json(Totals::of(&i)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct UploadForm {
    csv: String,
}

pub async fn upload(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, f): CsrfForm<UploadForm>,
) -> Result<Response, UiError> {
    let reader = std::io::Cursor::new(f.csv.into_bytes());
    match inc::upload(&state, IncidentId(id), UploadFormat::Csv, reader, ui.user.id).await {
        Ok(report) => detail_page(&state, &ui, id, None, Some(&report), None).await,
        Err(amends_app::AppError::NotFound(_)) => Err(UiError::NotFound),
        Err(e) => detail_page(&state, &ui, id, None, None, Some(e.to_string())).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    status: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, f): CsrfForm<StatusForm>,
) -> Result<Response, UiError> {
    let status: IncidentStatus = f
        .status
        .parse()
        .map_err(|e: amends_domain::ValidationError| UiError::BadRequest(e.message))?;
    inc::set_status(&state, IncidentId(id), status, ui.user.id).await?;
    Ok(crate::ui::flash::to(&format!("/incidents/{id}"), "flash-saved"))
}

pub async fn resolve(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    inc::resolve(&state, IncidentId(id), ui.user.id).await?;
    Ok(crate::ui::flash::to(&format!("/incidents/{id}"), "flash-saved"))
}

// ------------------------------------------------------------ goodwill rules

#[derive(Debug, Deserialize)]
pub struct RuleForm {
    name: String,
    condition: String,
    catalog_item_id: String,
    #[serde(default)]
    applies_to: String,
}

/// Adds an automatic goodwill rule (admins); problems show next to the field.
pub async fn rule_create(
    State(state): State<AppState>,
    CsrfForm(ui, f): CsrfForm<RuleForm>,
) -> Result<Response, UiError> {
    let draft = crate::ui::goodwill::RuleDraft {
        name: f.name.clone(),
        condition: f.condition.clone(),
        applies_to: f.applies_to.clone(),
        catalog_item_id: f.catalog_item_id.clone(),
    };
    let Ok(item) = f.catalog_item_id.parse::<Uuid>() else {
        return crate::ui::goodwill::settings_with_error(&state, &ui, "rule_catalog_item_id", "", &draft).await;
    };
    let body = amends_app::goodwill_rules::RuleIn {
        name: f.name,
        condition: f.condition,
        catalog_item_id: item,
        position: None,
        active: true,
        applies_to: Some(f.applies_to),
    };
    match goodwill_rules::create(&state, &body, ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to("/settings/goodwill#rules", "flash-saved")),
        Err(AppError::Validation { field, message }) => {
            let message = if field == "condition" {
                condition_problem_text(&state, &ui, &draft.condition, &draft.applies_to).unwrap_or(message)
            } else {
                message
            };
            crate::ui::goodwill::settings_with_error(&state, &ui, &format!("rule_{field}"), &message, &draft).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Why a rule's condition cannot be used, in the user's language.
fn condition_problem_text(state: &AppState, ui: &UiUser, condition: &str, applies_to: &str) -> Option<String> {
    let scope = applies_to.parse().unwrap_or(RuleScope::Incident);
    let problem = Condition::problem(condition, scope)?;
    let args: Vec<(&str, FluentValue<'_>)> = problem
        .args()
        .into_iter()
        .map(|(k, v)| (k, FluentValue::from(v)))
        .collect();
    Some(state.ui().i18n().t(ui.lang(), problem.key(), &args))
}

pub async fn rule_toggle(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    goodwill_rules::toggle(&state, id, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/goodwill#rules", "flash-saved"))
}

pub async fn rule_delete(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    goodwill_rules::delete(&state, id, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/goodwill#rules", "flash-deleted"))
}
