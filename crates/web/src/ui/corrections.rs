//! Corrections of the analyser's labels from the feedback stream: the form
//! on each item posts here, and `/corrections` lists them as training data
//! with a CSV download (`GET /api/v1/corrections?format=csv`).

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfPairs;
use crate::ui::session::UiUser;
use amends_app::corrections;
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
/// team's, as training data.
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
    ui.page(&state, "corrections.html", context! { nav => "feedback", rows => rows })
}
