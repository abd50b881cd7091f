//! Settings page of the feedback widget's sites (leads and admins).

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::forms::IdButton;
use crate::ui::session::UiUser;
use amends_app::widget_sites::{self as widget, SiteFields};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SiteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    allowed_origins: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    survey_question_de: String,
    #[serde(default)]
    survey_question_en: String,
    #[serde(default)]
    survey_trigger: String,
    #[serde(default)]
    survey_after_seconds: String,
    #[serde(default)]
    survey_period_days: String,
}

async fn render(state: &AppState, ui: &UiUser, form: &SiteForm, error: Option<String>) -> Result<Response, UiError> {
    let base = state.config().base_url.clone();
    let sites: Vec<_> = state
        .store()
        .list_widget_sites()
        .await?
        .into_iter()
        .map(|s| {
            context! {
                id => s.id, name => s.name.clone(), origins => s.origins(), language => s.language.clone(),
                enabled => s.enabled, survey_trigger => s.survey_trigger.clone(),
                survey_after_seconds => s.survey_after_seconds, survey_period_days => s.survey_period_days,
                embed => amends_app::widget_sites::embed_tag(&base, &s.site_key),
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let html = ui.render(
        state,
        "widget_sites.html",
        context! { nav => "settings", sites => sites, form => minijinja::Value::from_serialize(form), error => error },
    )?;
    Ok((status, html).into_response())
}

pub async fn page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    render(&state, &ui, &SiteForm::default(), None).await
}

/// The catalogue key of an input error of the site form, by its field.
fn error_key(field: &str) -> &'static str {
    match field {
        "name" => "err-widget-name",
        "allowed_origins" => "err-widget-origins",
        "survey_after_seconds" => "err-widget-after",
        "survey_period_days" => "err-widget-period",
        "survey_question_de" | "survey_question_en" => "err-widget-question",
        _ => "err-invalid",
    }
}

/// An input error of the site form in the user's language.
fn error_text(state: &AppState, ui: &UiUser, field: &str) -> String {
    state.ui().i18n().t(ui.lang(), error_key(field), &[])
}

fn number(field: &'static str, raw: &str) -> Result<Option<i32>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i32>().map(Some).map_err(|_| field)
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<SiteForm>,
) -> Result<Response, UiError> {
    let nums = number("survey_after_seconds", &form.survey_after_seconds)
        .and_then(|a| number("survey_period_days", &form.survey_period_days).map(|p| (a, p)));
    let (after, period) = match nums {
        Ok(v) => v,
        Err(field) => return render(&state, &ui, &form, Some(error_text(&state, &ui, field))).await,
    };
    let fields = SiteFields {
        name: Some(form.name.clone()),
        allowed_origins: Some(
            form.allowed_origins
                .split(|c: char| c == '\n' || c == ',' || c.is_whitespace())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        ),
        language: Some(form.language.clone()).filter(|s| !s.is_empty()),
        enabled: Some(true),
        survey_question_de: Some(form.survey_question_de.clone()),
        survey_question_en: Some(form.survey_question_en.clone()),
        survey_trigger: Some(form.survey_trigger.clone()),
        survey_after_seconds: after,
        survey_period_days: period,
    };
    match widget::create_site(&state, fields, ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to("/settings/widget", "flash-saved")),
        Err(amends_app::AppError::Validation { field, .. }) => {
            render(&state, &ui, &form, Some(error_text(&state, &ui, &field))).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn toggle(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    let cur = state.store().get_widget_site(id).await?;
    let fields = SiteFields {
        enabled: Some(!cur.enabled),
        ..SiteFields::default()
    };
    widget::update_site(&state, id, fields, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/widget", "flash-saved"))
}

pub async fn delete(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    widget::delete_site(&state, id, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/widget", "flash-deleted"))
}
