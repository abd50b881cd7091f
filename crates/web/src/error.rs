//! The one place where errors become HTTP responses.
//!
//! API errors are `application/problem+json` (RFC 9457) with a stable
//! `type`, a human `title` and `detail`, and for validation the offending
//! `field`. Internal details are logged with an error id, never sent.

use amends_app::AppError;
use amends_domain::{TransitionError, ValidationError};
use amends_store::StoreError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An error of an API request: any error of a use case (also of reading the
/// request: a field, the body, the media type), or no valid credentials.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("authentication required")]
    Unauthorized,
}

/// The problem document sent to clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request field that is wrong (validation problems).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For state conflicts: the states the case may move to instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// For internal errors: the id to quote when asking for help.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::validation(field, message).into()
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into()).into()
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        AppError::UnsupportedMediaType(message.into()).into()
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into()).into()
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into()).into()
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::internal(e).into()
    }

    /// A request body that could not be read: over `limit` (e.g. "1 MiB";
    /// `hint` follows it), or broken off.
    pub fn unreadable_body(e: &axum::extract::rejection::BytesRejection, limit: &str, hint: &str) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::bad_request(format!("the request body is too large (at most {limit}){hint}"))
        } else {
            ApiError::bad_request(format!("could not read the request body: {e}"))
        }
    }

    /// The message for a person at a terminal: like `Display`, but with
    /// the cause of an internal error (the CLI is not a public endpoint).
    #[must_use]
    pub fn for_operator(&self) -> String {
        match self {
            ApiError::App(e) => e.for_operator(),
            ApiError::Unauthorized => self.to_string(),
        }
    }

    /// The HTTP status and the problem's type slug and title: the one
    /// mapping of [`AppError`] to HTTP.
    fn kind(&self) -> (StatusCode, &'static str, &'static str) {
        let e = match self {
            ApiError::Unauthorized => return (StatusCode::UNAUTHORIZED, "unauthorized", "Authentication required"),
            ApiError::App(e) => e,
        };
        match e {
            AppError::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid input"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Malformed request"),
            AppError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Not allowed"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            AppError::Conflict { allowed: Some(_), .. } => {
                (StatusCode::CONFLICT, "invalid-transition", "Transition not allowed")
            }
            AppError::Conflict { .. } => (StatusCode::CONFLICT, "conflict", "Conflict"),
            AppError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "rate-limited", "Too many requests"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error"),
        }
    }

    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.kind().0
    }

    /// The problem document; internal causes are logged here, not returned.
    #[must_use]
    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.kind();
        let mut p = Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: self.to_string(),
            field: None,
            allowed: None,
            error_id: None,
        };
        match self {
            ApiError::App(AppError::Validation { field, .. }) => p.field = Some(field.clone()),
            ApiError::App(AppError::Conflict { field, allowed, .. }) => {
                p.field.clone_from(field);
                p.allowed.clone_from(allowed);
            }
            ApiError::App(AppError::Internal(cause)) => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                tracing::error!(error_id = %id, %cause, "internal error");
                p.detail = format!("something went wrong on our side; quote error id {id} when reporting it");
                p.error_id = Some(id);
            }
            ApiError::App(AppError::Unavailable(cause)) => {
                tracing::warn!(%cause, "database unavailable");
            }
            _ => {}
        }
        p
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let p = self.problem();
        let mut res = (self.status(), axum::Json(p)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if matches!(self, ApiError::App(AppError::Unavailable(_))) {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if matches!(self, ApiError::Unauthorized) {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        AppError::from(e).into()
    }
}

impl From<TransitionError> for ApiError {
    fn from(e: TransitionError) -> Self {
        AppError::from(e).into()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// axum's own rejections (bad path parameter, wrong method, body too
/// large) are plain text; turn every error that is not problem+json yet
/// into one, keeping axum's message as the detail.
pub(crate) async fn problem_for_plain_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let detail = String::from_utf8_lossy(&text).trim().to_string();
    let err = match parts.status {
        StatusCode::NOT_FOUND => ApiError::not_found("route"),
        StatusCode::METHOD_NOT_ALLOWED => {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::CONTENT_TYPE, "application/problem+json")],
                Body::from(
                    serde_json::json!({"type": "/problems/method-not-allowed", "title": "Method not allowed",
                        "status": 405, "detail": "this route does not support that HTTP method"})
                    .to_string(),
                ),
            )
                .into_response();
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::bad_request("the request body is too large (at most 1 MiB)"),
        s if s.is_client_error() => {
            let detail = if detail.is_empty() { s.to_string() } else { detail };
            // Path parameters are the usual cause (e.g. an id that is not a UUID).
            if detail.contains("path") || detail.contains("UUID") || detail.contains("uuid") {
                ApiError::validation("id", format!("{detail}; ids are UUIDs"))
            } else {
                ApiError::bad_request(detail)
            }
        }
        _ => ApiError::internal(detail),
    };
    err.into_response()
}
