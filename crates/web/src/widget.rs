//! The feedback widget: sites (public keys, allowed origins, micro-survey
//! settings), the embedded `/widget.js`, and the public, unauthenticated
//! endpoints it talks to (`/api/v1/public/widget-config`,
//! `/api/v1/public/feedback`) with CORS limited to a site's origins, a
//! honeypot and rate limits per client IP and per site key.

use crate::error::{ApiError, ApiResult};
use crate::query::content_type;
use crate::state::AppState;
use amends_app::detection::{self, FeedbackInput};
use amends_store::WidgetSite;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

/// The widget script, served as is (no build step).
const WIDGET_JS: &str = include_str!("../assets/widget.js");

/// Most characters of a widget comment.
pub const COMMENT_MAX: usize = 5000;

/// Largest accepted request body of a public post.
const BODY_MAX: usize = 32 * 1024;

/// The public routes: `/widget.js` and `/api/v1/public/*`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/widget.js", get(widget_js))
        .route("/api/v1/public/widget-config", get(config).options(preflight))
        .route(
            "/api/v1/public/feedback",
            axum::routing::post(post_feedback).options(preflight),
        )
        .layer(axum::middleware::from_fn(crate::error::problem_for_plain_errors))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_MAX))
        .with_state(state)
}

async fn widget_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct KeyQuery {
    site_key: Option<String>,
    /// The suggestion and deflection endpoints name the site key `key`.
    pub(crate) key: Option<String>,
}

pub(crate) fn origin_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s != "null")
}

/// Adds the CORS headers for an allowed origin.
pub(crate) fn with_cors(mut res: Response, origin: Option<&str>) -> Response {
    let h = res.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(o) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
    }
    res
}

/// The enabled site for `key` whose allowed origins contain `origin`.
pub(crate) async fn site_for(state: &AppState, key: Option<&str>, origin: Option<&str>) -> ApiResult<WidgetSite> {
    let key = key
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ApiError::validation("site_key", "give the site key (data-site-key of the widget script)"))?;
    if key.len() > 100 {
        return Err(ApiError::not_found("widget site key"));
    }
    let site = state
        .store()
        .find_widget_site_by_key(key)
        .await?
        .ok_or_else(|| ApiError::not_found("widget site key"))?;
    if !site.enabled {
        return Err(ApiError::forbidden("this widget site is disabled"));
    }
    let Some(origin) = origin else {
        return Err(ApiError::forbidden(
            "the widget posts from a web page; the Origin header is missing",
        ));
    };
    if !site.allows_origin(origin) {
        return Err(ApiError::forbidden(format!(
            "origin `{}` is not allowed for this site; add it to the site's allowed origins",
            origin.chars().take(200).collect::<String>()
        )));
    }
    Ok(site)
}

/// CORS preflight: 204 with the CORS headers for an allowed origin, else 403.
pub(crate) async fn preflight(
    State(state): State<AppState>,
    Query(q): Query<KeyQuery>,
    headers: HeaderMap,
) -> Response {
    let origin = origin_of(&headers);
    match site_for(&state, q.site_key.or(q.key).as_deref(), origin.as_deref()).await {
        Ok(_) => {
            let mut res = with_cors(StatusCode::NO_CONTENT.into_response(), origin.as_deref());
            let h = res.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type"),
            );
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            res
        }
        Err(e) => with_cors(e.into_response(), None),
    }
}

/// What the widget needs to render: its language and the micro-survey.
#[derive(Debug, Serialize)]
struct WidgetConfig {
    language: String,
    survey: Option<SurveyConfig>,
}

#[derive(Debug, Serialize)]
struct SurveyConfig {
    question: String,
    trigger: String,
    after_seconds: Option<i32>,
    period_days: i32,
}

async fn config(State(state): State<AppState>, Query(q): Query<KeyQuery>, headers: HeaderMap) -> Response {
    let origin = origin_of(&headers);
    match site_for(&state, q.site_key.as_deref(), origin.as_deref()).await {
        Ok(site) => {
            let question = if site.language == amends_domain::Language::En {
                site.survey_question_en.clone().or(site.survey_question_de.clone())
            } else {
                site.survey_question_de.clone().or(site.survey_question_en.clone())
            };
            let survey = match (site.survey_trigger.clone(), question) {
                (Some(trigger), Some(question)) => Some(SurveyConfig {
                    question,
                    trigger,
                    after_seconds: site.survey_after_seconds,
                    period_days: site.survey_period_days,
                }),
                _ => None,
            };
            let body = axum::Json(WidgetConfig {
                language: site.language.code().into(),
                survey,
            });
            with_cors(body.into_response(), origin.as_deref())
        }
        Err(e) => with_cors(e.into_response(), None),
    }
}

