//! Goodwill in the UI: the panel in the case sidebar (assessment, grant
//! or request approval) and the approvals queue for leads.

use crate::error::ApiError;
use crate::goodwill::{self as gw, GrantRequest};
use crate::state::AppState;
use crate::ui::session::UiUser;
use crate::ui::{UiError, page as render_page};
use amends_domain::goodwill::GrantState;
use amends_domain::{CaseId, Permission};
use amends_store::GrantFilter;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use uuid::Uuid;

/// What the case page shows in its goodwill panel.
pub async fn case_panel(state: &AppState, case: CaseId) -> Result<Value, UiError> {
    let (assessment, _) = gw::assess(state, case).await.map_err(api_to_ui)?;
    let catalog = state.store().list_catalog(true).await?;
    let grants = state
        .store()
        .list_grants(&GrantFilter {
            case_id: Some(case),
            limit: 100,
            ..GrantFilter::default()
        })
        .await?;
    Ok(context! {
        assessment => Value::from_serialize(&assessment),
        catalog => Value::from_serialize(&catalog),
        grants => Value::from_serialize(&grants),
    })
}

fn api_to_ui(e: ApiError) -> UiError {
    e.into()
}

#[derive(Deserialize)]
pub struct GrantForm {
    csrf: String,
    #[serde(default)]
    catalog_item_id: String,
    #[serde(default)]
    reason: String,
}

pub async fn grant(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
    Form(form): Form<GrantForm>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf)?;
    let item = form.catalog_item_id.trim().parse::<Uuid>().ok();
    let req = GrantRequest {
        catalog_item_id: item,
        reason: form.reason,
        ..GrantRequest::default()
    };
    match gw::grant(&state, CaseId(id), req, &ui.user).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}#goodwill")).into_response()),
        Err(ApiError::Validation { message, .. }) => {
            crate::ui::cases::page_handler(&state, &ui, id, Some(message)).await
        }
        Err(e) => Err(api_to_ui(e)),
    }
}

pub async fn approvals(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    approvals_page(&state, &ui, None).await
}

async fn approvals_page(state: &AppState, ui: &UiUser, error: Option<String>) -> Result<Response, UiError> {
    if !ui.user.role.can(Permission::ApproveGoodwill) {
        return Err(UiError::Forbidden("only leads and admins approve goodwill".into()));
    }
    let pending = state
        .store()
        .list_grants(&GrantFilter {
            state: Some(GrantState::Pending),
            limit: 200,
            ..GrantFilter::default()
        })
        .await?;
    let html = render_page(
        state,
        "approvals.html",
        ui.lang(),
        Some(ui),
        context! { nav => "approvals", grants => Value::from_serialize(&pending), error => error, me => ui.user.id },
    )?;
    Ok(html.into_response())
}

#[derive(Deserialize)]
pub struct DecideForm {
    csrf: String,
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
    Form(form): Form<DecideForm>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf)?;
    if !ui.user.role.can(Permission::ApproveGoodwill) {
        return Err(UiError::Forbidden("only leads and admins approve goodwill".into()));
    }
    let approve = form.decision == "approve";
    match gw::decide(&state, id, approve, &form.reason, &ui.user).await {
        Ok(_) => Ok(Redirect::to("/goodwill/approvals").into_response()),
        Err(ApiError::Validation { message, .. } | ApiError::Forbidden(message)) => {
            approvals_page(&state, &ui, Some(message)).await
        }
        Err(ApiError::Conflict { detail, .. }) => approvals_page(&state, &ui, Some(detail)).await,
        Err(e) => Err(api_to_ui(e)),
    }
}

async fn all_grants(state: &AppState, ui: &UiUser) -> Result<Vec<amends_store::Grant>, UiError> {
    if !ui.user.role.can(Permission::ApproveGoodwill) {
        return Err(UiError::Forbidden(
            "only leads and admins see the goodwill ledger".into(),
        ));
    }
    Ok(state
        .store()
        .list_grants(&GrantFilter {
            limit: 10_000,
            ..GrantFilter::default()
        })
        .await?)
}

/// The ledger of every grant: who, when, why, approved by.
pub async fn ledger(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let grants = all_grants(&state, &ui).await?;
    let budget = crate::api::goodwill::budget_for(&state, state.now()).await?;
    let html = render_page(
        &state,
        "ledger.html",
        ui.lang(),
        Some(&ui),
        context! { nav => "ledger", grants => Value::from_serialize(&grants), budget => Value::from_serialize(&budget) },
    )?;
    Ok(html.into_response())
}

/// The ledger as a CSV download.
pub async fn ledger_csv(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let grants = all_grants(&state, &ui).await?;
    let csv = gw::ledger_csv(&grants)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"goodwill-ledger.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}
