//! `/playbooks`: the playbooks with their effectiveness, the form that adds
//! one or its next version (steps as repeated fieldsets, no script needed),
//! and the case page's playbook panel with a form post per step.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::{CsrfForm, CsrfPairs};
use crate::ui::session::UiUser;
use amends_app::analytics::playbooks::effectiveness;
use amends_app::playbooks::{self, ChecklistItem, PlaybookIn, PlaybookOut, StepIn};
use amends_app::{AppError, AppResult};
use amends_domain::incident::IncidentKind;
use amends_domain::{CaseId, Permission};
use amends_store::TemplateFilter;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The topics a playbook can be for (the text analysis' taxonomy).
const TOPICS: &[&str] = &[
    "delivery",
    "delay",
    "billing",
    "product_defect",
    "staff_behaviour",
    "waiting_time",
    "app_website",
];

/// Blank step fieldsets below the filled ones.
const BLANK_STEPS: usize = 2;

/// `GET /playbooks`: every playbook, and for leads and admins the figures
/// per version.
pub async fn list(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let all = playbooks::list(&state).await?;
    let figures = if ui.user.role.can(Permission::ReadAudit) {
        effectiveness(&state, None).await?
    } else {
        Vec::new()
    };
    ui.page(
        &state,
        "playbooks.html",
        context! {
            nav => "playbooks",
            playbooks => Value::from_serialize(&all),
            figures => Value::from_serialize(&figures),
            can_manage => ui.user.role.can(Permission::ManagePlaybooks),
        },
    )
}

/// What `GET /playbooks/new` may be prefilled with (the risk register's
/// "create playbook" link); values outside the lists are left out.
#[derive(Debug, Default, Deserialize)]
pub struct Prefill {
    topic: Option<String>,
    incident_kind: Option<String>,
}

/// `GET /playbooks/new`: an empty form, or one for a topic and incident kind.
pub async fn new(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    let prefill: Prefill = serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let blank = PlaybookIn {
        topic: prefill.topic.filter(|t| TOPICS.contains(&t.as_str())),
        incident_kind: prefill.incident_kind.filter(|k| k.parse::<IncidentKind>().is_ok()),
        severity_min: Some(1),
        severity_max: Some(4),
        ..PlaybookIn::default()
    };
    render_form(&state, &ui, None, &blank, &BTreeMap::new(), StatusCode::OK).await
}

/// `GET /playbooks/{id}`: the playbook; for leads and admins as a form.
pub async fn show(State(state): State<AppState>, ui: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    let p = playbooks::get(&state, id, None).await?;
    let form = input_of(&p);
    render_form(&state, &ui, Some(&p), &form, &BTreeMap::new(), StatusCode::OK).await
}

fn input_of(p: &PlaybookOut) -> PlaybookIn {
    PlaybookIn {
        name_de: p.name_de.clone(),
        name_en: p.name_en.clone(),
        owner_team: p.owner_team.clone(),
        topic: p.topic.clone(),
        incident_kind: p.incident_kind.clone(),
        severity_min: Some(i64::from(p.severity_min)),
        severity_max: Some(i64::from(p.severity_max)),
        steps: p
            .steps
            .iter()
            .map(|s| StepIn {
                title_de: s.title_de.clone(),
                title_en: s.title_en.clone(),
                checklist: s.checklist.iter().cloned().map(ChecklistItem).collect(),
                template_id: s.template_id,
                goodwill_item_id: s.goodwill_item_id,
                due_minutes: i64::from(s.due_minutes),
            })
            .collect(),
    }
}

async fn render_form(
    state: &AppState,
    ui: &UiUser,
    current: Option<&PlaybookOut>,
    form: &PlaybookIn,
    errors: &BTreeMap<String, &'static str>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let templates = state.store().list_templates(TemplateFilter::default()).await?;
    let catalog = state.store().list_catalog(false).await?;
    let mut steps: Vec<Value> = form
        .steps
        .iter()
        .map(|s| {
            context! {
                title_de => s.title_de.clone(), title_en => s.title_en.clone(),
                checklist => s.checklist.iter().map(|c| c.0.clone()).collect::<Vec<_>>().join("\n"),
                template_id => s.template_id.map(|t| t.to_string()).unwrap_or_default(),
                goodwill_item_id => s.goodwill_item_id.map(|t| t.to_string()).unwrap_or_default(),
                due_hours => due_hours(s.due_minutes),
            }
        })
        .collect();
    steps.extend(
        (0..BLANK_STEPS).map(|_| context! { title_de => "", title_en => "", checklist => "", due_hours => "" }),
    );
    let html = ui.render(
        state,
        "playbook_edit.html",
        context! {
            nav => "playbooks",
            current => Value::from_serialize(current),
            form => Value::from_serialize(form),
            steps => steps,
            errors => Value::from_serialize(errors),
            can_manage => ui.user.role.can(Permission::ManagePlaybooks),
            topics => TOPICS,
            kinds => IncidentKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            templates => templates.iter().map(|t| context! { id => t.id, name => t.name.clone(), language => t.language.code() }).collect::<Vec<_>>(),
            catalog => Value::from_serialize(&catalog),
        },
    )?;
    Ok((status, html).into_response())
}

/// Minutes as the form shows them: hours, with a decimal comma where needed.
fn due_hours(minutes: i64) -> String {
    if minutes < 0 {
        // Not a number as typed: the field's error says so.
        String::new()
    } else if minutes % 60 == 0 {
        (minutes / 60).to_string()
    } else {
        format!("{:.2}", minutes as f64 / 60.0).replace('.', ",")
    }
}

/// Hours as typed (`2`, `1,5`, `0.25`) in minutes; anything else is -1,
/// which the domain refuses for the field.
fn due_minutes(raw: &str) -> i64 {
    let t = raw.trim().replace(',', ".");
    match t.parse::<f64>() {
        Ok(h) if h.is_finite() && (0.0..=1e6).contains(&h) => (h * 60.0).round() as i64,
        _ if t.is_empty() => 0,
        _ => -1,
    }
}

/// The form as typed: the fields of the playbook, and the steps of the
/// fieldsets `step{i}_…` that have a title (blank fieldsets are left out).
fn read_form(pairs: &[(String, String)]) -> (Option<Uuid>, PlaybookIn) {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string());
    let opt = |k: &str| get(k).filter(|v| !v.is_empty());
    let id = opt("id").and_then(|v| v.parse().ok());
    let mut steps = Vec::new();
    for i in 0.. {
        let f = |name: &str| get(&format!("step{i}_{name}"));
        let (Some(title_de), Some(title_en)) = (f("title_de"), f("title_en")) else {
            break;
        };
        let checklist = f("checklist").unwrap_or_default();
        if title_de.is_empty() && title_en.is_empty() && checklist.is_empty() {
            continue;
        }
        let uuid = |name: &str| f(name).and_then(|v| v.parse::<Uuid>().ok());
        steps.push(StepIn {
            title_de,
            title_en,
            checklist: checklist.lines().map(|l| ChecklistItem(l.to_string())).collect(),
            template_id: uuid("template"),
            goodwill_item_id: uuid("goodwill"),
            due_minutes: due_minutes(&f("due_hours").unwrap_or_default()),
        });
    }
    let severity = |k: &str| opt(k).map(|v| v.parse().unwrap_or(0));
    let form = PlaybookIn {
        name_de: get("name_de").unwrap_or_default(),
        name_en: get("name_en").unwrap_or_default(),
        owner_team: get("owner_team").unwrap_or_default(),
        topic: opt("topic"),
        incident_kind: opt("incident_kind"),
        severity_min: severity("severity_min"),
        severity_max: severity("severity_max"),
        steps,
    };
    (id, form)
}

