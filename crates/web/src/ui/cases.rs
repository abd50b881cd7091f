//! Case pages: create form with field errors, detail with timeline and actions.

use crate::dto::{CaseOut, EventOut};
use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::cases;
use amends_app::service::{self, CaseInput};
use amends_domain::{CaseId, Channel, Email, Origin, Priority, UserId, ValidationError};
use amends_store::CaseFilter;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub struct NewCaseForm {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    priority: String,
    /// `me` (the default when absent) or `routing`: leave the choice to
    /// the routing of new cases.
    #[serde(default)]
    assign: String,
}

#[derive(Deserialize)]
pub struct NewCaseQuery {
    customer: Option<String>,
}

async fn render_form(
    state: &AppState,
    ui: &UiUser,
    form: &NewCaseForm,
    errors: &BTreeMap<String, String>,
) -> Result<axum::response::Html<String>, UiError> {
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.as_str()).collect();
    let routing_on = state.store().routing_settings().await?.enabled;
    ui.render(
        state,
        "case_new.html",
        context! { nav => "new", form => Value::from_serialize(form), errors => errors, channels => channels,
        priorities => priorities, routing_on => routing_on },
    )
}

pub async fn new_page(
    State(state): State<AppState>,
    ui: UiUser,
    Query(q): Query<NewCaseQuery>,
) -> Result<Response, UiError> {
    let routing_on = state.store().routing_settings().await?.enabled;
    let form = NewCaseForm {
        customer: q.customer.unwrap_or_default(),
        channel: "phone".into(),
        priority: "normal".into(),
        assign: if routing_on { "routing" } else { "me" }.into(),
        ..NewCaseForm::default()
    };
    Ok(render_form(&state, &ui, &form, &BTreeMap::new()).await?.into_response())
}

/// Finds the customer a person typed: an id, an email or an external id.
async fn resolve_customer(state: &AppState, text: &str) -> Result<Uuid, ValidationError> {
    let text = text.trim();
    let missing = || {
        ValidationError::new(
            "customer",
            "no customer with this id, email or external id; create the customer first",
        )
    };
    if text.is_empty() {
        return Err(ValidationError::new("customer", "customer is required"));
    }
    if let Ok(id) = text.parse::<Uuid>() {
        return match state.store().get_customer(id.into()).await {
            Ok(c) => Ok(c.id.0),
            Err(_) => Err(missing()),
        };
    }
    if text.contains('@') {
        let email = Email::parse(text).map_err(|e| e.for_field("customer"))?;
        return match state.store().find_customer_by_email(&email).await {
            Ok(Some(c)) => Ok(c.id.0),
            _ => Err(missing()),
        };
    }
    match state.store().get_customer_by_external_id(text).await {
        Ok(c) => Ok(c.id.0),
        Err(_) => Err(missing()),
    }
}

/// The translation key of a form error: the UI shows the message in the
/// user's language (the API keeps the detailed English text).
fn error_key(field: &str, message: &str) -> &'static str {
    match field {
        "customer" if message.contains("required") => "err-customer-missing",
        "customer" => "err-customer-unknown",
        "subject" => "err-subject",
        "description" => "err-description",
        "channel" => "err-channel",
        "priority" => "err-priority",
        _ => "err-invalid",
    }
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<NewCaseForm>,
) -> Result<Response, UiError> {
    let mut errors = BTreeMap::new();
    let customer_id = match resolve_customer(&state, &form.customer).await {
        Ok(id) => Some(id),
        Err(e) => {
            errors.insert(e.field.clone(), error_key(&e.field, &e.message).to_string());
            None
        }
    };
    let input = CaseInput {
        customer_id: customer_id.or(Some(Uuid::nil())),
        subject: form.subject.clone(),
        description: Some(form.description.clone()),
        channel: form.channel.clone(),
        priority: Some(form.priority.clone()),
        // Routing picks an agent only for a case without assignee.
        assignee_id: (form.assign != "routing").then_some(ui.user.id.0),
    };
    match input.validate() {
        Ok(valid) if errors.is_empty() => {
            let case = service::open_case(&state, valid, Origin::Manual, Some(ui.user.id)).await?;
            Ok(crate::ui::flash::to(
                &format!("/cases/{}", case.id),
                "flash-case-created",
            ))
        }
        Ok(_) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render_form(&state, &ui, &form, &errors).await?,
        )
            .into_response()),
        Err(list) => {
            for e in list {
                let key = error_key(&e.field, &e.message).to_string();
                errors.entry(e.field).or_insert(key);
            }
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_form(&state, &ui, &form, &errors).await?,
            )
                .into_response())
        }
    }
}

