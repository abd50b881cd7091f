//! Putting messages where they belong, on the pages: the "split into its
//! own case" button of a customer message on the timeline, "Merge into
//! another case…" (the case picked by its reference, then a confirmation
//! page) and the attach window on the detection rules page. All go through
//! `app::case_merge`, which audits them.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::{CsrfForm, EmptyForm};
use crate::ui::session::UiUser;
use amends_app::{AppError, case_merge};
use amends_domain::{CaseId, EventId};
use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Splits the message into its own case and opens that case.
pub async fn split(
    State(state): State<AppState>,
    Path((id, event_id)): Path<(Uuid, Uuid)>,
    CsrfForm(ui, EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Response, UiError> {
    let case = case_merge::split(&state, CaseId(id), EventId(event_id), ui.user.id).await?;
    Ok(crate::ui::flash::to(&format!("/cases/{}", case.id), "flash-split"))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MergeForm {
    /// The reference of the case to merge into.
    reference: String,
    /// `yes` on the confirmation page.
    confirm: String,
}

/// The first step: which case to merge this one into.
pub async fn merge_page(State(state): State<AppState>, ui: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    render(&state, &ui, id, &MergeForm::default(), None, None).await
}

/// Picks the case by reference and shows the confirmation; with
/// `confirm=yes` merges and opens the case merged into.
pub async fn merge(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<MergeForm>,
) -> Result<Response, UiError> {
    let source = state.store().get_case(CaseId(id)).await?;
    let target = match case_merge::case_by_reference(&state, &source, &form.reference).await {
        Ok(t) if t.id == source.id => return render(&state, &ui, id, &form, None, Some("merge-err-same")).await,
        Ok(t) => t,
        Err(AppError::Validation { .. }) => {
            return render(&state, &ui, id, &form, None, Some("merge-err-reference")).await;
        }
        Err(e) => return Err(e.into()),
    };
    if form.confirm != "yes" {
        return render(&state, &ui, id, &form, Some(&target), None).await;
    }
    match case_merge::merge(&state, target.id, source.id, ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to(
            &format!("/cases/{}", target.id),
            "flash-cases-merged",
        )),
        Err(AppError::Conflict { .. }) => render(&state, &ui, id, &form, None, Some("merge-err-closed")).await,
        Err(AppError::Validation { .. }) => render(&state, &ui, id, &form, None, Some("merge-err-customer")).await,
        Err(e) => Err(e.into()),
    }
}

async fn render(
    state: &AppState,
    ui: &UiUser,
    id: Uuid,
    form: &MergeForm,
    target: Option<&amends_store::Case>,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let case = state.store().get_case(CaseId(id)).await?;
    let html = ui.render(
        state,
        "case_merge.html",
        context! {
            nav => "inbox",
            case => Value::from_serialize(&case),
            reference => case.id.short(),
            form => Value::from_serialize(form),
            target => target.map(|t| context! {
                id => t.id, reference => t.id.short(), subject => t.subject.clone(), state => t.state.as_str(),
            }),
            error => error,
        },
    )?;
    Ok(crate::ui::form_response(html, error.is_some()))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WindowForm {
    days: String,
}

/// Sets the attach window from the rules page; a refused value shows the
/// page again with the message at the field.
pub async fn set_window(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<WindowForm>,
) -> Result<Response, UiError> {
    let days = form.days.trim().parse::<i64>();
    let done = match days {
        Ok(d) => case_merge::set_attach_window(&state, d, ui.user.id).await.map(|_| ()),
        Err(_) => Err(AppError::validation("days", "not a whole number")),
    };
    match done {
        Ok(()) => Ok(crate::ui::flash::to("/settings/rules", "flash-saved")),
        Err(AppError::Validation { .. }) => {
            let form_back = crate::ui::feedback::blank_rule_form();
            let mut res = crate::ui::feedback::render_rules(
                &state,
                &ui,
                &form_back,
                &BTreeMap::new(),
                Some((&form.days, "err-attach-window")),
            )
            .await?;
            *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}
