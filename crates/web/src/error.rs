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

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{detail}")]
    Conflict {
        detail: String,
        field: Option<String>,
        allowed: Option<Vec<String>>,
    },
    #[error("too many requests; try again in a minute")]
    TooManyRequests,
    #[error("internal error")]
    Internal(String),
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
        ApiError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The message for a person at a terminal: like `Display`, but with
    /// the cause of an internal error (the CLI is not a public endpoint).
    #[must_use]
    pub fn for_operator(&self) -> String {
        match self {
            ApiError::Internal(cause) => format!("internal error: {cause}"),
            e => e.to_string(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Validation { .. } => ("validation", "Invalid input"),
            ApiError::BadRequest(_) => ("bad-request", "Malformed request"),
            ApiError::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            ApiError::Unauthorized => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Conflict { allowed: Some(_), .. } => ("invalid-transition", "Transition not allowed"),
            ApiError::Conflict { .. } => ("conflict", "Conflict"),
            ApiError::TooManyRequests => ("rate-limited", "Too many requests"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }

    /// The problem document; internal causes are logged here, not returned.
    #[must_use]
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let mut p = Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_string(),
            status: self.status().as_u16(),
            detail: self.to_string(),
            field: None,
            allowed: None,
            error_id: None,
        };
        match self {
            ApiError::Validation { field, .. } => p.field = Some(field.clone()),
            ApiError::Conflict { field, allowed, .. } => {
                p.field.clone_from(field);
                p.allowed.clone_from(allowed);
            }
            ApiError::Internal(cause) => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                tracing::error!(error_id = %id, %cause, "internal error");
                p.detail = format!("something went wrong on our side; quote error id {id} when reporting it");
                p.error_id = Some(id);
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
        if matches!(self, ApiError::Unauthorized) {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation { field, message } => ApiError::Validation { field, message },
            AppError::BadRequest(m) => ApiError::BadRequest(m),
            AppError::UnsupportedMediaType(m) => ApiError::UnsupportedMediaType(m),
            AppError::Forbidden(m) => ApiError::Forbidden(m),
            AppError::NotFound(m) => ApiError::NotFound(m),
            AppError::Conflict { detail, field, allowed } => ApiError::Conflict { detail, field, allowed },
            AppError::TooManyRequests => ApiError::TooManyRequests,
            AppError::Internal(m) => ApiError::Internal(m),
        }
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
        StatusCode::NOT_FOUND => ApiError::NotFound("route".into()),
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
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::BadRequest("the request body is too large (at most 1 MiB)".into()),
        s if s.is_client_error() => {
            let detail = if detail.is_empty() { s.to_string() } else { detail };
            // Path parameters are the usual cause (e.g. an id that is not a UUID).
            if detail.contains("path") || detail.contains("UUID") || detail.contains("uuid") {
                ApiError::validation("id", format!("{detail}; ids are UUIDs"))
            } else {
                ApiError::BadRequest(detail)
            }
        }
        _ => ApiError::internal(detail),
    };
    err.into_response()
}