/// The catalogue key of a field's problem, in the reader's language.
fn error_key(field: &str) -> &'static str {
    let step_field = field.rsplit('.').next().unwrap_or(field);
    match (field.starts_with("steps["), step_field) {
        (false, "name_de" | "name_en") => "err-playbook-name",
        (false, "owner_team") => "err-playbook-team",
        (false, "topic") => "err-playbook-topic",
        (false, "incident_kind") => "err-playbook-kind",
        (false, "severity_min" | "severity_max") => "err-playbook-severity",
        (false, "steps") => "err-playbook-steps",
        (true, "title_de" | "title_en") => "err-playbook-step-title",
        (true, "checklist") => "err-playbook-checklist",
        (true, "due_minutes") => "err-playbook-due",
        (true, "template_id") => "err-playbook-template",
        (true, "goodwill_item_id") => "err-playbook-goodwill",
        _ => "err-invalid",
    }
}

/// `POST /playbooks`: adds a playbook, or with an id its next version.
pub async fn save(State(state): State<AppState>, CsrfPairs(ui, pairs): CsrfPairs) -> Result<Response, UiError> {
    let (id, form) = read_form(&pairs);
    let saved: AppResult<PlaybookOut> = async {
        let draft = form.draft()?;
        match id {
            Some(id) => playbooks::update(&state, id, &draft, ui.user.id).await,
            None => playbooks::create(&state, &draft, ui.user.id).await,
        }
    }
    .await;
    match saved {
        Ok(p) => Ok(crate::ui::flash::to(&format!("/playbooks/{}", p.id), "flash-saved")),
        Err(AppError::Validation { field, .. }) => {
            let current = match id {
                Some(id) => Some(playbooks::get(&state, id, None).await?),
                None => None,
            };
            let key = error_key(&field);
            let errors = BTreeMap::from([(field, key)]);
            render_form(
                &state,
                &ui,
                current.as_ref(),
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    active: String,
}

/// `POST /playbooks/{id}/active`: on (`active=true`) or off for new cases.
pub async fn set_active(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, f): CsrfForm<ActiveForm>,
) -> Result<Response, UiError> {
    playbooks::set_active(&state, id, f.active == "true", ui.user.id).await?;
    Ok(crate::ui::flash::to(&format!("/playbooks/{id}"), "flash-saved"))
}

#[derive(Deserialize)]
pub struct StepForm {
    /// `true`: check off; anything else: take the tick back.
    done: String,
}

/// `POST /cases/{id}/playbook/steps/{step}`: a step's checkbox.
pub async fn mark_step(
    State(state): State<AppState>,
    Path((id, step)): Path<(Uuid, i32)>,
    CsrfForm(ui, f): CsrfForm<StepForm>,
) -> Result<Response, UiError> {
    playbooks::mark_step(&state, CaseId(id), step, f.done == "true", ui.user.id).await?;
    Ok(axum::response::Redirect::to(&format!("/cases/{id}#playbook")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use amends_i18n::catalog::{DE_FTL, EN_FTL, I18n};

    #[test]
    fn every_playbook_form_error_has_a_translation() {
        let (de, en) = (I18n::keys(DE_FTL), I18n::keys(EN_FTL));
        for field in [
            "name_de",
            "owner_team",
            "topic",
            "incident_kind",
            "severity_max",
            "steps",
            "steps[1].title_en",
            "steps[0].checklist",
            "steps[2].due_minutes",
            "steps[0].template_id",
            "steps[0].goodwill_item_id",
        ] {
            let k = error_key(field).to_string();
            assert!(
                k != "err-invalid" && de.contains(&k) && en.contains(&k),
                "missing {k} for {field}"
            );
        }
    }

    #[test]
    fn the_form_skips_blank_fieldsets_and_reads_hours() {
        let pairs: Vec<(String, String)> = [
            ("name_de", "A"),
            ("step0_title_de", "Anrufen"),
            ("step0_title_en", "Call"),
            ("step0_checklist", "eins\nzwei"),
            ("step0_due_hours", "1,5"),
            ("step1_title_de", ""),
            ("step1_title_en", ""),
            ("step2_title_de", "x"),
            ("step2_title_en", "y"),
            ("step2_due_hours", "bald"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (id, f) = read_form(&pairs);
        assert_eq!(id, None);
        assert_eq!(f.steps.len(), 2);
        assert_eq!(f.steps[0].due_minutes, 90);
        assert_eq!(f.steps[0].checklist.len(), 2);
        assert_eq!(f.steps[1].due_minutes, -1);
        assert_eq!(due_hours(90), "1,50");
        assert_eq!(due_hours(120), "2");
    }
}
