//! The REST API under `/api/v1`, its OpenAPI document and docs page.

pub mod cases;
pub mod customers;
pub mod dto;
pub mod feedback;
pub mod followup;
pub mod goodwill;
pub mod incidents;
pub mod json;
pub mod mail;
pub mod query;
pub mod routing;
pub mod sla;
pub mod solutions;
pub mod templates;
pub mod users;
pub mod widget;

use crate::error::{ApiError, Problem};
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "amends API",
        description = "Service recovery: customers, recovery cases, timelines. Errors are application/problem+json. \
                       Authenticate with `Authorization: Bearer <token>` (create one with `amends token create`).",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(Problem)),
    tags(
        (name = "cases", description = "Recovery cases and their timelines"),
        (name = "customers", description = "Customers and B2B accounts"),
        (name = "users", description = "Users, API tokens and the audit log"),
        (name = "feedback", description = "Feedback from every channel, text analytics and detection rules"),
        (name = "follow-up", description = "Replies, surveys, the job queue and webhooks"),
        (name = "goodwill", description = "Goodwill catalog, empowerment limits, budgets, grants, approvals, ledger, case assessment, automatic rules"),
        (name = "incidents", description = "Proactive recovery: incidents, Alertmanager webhook, affected customers, fan-out, closing update"),
        (name = "templates", description = "Reply templates per purpose and language with variables, and their preview"),
        (name = "solutions", description = "Solution database: versioned articles, stemmed full-text search, suggestions and similar cases, statistics, help center theme"),
        (name = "routing", description = "Routing of new cases to agents by language, tier, skill and load"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document, generated from the handlers.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = api_router().split_for_parts();
    api
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api/v1",
        OpenApiRouter::new()
            .merge(cases::router())
            .merge(customers::router())
            .merge(users::router())
            .merge(feedback::router())
            .merge(followup::router())
            .merge(sla::router())
            .merge(widget::router())
            .merge(mail::router())
            .merge(goodwill::router())
            .merge(incidents::router())
            .merge(templates::router())
            .merge(solutions::router())
            .merge(routing::router()),
    )
}

/// `/api/v1/*`, `/api/openapi.json` and `/api/docs`.
pub fn router(state: AppState) -> Router {
    let (router, api) = api_router().split_for_parts();
    let router = router
        .layer(axum::middleware::from_fn(problem_for_plain_errors))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .with_state(state);
    Router::new()
        .merge(router)
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api))
}

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
