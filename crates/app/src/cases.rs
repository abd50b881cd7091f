//! Working a case: move it through the state machine, assign it, add a
//! note. The API, the case page and the inbox's bulk actions call these.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::service::{NOTE_MAX, note_body};
use amends_domain::validate::optional_text;
use amends_domain::{CaseId, CaseState, NonEmptyText, UserId, ValidationError};
use amends_store::{Case, CaseEvent, EventKind, NewEvent, StoreError};

/// Moves case `id` to the state named `to` (with an optional note on the
/// timeline). A transition the state machine does not allow is a
/// [`AppError::Conflict`] that names the allowed states.
pub async fn transition(app: &App, id: CaseId, to: &str, note: Option<&str>, actor: UserId) -> AppResult<Case> {
    let to: CaseState = to.parse().map_err(|e: ValidationError| e.for_field("to"))?;
    let note = optional_text("note", note, NOTE_MAX)?;
    Ok(app
        .store()
        .transition_case(id, to, Some(actor), note.as_ref().map(NonEmptyText::as_str), app.now())
        .await?)
}

/// Assigns case `id` to `assignee`, or unassigns it with `None`.
pub async fn assign(app: &App, id: CaseId, assignee: Option<UserId>, actor: UserId) -> AppResult<Case> {
    app.store()
        .assign_case(id, assignee, Some(actor), app.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound("assignee") => AppError::validation("assignee_id", "no active user with this id"),
            e => e.into(),
        })
}

/// Adds an internal note by `author` to the case's timeline.
pub async fn add_note(app: &App, id: CaseId, body: &str, author: UserId) -> AppResult<CaseEvent> {
    let body = note_body(body)?;
    let ev = NewEvent {
        kind: EventKind::Note,
        author: Some(author),
        body: Some(body.into_inner()),
        data: serde_json::Value::Null,
        at: app.now(),
    };
    Ok(app.store().add_event(id, &ev).await?)
}
