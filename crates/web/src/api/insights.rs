//! `/api/v1/teams` and `/api/v1/insights`: the teams that can fix causes
//! (leads and admins), their insight inboxes, "fixed in release X" and
//! telling the reporters.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::insights::notify::{self, NotifyOut};
use amends_app::insights::{self, FixedIn, InsightDetail, InsightOut, TeamIn, TeamOut, TeamPatch};
use amends_domain::insight::InsightState;
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, update_team, delete_team))
        .routes(routes!(list_insights))
        .routes(routes!(get_insight))
        .routes(routes!(acknowledge))
        .routes(routes!(fixed))
        .routes(routes!(notify_reporters))
}

/// Every team with its members and rules, by name.
#[utoipa::path(get, path = "/teams", tag = "insights",
    responses((status = 200, body = Vec<TeamOut>), (status = 403, body = Problem)))]
async fn list_teams(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<TeamOut>>> {
    Ok(Json(insights::list_teams(&state).await?))
}

/// Add a team: name, members, digest, channel webhook and rules (each rule
/// read once here: 422 names the field, e.g. `rules[1].value`).
#[utoipa::path(post, path = "/teams", tag = "insights", request_body = TeamIn,
    responses((status = 201, body = TeamOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_team(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<TeamIn>) -> ApiResult<Created<TeamOut>> {
    Ok(Created(insights::create_team(&state, &body, actor.user.id).await?))
}

#[utoipa::path(get, path = "/teams/{id}", tag = "insights", params(("id" = Uuid, Path)),
    responses((status = 200, body = TeamOut), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_team(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<TeamOut>> {
    Ok(Json(insights::get_team(&state, id).await?))
}

/// Change some of a team's settings; members and rules, when given,
/// replace the old ones.
#[utoipa::path(patch, path = "/teams/{id}", tag = "insights", params(("id" = Uuid, Path)), request_body = TeamPatch,
    responses((status = 200, body = TeamOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_team(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<TeamPatch>,
) -> ApiResult<Json<TeamOut>> {
    Ok(Json(insights::update_team(&state, id, &body, actor.user.id).await?))
}

/// Remove a team with its rules and insights (the feedback and cases stay).
#[utoipa::path(delete, path = "/teams/{id}", tag = "insights", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn delete_team(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    insights::delete_team(&state, id, actor.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InsightsQuery {
    /// Only this team's insights.
    pub team_id: Option<Uuid>,
    /// Only insights in this state.
    #[param(value_type = Option<InsightState>)]
    pub state: Option<InsightState>,
    /// At most this many (1–200, default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The insight inbox, newest first: per cause the count of reports and of
/// customers, first and last seen, the release it was fixed in and how
/// many reporters were told.
#[utoipa::path(get, path = "/insights", tag = "insights", params(InsightsQuery),
    responses((status = 200, body = Vec<InsightOut>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_insights(
    Ctx { state, .. }: Ctx,
    ApiQuery(q): ApiQuery<InsightsQuery>,
) -> ApiResult<Json<Vec<InsightOut>>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=200).contains(&limit) {
        return Err(amends_app::AppError::validation("limit", "limit must be 1 to 200").into());
    }
    Ok(Json(insights::list(&state, q.team_id, q.state, limit).await?))
}

/// An insight with its reports (quotes, customers, cases).
#[utoipa::path(get, path = "/insights/{id}", tag = "insights", params(("id" = Uuid, Path)),
    responses((status = 200, body = InsightDetail), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn get_insight(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<InsightDetail>> {
    Ok(Json(insights::get(&state, id).await?))
}

/// The team has seen it (open → acknowledged; 409 otherwise).
#[utoipa::path(post, path = "/insights/{id}/acknowledge", tag = "insights", params(("id" = Uuid, Path)),
    responses((status = 200, body = InsightOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn acknowledge(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<InsightOut>> {
    Ok(Json(insights::acknowledge(&state, id, actor.user.id).await?))
}

/// Fixed in a release (from open or acknowledged; 409 when fixed already):
/// sends the `insight.fixed` event; the reporters are told only on
/// `notify-reporters`.
#[utoipa::path(post, path = "/insights/{id}/fixed", tag = "insights", params(("id" = Uuid, Path)), request_body = FixedIn,
    responses((status = 200, body = InsightOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn fixed(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<FixedIn>,
) -> ApiResult<Json<InsightOut>> {
    Ok(Json(insights::fixed(&state, id, &body, actor.user.id).await?))
}

/// Tell every customer who reported a fixed insight, in their language,
/// through the outbox: once per customer and insight, however often this is
/// called (409 while the insight is not fixed).
#[utoipa::path(post, path = "/insights/{id}/notify-reporters", tag = "insights", params(("id" = Uuid, Path)),
    responses((status = 200, body = NotifyOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem)))]
async fn notify_reporters(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<NotifyOut>> {
    Ok(Json(notify::notify_reporters(&state, id, actor.user.id).await?))
}
