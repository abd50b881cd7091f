//! Login, logout, the signed-in user of a page, and CSRF checks for forms.

use crate::auth::extract::{SESSION_COOKIE, cross_site, session_from_parts};
use crate::auth::permissions;
use crate::state::AppState;
use crate::ui::forms::{CsrfForm, EmptyForm};
use crate::ui::{UiError, page};
use amends_app::password;
use amends_app::secret::same_secret;
use amends_domain::{Language, Permission};
use amends_store::User;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, State};
use axum::http::request::Parts;
use axum::response::Html;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, extract::Query};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use minijinja::{Value, context};
use serde::Deserialize;
use std::net::SocketAddr;

/// The signed-in user of a UI page; redirects to the login page if none.
#[derive(Debug, Clone)]
pub struct UiUser {
    pub user: User,
    pub csrf: String,
    pub session_hash: String,
    /// The confirmation of the form post that led here ([`crate::ui::flash`]).
    pub flash: Option<String>,
    /// Goodwill requests waiting for approval (leads and admins; 0 for others).
    pub pending_approvals: i64,
}

impl UiUser {
    /// Form posts must carry the session's CSRF token and not come from another site.
    pub fn check_csrf(&self, sent: &str) -> Result<(), UiError> {
        if same_secret(sent, &self.csrf) {
            Ok(())
        } else {
            Err(UiError::Refused("error-csrf"))
        }
    }

    /// A "not allowed" page unless the user's role has `p`.
    pub fn require(&self, p: amends_domain::Permission) -> Result<(), UiError> {
        if self.user.role.can(p) {
            Ok(())
        } else {
            Err(UiError::Refused("error-role"))
        }
    }

    #[must_use]
    pub fn lang(&self) -> Language {
        self.user.language
    }

    /// The page `template` for this user: their language, name and CSRF token, and `extra`.
    pub fn render(&self, state: &AppState, template: &str, extra: Value) -> Result<Html<String>, UiError> {
        page(state, template, self.lang(), Some(self), extra)
    }

