//! Self-service answers of the widget: `GET /api/v1/public/suggestions`
//! (public articles for what the visitor types) and `POST
//! /api/v1/public/deflection` (what the visitor did with them), keyed by
//! the widget site key, with the widget's CORS and rate limits per client
//! IP.

use crate::error::{ApiError, ApiResult, Problem};
use crate::query::content_type;
use crate::state::AppState;
use crate::widget::{origin_of, preflight, site_for, with_cors};
use amends_app::self_service::{self, DeflectionEvent, Suggestion};
use amends_domain::Language;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;

/// `/api/v1/public/suggestions` and `/api/v1/public/deflection` (with the
/// widget's CORS preflight).
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/api/v1/public/suggestions",
            axum::routing::get(suggestions).options(preflight),
        )
        .route(
            "/api/v1/public/deflection",
            axum::routing::post(deflection).options(preflight),
        )
        .layer(axum::middleware::from_fn(crate::error::problem_for_plain_errors))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_MAX))
        .with_state(state)
}

/// Largest accepted body of a deflection event.
const BODY_MAX: usize = 4 * 1024;

/// Suggestion queries per client IP and minute (per instance): typing
/// asks again after each pause.
pub const SUGGESTIONS_PER_IP_MINUTE: u32 = 60;
/// Deflection events per client IP and minute (per instance).
pub const DEFLECTION_EVENTS_PER_IP_MINUTE: u32 = 120;

#[derive(Debug, Deserialize)]
pub struct SuggestQuery {
    q: Option<String>,
    key: Option<String>,
    site_key: Option<String>,
    lang: Option<String>,
}

/// Public articles for what a widget visitor types.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PublicSuggestions)]
struct Suggestions {
    /// The language the articles were looked up in.
    #[schema(example = "de")]
    language: String,
    /// At most three, best first.
    suggestions: Vec<Suggestion>,
}

/// The paths of the widget's self-service endpoints for the OpenAPI
/// document (`security: []`: keyed by the widget site key, no token).
#[derive(utoipa::OpenApi)]
#[openapi(paths(suggestions, deflection))]
pub struct PublicDoc;

/// The language asked for, else the site's.
fn language_of(raw: Option<&str>, site: Language) -> ApiResult<Language> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(site),
        Some(l) => l
            .parse()
            .map_err(|_| ApiError::validation("lang", "lang must be `de` or `en`")),
    }
}

fn limited(state: &AppState, what: &str, ip: std::net::IpAddr, limit: u32) -> ApiResult<()> {
    if state
        .widget_limiter()
        .allow(&format!("{what}:{ip}"), state.now(), limit)
    {
        Ok(())
    } else {
        Err(amends_app::AppError::TooManyRequests.into())
    }
}

/// Up to three public articles for what a widget visitor types (public,
/// keyed by the widget site key; CORS for the site's origins; at most
/// 60 queries per client IP and minute).
#[utoipa::path(get, path = "/api/v1/public/suggestions", tag = "public",
    params(
        ("q" = String, Query, description = "What the visitor typed so far", max_length = 2000),
        ("key" = String, Query, description = "The widget site key (`site_key` is accepted too)"),
        ("lang" = Option<String>, Query, description = "`de` or `en`; default the site's language", pattern = "^(de|en)$"),
    ),
    responses((status = 200, body = Suggestions), (status = 403, description = "The site is disabled or the origin is not allowed", body = Problem),
        (status = 404, description = "No site has this key", body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn suggestions(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<SuggestQuery>,
    headers: HeaderMap,
) -> Response {
    let origin = origin_of(&headers);
    let key = q.key.clone().or(q.site_key.clone());
    // An allowed page may read why a request failed (422, 429); others
    // learn nothing: CORS only once the site accepted the origin.
    let mut cors = None;
    let res = async {
        let site = site_for(&state, key.as_deref(), origin.as_deref()).await?;
        cors.clone_from(&origin);
        limited(&state, "suggest", peer.ip(), SUGGESTIONS_PER_IP_MINUTE)?;
        let lang = language_of(q.lang.as_deref(), site.language)?;
        let text = q.q.as_deref().unwrap_or_default();
        let suggestions = self_service::suggest(&state, text, lang).await?;
        Ok::<_, ApiError>(
            axum::Json(Suggestions {
                language: lang.code().into(),
                suggestions,
            })
            .into_response(),
        )
    }
    .await;
    with_cors(res.unwrap_or_else(IntoResponse::into_response), cors.as_deref())
}

/// A deflection event of the widget.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct DeflectionIn {
    /// The widget site key (or `site_key`, or in the query).
    key: Option<String>,
    site_key: Option<String>,
    /// The widget's session token (one visit).
    session: Option<String>,
    /// `suggested`, `clicked`, `sent_anyway` or `resolved_without_sending`.
    #[schema(value_type = Option<DeflectionEvent>)]
    event: Option<String>,
    /// The suggested article.
    #[schema(format = Uuid)]
    article_id: Option<String>,
    /// `de` or `en`; default the site's language.
    lang: Option<String>,
}

/// Whether an event was new.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Recorded {
    /// False when the same session, article and event were recorded before.
    recorded: bool,
}

/// What a widget visitor did with a suggested article (public, keyed by
/// the widget site key; each session, article and event counts once:
/// 201 when recorded, 200 when it was before; at most 120 events per
/// client IP and minute). JSON, also sent as `text/plain` by `sendBeacon`.
#[utoipa::path(post, path = "/api/v1/public/deflection", tag = "public", request_body = DeflectionIn,
    responses((status = 201, body = Recorded), (status = 200, body = Recorded), (status = 400, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn deflection(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<SuggestQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let origin = origin_of(&headers);
    let mut cors = None;
    let res = record(&state, peer, q, origin.as_deref(), &headers, body, &mut cors).await;
    let res = res.unwrap_or_else(IntoResponse::into_response);
    with_cors(res, cors.as_deref())
}

async fn record(
    state: &AppState,
    peer: SocketAddr,
    q: SuggestQuery,
    origin: Option<&str>,
    headers: &HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
    cors: &mut Option<String>,
) -> ApiResult<Response> {
    let body = body.map_err(|e| ApiError::unreadable_body(&e, "4 KiB", ""))?;
    let ct = content_type(headers);
    if !(ct.starts_with("application/json") || ct.starts_with("text/plain")) {
        return Err(ApiError::unsupported_media_type(
            "send the event as JSON (application/json)",
        ));
    }
    let p: DeflectionIn = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not the widget's JSON: {e}")))?;
    let key = q.key.or(q.site_key).or(p.key).or(p.site_key);
    let site = site_for(state, key.as_deref(), origin).await?;
    *cors = origin.map(str::to_string);
    limited(state, "deflect", peer.ip(), DEFLECTION_EVENTS_PER_IP_MINUTE)?;
    let session = p
        .session
        .ok_or_else(|| ApiError::validation("session", "give the widget's session token"))?;
    let event = DeflectionEvent::parse(p.event.as_deref().unwrap_or_default())?;
    let article = p
        .article_id
        .as_deref()
        .and_then(|a| Uuid::parse_str(a.trim()).ok())
        .ok_or_else(|| ApiError::validation("article_id", "article_id must be the id of a suggested article"))?;
    let lang = language_of(p.lang.as_deref(), site.language)?;
    let new = self_service::record(state, site.id, &session, article, event, lang).await?;
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(Recorded { recorded: new })).into_response())
}
