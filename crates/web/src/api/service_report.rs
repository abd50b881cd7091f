//! The service report of a resolved case ("what we did for you"): read it
//! as the customer would get it, or send it on its own.

use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use amends_app::followup::service_report::{self, ReportQueued, ServiceReportOut};
use amends_domain::CaseId;
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_report, send_report))
}

/// The case's service report in the customer's language: time to resolve,
/// messages sent, goodwill granted, playbook steps checked off, whether
/// the customer was told first. `report` and `text` are `null` while the
/// case is not resolved. The satisfaction survey carries the same report.
#[utoipa::path(get, path = "/cases/{id}/service-report", tag = "follow-up", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceReportOut), (status = 404, body = Problem)))]
async fn get_report(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<ServiceReportOut>> {
    Ok(Json(service_report::get(&state, CaseId(id)).await?))
}

/// Send the report to the customer on its own, through the outbox; once
/// per resolution (again: `queued` false and the same job). 409 while the
/// case is not resolved; 422 when the customer has no address or does not
/// want to be contacted.
#[utoipa::path(post, path = "/cases/{id}/service-report", tag = "follow-up", params(("id" = Uuid, Path)),
    responses((status = 202, body = ReportQueued), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn send_report(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<(StatusCode, Json<ReportQueued>)> {
    let q = service_report::send(&state, CaseId(id), actor.user.id).await?;
    Ok((StatusCode::ACCEPTED, Json(q)))
}
