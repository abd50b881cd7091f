//! Team pages: users (admins) and the audit log (leads and admins).

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::service::{self, UserInput};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    language: String,
    #[serde(default, skip_serializing)]
    password: String,
}

async fn render_users(
    state: &AppState,
    ui: &UiUser,
    form: &NewUserForm,
    errors: &BTreeMap<String, String>,
    created: Option<String>,
) -> Result<axum::response::Html<String>, UiError> {
    let users = state.store().list_users().await?;
    let routing = state.store().routing_settings().await?;
    let agents = state.store().list_agent_routing().await?;
    ui.render(
        state,
        "users.html",
        context! {
            nav => "users",
            users => Value::from_serialize(&users),
            form => Value::from_serialize(form),
            errors => errors,
            created => created,
            routing => Value::from_serialize(&routing),
            agents => Value::from_serialize(&agents),
        },
    )
}

pub async fn users(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let form = NewUserForm {
        role: "agent".into(),
        language: ui.lang().code().into(),
        ..NewUserForm::default()
    };
    Ok(render_users(&state, &ui, &form, &BTreeMap::new(), None)
        .await?
        .into_response())
}

/// The translation key for a user-form error.
fn user_error_key(field: &str, conflict: bool) -> &'static str {
    match field {
        "username" if conflict => "err-username-taken",
        "username" => "err-username",
        "display_name" => "err-display-name",
        "email" => "err-email",
        "role" => "err-role",
        "language" => "err-language",
        "password" => "err-password",
        _ => "err-invalid",
    }
}

pub async fn create_user(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<NewUserForm>,
) -> Result<Response, UiError> {
    let input = UserInput {
        username: form.username.clone(),
        display_name: Some(form.display_name.clone()).filter(|s| !s.trim().is_empty()),
        email: Some(form.email.clone()),
        role: form.role.clone(),
        language: Some(form.language.clone()),
        password: form.password.clone(),
    };
    let mut errors = BTreeMap::new();
    match service::create_user(state.store(), state.now(), input, Some(ui.user.id)).await {
        Ok(u) => {
            let html = render_users(&state, &ui, &NewUserForm::default(), &errors, Some(u.username)).await?;
            Ok((StatusCode::CREATED, html).into_response())
        }
        Err(AppError::Validation { field, .. }) => {
            errors.insert(field.clone(), user_error_key(&field, false).to_string());
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_users(&state, &ui, &form, &errors, None).await?,
            )
                .into_response())
        }
        Err(AppError::Conflict { .. }) => {
            errors.insert("username".into(), user_error_key("username", true).to_string());
            Ok((
                StatusCode::CONFLICT,
                render_users(&state, &ui, &form, &errors, None).await?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<uuid::Uuid>,
    entity: Option<String>,
}

pub async fn audit(
    State(state): State<AppState>,
    ui: UiUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, UiError> {
    let entity = q.entity.as_deref().filter(|e| !e.is_empty());
    let entries = state.store().list_audit(entity, None, q.before, 100).await?;
    let next_link = (entries.len() == 100).then(|| {
        let last = entries.last().map(|e| e.id.to_string()).unwrap_or_default();
        format!("/audit?before={last}&entity={}", entity.unwrap_or_default())
    });
    ui.page(
        &state,
        "audit.html",
        context! {
            nav => "audit",
            entries => Value::from_serialize(&entries),
            entity => entity,
            next_link => next_link,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::user_error_key;
    use amends_i18n::catalog::{DE_FTL, EN_FTL, I18n};

    #[test]
    fn every_user_form_error_has_a_translation() {
        let (de, en) = (I18n::keys(DE_FTL), I18n::keys(EN_FTL));
        for f in ["username", "display_name", "email", "role", "language", "password", "x"] {
            for conflict in [false, true] {
                let k = user_error_key(f, conflict).to_string();
                assert!(de.contains(&k) && en.contains(&k), "missing {k}");
            }
        }
    }
}
