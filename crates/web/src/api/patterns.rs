//! `/api/v1/analytics/patterns` and `/api/v1/change-events`: where and when
//! complaints come more often than their baseline, and the releases,
//! outages and price changes they are compared around (leads and admins).

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::{ApiQuery, PatternsQuery};
use crate::state::AppState;
use amends_app::analytics::pattern_words::{self, Names};
use amends_app::analytics::patterns::{self, ChangeEventOut, PatternReport};
use amends_app::analytics::spikes::{self, ChangeEventInput};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_patterns))
        .routes(routes!(list_change_events, create_change_event))
}

/// The patterns report with a sentence per cell in the caller's language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PatternsOut {
    #[serde(flatten)]
    pub report: PatternReport,
    /// One sentence per cell, in the order of `cells`, in the caller's language.
    pub statements: Vec<String>,
    /// The overall finding in words.
    pub summary: String,
}

/// Complaint rates by weekday × hour, agent, channel, topic and around
/// change events, each against its baseline with an exact binomial test,
/// Benjamini–Hochberg over all cells tested; cells under 30 trials are not
/// judged.
#[utoipa::path(get, path = "/analytics/patterns", tag = "analytics", params(PatternsQuery),
    responses((status = 200, body = PatternsOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn get_patterns(Ctx { state, actor }: Ctx, ApiQuery(q): ApiQuery<PatternsQuery>) -> ApiResult<Json<PatternsOut>> {
    let report = patterns::report(&state, q.days, q.channel, q.tier, q.window_days).await?;
    let names = Names {
        agents: state
            .store()
            .list_users()
            .await
            .map_err(amends_app::AppError::from)?
            .into_iter()
            .map(|u| (u.id.0, u.display_name))
            .collect(),
    };
    let i18n = state.ui().i18n();
    let lang = actor.user.language;
    let statements = report
        .cells
        .iter()
        .map(|c| pattern_words::sentence(i18n, lang, &report, &names, c))
        .collect();
    let summary = pattern_words::summary(i18n, lang, &report, &names);
    Ok(Json(PatternsOut {
        report,
        statements,
        summary,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangeEventsQuery {
    /// 1–500, default 100
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Change events, newest first.
#[utoipa::path(get, path = "/change-events", tag = "analytics", params(ChangeEventsQuery),
    responses((status = 200, body = Vec<ChangeEventOut>), (status = 422, body = Problem)))]
async fn list_change_events(
    Ctx { state, .. }: Ctx,
    ApiQuery(q): ApiQuery<ChangeEventsQuery>,
) -> ApiResult<Json<Vec<ChangeEventOut>>> {
    let list = spikes::list_change_events(&state, q.limit).await?;
    Ok(Json(list.iter().map(ChangeEventOut::from).collect()))
}

/// A release, outage, price change or other change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEventIn {
    /// release, outage, price_change, other
    #[schema(value_type = crate::vocab::ChangeKind)]
    pub kind: String,
    pub title: String,
    pub component: Option<String>,
    /// When the change happened (RFC 3339).
    pub at: DateTime<Utc>,
}

/// Record a change event (leads and admins); audited.
#[utoipa::path(post, path = "/change-events", tag = "analytics", request_body = ChangeEventIn,
    responses((status = 201, body = ChangeEventOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_change_event(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<ChangeEventIn>,
) -> ApiResult<Created<ChangeEventOut>> {
    let input = ChangeEventInput {
        kind: body.kind,
        title: body.title,
        component: body.component,
        at: Some(body.at),
    };
    let e = spikes::create_change_event(&state, &input, actor.user.id).await?;
    Ok(Created(ChangeEventOut::from(&e)))
}
