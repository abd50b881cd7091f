//! Personal settings: language and API tokens.

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

async fn render(
    state: &AppState,
    ui: &UiUser,
    new_token: Option<String>,
    error: Option<String>,
) -> Result<Response, UiError> {
    let tokens = state.store().list_tokens(ui.user.id).await?;
    let quarantined = if ui.user.role.can(amends_domain::Permission::ManageIntegrations) {
        state.store().count_open_quarantine().await?
    } else {
        0
    };
    ui.page(state, "settings.html", context! {
            quarantined => quarantined,
            nav => "settings",
            tokens => Value::from_serialize(&tokens),
            new_token => new_token,
            error => error,
            me => context! { username => ui.user.username.clone(), role => ui.user.role.as_str(), language => ui.user.language.code() },
        })
}

pub async fn page_handler(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    render(&state, &ui, None, None).await
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
        Ok((_, token)) => render(&state, &ui, Some(token), None).await,
        Err(amends_app::AppError::Validation { message, .. }) => render(&state, &ui, None, Some(message)).await,
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
