//! Settings → Users → routing (admins): switch routing of new cases on or
//! off, and each user's routing profile (languages, skills, tiers,
//! availability, maximum open cases).

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfPairs;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::routing::{ProfileIn, known_skills, parse_profile, set_profile};
use amends_domain::{Tier, UserId};
use amends_store::AgentRouting;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The profile form as typed.
#[derive(Debug, Default, Serialize)]
pub struct ProfileForm {
    languages: Vec<String>,
    skills: Vec<String>,
    /// `all`, or the ticked tiers.
    tiers_mode: String,
    tiers: Vec<String>,
    available: bool,
    max_open: String,
}

impl ProfileForm {
    fn of(a: &AgentRouting, default_language: &str) -> Self {
        match &a.profile {
            Some(p) => Self {
                languages: p.languages.iter().map(|l| l.code().to_string()).collect(),
                skills: p.skills.clone(),
                tiers_mode: if p.tiers.is_some() { "some" } else { "all" }.into(),
                tiers: p
                    .tiers
                    .as_ref()
                    .map(|t| t.iter().map(|t| t.as_str().to_string()).collect())
                    .unwrap_or_default(),
                available: p.available,
                max_open: p.max_open.to_string(),
            },
            None => Self {
                languages: vec![default_language.to_string()],
                skills: Vec::new(),
                tiers_mode: "all".into(),
                tiers: Vec::new(),
                available: false,
                max_open: "20".into(),
            },
        }
    }
}

/// The translation key for a routing-form error.
pub fn error_key(field: &str) -> &'static str {
    match field {
        "languages" => "err-routing-languages",
        "skills" => "err-routing-skills",
        "tiers" => "err-routing-tiers",
        "max_open" => "err-routing-max-open",
        _ => "err-invalid",
    }
}

async fn render(
    state: &AppState,
    ui: &UiUser,
    agent: &AgentRouting,
    form: &ProfileForm,
    errors: &BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let html = ui.render(
        state,
        "routing.html",
        context! {
            nav => "users",
            agent => Value::from_serialize(agent),
            form => Value::from_serialize(form),
            errors => errors,
            skills => known_skills(state),
            tiers => Tier::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET /settings/users/{id}/routing`: the profile form.
pub async fn edit(State(state): State<AppState>, ui: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    let agent = state.store().get_agent_routing(UserId(id)).await?;
    let lang = state.store().get_user(UserId(id)).await?.language;
    let form = ProfileForm::of(&agent, lang.code());
    render(&state, &ui, &agent, &form, &BTreeMap::new(), StatusCode::OK).await
}

/// `POST /settings/users/{id}/routing`: save the profile; errors next to the fields.
pub async fn save(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfPairs(ui, pairs): CsrfPairs,
) -> Result<Response, UiError> {
    let mut form = ProfileForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "languages" => form.languages.push(v),
            "skills" => form.skills.push(v),
            "tiers_mode" => form.tiers_mode = v,
            "tiers" => form.tiers.push(v),
            "available" => form.available = true,
            "max_open" => form.max_open = v,
            _ => {}
        }
    }
    let agent = state.store().get_agent_routing(UserId(id)).await?;
    let mut errors = BTreeMap::new();
    let max_open = match form.max_open.trim().parse::<i64>() {
        Ok(n) => n,
        Err(_) => {
            errors.insert("max_open".to_string(), error_key("max_open").to_string());
            0
        }
    };
    if form.tiers_mode == "some" && form.tiers.is_empty() {
        errors.insert("tiers".to_string(), error_key("tiers").to_string());
    }
    let input = ProfileIn {
        languages: form.languages.clone(),
        skills: form.skills.clone(),
        tiers: (form.tiers_mode == "some").then(|| form.tiers.clone()),
        available: form.available,
        max_open,
    };
    if errors.is_empty() {
        match parse_profile(&state, &input) {
            Ok(p) => {
                set_profile(&state, id, &p, ui.user.id).await?;
                return Ok(crate::ui::flash::to("/settings/users#routing", "flash-saved"));
            }
            Err(AppError::Validation { field, .. }) => {
                errors.insert(field.clone(), error_key(&field).to_string());
            }
            Err(e) => return Err(e.into()),
        }
    }
    render(&state, &ui, &agent, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// `POST /settings/routing`: switch routing on or off.
pub async fn toggle(State(state): State<AppState>, CsrfPairs(ui, pairs): CsrfPairs) -> Result<Response, UiError> {
    let enabled = pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "enabled")
        .map(|(_, v)| v == "true")
        .ok_or_else(|| UiError::BadRequest("enabled must be true or false".into()))?;
    amends_app::routing::set_enabled(&state, enabled, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/users#routing", "flash-saved"))
}

#[cfg(test)]
mod tests {
    use super::error_key;
    use amends_i18n::catalog::{DE_FTL, EN_FTL, I18n};

    #[test]
    fn every_routing_form_error_has_a_translation() {
        let (de, en) = (I18n::keys(DE_FTL), I18n::keys(EN_FTL));
        for field in ["languages", "skills", "tiers", "max_open", "other"] {
            let k = error_key(field).to_string();
            assert!(de.contains(&k) && en.contains(&k), "missing {k}");
        }
    }
}
