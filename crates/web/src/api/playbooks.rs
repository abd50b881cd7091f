//! `/api/v1/playbooks`: recovery prepared per failure type (leads and
//! admins edit, every agent reads); a case's playbook with its progress,
//! checking steps off; effectiveness per playbook version.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::analytics::playbooks::{PlaybookFigures, effectiveness};
use amends_app::playbooks::{self, CasePlaybookOut, PlaybookIn, PlaybookOut};
use amends_domain::CaseId;
use axum::Json;
use axum::extract::Path;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_playbooks, create_playbook))
        .routes(routes!(get_playbook, update_playbook))
        .routes(routes!(deactivate_playbook))
        .routes(routes!(activate_playbook))
        .routes(routes!(case_playbook))
        .routes(routes!(step_done, step_undone))
        .routes(routes!(playbook_effectiveness))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct VersionQuery {
    /// A former version (default: the current one).
    #[param(minimum = 1, maximum = 100000)]
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SettleQuery {
    /// Days after the resolution a customer must still be there to count as
    /// retained (0–365, default 30).
    #[param(minimum = 0, maximum = 365)]
    pub settle_days: Option<i64>,
}

/// Every playbook in its current version, by position.
#[utoipa::path(get, path = "/playbooks", tag = "playbooks",
    responses((status = 200, body = Vec<PlaybookOut>)))]
async fn list_playbooks(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<PlaybookOut>>> {
    Ok(Json(playbooks::list(&state).await?))
}

/// Add a playbook (leads and admins); it goes after the last one.
#[utoipa::path(post, path = "/playbooks", tag = "playbooks", request_body = PlaybookIn,
    responses((status = 201, body = PlaybookOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_playbook(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<PlaybookIn>,
) -> ApiResult<Created<PlaybookOut>> {
    let draft = body.draft()?;
    Ok(Created(playbooks::create(&state, &draft, actor.user.id).await?))
}

/// A playbook with its steps, in its current or a former version.
#[utoipa::path(get, path = "/playbooks/{id}", tag = "playbooks", params(("id" = Uuid, Path), VersionQuery),
    responses((status = 200, body = PlaybookOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn get_playbook(
    Ctx { state, .. }: Ctx,
    Path(id): Path<Uuid>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> ApiResult<Json<PlaybookOut>> {
    Ok(Json(playbooks::get(&state, id, q.version).await?))
}

/// Change a playbook (leads and admins): adds its next version. Cases that
/// started an older version keep it.
#[utoipa::path(put, path = "/playbooks/{id}", tag = "playbooks", params(("id" = Uuid, Path)), request_body = PlaybookIn,
    responses((status = 200, body = PlaybookOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_playbook(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<PlaybookIn>,
) -> ApiResult<Json<PlaybookOut>> {
    let draft = body.draft()?;
    Ok(Json(playbooks::update(&state, id, &draft, actor.user.id).await?))
}

/// Stop picking this playbook for cases (leads and admins); cases that
/// started it keep it.
#[utoipa::path(post, path = "/playbooks/{id}/deactivate", tag = "playbooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = PlaybookOut), (status = 404, body = Problem)))]
async fn deactivate_playbook(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<PlaybookOut>> {
    Ok(Json(playbooks::set_active(&state, id, false, actor.user.id).await?))
}

/// Pick this playbook for cases again (leads and admins).
#[utoipa::path(post, path = "/playbooks/{id}/activate", tag = "playbooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = PlaybookOut), (status = 404, body = Problem)))]
async fn activate_playbook(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<PlaybookOut>> {
    Ok(Json(playbooks::set_active(&state, id, true, actor.user.id).await?))
}

/// The case's playbook: the version it started (else the most specific
/// active playbook for its topic, incident kind and severity), each step
/// with its due time and who checked it off when. 404 when none fits.
#[utoipa::path(get, path = "/cases/{id}/playbook", tag = "playbooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = CasePlaybookOut), (status = 404, body = Problem)))]
async fn case_playbook(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<CasePlaybookOut>> {
    playbooks::for_case(&state, CaseId(id))
        .await?
        .map(Json)
        .ok_or_else(|| amends_app::AppError::NotFound("playbook".into()).into())
}

/// Check off a step of the case's playbook: progress, timeline event and
/// audit entry at once. Checking a done step again changes nothing.
#[utoipa::path(post, path = "/cases/{id}/playbook/steps/{step}/done", tag = "playbooks",
    params(("id" = Uuid, Path), ("step" = i32, Path, minimum = 1, maximum = 30)),
    responses((status = 200, body = CasePlaybookOut), (status = 404, body = Problem)))]
async fn step_done(
    Ctx { state, actor }: Ctx,
    Path((id, step)): Path<(Uuid, String)>,
) -> ApiResult<Json<CasePlaybookOut>> {
    Ok(Json(
        playbooks::mark_step(&state, CaseId(id), step_number(&step)?, true, actor.user.id).await?,
    ))
}

/// A step number of the path; anything else is no such step (404), not a
/// malformed request.
fn step_number(raw: &str) -> ApiResult<i32> {
    raw.parse()
        .map_err(|_| amends_app::AppError::NotFound("step".into()).into())
}

/// Take back the tick of a step (it lands on the timeline too).
#[utoipa::path(delete, path = "/cases/{id}/playbook/steps/{step}/done", tag = "playbooks",
    params(("id" = Uuid, Path), ("step" = i32, Path, minimum = 1, maximum = 30)),
    responses((status = 200, body = CasePlaybookOut), (status = 404, body = Problem)))]
async fn step_undone(
    Ctx { state, actor }: Ctx,
    Path((id, step)): Path<(Uuid, String)>,
) -> ApiResult<Json<CasePlaybookOut>> {
    Ok(Json(
        playbooks::mark_step(&state, CaseId(id), step_number(&step)?, false, actor.user.id).await?,
    ))
}

/// Effectiveness per playbook version over the cases that started it: mean
/// CSAT with n, reopen rate, median hours to resolve, retention after
/// `settle_days`.
#[utoipa::path(get, path = "/analytics/playbooks", tag = "analytics", params(SettleQuery),
    responses((status = 200, body = Vec<PlaybookFigures>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn playbook_effectiveness(
    Ctx { state, .. }: Ctx,
    ApiQuery(q): ApiQuery<SettleQuery>,
) -> ApiResult<Json<Vec<PlaybookFigures>>> {
    Ok(Json(effectiveness(&state, q.settle_days).await?))
}
