//! `/api/v1/panel`: recovered customers as the feature-feedback panel's
//! segment, and invitations to it.

use crate::api::json::ApiJson;
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::panel::{self, InvitationsIn, InvitationsOut, PanelOut};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_panel)).routes(routes!(invite))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PanelQuery {
    /// `de` or `en`.
    #[param(pattern = "^(de|en)$")]
    pub language: Option<String>,
    /// `standard`, `premium` or `enterprise`.
    #[param(pattern = "^(standard|premium|enterprise)$")]
    pub tier: Option<String>,
    /// Only customers not invited yet.
    pub not_invited: Option<bool>,
}

/// Recovered customers (a survey answered with 4–5; still customers), with
/// whether each can be invited now and why not.
#[utoipa::path(get, path = "/panel", tag = "customers", params(PanelQuery),
    responses((status = 200, body = PanelOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_panel(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<PanelQuery>) -> ApiResult<Json<PanelOut>> {
    let f = panel::filter(q.language.as_deref(), q.tier.as_deref(), q.not_invited.unwrap_or(false))?;
    Ok(Json(panel::segment(&state, &f).await?))
}

/// Invite customers of the segment by mail (through the outbox, in their
/// language). Only with contact consent and an address, not above the
/// survey fatigue limit, never twice; the others are listed with the reason.
#[utoipa::path(post, path = "/panel/invitations", tag = "customers", request_body = InvitationsIn,
    responses((status = 200, body = InvitationsOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn invite(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<InvitationsIn>) -> ApiResult<Json<InvitationsOut>> {
    Ok(Json(panel::invite(&state, &body, actor.user.id).await?))
}
