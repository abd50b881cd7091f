//! `/api/v1/risks`: the risk register — the areas failures come from,
//! ranked by failure rate × cost, each with its playbook or flagged
//! without one (leads and admins).

use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::analytics::risks::{self, AreaKindName, Period, RiskRegister};
use amends_domain::risk::AreaKind;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_risks))
}

/// The register's period and kind of area.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RisksQuery {
    /// Start (RFC 3339); default 90 days before `to`. At most 366 days before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End (RFC 3339, exclusive); default now.
    pub to: Option<DateTime<Utc>>,
    /// Only areas of this kind; default all.
    #[param(value_type = Option<AreaKindName>)]
    pub kind: Option<AreaKind>,
}

/// The risk register: per area (feedback topic, product component,
/// incident kind, release) the feedback items and complaints of the
/// period, the failure rate with its Wilson 95 % interval, the cost
/// (goodwill on the failures' cases + lifetime value of their customers
/// who left), the score rate × cost, the trend against the period before,
/// and the playbook the area's failures would get (none: flagged).
#[utoipa::path(get, path = "/risks", tag = "analytics", params(RisksQuery),
    responses((status = 200, body = RiskRegister), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn get_risks(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<RisksQuery>) -> ApiResult<Json<RiskRegister>> {
    let period = Period::resolve(state.now(), q.from, q.to)?;
    Ok(Json(risks::register(&state, period, q.kind).await?))
}
