//! Corrections of the analyser's labels from the feedback stream: the form
//! on each item posts here, and `/corrections` lists them as training data
//! with a CSV download (`GET /api/v1/corrections?format=csv`).

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfPairs;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::corrections;
use amends_app::text_models;
use amends_domain::Permission;
use amends_store::Correction;
use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::context;
use std::collections::HashMap;
use uuid::Uuid;

/// "Correct" on a feedback item: sentiment and topics as the agent reads
/// them; back to the stream at the item.
pub async fn correct(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfPairs(ui, pairs): CsrfPairs,
) -> Result<Response, UiError> {
    let mut sentiment = String::new();
    let mut topics = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "sentiment" => sentiment = v,
            "topics" => topics.push(v),
            _ => {}
        }
    }
    corrections::correct(&state, id, &sentiment, &topics, ui.user.id).await?;
    Ok(crate::ui::flash::to(&format!("/feedback#feedback-{id}"), "flash-saved"))
}

/// The newest correction of each corrected item among `ids` (one page of
/// the stream), by feedback id: one read of the page's id range, not of
/// every correction.
pub async fn by_feedback(state: &AppState, ids: &[Uuid]) -> Result<HashMap<Uuid, Correction>, UiError> {
    let (Some(&low), Some(&high)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(HashMap::new());
    };
    Ok(corrections::latest_between(state, low, high)
        .await?
        .into_iter()
        .map(|c| (c.feedback_id, c))
        .collect())
}

/// `/corrections`: every corrected item, the analyser's label beside the
/// team's, as training data; the company model versions with their
/// held-out accuracy, and (admins) training and switching them.
pub async fn list(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let rows: Vec<minijinja::Value> = corrections::list(&state)
        .await?
        .iter()
        .map(|c| {
            context! {
                feedback_id => c.feedback_id,
                excerpt => c.text.chars().take(140).collect::<String>(),
                language => c.language,
                original => c.original_sentiment,
                sentiment => c.sentiment,
                topics => c.topic_list(),
                user_name => c.user_name,
                created_at => c.created_at,
            }
        })
        .collect();
    let models = text_models::list(&state).await?;
    ui.page(
        &state,
        "corrections.html",
        context! {
            nav => "feedback",
            rows => rows,
            models => minijinja::Value::from_serialize(&models),
            in_use => state.text_model_version(),
            can_manage => ui.user.role.can(Permission::ManageIntegrations),
        },
    )
}

/// "Train a company model" (admins): queues the training, or says one is
/// queued already or that there is nothing to train on yet.
pub async fn train(State(state): State<AppState>, CsrfPairs(ui, _): CsrfPairs) -> Result<Response, UiError> {
    let key = match text_models::schedule(&state, ui.user.id).await {
        Ok(s) if s.queued => "flash-text-train-queued",
        Ok(_) => "flash-text-train-pending",
        Err(AppError::Validation { .. }) => "flash-text-train-empty",
        Err(e) => return Err(e.into()),
    };
    Ok(crate::ui::flash::to("/corrections#text-models", key))
}

/// Switches a version on (admins).
pub async fn activate(
    State(state): State<AppState>,
    Path(version): Path<i64>,
    CsrfPairs(ui, _): CsrfPairs,
) -> Result<Response, UiError> {
    text_models::activate(&state, Some(version), ui.user.id).await?;
    Ok(crate::ui::flash::to("/corrections#text-models", "flash-text-model-on"))
}

/// Back to the shipped model (admins).
pub async fn deactivate(State(state): State<AppState>, CsrfPairs(ui, _): CsrfPairs) -> Result<Response, UiError> {
    text_models::activate(&state, None, ui.user.id).await?;
    Ok(crate::ui::flash::to("/corrections#text-models", "flash-text-model-off"))
}
