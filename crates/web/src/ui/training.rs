//! `/training` and `/training/{case_id}`: the best and failed recoveries as
//! anonymised case studies, one study as a printable page (the Markdown
//! download is the API's `?format=markdown`). Leads and admins.

use super::analytics::{app_error_field, read_query};
use super::session::UiUser;
use super::{UiError, page};
use crate::state::AppState;
use amends_app::training::{self, TrainingQuery};
use amends_domain::CaseId;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use uuid::Uuid;

/// The list of best or failed recoveries of a period.
pub async fn list(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    let (q, mut error) = read_query::<TrainingQuery>(raw.as_deref());
    let lang = ui.lang();
    let i18n = state.ui().i18n();
    let list = match training::list(&state, i18n, lang, &q).await {
        Ok(l) => l,
        Err(e) => {
            error = Some(app_error_field(&e));
            training::list(&state, i18n, lang, &TrainingQuery::default()).await?
        }
    };
    let html = page(
        &state,
        "training.html",
        lang,
        Some(&ui),
        context! {
            nav => "training",
            error => error,
            list => Value::from_serialize(&list),
        },
    )?;
    Ok(html.into_response())
}

/// One case study, printable.
pub async fn page_handler(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
) -> Result<Response, UiError> {
    let lang = ui.lang();
    let study = training::study(&state, state.ui().i18n(), lang, CaseId(id)).await?;
    let html = page(
        &state,
        "training_case.html",
        lang,
        Some(&ui),
        context! {
            nav => "training",
            s => Value::from_serialize(&study),
        },
    )?;
    Ok(html.into_response())
}
