//! The REST API under `/api/v1`, its OpenAPI document and docs page.

pub mod analytics;
pub mod case_merge;
pub mod cases;
pub mod churn;
pub mod contract;
pub mod corrections;
pub mod customer_merge;
pub mod customers;
pub mod fair;
pub mod panel;
pub mod patterns;
pub mod playbooks;
pub mod privacy;
pub mod service_report;

pub mod feedback;
pub mod followup;
pub mod goodwill;
pub mod incidents;
pub mod insights;
pub mod json;
pub mod mail;
pub mod quarantine;
pub mod risks;

pub mod routing;
pub mod search;
pub mod self_service;
pub mod sla;
pub mod solutions;
pub mod templates;
pub mod text_models;
pub mod tier_offers;
pub mod training;
pub mod users;
pub mod widget;

use crate::error::Problem;
use crate::state::AppState;
use axum::Router;
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
    // Word lists that only query parameters name (bodies register theirs).
    components(schemas(
        Problem,
        crate::vocab::Origin,
        crate::vocab::CaseView,
        crate::vocab::Language,
        crate::vocab::Tier,
        crate::vocab::Topic,
        crate::vocab::IncidentKind
    )),
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
        (name = "playbooks", description = "Playbooks: recovery prepared per failure type, in versions; a case's playbook, its progress and checked-off steps"),
        (name = "insights", description = "Insight routing: teams with rules, their insight inboxes, fixed in a release, telling the reporters"),
        (name = "routing", description = "Routing of new cases to agents by language, tier, skill and load"),
        (name = "search", description = "One search over cases, customers, accounts and solution articles"),
        (name = "analytics", description = "Measure and learn: the dashboard's key figures, the service recovery paradox, patterns, churn risk and the risk register"),
        (name = "public", description = "Public endpoints of the feedback widget's self-service answers, keyed by the widget site key instead of a token"),
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
    document(api)
}

/// The document of the token-protected routes, completed with the
/// widget's public self-service endpoints (which take no token).
fn document(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut public = crate::widget_answers::PublicDoc::openapi();
    for item in public.paths.paths.values_mut() {
        for op in [&mut item.get, &mut item.post].into_iter().flatten() {
            op.security = Some(Vec::new());
        }
    }
    api.merge(public);
    contract::complete(&mut api);
    api
}

fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api/v1",
        OpenApiRouter::new()
            .merge(analytics::router())
            .merge(patterns::router())
            .merge(playbooks::router())
            .merge(fair::router())
            .merge(tier_offers::router())
            .merge(panel::router())
            .merge(risks::router())
            .merge(insights::router())
            .merge(churn::router())
            .merge(cases::router())
            .merge(case_merge::router())
            .merge(customers::router())
            .merge(customer_merge::router())
            .merge(privacy::router())
            .merge(users::router())
            .merge(feedback::router())
            .merge(corrections::router())
            .merge(text_models::router())
            .merge(followup::router())
            .merge(service_report::router())
            .merge(sla::router())
            .merge(widget::router())
            .merge(mail::router())
            .merge(quarantine::router())
            .merge(goodwill::router())
            .merge(incidents::router())
            .merge(templates::router())
            .merge(solutions::router())
            .merge(routing::router())
            .merge(search::router())
            .merge(self_service::router())
            .merge(training::router()),
    )
}

/// `/api/v1/*`, `/api/openapi.json` and `/api/docs`.
pub fn router(state: AppState) -> Router {
    let (router, api) = api_router().split_for_parts();
    let api = document(api);
    let router = router
        .layer(axum::middleware::from_fn(crate::error::problem_for_plain_errors))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .with_state(state);
    Router::new()
        .merge(router)
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api))
}