/// A post of the widget. `website` is the honeypot: people never see it.
#[derive(Debug, Deserialize)]
struct PublicFeedback {
    site_key: Option<String>,
    rating: Option<i64>,
    #[serde(default)]
    comment: String,
    email: Option<String>,
    /// A random id the widget keeps per browser (anonymous visitors).
    visitor: Option<String>,
    page: Option<String>,
    /// The micro-survey question this comment answers.
    survey_question: Option<String>,
    /// The product component of the page (the script's `data-component`).
    component: Option<String>,
    #[serde(default)]
    website: String,
}

fn accepted() -> Response {
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"status": "accepted"})),
    )
        .into_response()
}

async fn post_feedback(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<KeyQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let origin = origin_of(&headers);
    let mut cors: Option<String> = None;
    let res = handle_post(&state, peer.ip(), q, origin.as_deref(), &headers, body, &mut cors).await;
    let res = match res {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    with_cors(res, cors.as_deref())
}

async fn handle_post(
    state: &AppState,
    ip: IpAddr,
    q: KeyQuery,
    origin: Option<&str>,
    headers: &HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
    cors: &mut Option<String>,
) -> ApiResult<Response> {
    let now = state.now();
    let cfg = state.config();
    if !state
        .widget_limiter()
        .allow(&format!("ip:{ip}"), now, cfg.widget_posts_per_ip_minute)
    {
        // Let an allowed page read the 429.
        if let Ok(site) = site_for(state, q.site_key.as_deref(), origin).await {
            let _ = site;
            *cors = origin.map(str::to_string);
        }
        return Err(amends_app::AppError::TooManyRequests.into());
    }
    let limit = format!("{} KiB", BODY_MAX / 1024);
    let body = body.map_err(|e| ApiError::unreadable_body(&e, &limit, ""))?;
    let ct = content_type(headers);
    // text/plain is accepted too: it spares the browser the preflight.
    if !(ct.starts_with("application/json") || ct.starts_with("text/plain")) {
        return Err(ApiError::unsupported_media_type(
            "send the feedback as JSON (application/json)",
        ));
    }
    let p: PublicFeedback = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not the widget's JSON: {e}")))?;
    let key = q.site_key.or(p.site_key.clone());
    let site = site_for(state, key.as_deref(), origin).await?;
    *cors = origin.map(str::to_string);
    if !state.widget_limiter().allow(
        &format!("site:{}", site.site_key),
        now,
        cfg.widget_posts_per_site_minute,
    ) {
        return Err(amends_app::AppError::TooManyRequests.into());
    }
    if !p.website.trim().is_empty() {
        tracing::info!(site = %site.site_key, "widget honeypot filled; post dropped");
        return Ok(accepted());
    }
    let comment = p.comment.trim();
    if comment.chars().count() > COMMENT_MAX {
        return Err(ApiError::validation(
            "comment",
            format!("the comment must be at most {COMMENT_MAX} characters"),
        ));
    }
    let text = match (comment.is_empty(), p.rating) {
        (false, _) => comment.to_string(),
        (true, Some(r)) => format!("{r}/5"),
        (true, None) => return Err(ApiError::validation("comment", "write a comment or give a rating")),
    };
    let email = p.email.map(|e| e.trim().to_string()).filter(|e| !e.is_empty());
    let (customer_email, customer_name) = match email {
        Some(e) => (e, None),
        None => {
            let visitor: String = p
                .visitor
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(32)
                .collect::<String>()
                .to_ascii_lowercase();
            let visitor = if visitor.len() >= 8 {
                visitor
            } else {
                uuid::Uuid::new_v4().simple().to_string()
            };
            (
                format!("visitor-{visitor}@widget.invalid"),
                Some(format!("{} · {}", site.name, &visitor[..8])),
            )
        }
    };
    let mut source = serde_json::json!({"widget_site": site.name, "site_key": site.site_key});
    if let Some(o) = origin {
        source["origin"] = o.into();
    }
    if let Some(page) = p.page.filter(|s| !s.trim().is_empty()) {
        source["page"] = page.chars().take(500).collect::<String>().into();
    }
    if let Some(qn) = p.survey_question.filter(|s| !s.trim().is_empty()) {
        source["survey_question"] = qn.chars().take(300).collect::<String>().into();
    }
    let input = FeedbackInput {
        customer_id: None,
        customer_email: Some(customer_email),
        customer_name,
        channel: "widget".into(),
        rating: p.rating,
        text,
        language: None,
        source: Some(source),
        case_reference: None,
        component: p
            .component
            .filter(|s| !s.trim().is_empty())
            .map(|c| c.chars().take(100).collect()),
        whole_text: false,
    };
    let res = detection::ingest_one(state, input, None).await;
    match res {
        Ok(_) => Ok(accepted()),
        Err(amends_app::AppError::Validation { field, message }) => Err(ApiError::validation(
            match field.as_str() {
                "customer_email" => "email".into(),
                "text" => "comment".into(),
                _ => field,
            },
            message,
        )),
        Err(e) => Err(e.into()),
    }
}
