//! Settings → Mail quarantine (admins): inbound mail that could not be
//! taken, kept whole. Release it (with the sender's address where it had
//! none) or delete it; the raw message downloads from the API.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::flash;
use crate::ui::forms::{CsrfForm, IdButton};
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::quarantine;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use uuid::Uuid;

/// A release form's field error: the row, the key of its text, the address tried.
struct FieldError {
    id: Uuid,
    key: &'static str,
    sender: String,
}

pub async fn page(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    let all = raw.as_deref() == Some("all=1");
    render(&state, &ui, all, None).await
}

async fn render(state: &AppState, ui: &UiUser, all: bool, error: Option<FieldError>) -> Result<Response, UiError> {
    let rows = quarantine::list(state, !all).await?;
    let html = ui.render(
        state,
        "quarantine.html",
        context! {
            nav => "settings",
            all => all,
            rows => Value::from_serialize(&rows),
            error_id => error.as_ref().map(|e| e.id),
            error_key => error.as_ref().map(|e| e.key),
            error_sender => error.as_ref().map(|e| e.sender.clone()),
        },
    )?;
    Ok(crate::ui::form_response(html, error.is_some()))
}

#[derive(Debug, Default, Deserialize)]
pub struct ReleaseForm {
    #[serde(default)]
    sender: String,
}

/// "Take it": ingest the message now, with the sender given if any.
pub async fn release(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<ReleaseForm>,
) -> Result<Response, UiError> {
    match quarantine::release(&state, id, Some(&form.sender), ui.user.id).await {
        Ok(_) => Ok(flash::to("/settings/mail", "flash-mail-released")),
        Err(AppError::Conflict { .. }) => Ok(Redirect::to("/settings/mail").into_response()),
        Err(AppError::Validation { .. }) => {
            let key = if form.sender.trim().is_empty() {
                "quarantine-err-no-sender"
            } else {
                "quarantine-err-sender"
            };
            let error = FieldError {
                id,
                key,
                sender: form.sender,
            };
            render(&state, &ui, false, Some(error)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// "Delete": drop the message's bytes; the record stays.
pub async fn delete(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    match quarantine::delete(&state, id, ui.user.id).await {
        Ok(()) => Ok(flash::to("/settings/mail", "flash-deleted")),
        Err(AppError::Conflict { .. }) => Ok(Redirect::to("/settings/mail").into_response()),
        Err(e) => Err(e.into()),
    }
}
