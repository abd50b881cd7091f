//! Error pages in the reader's language. [`super::UiError`] answers with an
//! [`ErrorPage`] (a plain fallback page plus the page's facts in the
//! response's extensions); the [`localize`] layer renders it inside the page
//! layout of the signed-in user, in their language, else the browser's, else
//! the configured default. Developer English (a validation detail, a refusal's
//! cause) is shown to English readers only; German readers get the
//! catalogue's explanation.

use crate::auth::extract::session_from_parts;
use crate::state::AppState;
use crate::ui::session::UiUser;
use crate::ui::{html_escape, page};
use amends_domain::Language;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;

/// What an error page says, kept on its response for [`localize`].
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub status: StatusCode,
    /// The catalogue key of the title (`error-not-found`, …).
    pub key: &'static str,
    pub detail: Detail,
}

/// The detail line of an error page.
#[derive(Debug, Clone)]
pub enum Detail {
    None,
    /// A catalogue key.
    Key(&'static str),
    /// Developer English: shown to English readers; others get the title's explanation.
    English(String),
    /// Already in the reader's language.
    Text(String),
    /// The id under which an internal error was logged.
    ErrorId(String),
}

impl IntoResponse for ErrorPage {
    /// The fallback body (both languages) for a response no layer renders.
    fn into_response(self) -> Response {
        let body = format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title>\
             <link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body class=\"error-page\"><main>\
             <h1>{}</h1><p><a href=\"/inbox\">amends</a></p></main></body></html>",
            self.status.as_u16(),
            html_escape(&format!(
                "{} · {}",
                fallback_title(self.key, true),
                fallback_title(self.key, false)
            )),
        );
        let status = self.status;
        let mut res = (status, Html(body)).into_response();
        res.extensions_mut().insert(self);
        res
    }
}

fn fallback_title(key: &str, german: bool) -> &'static str {
    match (key, german) {
        ("error-not-found", true) => "Nicht gefunden",
        ("error-not-found", false) => "Not found",
        ("error-forbidden", true) => "Nicht erlaubt",
        ("error-forbidden", false) => "Not allowed",
        ("error-bad-request", true) => "Ungültige Anfrage",
        ("error-bad-request", false) => "Bad request",
        ("error-too-many", true) => "Zu viele Versuche",
        ("error-too-many", false) => "Too many attempts",
        ("error-unavailable", true) => "Gerade nicht erreichbar",
        ("error-unavailable", false) => "Unavailable for a moment",
        (_, true) => "Interner Fehler",
        (_, false) => "Internal error",
    }
}

/// Renders the [`ErrorPage`] of a UI response in the reader's language.
pub async fn localize(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let res = next.run(req).await;
    let Some(error) = res.extensions().get::<ErrorPage>().cloned() else {
        return res;
    };
    let reader = signed_in(&state, &headers).await;
    let lang = reader.as_ref().map_or_else(
        || browser_language(&headers).unwrap_or(state.config().default_language),
        UiUser::lang,
    );
    let i18n = state.ui().i18n();
    let detail = match &error.detail {
        Detail::None => None,
        Detail::Key(k) => Some(i18n.t(lang, k, &[])),
        Detail::English(m) if lang == Language::En => Some(m.clone()),
        Detail::English(_) => Some(i18n.t(lang, &format!("{}-detail", error.key), &[])),
        Detail::Text(m) => Some(m.clone()),
        Detail::ErrorId(id) => Some(i18n.t(lang, "error-internal-id", &[("id", id.as_str().into())])),
    };
    let extra = context! {
        error_title => i18n.t(lang, error.key, &[]),
        error_detail => detail,
        error_status => error.status.as_u16(),
    };
    let mut out = match page(&state, "error.html", lang, reader.as_ref(), extra) {
        Ok(html) => (error.status, html).into_response(),
        Err(e) => {
            tracing::error!(cause = ?e, "error page could not be rendered");
            return res;
        }
    };
    // Keep what the failed request set (e.g. a cleared cookie).
    for v in res.headers().get_all(header::SET_COOKIE) {
        out.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    out
}

/// The signed-in user of the failed request, for the page's layout and language.
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<UiUser> {
    let mut req = Request::new(());
    *req.headers_mut() = headers.clone();
    let (parts, ()) = req.into_parts();
    let (session, hash) = session_from_parts(&parts, state).await.ok()??;
    Some(UiUser {
        user: session.user,
        csrf: session.csrf_token,
        session_hash: hash,
        flash: None,
        pending_approvals: 0,
    })
}

/// The first language of the browser's `Accept-Language` that amends speaks.
#[must_use]
pub fn browser_language(headers: &HeaderMap) -> Option<Language> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .filter_map(|part| part.split(';').next())
                .filter_map(|tag| tag.trim().get(..2))
                .find_map(|code| code.to_ascii_lowercase().parse::<Language>().ok())
        })
}
