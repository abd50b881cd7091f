//! `/api/v1/training/cases`: resolved cases as anonymised case studies,
//! picked by outcome (best or failed recoveries); one study as JSON or,
//! with `?format=markdown`, as a Markdown file. Leads and admins.

use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::training::{self, CaseStudy, TrainingList, TrainingQuery};
use amends_domain::CaseId;
use axum::Json;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases))
        .routes(routes!(get_case))
}

/// The best (default) or failed recoveries resolved in the period, the
/// clearest first, at most 50; anonymised, amounts rounded.
#[utoipa::path(get, path = "/training/cases", tag = "analytics", params(TrainingQuery),
    responses((status = 200, body = TrainingList), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_cases(Ctx { state, actor }: Ctx, ApiQuery(q): ApiQuery<TrainingQuery>) -> ApiResult<Json<TrainingList>> {
    let lang = actor.user.language;
    Ok(Json(training::list(&state, state.ui().i18n(), lang, &q).await?))
}

/// `json` (default) or `markdown`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StudyQuery {
    /// `json` (default) or `markdown` (a `.md` download).
    #[param(pattern = "^(json|markdown)$")]
    pub format: Option<String>,
}

/// The case study of a resolved or closed case: situation, what was done
/// (in days since the case was opened), outcome and questions for
/// discussion, in the caller's language; no name, contact detail or id of
/// the customer. 404 for a case that is still open.
#[utoipa::path(get, path = "/training/cases/{id}", tag = "analytics", params(("id" = Uuid, Path), StudyQuery),
    responses((status = 200, description = "JSON, or text/markdown with `?format=markdown`",
        content((CaseStudy = "application/json"), (String = "text/markdown"))),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn get_case(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiQuery(q): ApiQuery<StudyQuery>,
) -> ApiResult<Response> {
    let lang = actor.user.language;
    let i18n = state.ui().i18n();
    let study = training::study(&state, i18n, lang, CaseId(id)).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(study).into_response()),
        Some("markdown") => Ok((
            [
                (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"training-{}.md\"", id.simple()),
                ),
            ],
            training::markdown(i18n, lang, &study),
        )
            .into_response()),
        Some(other) => Err(ApiError::validation(
            "format",
            format!("format must be `json` or `markdown`, got `{other}`"),
        )),
    }
}
