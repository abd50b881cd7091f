//! Putting customer messages where they belong: the window in which
//! feedback joins an open case by a shared topic (`amends_domain::attach`
//! decides, the store applies it as feedback comes in), splitting a
//! message out of a case into its own, and merging two cases of one
//! customer. Each change is audited and shown on the timelines.

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::attach;
use amends_domain::{CaseId, EventId, FeedbackId, UserId};
use amends_store::{AttachSetting, Case, CaseFilter, EventKind, Merged, Split, StoreError};

/// The attach window.
pub async fn attach_setting(state: &App) -> AppResult<AttachSetting> {
    Ok(state.store().attach_setting().await?)
}

/// Sets the attach window in days (0 to 365; 0: never by topic); audited.
pub async fn set_attach_window(state: &App, days: i64, actor: UserId) -> AppResult<AttachSetting> {
    let days = attach::window_days(days)?;
    Ok(state.store().set_attach_window(days, Some(actor), state.now()).await?)
}

/// Moves the customer message `event` of case `case` (and its feedback
/// item) into a new case of its own: same customer and priority, due dates
/// from now, routed like new feedback. Gives the new case.
pub async fn split(state: &App, case: CaseId, event: EventId, actor: UserId) -> AppResult<Case> {
    let store = state.store();
    let source = store.get_case(case).await?;
    let ev = store
        .list_events(case)
        .await?
        .into_iter()
        .find(|e| e.id == event)
        .ok_or_else(|| AppError::NotFound("message".into()))?;
    if ev.kind != EventKind::MessageIn {
        return Err(AppError::Conflict {
            detail: "only a customer message can be split out of a case".into(),
            field: Some("event_id".into()),
            allowed: None,
        });
    }
    let data = ev.data_json();
    let feedback = match data
        .get("feedback_id")
        .and_then(|f| f.as_str())
        .and_then(|f| f.parse().ok())
    {
        Some(id) => Some(store.get_feedback(FeedbackId(id)).await?),
        None => None,
    };
    let channel = feedback.as_ref().map_or(source.channel, |f| f.channel);
    let topics = feedback
        .as_ref()
        .map(amends_store::Feedback::topic_list)
        .unwrap_or_default();
    let text = ev.body.clone().unwrap_or_else(|| source.subject.clone());
    let customer = store.get_customer(source.customer_id).await?;
    let now = state.now();
    let due = crate::service::due_dates(state, customer.tier, source.priority, now).await?;
    let new_case = crate::detection::case_for_message(
        &text,
        channel,
        source.priority,
        topics,
        (now, &customer, due, Some(actor)),
    );
    let id = store
        .split_message(&Split {
            case_id: case,
            event_id: event,
            new_case,
            actor,
        })
        .await?;
    Ok(store.get_case(id).await?)
}

/// Merges case `source` into case `target` (both of one customer, neither
/// closed): everything of the source moves to the target, the source is
/// closed as merged. Gives the target and what moved.
pub async fn merge(state: &App, target: CaseId, source: CaseId, actor: UserId) -> AppResult<(Case, Merged)> {
    if target == source {
        return Err(AppError::validation(
            "source_case_id",
            "a case cannot be merged into itself",
        ));
    }
    let store = state.store();
    let t = store.get_case(target).await?;
    let s = store.get_case(source).await.map_err(|e| match e {
        StoreError::NotFound(_) => AppError::validation("source_case_id", "no case with this id"),
        e => e.into(),
    })?;
    if t.customer_id != s.customer_id {
        return Err(AppError::validation(
            "source_case_id",
            "only cases of the same customer can be merged",
        ));
    }
    let merged = store.merge_cases(target, source, actor, state.now()).await?;
    Ok((store.get_case(target).await?, merged))
}

/// The case of `customer`'s cases with the short reference `reference`
/// (`#3f9a12c4` or `3f9a12c4`), for picking a merge target by reference.
pub async fn case_by_reference(state: &App, of: &Case, reference: &str) -> AppResult<Case> {
    let r = attach::parse_reference("reference", reference)?;
    let filter = CaseFilter {
        customer_id: Some(of.customer_id),
        limit: 200,
        ..CaseFilter::default()
    };
    let cases = state.store().list_cases(&filter).await?;
    cases
        .items
        .into_iter()
        .find(|c| c.id.short() == r)
        .ok_or_else(|| AppError::validation("reference", "no case of this customer has this reference"))
}
