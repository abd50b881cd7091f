//! The data-protection routes of a customer:
//! `GET /api/v1/customers/{id}/export` (leads, admins) and
//! `POST /api/v1/customers/{id}/erase` (admins).

use crate::api::json::ApiJson;
use crate::auth::Actor;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use amends_app::privacy;
use amends_domain::{CustomerId, Permission};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_customer))
        .routes(routes!(erase_customer))
}

/// Everything amends holds about the customer as one JSON document (a
/// download): the customer record, account, consents, cases with their
/// timelines, feedback with its analysis and corrections, surveys,
/// goodwill, outbox rows, attachments (base64), incidents that affected
/// them, the audit entries about them, and `exported_at`. Recorded in the
/// audit log as `customer.export`. Leads and admins.
#[utoipa::path(get, path = "/customers/{id}/export", tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = Object, description = "The export, with Content-Disposition: attachment"),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn export_customer(State(state): State<AppState>, actor: Actor, Path(id): Path<Uuid>) -> ApiResult<Response> {
    actor.require(Permission::ExportPersonalData)?;
    let export = privacy::export_customer(&state, CustomerId(id), actor.user.id).await?;
    let name = format!("attachment; filename=\"customer-{id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, name)], Json(export)).into_response())
}

/// The confirmation of an erasure.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseIn {
    /// The customer's id or their present name.
    pub confirm: String,
}

/// What an erasure did.
#[derive(Debug, Serialize, ToSchema)]
pub struct EraseOut {
    pub customer_id: Uuid,
    /// `true` when this request erased the data, `false` when it was erased before.
    pub erased_now: bool,
    pub erased_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Erase the customer's personal data: name, email and external id become
/// a pseudonym, every text of their cases, feedback, surveys and goodwill
/// a placeholder; attachments are deleted, mail not yet sent to them is
/// not sent, the search index and the audit details about them are
/// cleared. States, times, ratings, sentiment and amounts stay, so the
/// analytics do not change. A second erase does nothing (200,
/// `erased_now: false`). Recorded as `customer.erase`. Admins.
#[utoipa::path(post, path = "/customers/{id}/erase", tag = "customers", params(("id" = Uuid, Path)),
    request_body = EraseIn,
    responses((status = 200, body = EraseOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
async fn erase_customer(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<EraseIn>,
) -> ApiResult<Json<EraseOut>> {
    actor.require(Permission::ErasePersonalData)?;
    let out = privacy::erase_customer(&state, CustomerId(id), &body.confirm, actor.user.id).await?;
    Ok(Json(EraseOut {
        customer_id: id,
        erased_now: out.erased_now,
        erased_at: out.erased_at,
    }))
}
