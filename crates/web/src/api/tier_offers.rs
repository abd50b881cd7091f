//! `/api/v1/tier-offers`: tier upgrade offers with their funnel; the
//! admin's rule under `/api/v1/settings/tier-offers`.

use crate::api::json::ApiJson;
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::state::AppState;
use amends_app::tier_offers::{self, TierOfferSettingsIo, TierOffersOut};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_offers))
        .routes(routes!(get_settings, put_settings))
}

/// Every offer (newest first, at most 500) with the funnel: offered,
/// opened, accepted, converted, and the conversion rate.
#[utoipa::path(get, path = "/tier-offers", tag = "customers",
    responses((status = 200, body = TierOffersOut), (status = 403, body = Problem)))]
async fn list_offers(Ctx { state, .. }: Ctx) -> ApiResult<Json<TierOffersOut>> {
    Ok(Json(tier_offers::list(&state).await?))
}

/// The rule for tier offers.
#[utoipa::path(get, path = "/settings/tier-offers", tag = "customers",
    responses((status = 200, body = TierOfferSettingsIo), (status = 403, body = Problem)))]
async fn get_settings(Ctx { state, .. }: Ctx) -> ApiResult<Json<TierOfferSettingsIo>> {
    Ok(Json(tier_offers::settings(&state).await?))
}

/// Change the rule (admins): which tier is offered which, how many cases
/// within how many days, and the cooldown between two offers.
#[utoipa::path(put, path = "/settings/tier-offers", tag = "customers", request_body = TierOfferSettingsIo,
    responses((status = 200, body = TierOfferSettingsIo), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn put_settings(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<TierOfferSettingsIo>,
) -> ApiResult<Json<TierOfferSettingsIo>> {
    Ok(Json(tier_offers::set_settings(&state, &body, actor.user.id).await?))
}
