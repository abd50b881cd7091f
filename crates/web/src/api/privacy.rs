//! The data-protection routes of a customer:
//! `GET /api/v1/customers/{id}/export` (leads, admins) and
//! `POST /api/v1/customers/{id}/erase` (admins), and the retention
//! setting `GET|PUT /api/v1/privacy/retention` (admins).

use crate::api::json::ApiJson;
use crate::auth::{Actor, Ctx};
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
        .routes(routes!(get_retention, set_retention))
}

/// Everything amends holds about the customer as one JSON document (a
/// download): the customer record, account, consents, cases with their
/// timelines, feedback with its analysis and corrections, surveys,
/// goodwill, outbox rows, attachments (base64), incidents that affected
/// them, the audit entries about them, what they said was fair, tier
/// offers, panel membership, their reports under teams' insights, and
/// `exported_at`. Recorded in the
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

/// The retention of closed cases.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionOut {
    /// Closed cases are anonymised this many months after they were
    /// closed (a daily job); `null`: off, cases are kept.
    #[schema(minimum = 1, maximum = 240)]
    pub months: Option<i32>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// A new retention setting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionIn {
    /// 1 to 240 months, or `null` to keep closed cases (off).
    #[schema(minimum = 1, maximum = 240)]
    pub months: Option<i64>,
}

impl From<amends_store::RetentionSetting> for RetentionOut {
    fn from(s: amends_store::RetentionSetting) -> Self {
        Self {
            months: s.months,
            updated_at: s.updated_at,
        }
    }
}

/// The retention setting: after how many months closed cases are
/// anonymised (admins).
#[utoipa::path(get, path = "/privacy/retention", tag = "customers",
    responses((status = 200, body = RetentionOut), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn get_retention(Ctx { state, .. }: Ctx) -> ApiResult<Json<RetentionOut>> {
    Ok(Json(amends_app::retention::setting(&state).await?.into()))
}

/// Set the retention: a daily job anonymises closed cases this many
/// months after closing, like an erasure at case level (texts,
/// attachments and message addresses go; states, times, ratings and
/// amounts stay). A customer left with nothing but anonymised cases is
/// erased too. `null` switches it off. Recorded as
/// `privacy.retention.set`; each anonymised case as `case.anonymise`. Admins.
#[utoipa::path(put, path = "/privacy/retention", tag = "customers", request_body = RetentionIn,
    responses((status = 200, body = RetentionOut), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
async fn set_retention(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<RetentionIn>,
) -> ApiResult<Json<RetentionOut>> {
    Ok(Json(
        amends_app::retention::set(&state, body.months, actor.user.id)
            .await?
            .into(),
    ))
}
