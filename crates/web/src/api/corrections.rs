//! Corrections of a feedback item's sentiment and topics:
//! `POST /api/v1/feedback/{id}/corrections` (agents, leads, admins) and
//! `GET /api/v1/corrections` (leads, admins), as JSON or as the
//! `text,sentiment,language` CSV that `amends text train --data` reads.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::{ApiQuery, parse_cursor};
use crate::state::AppState;
use amends_app::corrections;
use amends_store::Correction;
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
    #[schema(value_type = crate::vocab::Sentiment)]
    pub sentiment: String,
    /// Topic ids of the taxonomy (as in a feedback item's `topics`), at most 20.
    #[schema(value_type = Vec<crate::vocab::Topic>, max_items = 20)]
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

/// The format and, for JSON, the page.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CorrectionsQuery {
    /// `json` (default, paged) or `csv` (`text,sentiment,language`, every
    /// corrected item in one file).
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// `next_cursor` of the previous page (JSON only).
    pub cursor: Option<String>,
    /// Items per page, 1–200, default 50 (JSON only).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// The newest correction of a corrected feedback item.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectionOut {
    pub id: Uuid,
    pub feedback_id: Uuid,
    /// Who corrected it.
    pub user_id: Uuid,
    pub user_name: String,
    /// The team's sentiment: `negative`, `neutral` or `positive`.
    pub sentiment: String,
    /// The team's topic ids.
    pub topics: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The feedback text.
    pub text: String,
    /// `de` or `en`.
    pub language: String,
    /// The analyser's sentiment.
    pub original_sentiment: String,
    /// The analyser's topic ids.
    pub original_topics: Vec<String>,
}

impl From<Correction> for CorrectionOut {
    fn from(c: Correction) -> Self {
        CorrectionOut {
            topics: c.topic_list(),
            original_topics: c.original_topic_list(),
            id: c.id,
            feedback_id: c.feedback_id,
            user_id: c.user_id,
            user_name: c.user_name,
            sentiment: c.sentiment,
            created_at: c.created_at,
            text: c.text,
            language: c.language,
            original_sentiment: c.original_sentiment,
        }
    }
}

/// One page of corrections.
#[derive(Debug, Serialize, ToSchema)]
pub struct CorrectionList {
    pub items: Vec<CorrectionOut>,
    /// Pass as `cursor` for the next page; none on the last page.
    pub next_cursor: Option<String>,
}

/// The newest correction of every corrected item, newest first, with the
/// item's text and the analyser's original labels, by cursor pagination;
/// `?format=csv` gives every item as training rows. Leads and admins.
#[utoipa::path(get, path = "/corrections", tag = "feedback", params(CorrectionsQuery),
    responses((status = 200, description = "A page of corrections, or with `?format=csv` the training rows",
            content((CorrectionList = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<CorrectionsQuery>) -> ApiResult<Response> {
    match q.format.as_deref() {
        None | Some("json") => {
            let limit = q.limit.unwrap_or(50);
            if !(1..=200).contains(&limit) {
                return Err(ApiError::validation(
                    "limit",
                    format!("limit must be 1 to 200, got {limit}"),
                ));
            }
            let page = corrections::page(&state, parse_cursor(q.cursor.as_deref())?.as_ref(), limit).await?;
            Ok(Json(CorrectionList {
                items: page.items.into_iter().map(CorrectionOut::from).collect(),
                next_cursor: page.next_cursor,
            })
            .into_response())
        }
        Some("csv") => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"corrections.csv\""),
            ],
            corrections::to_csv(&corrections::list(&state).await?)?,
        )
            .into_response()),
        Some(other) => Err(ApiError::validation(
            "format",
            format!("format must be `json` or `csv`, got `{other}`"),
        )),
    }
}
