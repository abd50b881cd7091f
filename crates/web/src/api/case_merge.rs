//! Putting messages where they belong: `POST /api/v1/cases/{id}/messages/{event_id}/split`,
//! `POST /api/v1/cases/{id}/merge` and the attach window
//! `GET|PUT /api/v1/settings/attach-window`.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::dto::CaseOut;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use amends_app::case_merge;
use amends_domain::{CaseId, EventId};
use axum::Json;
use axum::extract::Path;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(split_message))
        .routes(routes!(merge_case))
        .routes(routes!(get_attach_window, set_attach_window))
}

/// Split a customer message that does not belong to the case into a case
/// of its own: the message (a `message_in` timeline entry) and its feedback
/// item move to a new case of the same customer and priority, with due
/// dates from now and routed like new feedback. Both timelines get a
/// `split` entry naming the other case. Recorded as `case.split`. Answers
/// 201 with the new case; 409 when the entry is no customer message.
#[utoipa::path(post, path = "/cases/{id}/messages/{event_id}/split", tag = "cases",
    params(("id" = Uuid, Path), ("event_id" = Uuid, Path)),
    responses((status = 201, body = CaseOut), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn split_message(
    Ctx { state, actor }: Ctx,
    Path((id, event_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Created<CaseOut>> {
    let case = case_merge::split(&state, CaseId(id), EventId(event_id), actor.user.id).await?;
    Ok(Created(CaseOut::new(case, state.now())))
}

/// The case to merge into this one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseMergeIn {
    /// A case of the same customer, not closed.
    pub source_case_id: Uuid,
}

/// What a merge did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseMergeOut {
    /// The case merged into (this one).
    pub case: CaseOut,
    /// The case merged, now closed with `merged_into` set.
    pub source_case_id: Uuid,
    /// Timeline entries moved.
    pub events_moved: u64,
    /// Feedback items moved.
    pub feedback_moved: u64,
}

/// Merge another case of the same customer into this one: its timeline,
/// feedback, goodwill, attachments, surveys and solution links move here
/// (the timeline stays in time order); it is closed with `merged_into`
/// naming this case, and both timelines get a `merge` entry. Recorded as
/// `case.merge`. 422 for the same case or a case of another customer, 409
/// when either case is closed.
#[utoipa::path(post, path = "/cases/{id}/merge", tag = "cases", params(("id" = Uuid, Path)),
    request_body = CaseMergeIn,
    responses((status = 200, body = CaseMergeOut), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn merge_case(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CaseMergeIn>,
) -> ApiResult<Json<CaseMergeOut>> {
    let (case, moved) = case_merge::merge(&state, CaseId(id), CaseId(body.source_case_id), actor.user.id).await?;
    Ok(Json(CaseMergeOut {
        case: CaseOut::new(case, state.now()),
        source_case_id: body.source_case_id,
        events_moved: moved.events,
        feedback_moved: moved.feedback,
    }))
}

/// The attach window.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachWindowOut {
    /// Feedback that a rule with action `attach_or_open` handles joins an
    /// open case of the customer on a shared topic only within this many
    /// days after the case's last customer message; 0: never by topic (a
    /// case reference always attaches). Default 14.
    #[schema(minimum = 0, maximum = 365)]
    pub days: i32,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A new attach window.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachWindowIn {
    /// 0 to 365 days.
    #[schema(minimum = 0, maximum = 365)]
    pub days: i64,
}

impl From<amends_store::AttachSetting> for AttachWindowOut {
    fn from(s: amends_store::AttachSetting) -> Self {
        Self {
            days: s.days,
            updated_at: s.updated_at,
        }
    }
}

/// The attach window: within how many days feedback on a shared topic
/// joins a customer's open case.
#[utoipa::path(get, path = "/settings/attach-window", tag = "feedback",
    responses((status = 200, body = AttachWindowOut), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn get_attach_window(Ctx { state, .. }: Ctx) -> ApiResult<Json<AttachWindowOut>> {
    Ok(Json(case_merge::attach_setting(&state).await?.into()))
}

/// Set the attach window (0 to 365 days; 0: feedback joins an open case
/// only by its reference). Recorded as `detection.attach_window.set`.
/// Those who manage detection rules.
#[utoipa::path(put, path = "/settings/attach-window", tag = "feedback", request_body = AttachWindowIn,
    responses((status = 200, body = AttachWindowOut), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn set_attach_window(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<AttachWindowIn>,
) -> ApiResult<Json<AttachWindowOut>> {
    Ok(Json(
        case_merge::set_attach_window(&state, body.days, actor.user.id)
            .await?
            .into(),
    ))
}
