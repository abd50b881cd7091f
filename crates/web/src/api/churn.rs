//! `/api/v1/analytics/churn`: the active churn model (AUC, calibration,
//! risk drivers) and the open cases ranked by churn risk × customer value;
//! agents see their own cases only. `POST …/churn/train` queues a training
//! (admins).

use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::{ApiQuery, ChurnQuery};
use crate::state::AppState;
use amends_app::analytics::churn::{self, ChurnReport};
use amends_app::analytics::churn_words;
use amends_domain::Permission;
use axum::Json;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_churn))
        .routes(routes!(train_churn))
}

/// The churn report with its figures in words in the caller's language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChurnOut {
    #[serde(flatten)]
    pub report: ChurnReport,
    /// What the AUC means; none without a model.
    pub auc_statement: Option<String>,
    /// One sentence per driver, in the order of `model.drivers`.
    pub driver_statements: Vec<String>,
}

/// The active churn model — version, held-out AUC, calibration table by
/// deciles of predicted risk (with Wilson intervals), coefficients — and the
/// open cases ranked by risk × customer value. Agents see their own cases.
#[utoipa::path(get, path = "/analytics/churn", tag = "analytics", params(ChurnQuery),
    responses((status = 200, body = ChurnOut), (status = 422, body = Problem)))]
async fn get_churn(Ctx { state, actor }: Ctx, ApiQuery(q): ApiQuery<ChurnQuery>) -> ApiResult<Json<ChurnOut>> {
    let own = (!actor.user.role.can(Permission::ReadAudit)).then_some(actor.user.id.0);
    let report = churn::report(&state, own, q.limit).await?;
    let (i18n, lang) = (state.ui().i18n(), actor.user.language);
    let (auc_statement, driver_statements) = report.model.as_ref().map_or((None, Vec::new()), |m| {
        (
            Some(churn_words::auc(i18n, lang, m)),
            m.drivers.iter().map(|d| churn_words::driver(i18n, lang, d)).collect(),
        )
    });
    Ok(Json(ChurnOut {
        report,
        auc_statement,
        driver_statements,
    }))
}

/// A queued training of the churn model.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrainOut {
    /// The job, none if one for the same key was queued already.
    pub job_id: Option<uuid::Uuid>,
}

/// Queues a training of the churn model (the `churn_train` job); the new
/// version becomes active when it is done (admins).
#[utoipa::path(post, path = "/analytics/churn/train", tag = "analytics",
    responses((status = 202, body = TrainOut), (status = 403, body = Problem)))]
async fn train_churn(Ctx { state, .. }: Ctx) -> ApiResult<(StatusCode, Json<TrainOut>)> {
    let job_id = churn::schedule(&state, None).await?;
    Ok((StatusCode::ACCEPTED, Json(TrainOut { job_id })))
}
