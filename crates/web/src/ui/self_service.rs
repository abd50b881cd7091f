//! `/analytics/deflection`: how often the widget's suggested articles
//! answered a visitor before they sent (leads and admins), and the
//! automatic answers to inbound mail per language (changed by admins at
//! `/settings/auto-answer`).

use super::UiError;
use super::analytics::read_query;
use super::forms::CsrfForm;
use super::session::UiUser;
use crate::state::AppState;
use amends_app::self_service::{self, AutoAnswer, DeflectionCounts};
use amends_domain::{Language, Permission};
use amends_i18n::format::{format_decimal, format_percent};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;

/// The page's period as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeflectionPageQuery {
    /// The last N days (1–366, default 30).
    days: Option<i64>,
}

/// One group's figures, formatted for the reader.
fn figures(c: &DeflectionCounts, lang: Language) -> Value {
    #[allow(clippy::cast_precision_loss)]
    let n = |v: u64| format_decimal(v as f64, 0, lang);
    let pct = |v: f64| format_percent(100.0 * v, 1, lang);
    context! {
        suggested => n(c.suggested), clicked => n(c.clicked), sent_anyway => n(c.sent_anyway),
        deflected => n(c.deflected), deflected_raw => c.deflected,
        rate => c.rate.map(pct),
        ci => c.rate_low.zip(c.rate_high).map(|(l, h)| format!("{} – {}", pct(l), pct(h))),
    }
}

/// The settings of both languages for the form, thresholds in percent.
fn setting_rows(settings: &[AutoAnswer]) -> Vec<Value> {
    settings
        .iter()
        .map(|s| {
            context! { language => s.language.code(), enabled => s.enabled,
            percent => (s.threshold * 100.0).round() as i64 }
        })
        .collect()
}

async fn render(
    state: &AppState,
    ui: &UiUser,
    days: i64,
    error: Option<String>,
    settings_error: Option<&str>,
) -> Result<Response, UiError> {
    let lang = ui.lang();
    let report = self_service::report(state, days).await?;
    let settings = self_service::settings(state).await?;
    let languages: Vec<Value> = report
        .per_language
        .iter()
        .map(|l| context! { language => l.language.clone(), f => figures(&l.counts, lang) })
        .collect();
    let articles: Vec<Value> = report
        .per_article
        .iter()
        .map(|a| context! { id => a.article_id, title => a.title.clone(), f => figures(&a.counts, lang) })
        .collect();
    let html = ui.render(
        state,
        "deflection.html",
        context! {
            nav => "deflection",
            days => days,
            error => error,
            from => report.from,
            to => report.to,
            total => figures(&report.total, lang),
            languages => languages,
            articles => articles,
            settings => setting_rows(&settings),
            settings_error => settings_error,
            can_manage => ui.user.role.can(Permission::ManageIntegrations),
        },
    )?;
    let status = if settings_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, html).into_response())
}

/// `GET /analytics/deflection?days=`.
pub async fn page(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    let (q, mut error) = read_query::<DeflectionPageQuery>(raw.as_deref());
    let mut days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        error = Some("days".into());
        days = 30;
    }
    render(&state, &ui, days, error, None).await
}

/// The settings form: a checkbox and a threshold in percent per language.
#[derive(Debug, Default, Deserialize)]
pub struct AutoAnswerForm {
    enabled_de: Option<String>,
    #[serde(default)]
    threshold_de: String,
    enabled_en: Option<String>,
    #[serde(default)]
    threshold_en: String,
}

fn percent(raw: &str) -> Option<f64> {
    let p: u8 = raw.trim().parse().ok()?;
    (p <= 100).then(|| f64::from(p) / 100.0)
}

/// `POST /settings/auto-answer` (admins): saves both languages.
pub async fn save(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<AutoAnswerForm>,
) -> Result<Response, UiError> {
    let (Some(de), Some(en)) = (percent(&form.threshold_de), percent(&form.threshold_en)) else {
        return render(&state, &ui, 30, None, Some("ss-err-threshold")).await;
    };
    let items = [
        AutoAnswer {
            language: Language::De,
            enabled: form.enabled_de.is_some(),
            threshold: de,
        },
        AutoAnswer {
            language: Language::En,
            enabled: form.enabled_en.is_some(),
            threshold: en,
        },
    ];
    self_service::save_settings(&state, &items, ui.user.id).await?;
    Ok(crate::ui::flash::to("/analytics/deflection#auto-answer", "flash-saved"))
}

/// The query of the help center's suggestions.
#[derive(Debug, Default, Deserialize)]
pub struct HelpSuggestQuery {
    #[serde(default)]
    q: String,
    lang: Option<String>,
}

/// `GET /help/suggest?q=&lang=` (public, the help center's search box
/// while typing): the same up to three public articles as the widget's
/// suggestions, as JSON; limited per client IP like the help search.
pub async fn help_suggest(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    axum::extract::Query(q): axum::extract::Query<HelpSuggestQuery>,
) -> Result<Response, UiError> {
    let key = format!("help:{}", peer.ip());
    if !state
        .widget_limiter()
        .allow(&key, state.now(), amends_app::solutions::HELP_SEARCHES_PER_IP_MINUTE)
    {
        return Err(UiError::TooManyRequests);
    }
    let lang = q
        .lang
        .as_deref()
        .and_then(|l| l.parse::<Language>().ok())
        .unwrap_or_default();
    let suggestions = self_service::suggest(&state, &q.q, lang).await?;
    Ok(axum::Json(serde_json::json!({ "language": lang.code(), "suggestions": suggestions })).into_response())
}
