//! Form posts of the UI: the extractors that check the signed-in user's
//! CSRF token before a handler sees the form, so no handler can forget it.
//!
//! `CsrfForm<T>` gives the user and the form decoded into `T` (fields the
//! struct does not name, like `csrf`, are ignored); `CsrfPairs` gives the
//! user and every `(name, value)` pair in order, for forms with repeated
//! fields (checkbox lists).

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::session::UiUser;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The signed-in user and the checked form.
pub struct CsrfForm<T>(pub UiUser, pub T);

/// The signed-in user and the checked form as `(name, value)` pairs.
pub struct CsrfPairs(pub UiUser, pub Vec<(String, String)>);

/// The user (or the redirect to the login page), the body, and the CSRF check.
async fn checked_body(req: Request, state: &AppState) -> Result<(UiUser, Bytes), Response> {
    let (mut parts, body) = req.into_parts();
    let ui = UiUser::from_request_parts(&mut parts, state).await?;
    let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
        .await
        .map_err(IntoResponse::into_response)?;
    let sent = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    ui.check_csrf(&sent).map_err(IntoResponse::into_response)?;
    Ok((ui, bytes))
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (ui, bytes) = checked_body(req, state).await?;
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| UiError::BadRequest(format!("the form is incomplete or malformed: {e}")).into_response())?;
        Ok(CsrfForm(ui, form))
    }
}

/// A button on a resource's page: the resource id from the path, then the
/// signed-in user and the CSRF check of the form, which carries nothing else.
pub struct IdButton {
    pub state: AppState,
    pub id: Uuid,
    pub ui: UiUser,
}

impl FromRequest<AppState> for IdButton {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Path(id) = Path::<Uuid>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let CsrfForm(ui, EmptyForm {}) = CsrfForm::from_request(Request::from_parts(parts, body), state).await?;
        Ok(IdButton {
            state: state.clone(),
            id,
            ui,
        })
    }
}

impl FromRequest<AppState> for CsrfPairs {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (ui, bytes) = checked_body(req, state).await?;
        let pairs = form_urlencoded::parse(&bytes)
            .filter(|(k, _)| k != "csrf")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Ok(CsrfPairs(ui, pairs))
    }
}

/// A form with no fields but the CSRF token (buttons such as logout,
/// delete, retry).
#[derive(serde::Deserialize)]
pub struct EmptyForm {}
