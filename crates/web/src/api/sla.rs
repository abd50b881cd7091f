//! `/api/v1/sla-policies`: SLA targets and calendars per tier and priority.

use crate::api::json::ApiJson;
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use amends_app::sla::{EffectivePolicy, effective_policies, set_policy};
use amends_domain::calendar::CalendarSpec;
use amends_domain::{Priority, Tier};
use axum::Json;
use axum::extract::Path;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_policies))
        .routes(routes!(put_policy))
        .routes(routes!(sla_report))
}

/// The twelve SLA policies (tier × priority), stored or built in.
#[utoipa::path(get, path = "/sla-policies", tag = "cases", responses((status = 200, body = Vec<EffectivePolicy>)))]
async fn list_policies(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<EffectivePolicy>>> {
    Ok(Json(effective_policies(&state).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyIn {
    /// 1 to 525,600 minutes (a year), at most `resolution_minutes`.
    #[schema(example = 240, minimum = 1, maximum = 525_600)]
    first_response_minutes: i64,
    /// 1 to 525,600 minutes (a year).
    #[schema(example = 2880, minimum = 1, maximum = 525_600)]
    resolution_minutes: i64,
    /// Business hours, e.g. `{"timezone":"Europe/Berlin","week":{"mon":[["09:00","17:00"]]},"holidays":["2026-12-25"]}`;
    /// `null` or absent: around the clock.
    #[schema(value_type = Option<Object>)]
    calendar: Option<CalendarSpec>,
}

/// Set the policy of one tier and priority (admins). New cases use it at once.
#[utoipa::path(put, path = "/sla-policies/{tier}/{priority}", tag = "cases", request_body = PolicyIn,
    params(("tier" = crate::vocab::Tier, Path), ("priority" = crate::vocab::Priority, Path)),
    responses((status = 200, body = EffectivePolicy), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_policy(
    Ctx { state, actor }: Ctx,
    Path((tier, priority)): Path<(String, String)>,
    ApiJson(body): ApiJson<PolicyIn>,
) -> ApiResult<Json<EffectivePolicy>> {
    let tier: Tier = tier.parse()?;
    let priority: Priority = priority.parse()?;
    set_policy(
        &state,
        tier,
        priority,
        body.first_response_minutes,
        body.resolution_minutes,
        body.calendar,
        actor.user.id,
    )
    .await?;
    let all = effective_policies(&state).await?;
    let p = all
        .into_iter()
        .find(|p| p.tier == tier.as_str() && p.priority == priority.as_str())
        .ok_or_else(|| crate::error::ApiError::internal("policy vanished"))?;
    Ok(Json(p))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Start (RFC 3339); default 30 days before `to`.
    from: Option<chrono::DateTime<chrono::Utc>>,
    /// End (RFC 3339); default now.
    to: Option<chrono::DateTime<chrono::Utc>>,
}

/// SLA attainment (% of first responses and resolutions in time) of the
/// cases created in a period: overall, per policy and per agent (leads, admins).
#[utoipa::path(get, path = "/reports/sla", tag = "cases", params(ReportQuery),
    responses((status = 200, body = amends_app::sla::SlaReport), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn sla_report(
    Ctx { state, .. }: Ctx,
    crate::query::ApiQuery(q): crate::query::ApiQuery<ReportQuery>,
) -> ApiResult<Json<amends_app::sla::SlaReport>> {
    let to = q.to.unwrap_or_else(|| state.now());
    let from = q.from.unwrap_or(to - chrono::Duration::days(30));
    Ok(Json(amends_app::sla::report(&state, from, to).await?))
}