    /// [`UiUser::render`] as a response.
    pub fn page(&self, state: &AppState, template: &str, extra: Value) -> Result<Response, UiError> {
        Ok(self.render(state, template, extra)?.into_response())
    }
}

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let found = session_from_parts(parts, state)
            .await
            .map_err(|e| UiError::from(e).into_response())?;
        match found {
            Some((s, hash)) => {
                if parts.method != axum::http::Method::GET && cross_site(parts) {
                    return Err(UiError::Refused("error-cross-site").into_response());
                }
                check_route(parts, &s.user).map_err(IntoResponse::into_response)?;
                let pending_approvals =
                    if parts.method == axum::http::Method::GET && s.user.role.can(Permission::ApproveGoodwill) {
                        state
                            .store()
                            .count_pending_grants()
                            .await
                            .map_err(|e| UiError::from(e).into_response())?
                    } else {
                        0
                    };
                Ok(UiUser {
                    pending_approvals,
                    user: s.user,
                    csrf: s.csrf_token,
                    session_hash: hash,
                    flash: (parts.method == axum::http::Method::GET)
                        .then(|| crate::ui::flash::read(&parts.headers))
                        .flatten(),
                })
            }
            None => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/inbox");
                let target = format!("/login?next={}", urlencode(next));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// Refuses the page unless the user's role may open the matched route
/// ([`permissions::UI_ROUTES`]); a route without an entry is refused.
fn check_route(parts: &Parts, user: &User) -> Result<(), UiError> {
    let route = parts.extensions.get::<MatchedPath>().map(MatchedPath::as_str);
    match route.and_then(|r| permissions::ui_need(&parts.method, r)) {
        Some(need) => match need.and_then(|n| n.missing_for(user.role)) {
            None => Ok(()),
            Some(_) => Err(UiError::Refused("error-role")),
        },
        None => {
            tracing::error!(route = ?route, method = %parts.method, "UI route without a permission entry");
            Err(UiError::Forbidden("this page has no permission entry".into()))
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A redirect target taken from a request (`next`, `back`) as a path on
/// this site, or `None`. It must be a path (`/…`) without control
/// characters or backslashes (a browser drops a TAB or newline and may read
/// `/\t/host` as `//host`), and resolved against this site it must stay on
/// it. The result is the normalised path, query and fragment, always a
/// valid `Location` header.
pub fn same_site_path(raw: &str) -> Option<String> {
    if !raw.starts_with('/') || raw.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let base = url::Url::parse("http://amends.invalid/").ok()?;
    let target = base.join(raw).ok()?;
    if target.origin() != base.origin() {
        return None;
    }
    let mut out = target.path().to_string();
    if let Some(q) = target.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = target.fragment() {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

/// Only same-site paths are allowed as redirect targets after login.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(same_site_path).unwrap_or_else(|| "/inbox".to_string())
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

pub async fn login_page(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Result<Response, UiError> {
    let lang = q
        .lang
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(state.config().default_language);
    let html = page(
        &state,
        "login.html",
        lang,
        None,
        context! { next => safe_next(q.next.as_deref()), username => "", error => false },
    )?;
    Ok(html.into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    lang: Option<String>,
}

pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Result<Response, UiError> {
    // Login CSRF: another site must not sign a visitor in to our site.
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return Err(UiError::Refused("error-cross-site"));
    }
    let now = state.now();
    let lang = form
        .lang
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or(state.config().default_language);
    let limit = state.config().login_attempts_per_minute;
    if state.login_throttle().is_blocked(peer.ip(), now, limit) {
        return Err(UiError::TooManyRequests);
    }
    let user = state.store().get_user_by_username(&form.username).await.ok();
    let stored = user
        .as_ref()
        .filter(|u| u.active)
        .map_or(password::DUMMY_HASH.to_string(), |u| u.password_hash.clone());
    let ok = password::verify(form.password.clone(), stored).await;
    let Some(user) = user.filter(|u| ok && u.active) else {
        state.login_throttle().record_failure(peer.ip(), now);
        let html = page(
            &state,
            "login.html",
            lang,
            None,
            context! { next => safe_next(form.next.as_deref()), username => form.username, error => true },
        )?;
        return Ok((axum::http::StatusCode::UNAUTHORIZED, html).into_response());
    };
    let session = amends_app::service::open_session(&state, user.id).await?;
    let cookie = Cookie::build((SESSION_COOKIE, session.secret))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.config().base_url.starts_with("https://"))
        .max_age(cookie_duration(state.config().session_hours))
        .build();
    Ok((jar.add(cookie), Redirect::to(&safe_next(form.next.as_deref()))).into_response())
}

fn cookie_duration(hours: u32) -> time::Duration {
    time::Duration::hours(i64::from(hours))
}

pub async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    CsrfForm(ui, _): CsrfForm<EmptyForm>,
) -> Result<Response, UiError> {
    amends_app::service::close_session(&state, &ui.session_hash).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/").build());
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Deserialize)]
pub struct LanguageForm {
    language: String,
    back: Option<String>,
}

/// Switches the user's UI language (stored on the user).
pub async fn set_language(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    CsrfForm(ui, form): CsrfForm<LanguageForm>,
) -> Result<Response, UiError> {
    let lang: Language = form
        .language
        .parse()
        .map_err(|e: amends_domain::ValidationError| UiError::BadRequest(e.message))?;
    amends_app::service::set_language(&state, ui.user.id, lang).await?;
    // Back to the page the switch was used on (same site only).
    let referer_path = headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<axum::http::Uri>().ok())
        .and_then(|u| u.path_and_query().map(|p| p.as_str().to_string()));
    let back = form.back.or(referer_path);
    Ok(crate::ui::flash::to(&safe_next(back.as_deref()), "flash-language"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_this_site() {
        assert_eq!(safe_next(Some("/cases/1")), "/cases/1");
        assert_eq!(safe_next(Some("//evil.example")), "/inbox");
        assert_eq!(safe_next(Some("https://evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/\\evil")), "/inbox");
        assert_eq!(safe_next(None), "/inbox");
        // A TAB or newline is dropped by browsers: `/\t/host` would go to `//host`.
        assert_eq!(safe_next(Some("/\t/evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/%09/evil.example")), "/%09/evil.example");
        assert_eq!(safe_next(Some("/inbox\r\nSet-Cookie: x=1")), "/inbox");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/inbox");
        assert_eq!(
            safe_next(Some("/cases/1?view=open#timeline")),
            "/cases/1?view=open#timeline"
        );
        assert_eq!(safe_next(Some("inbox")), "/inbox");
    }
}
