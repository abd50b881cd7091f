//! Tier offers: the customer's page (`/offer/{token}`, no login, in their
//! language: opened on view, accepted or declined by a button) and the
//! list with its funnel and the admin's rule (`/offers`).

use crate::state::AppState;
use crate::ui::forms::CsrfPairs;
use crate::ui::session::UiUser;
use crate::ui::{UiError, page as render_page};
use amends_app::tier_offers::{self, TierOfferSettingsIo};
use amends_domain::tier_offer::OfferState;
use amends_domain::{Language, Permission};
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;

fn public_page(state: &AppState, lang: Language, status: StatusCode, ctx: Value) -> Result<Response, UiError> {
    let html = render_page(state, "offer.html", lang, None, ctx)?;
    Ok((status, html).into_response())
}

fn invalid(state: &AppState) -> Result<Response, UiError> {
    public_page(
        state,
        Language::De,
        StatusCode::NOT_FOUND,
        context! { mode => "problem" },
    )
}

/// `GET /offer/{token}`: the offer, marked opened.
pub async fn public_get(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, UiError> {
    let Some(offer) = tier_offers::open(&state, &token).await else {
        return invalid(&state);
    };
    tier_offers::step(&state, offer.id, OfferState::Opened).await?;
    let offer = state.store().get_tier_offer(offer.id).await?;
    let lang: Language = offer.language.parse().unwrap_or(Language::De);
    public_page(
        &state,
        lang,
        StatusCode::OK,
        context! { mode => "offer", token => token, offer => Value::from_serialize(&offer) },
    )
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
}

/// `POST /offer/{token}`: accept or decline.
pub async fn public_post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(token): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, UiError> {
    let Some(offer) = tier_offers::open(&state, &token).await else {
        return invalid(&state);
    };
    let lang: Language = offer.language.parse().unwrap_or(Language::De);
    if !state.widget_limiter().allow(
        &format!("offer-ip:{}", peer.ip()),
        state.now(),
        state.config().widget_posts_per_ip_minute,
    ) {
        return Err(UiError::TooManyRequests);
    }
    let to = match form.decision.as_str() {
        "accept" => OfferState::Accepted,
        "decline" => OfferState::Declined,
        _ => {
            return public_page(
                &state,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                context! { mode => "offer", token => token, offer => Value::from_serialize(&offer), error => true },
            );
        }
    };
    tier_offers::step(&state, offer.id, to).await?;
    let offer = state.store().get_tier_offer(offer.id).await?;
    public_page(
        &state,
        lang,
        StatusCode::OK,
        context! { mode => "done", offer => Value::from_serialize(&offer) },
    )
}

async fn render(
    state: &AppState,
    ui: &UiUser,
    error: Option<String>,
    form: Option<TierOfferSettingsIo>,
) -> Result<Response, UiError> {
    let list = tier_offers::list(state).await?;
    let settings = match form {
        Some(f) => f,
        None => tier_offers::settings(state).await?,
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let html = ui.render(
        state,
        "offers.html",
        context! { nav => "dashboard", list => Value::from_serialize(&list), settings => Value::from_serialize(&settings),
        tiers => amends_domain::Tier::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        can_manage => ui.user.role.can(Permission::ManageGoodwill), error => error },
    )?;
    Ok((status, html).into_response())
}

/// `GET /offers`.
pub async fn page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    render(&state, &ui, None, None).await
}

/// `POST /offers/settings`: the rule (fields `enabled`, `up_<tier>`, `min_failures`, `window_days`, `cooldown_days`).
pub async fn save_settings(
    State(state): State<AppState>,
    CsrfPairs(ui, pairs): CsrfPairs,
) -> Result<Response, UiError> {
    let mut upgrades = BTreeMap::new();
    let (mut enabled, mut min, mut window, mut cooldown) = (false, -1, -1, -1);
    for (k, v) in &pairs {
        let n = || v.trim().parse::<i64>().unwrap_or(-1);
        match k.as_str() {
            "enabled" => enabled = v == "on" || v == "true",
            "min_failures" => min = n(),
            "window_days" => window = n(),
            "cooldown_days" => cooldown = n(),
            k => {
                if let Some(from) = k.strip_prefix("up_")
                    && !v.is_empty()
                {
                    upgrades.insert(from.to_string(), v.clone());
                }
            }
        }
    }
    let io = TierOfferSettingsIo {
        enabled,
        upgrades,
        min_failures: min,
        window_days: window,
        cooldown_days: cooldown,
    };
    match tier_offers::set_settings(&state, &io, ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to("/offers", "tier-settings-saved")),
        Err(amends_app::AppError::Validation { field, .. }) => {
            let message = state.ui().i18n().t(ui.lang(), &format!("tier-err-{field}"), &[]);
            render(&state, &ui, Some(message), Some(io)).await
        }
        Err(e) => Err(e.into()),
    }
}
