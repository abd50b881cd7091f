//! Settings: language and API tokens; for admins the retention of closed
//! cases (data protection).

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::forms::EmptyForm;
use crate::ui::session::UiUser;
use amends_app::service;
use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::{Value, context};
use serde::Deserialize;

/// The retention field as typed, with the catalogue key of its error.
#[derive(Default)]
struct RetentionField {
    typed: Option<String>,
    error: Option<&'static str>,
}

async fn render(
    state: &AppState,
    ui: &UiUser,
    new_token: Option<String>,
    error: Option<String>,
    retention: RetentionField,
) -> Result<Response, UiError> {
    let tokens = state.store().list_tokens(ui.user.id).await?;
    let quarantined = if ui.user.role.can(amends_domain::Permission::ManageIntegrations) {
        state.store().count_open_quarantine().await?
    } else {
        0
    };
    let retention_months = if ui.user.role.can(amends_domain::Permission::ErasePersonalData) {
        amends_app::retention::setting(state).await?.months
    } else {
        None
    };
    let failed = retention.error.is_some();
    let html = ui.render(state, "settings.html", context! {
            retention_months => retention_months,
            retention_typed => retention.typed,
            retention_error => retention.error,
            quarantined => quarantined,
            nav => "settings",
            tokens => Value::from_serialize(&tokens),
            new_token => new_token,
            error => error,
            me => context! { username => ui.user.username.clone(), role => ui.user.role.as_str(), language => ui.user.language.code() },
        })?;
    Ok(crate::ui::form_response(html, failed))
}

pub async fn page_handler(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    render(&state, &ui, None, None, RetentionField::default()).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<TokenForm>,
) -> Result<Response, UiError> {
    match service::create_token(state.store(), state.now(), ui.user.id, &form.name, Some(ui.user.id)).await {
        Ok((_, token)) => render(&state, &ui, Some(token), None, RetentionField::default()).await,
        Err(amends_app::AppError::Validation { .. }) => {
            let message = state.ui().i18n().t(ui.lang(), "err-token-name", &[]);
            render(&state, &ui, None, Some(message), RetentionField::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Revokes one of the user's own tokens (the form asks for confirmation).
pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<uuid::Uuid>,
    CsrfForm(ui, _): CsrfForm<EmptyForm>,
) -> Result<Response, UiError> {
    amends_app::service::revoke_token(&state, ui.user.id, amends_domain::TokenId(id)).await?;
    Ok(crate::ui::flash::to("/settings", "flash-deleted"))
}

#[derive(Deserialize)]
pub struct RetentionForm {
    /// Months, or empty for off.
    #[serde(default)]
    months: String,
}

/// Sets the retention of closed cases (admins); a bad number shows the
/// page again with the error at the field.
pub async fn set_retention(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<RetentionForm>,
) -> Result<Response, UiError> {
    let typed = form.months.trim();
    let months = if typed.is_empty() {
        Ok(None)
    } else {
        typed.parse::<i64>().map(Some)
    };
    let saved = match months {
        Ok(m) => amends_app::retention::set(&state, m, ui.user.id).await.map(|_| ()),
        Err(_) => Err(amends_app::AppError::validation("months", "not a number")),
    };
    match saved {
        Ok(()) => Ok(crate::ui::flash::to("/settings#retention", "flash-saved")),
        Err(amends_app::AppError::Validation { .. }) => {
            let field = RetentionField {
                typed: Some(typed.to_string()),
                error: Some("retention-err-months"),
            };
            render(&state, &ui, None, None, field).await
        }
        Err(e) => Err(e.into()),
    }
}
