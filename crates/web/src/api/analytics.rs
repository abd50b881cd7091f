//! `/api/v1/analytics/*`: the dashboard's key figures and the service
//! recovery paradox. Agents see their own cases only; leads and admins the
//! team, optionally narrowed to one agent.

use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::{AnalyticsQuery, ApiQuery, RoiQuery};
use crate::state::AppState;
use amends_app::analytics::kpis::{self, Dashboard};
use amends_app::analytics::paradox::{self, ParadoxReport};
use amends_app::analytics::statement;
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_kpis))
        .routes(routes!(get_paradox))
        .routes(routes!(get_roi))
}

/// Key figures of a period beside the previous period, the trend (new
/// cases, backlog, CSAT), complaints by weekday × hour, and retention of
/// never-failed, recovered and not recovered customers.
#[utoipa::path(get, path = "/analytics/kpis", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, body = Dashboard), (status = 422, body = Problem)))]
async fn get_kpis(Ctx { state, actor }: Ctx, ApiQuery(q): ApiQuery<AnalyticsQuery>) -> ApiResult<Json<Dashboard>> {
    let scope = q.scope(state.now(), &actor.user)?;
    Ok(Json(kpis::dashboard(&state, &scope, q.settle_days).await?))
}

/// The paradox report with a sentence per cell in the caller's language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParadoxOut {
    #[serde(flatten)]
    pub report: ParadoxReport,
    /// One sentence per cell, in the order of `cells`, in the caller's language.
    pub statements: Vec<String>,
    /// The overall finding in words.
    pub summary: String,
}

/// The service recovery paradox: never-failed against recovered and not
/// recovered customers, the recovered split by severity, first or repeated
/// failure, controllability, response time and goodwill — with 95 %
/// intervals, Welch's t-test (satisfaction) or the two-proportion z-test
/// (retention), Benjamini–Hochberg over the cells, and n everywhere.
#[utoipa::path(get, path = "/analytics/paradox", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, body = ParadoxOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn get_paradox(Ctx { state, actor }: Ctx, ApiQuery(q): ApiQuery<AnalyticsQuery>) -> ApiResult<Json<ParadoxOut>> {
    let scope = q.scope(state.now(), &actor.user)?;
    let report = paradox::report(&state, &scope, q.outcome.unwrap_or_default(), q.settle_days).await?;
    let lang = actor.user.language;
    let statements = report
        .cells
        .iter()
        .map(|c| statement::cell(state.ui().i18n(), lang, &report, c))
        .collect();
    let summary = statement::summary(state.ui().i18n(), lang, &report);
    Ok(Json(ParadoxOut {
        report,
        statements,
        summary,
    }))
}

/// Does recovery pay? The cost of recovery (goodwill + handling time ×
/// hourly cost) against the revenue kept by the higher retention of
/// recovered customers and the acquisition cost saved: ROI and payback,
/// also at both ends of the retention uplift's 95 % interval.
#[utoipa::path(get, path = "/analytics/roi", tag = "analytics", params(RoiQuery),
    responses((status = 200, body = amends_app::analytics::roi::RoiReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn get_roi(
    Ctx { state, actor }: Ctx,
    ApiQuery(q): ApiQuery<RoiQuery>,
) -> ApiResult<Json<amends_app::analytics::roi::RoiReport>> {
    let scope = q.analytics().scope(state.now(), &actor.user)?;
    Ok(Json(
        amends_app::analytics::roi::report(&state, &scope, q.what_if(), q.settle_days).await?,
    ))
}