pub async fn page_handler(state: &AppState, ui: &UiUser, id: Uuid, error: Option<String>) -> Result<Response, UiError> {
    page_with_field_error(state, ui, id, error, None).await
}

/// The case page with an error shown next to a field of one of its forms
/// (`(field, message)`, e.g. the goodwill panel's `reason`).
pub async fn page_with_field_error(
    state: &AppState,
    ui: &UiUser,
    id: Uuid,
    error: Option<String>,
    field_error: Option<(String, String)>,
) -> Result<Response, UiError> {
    render_case(state, ui, id, error, field_error, &Prefill::default()).await
}

/// What a link into the case page fills in: a playbook step's reply
/// template and recommended goodwill.
#[derive(Debug, Default, Deserialize)]
pub struct Prefill {
    template: Option<Uuid>,
    goodwill: Option<Uuid>,
}

async fn render_case(
    state: &AppState,
    ui: &UiUser,
    id: Uuid,
    error: Option<String>,
    field_error: Option<(String, String)>,
    prefill: &Prefill,
) -> Result<Response, UiError> {
    let case = state.store().get_case(CaseId(id)).await?;
    let customer = state.store().get_customer(case.customer_id).await?;
    let raw_events = state.store().list_events(case.id).await?;
    let personal_note_open = amends_app::followup::personal_note_open(&raw_events);
    let deliveries = amends_app::delivery::by_message_id(state, case.id).await?;
    let events = EventOut::with_delivery(raw_events, deliveries);
    let others = state
        .store()
        .list_cases(&CaseFilter {
            customer_id: Some(case.customer_id),
            limit: 20,
            ..CaseFilter::default()
        })
        .await?;
    let prior_failures = others.items.iter().filter(|c| c.id != case.id).count();
    let open_cases = others
        .items
        .iter()
        .filter(|c| c.id != case.id && c.state.is_open())
        .map(|c| context! { id => c.id, subject => c.subject.clone(), state => c.state.as_str() })
        .collect::<Vec<_>>();
    // The customer card's 360: goodwill received, sentiment trend, account.
    let since = state.now() - chrono::Duration::days(amends_app::overview::FAILURE_WINDOW_DAYS);
    let facts = state.store().customer_facts(case.customer_id, since).await?;
    let samples = state
        .store()
        .customer_sentiment(case.customer_id, amends_app::overview::SENTIMENT_SAMPLES)
        .await?;
    let trend = amends_domain::customer::sentiment_trend(&amends_domain::customer::sentiment_by_month(&samples));
    let account = match customer.account() {
        Some(a) => Some(state.store().get_account(a).await?),
        None => None,
    };
    let users = state.store().list_users().await?;
    let followup = crate::ui::followup::case_panel(state, case.id).await?;
    let goodwill = crate::ui::goodwill::case_panel(state, case.id, ui.user.role).await?;
    let reply_templates = crate::ui::templates::case_picker(state, ui, &case).await?;
    let playbook = amends_app::playbooks::for_case(state, case.id).await?;
    let template = crate::ui::templates::prefilled(state, &reply_templates, prefill.template).await?;
    let solutions = crate::ui::solutions::case_panel(state, &case).await?;
    let fair = crate::ui::fair::case_panel(state, case.id).await?;
    let now = state.now();
    let out = CaseOut::new(case, now);
    let status = if field_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if error.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let html = ui.render(state, "case.html", context! {
            nav => "inbox",
            case => Value::from_serialize(&out),
            customer => Value::from_serialize(&customer),
            events => Value::from_serialize(&events),
            prior_failures => prior_failures,
            facts => Value::from_serialize(facts),
            trend => trend.as_str(),
            account => Value::from_serialize(&account),
            open_cases => open_cases,
            users => users.iter().filter(|u| u.active).map(|u| context!{ id => u.id, name => u.display_name.clone() }).collect::<Vec<_>>(),
            error => error,
            followup => followup,
            personal_note_open => personal_note_open,
            goodwill => goodwill,
            reply_templates => reply_templates,
            solutions => solutions,
            fair => fair,
            field_error => field_error.map(|(f, m)| context! { field => f, message => m }),
            playbook => Value::from_serialize(&playbook),
            prefill_template => template,
            prefill_goodwill => prefill.goodwill.map(|g| g.to_string()),
        })?;
    Ok((status, html).into_response())
}

