//! Self-service answers: the deflection report
//! (`/api/v1/analytics/deflection`, leads and admins) and the automatic
//! answers to inbound mail per language (`/api/v1/settings/auto-answer`,
//! changed by admins). The widget's public endpoints are in
//! `crate::widget_answers`.

use crate::api::json::ApiJson;
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::self_service::{self, AutoAnswer, DeflectionReport};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(deflection_report))
        .routes(routes!(get_auto_answer, put_auto_answer))
}

/// The report's period.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeflectionQuery {
    /// The last this many days (1–366); default 30.
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
}

/// Deflection by the widget's suggested articles: widget sessions shown a
/// suggestion, clicked, sent anyway, deflected (clicked and not sent) and
/// the deflection rate with its Wilson 95 % interval, in total, per
/// language and per article.
#[utoipa::path(get, path = "/analytics/deflection", tag = "analytics", params(DeflectionQuery),
    responses((status = 200, body = DeflectionReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn deflection_report(
    Ctx { state, .. }: Ctx,
    ApiQuery(q): ApiQuery<DeflectionQuery>,
) -> ApiResult<Json<DeflectionReport>> {
    Ok(Json(self_service::report(&state, q.days.unwrap_or(30)).await?))
}

/// The automatic answers to inbound mail, per customer language.
#[utoipa::path(get, path = "/settings/auto-answer", tag = "solutions",
    responses((status = 200, body = Vec<AutoAnswer>), (status = 403, body = Problem)))]
async fn get_auto_answer(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<AutoAnswer>>> {
    Ok(Json(self_service::settings(&state).await?))
}

/// Saves the automatic answer setting of the languages given (audited as
/// `auto_answer.set`); answers both languages' settings.
#[utoipa::path(put, path = "/settings/auto-answer", tag = "solutions", request_body = Vec<AutoAnswer>,
    responses((status = 200, body = Vec<AutoAnswer>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_auto_answer(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<Vec<AutoAnswer>>,
) -> ApiResult<Json<Vec<AutoAnswer>>> {
    Ok(Json(self_service::save_settings(&state, &body, actor.user.id).await?))
}
