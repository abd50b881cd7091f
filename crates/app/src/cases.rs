//! Working a case: move it through the state machine, assign it, add a
//! note. The API, the case page and the inbox's bulk actions call these.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::service::{DESCRIPTION_MAX, NOTE_MAX, SUBJECT_MAX, due_for_priority, note_body};
use amends_domain::validate::optional_text;
use amends_domain::{CaseId, CaseState, NonEmptyText, Priority, UserId, ValidationError};
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

/// Fields of a case to change; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct CasePatch {
    pub subject: Option<String>,
    pub description: Option<String>,
    pub priority: Option<String>,
}

/// Changes subject, description or priority of case `id`; a new priority
/// moves the SLA due dates.
pub async fn update(app: &App, id: CaseId, patch: CasePatch, actor: UserId) -> AppResult<Case> {
    let subject = patch
        .subject
        .map(|s| NonEmptyText::parse("subject", &s, SUBJECT_MAX))
        .transpose()?;
    if patch
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > DESCRIPTION_MAX)
    {
        return Err(AppError::validation(
            "description",
            format!("description must be at most {DESCRIPTION_MAX} characters"),
        ));
    }
    let priority = patch.priority.map(|p| p.parse::<Priority>()).transpose()?;
    let cur = app.store().get_case(id).await?;
    let priority = match priority {
        Some(p) => Some((p, due_for_priority(app, &cur, p).await?)),
        None => None,
    };
    Ok(app
        .store()
        .update_case(
            id,
            subject.as_ref(),
            patch.description.as_deref().map(str::trim),
            priority,
            Some(actor),
            app.now(),
        )
        .await?)
}
