//! `/api/v1/cases/{id}/fair-expectation`: what the customer considers fair
//! (the newest answer counts, every answer kept); the fairness report.

use crate::api::json::ApiJson;
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::analytics::fairness::{FairnessReport, fairness};
use amends_app::fair::{self, FairExpectationIn, FairExpectationOut};
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
        .routes(routes!(get_fair, put_fair))
        .routes(routes!(fairness_report))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FairnessQuery {
    /// Days after the resolution a customer must still be there to count as
    /// retained (0–365, default 30).
    #[param(minimum = 0, maximum = 365)]
    pub settle_days: Option<i64>,
}

/// What the customer considers fair: the newest answer, every answer,
/// the goodwill granted against it, and a link the customer can answer on.
#[utoipa::path(get, path = "/cases/{id}/fair-expectation", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = FairExpectationOut), (status = 404, body = Problem)))]
async fn get_fair(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<FairExpectationOut>> {
    Ok(Json(fair::get(&state, CaseId(id)).await?))
}

/// Record what the customer considers fair, as told to the agent: it
/// becomes the answer that counts (the former ones stay in the history and
/// on the timeline).
#[utoipa::path(put, path = "/cases/{id}/fair-expectation", tag = "cases", params(("id" = Uuid, Path)),
    request_body = FairExpectationIn,
    responses((status = 200, body = FairExpectationOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn put_fair(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<FairExpectationIn>,
) -> ApiResult<Json<FairExpectationOut>> {
    Ok(Json(
        fair::set_by_agent(&state, CaseId(id), &body, actor.user.id).await?,
    ))
}

/// Expectation against what was granted and the outcome: the cases with an
/// answer grouped by granted ≥ expected (`met`), granted < expected
/// (`short`) and no amount named (`unknown`), each with mean CSAT,
/// reopen rate and retention with 95 % intervals.
#[utoipa::path(get, path = "/analytics/fairness", tag = "analytics", params(FairnessQuery),
    responses((status = 200, body = FairnessReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn fairness_report(
    Ctx { state, .. }: Ctx,
    ApiQuery(q): ApiQuery<FairnessQuery>,
) -> ApiResult<Json<FairnessReport>> {
    Ok(Json(fairness(&state, q.settle_days).await?))
}
