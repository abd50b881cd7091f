//! Who is calling: a bearer token (programs) or a session cookie (the UI).

use crate::auth::permissions;
use crate::error::ApiError;
use crate::state::AppState;
use amends_app::secret::{hash_secret, same_secret};
use amends_domain::Permission;
use amends_store::User;
use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum_extra::extract::CookieJar;

pub const SESSION_COOKIE: &str = "amends_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub enum AuthVia {
    Token,
    Session { csrf: String, session_hash: String },
}

/// The authenticated caller of an API route.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub via: AuthVia,
}

impl Actor {
    /// 403 unless the caller's role has `p`.
    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.user.role.can(p) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "your role `{}` may not do this (needs {p:?})",
                self.user.role
            )))
        }
    }
}

/// The application state and the authenticated caller of an API route, in
/// one extractor: the caller's permission for the route is checked (by
/// [`Actor`]) before any later extractor reads the request.
#[derive(Clone)]
pub struct Ctx {
    pub state: AppState,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let actor = Actor::from_request_parts(parts, state).await?;
        Ok(Ctx {
            state: state.clone(),
            actor,
        })
    }
}

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A cross-site request carrying our cookie is refused (CSRF defence in
/// depth, on top of the token check).
pub fn cross_site(parts: &Parts) -> bool {
    parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site")
}

/// Looks up the session named by the cookie, if any and still live.
pub async fn session_from_parts(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<(amends_store::SessionRecord, String)>, ApiError> {
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = hash_secret(cookie.value());
    let rec = state.store().get_session(&hash, state.now()).await?;
    Ok(rec.map(|r| (r, hash)))
}

/// Refuses the request unless the user's role may call the matched route
/// ([`permissions::API_ROUTES`]); a route without an entry is refused.
fn check_route(parts: &Parts, user: &User) -> Result<(), ApiError> {
    let route = parts.extensions.get::<MatchedPath>().map(MatchedPath::as_str);
    match route.and_then(|r| permissions::api_need(&parts.method, r)) {
        Some(need) => match need.missing_for(user.role) {
            None => Ok(()),
            Some(p) => Err(ApiError::forbidden(format!(
                "your role `{}` may not do this (needs {p:?})",
                user.role
            ))),
        },
        None => {
            tracing::error!(route = ?route, method = %parts.method, "API route without a permission entry");
            Err(ApiError::forbidden("this route has no permission entry"))
        }
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let actor = Self::authenticate(parts, state).await?;
        check_route(parts, &actor.user)?;
        Ok(actor)
    }
}

impl Actor {
    /// The user of the bearer token or the session (with the CSRF and
    /// cross-site checks of a session's writes).
    async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let text = value.to_str().map_err(|_| ApiError::Unauthorized)?;
            let token = text
                .strip_prefix("Bearer ")
                .or_else(|| text.strip_prefix("bearer "))
                .ok_or(ApiError::Unauthorized)?
                .trim();
            if token.is_empty() || token.len() > 200 {
                return Err(ApiError::Unauthorized);
            }
            let user = state
                .store()
                .user_by_token_hash(&hash_secret(token), state.now())
                .await?
                .ok_or(ApiError::Unauthorized)?;
            return Ok(Actor {
                user,
                via: AuthVia::Token,
            });
        }
        let Some((session, hash)) = session_from_parts(parts, state).await? else {
            return Err(ApiError::Unauthorized);
        };
        if is_unsafe(&parts.method) {
            if cross_site(parts) {
                return Err(ApiError::forbidden("cross-site request refused"));
            }
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !same_secret(sent, &session.csrf_token) {
                return Err(ApiError::forbidden(format!(
                    "missing or wrong CSRF token: send the header `{CSRF_HEADER}` with session-authenticated writes"
                )));
            }
        }
        Ok(Actor {
            user: session.user,
            via: AuthVia::Session {
                csrf: session.csrf_token,
                session_hash: hash,
            },
        })
    }
}