pub async fn page(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
    Query(prefill): Query<Prefill>,
) -> Result<Response, UiError> {
    render_case(&state, &ui, id, None, None, &prefill).await
}

#[derive(Deserialize)]
pub struct TransitionForm {
    to: String,
    #[serde(default)]
    note: String,
}

pub async fn transition(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<TransitionForm>,
) -> Result<Response, UiError> {
    match cases::transition(&state, CaseId(id), &form.to, Some(&form.note), ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to(&format!("/cases/{id}"), "flash-state-changed")),
        Err(e @ (AppError::Conflict { .. } | AppError::Validation { .. })) => {
            page_handler(&state, &ui, id, Some(action_error(&state, &ui, &e))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// An action on the case page that could not be done, in the user's
/// language: a state change the case does not allow (with the states it
/// does), a text too long or empty, an assignee who is gone.
pub fn action_error(state: &AppState, ui: &UiUser, e: &AppError) -> String {
    let (i18n, lang) = (state.ui().i18n(), ui.lang());
    match e {
        AppError::Conflict {
            allowed: Some(allowed), ..
        } => {
            let allowed = allowed
                .iter()
                .map(|s| i18n.t(lang, &format!("state-{s}"), &[]))
                .collect::<Vec<_>>()
                .join(", ");
            i18n.t(lang, "err-case-transition", &[("allowed", allowed.into())])
        }
        AppError::Conflict { .. } => i18n.t(lang, "err-case-changed", &[]),
        AppError::Validation { field, .. } => {
            let key = match field.as_str() {
                "note" | "body" => "err-case-text",
                "subject" => "err-subject",
                "assignee_id" => "err-case-assignee",
                _ => "err-invalid",
            };
            i18n.t(lang, key, &[])
        }
        _ => i18n.t(lang, "err-invalid", &[]),
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    body: String,
}

pub async fn note(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<NoteForm>,
) -> Result<Response, UiError> {
    match cases::add_note(&state, CaseId(id), &form.body, ui.user.id).await {
        Ok(_) => {}
        Err(e @ AppError::Validation { .. }) => {
            return page_handler(&state, &ui, id, Some(action_error(&state, &ui, &e))).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(crate::ui::flash::to(
        &format!("/cases/{id}#timeline-end"),
        "flash-note-saved",
    ))
}

#[derive(Deserialize)]
pub struct AssignForm {
    assignee: String,
}

pub async fn assign(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<AssignForm>,
) -> Result<Response, UiError> {
    let target = match form.assignee.as_str() {
        "" | "none" => None,
        "me" => Some(ui.user.id),
        other => Some(UserId(
            other.parse().map_err(|_| UiError::BadRequest("bad user id".into()))?,
        )),
    };
    match cases::assign(&state, CaseId(id), target, ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to(&format!("/cases/{id}"), "flash-assigned")),
        Err(e @ (AppError::Conflict { .. } | AppError::Validation { .. })) => {
            page_handler(&state, &ui, id, Some(action_error(&state, &ui, &e))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::error_key;
    use amends_i18n::catalog::{DE_FTL, EN_FTL, I18n};

    #[test]
    fn every_form_error_has_a_translation() {
        let de = I18n::keys(DE_FTL);
        let en = I18n::keys(EN_FTL);
        for (field, msg) in [
            ("customer", "customer is required"),
            ("customer", "no customer"),
            ("subject", ""),
            ("description", ""),
            ("channel", ""),
            ("priority", ""),
            ("other", ""),
        ] {
            let key = error_key(field, msg).to_string();
            assert!(de.contains(&key) && en.contains(&key), "missing {key}");
        }
    }
}
