//! Data protection on the customer page: the download of everything stored
//! about a customer (`/customers/{id}/export`, leads and admins) and the
//! erasure of their personal data behind a confirmation page
//! (`/customers/{id}/erase`, admins). Both go through `app::privacy`, which
//! writes the audit entries.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::session::UiUser;
use amends_app::{AppError, privacy};
use amends_domain::CustomerId;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use uuid::Uuid;

/// The export as a JSON download.
pub async fn export(State(state): State<AppState>, ui: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    let export = privacy::export_customer(&state, CustomerId(id), ui.user.id).await?;
    let name = format!("attachment; filename=\"customer-{id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, name)], Json(export)).into_response())
}

/// The confirmation page of an erasure.
pub async fn confirm_page(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
) -> Result<Response, UiError> {
    render(&state, &ui, id, "", None).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EraseForm {
    confirm: String,
}

/// Erases the personal data, then back to the customer page with a notice;
/// a wrong confirmation shows the page again with the error at the field.
pub async fn erase(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<EraseForm>,
) -> Result<Response, UiError> {
    match privacy::erase_customer(&state, CustomerId(id), &form.confirm, ui.user.id).await {
        Ok(out) => {
            let notice = if out.erased_now { "erased" } else { "erased-before" };
            Ok(Redirect::to(&format!("/customers/{id}?privacy={notice}")).into_response())
        }
        Err(AppError::Validation { .. }) => {
            render(&state, &ui, id, &form.confirm, Some("privacy-erase-err-confirm")).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn render(
    state: &AppState,
    ui: &UiUser,
    id: Uuid,
    typed: &str,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let customer = state.store().get_customer(CustomerId(id)).await?;
    let html = ui.render(
        state,
        "customer_erase.html",
        context! {
            nav => "customers",
            customer => Value::from_serialize(&customer),
            typed => typed,
            error => error,
        },
    )?;
    Ok(crate::ui::form_response(html, error.is_some()))
}
