//! `/api/v1/text/models`: versions of the company sentiment model trained
//! from the corrections, with their accuracy against the shipped model on
//! the held-out corrections; admins queue a training and switch a version
//! on or off (back to the shipped model).

use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use amends_app::text_models::{self, Scheduled, TextModel};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, train))
        .routes(routes!(activate))
        .routes(routes!(deactivate))
}

/// The versions and which one this instance's analyser uses.
#[derive(Debug, Serialize, ToSchema)]
pub struct TextModelList {
    /// Newest first, at most 100.
    pub items: Vec<TextModel>,
    /// The version the answering instance uses for new feedback; none: the
    /// shipped (or configured) model. Other instances follow within seconds.
    pub in_use: Option<i64>,
}

/// The trained versions with their figures on the held-out corrections:
/// accuracy and per-class recall of the shipped and the new model, and
/// whether the new one is better. Leads and admins.
#[utoipa::path(get, path = "/text/models", tag = "feedback",
    responses((status = 200, body = TextModelList), (status = 403, body = Problem)))]
async fn list(Ctx { state, .. }: Ctx) -> ApiResult<Json<TextModelList>> {
    Ok(Json(TextModelList {
        items: text_models::list(&state).await?,
        in_use: state.text_model_version(),
    }))
}

/// Queues a training (the `text_train` job) on the corrections and the
/// weak labels of rated feedback; the new version is stored inactive.
/// Requests at once queue one training (`queued: false` and the same job
/// for the others). 422 when there is nothing to train on. Admins.
#[utoipa::path(post, path = "/text/models", tag = "feedback",
    responses((status = 202, body = Scheduled), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn train(Ctx { state, actor }: Ctx) -> ApiResult<(StatusCode, Json<Scheduled>)> {
    let scheduled = text_models::schedule(&state, actor.user.id).await?;
    Ok((StatusCode::ACCEPTED, Json(scheduled)))
}

/// Switches a version on: the analyser uses it for new feedback (this
/// instance at once, the others within seconds). Admins.
#[utoipa::path(post, path = "/text/models/{version}/activate", tag = "feedback",
    params(("version" = i64, Path, minimum = 1, maximum = 2147483647, description = "The model version")),
    responses((status = 200, body = TextModel), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn activate(Ctx { state, actor }: Ctx, Path(version): Path<String>) -> ApiResult<Json<TextModel>> {
    // Not a version number: no such version (404), not a malformed request.
    let version: i64 = version.parse().map_err(|_| ApiError::not_found("text model"))?;
    text_models::activate(&state, Some(version), actor.user.id).await?;
    Ok(Json(text_models::get(&state, version).await?))
}

/// Switches the active version off: back to the shipped (or configured)
/// model. Admins.
#[utoipa::path(post, path = "/text/models/deactivate", tag = "feedback",
    responses((status = 204, description = "The shipped model is in use"), (status = 403, body = Problem)))]
async fn deactivate(Ctx { state, actor }: Ctx) -> ApiResult<StatusCode> {
    text_models::activate(&state, None, actor.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
