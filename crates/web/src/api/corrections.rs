//! Corrections of a feedback item's sentiment and topics:
//! `POST /api/v1/feedback/{id}/corrections` (agents, leads, admins) and
//! `GET /api/v1/corrections` (leads, admins), as JSON or as the
//! `text,sentiment,language` CSV that `amends text train --data` reads.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::corrections;
use axum::Json;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(correct)).routes(routes!(list))
}

/// A correction of a feedback item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionIn {
    /// `negative`, `neutral` or `positive`.
    pub sentiment: String,
    /// Topic ids of the taxonomy (as in a feedback item's `topics`).
    #[serde(default)]
    pub topics: Vec<String>,
}

/// The stored correction.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectionCreated {
    pub id: Uuid,
}

/// Correct a feedback item's sentiment and topics; the newest correction
/// of an item wins. 422 names the invalid field (`sentiment`, `topics`).
#[utoipa::path(post, path = "/feedback/{id}/corrections", tag = "feedback", params(("id" = Uuid, Path)),
    request_body = CorrectionIn,
    responses((status = 201, body = CorrectionCreated), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn correct(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CorrectionIn>,
) -> ApiResult<Created<CorrectionCreated>> {
    let id = corrections::correct(&state, id, &body.sentiment, &body.topics, actor.user.id).await?;
    Ok(Created(CorrectionCreated { id }))
}

/// `json` (default) or `csv`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CorrectionsQuery {
    /// `json` (default) or `csv` (`text,sentiment,language`).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// The newest correction of every corrected item, newest first, with the
/// item's text and the analyser's original labels; `?format=csv` gives
/// training rows. Leads and admins.
#[utoipa::path(get, path = "/corrections", tag = "feedback", params(CorrectionsQuery),
    responses((status = 200, description = "JSON, or text/csv with `?format=csv`",
        content((Vec<Object> = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<CorrectionsQuery>) -> ApiResult<Response> {
    let rows = corrections::list(&state).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(rows).into_response()),
        Some("csv") => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"corrections.csv\""),
            ],
            corrections::to_csv(&rows)?,
        )
            .into_response()),
        Some(other) => Err(ApiError::validation(
            "format",
            format!("format must be `json` or `csv`, got `{other}`"),
        )),
    }
}
