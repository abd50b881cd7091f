//! Who may call which API route: one entry per operation of the OpenAPI
//! document, checked when the [`Actor`](super::Actor) is extracted — before
//! the request body is read, so a refused role gets 403, never a 422 about
//! its input. A route without an entry is refused (fail closed); the role
//! test in `crates/cli/tests/it/auth.rs` walks `/api/openapi.json` and fails
//! for an operation that has no entry here.

use amends_domain::Permission;
use axum::http::Method;

/// What a route needs beyond a valid token or session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any signed-in user (their own profile and tokens).
    SignedIn,
    /// A role with this permission.
    Allowed(Permission),
}

use Need::{Allowed as P, SignedIn};

/// `(method, route as in the OpenAPI document, need)`.
pub const API_ROUTES: &[(&str, &str, Need)] = &[
    ("GET", "/api/v1/accounts", P(Permission::ReadCases)),
    ("POST", "/api/v1/accounts", P(Permission::WorkCases)),
    ("GET", "/api/v1/accounts/{id}", P(Permission::ReadCases)),
    ("GET", "/api/v1/accounts/{id}/overview", P(Permission::ReadCases)),
    ("GET", "/api/v1/attachments/{id}", P(Permission::ReadCases)),
    ("GET", "/api/v1/audit", P(Permission::ReadAudit)),
    ("GET", "/api/v1/cases", P(Permission::ReadCases)),
    ("POST", "/api/v1/cases", P(Permission::WorkCases)),
    ("GET", "/api/v1/cases/{id}", P(Permission::ReadCases)),
    ("PATCH", "/api/v1/cases/{id}", P(Permission::WorkCases)),
    ("GET", "/api/v1/cases/{id}/assessment", P(Permission::ReadCases)),
    ("POST", "/api/v1/cases/{id}/assign", P(Permission::WorkCases)),
    ("GET", "/api/v1/cases/{id}/attachments", P(Permission::ReadCases)),
    ("GET", "/api/v1/cases/{id}/events", P(Permission::ReadCases)),
    ("GET", "/api/v1/cases/{id}/follow-up", P(Permission::ReadCases)),
    ("POST", "/api/v1/cases/{id}/goodwill", P(Permission::WorkCases)),
    ("POST", "/api/v1/cases/{id}/lead-review", P(Permission::ReadAudit)),
    ("POST", "/api/v1/cases/{id}/notes", P(Permission::WorkCases)),
    (
        "POST",
        "/api/v1/cases/{id}/personal-note/done",
        P(Permission::WorkCases),
    ),
    ("POST", "/api/v1/cases/{id}/replies", P(Permission::WorkCases)),
    ("GET", "/api/v1/cases/{id}/solutions", P(Permission::ReadCases)),
    ("POST", "/api/v1/cases/{id}/solutions", P(Permission::WorkCases)),
    ("POST", "/api/v1/cases/{id}/transitions", P(Permission::WorkCases)),
    ("GET", "/api/v1/customers", P(Permission::ReadCases)),
    ("POST", "/api/v1/customers", P(Permission::WorkCases)),
    (
        "PUT",
        "/api/v1/customers/by-external-id/{external_id}",
        P(Permission::WorkCases),
    ),
    ("GET", "/api/v1/customers/{id}", P(Permission::ReadCases)),
    ("PATCH", "/api/v1/customers/{id}", P(Permission::WorkCases)),
    ("GET", "/api/v1/customers/{id}/overview", P(Permission::ReadCases)),
    ("GET", "/api/v1/detection-rules", P(Permission::ReadCases)),
    ("POST", "/api/v1/detection-rules", P(Permission::ManageRules)),
    ("DELETE", "/api/v1/detection-rules/{id}", P(Permission::ManageRules)),
    ("GET", "/api/v1/detection-rules/{id}", P(Permission::ReadCases)),
    ("PATCH", "/api/v1/detection-rules/{id}", P(Permission::ManageRules)),
    ("GET", "/api/v1/feedback", P(Permission::ReadCases)),
    ("POST", "/api/v1/feedback", P(Permission::WorkCases)),
    ("POST", "/api/v1/feedback/bulk", P(Permission::WorkCases)),
    ("GET", "/api/v1/feedback/{id}", P(Permission::ReadCases)),
    ("POST", "/api/v1/feedback/{id}/case", P(Permission::WorkCases)),
    ("GET", "/api/v1/goodwill", P(Permission::ReadCases)),
    ("GET", "/api/v1/goodwill/budget", P(Permission::ReadCases)),
    ("PUT", "/api/v1/goodwill/budget", P(Permission::ManageGoodwill)),
    ("GET", "/api/v1/goodwill/catalog", P(Permission::ReadCases)),
    ("POST", "/api/v1/goodwill/catalog", P(Permission::ManageGoodwill)),
    ("PUT", "/api/v1/goodwill/catalog/{id}", P(Permission::ManageGoodwill)),
    ("GET", "/api/v1/goodwill/ledger", P(Permission::ApproveGoodwill)),
    ("GET", "/api/v1/goodwill/limits", P(Permission::ReadCases)),
    ("PUT", "/api/v1/goodwill/limits", P(Permission::ManageGoodwill)),
    ("GET", "/api/v1/goodwill/rules", P(Permission::ReadCases)),
    ("POST", "/api/v1/goodwill/rules", P(Permission::ManageGoodwill)),
    ("DELETE", "/api/v1/goodwill/rules/{id}", P(Permission::ManageGoodwill)),
    ("GET", "/api/v1/goodwill/rules/{id}", P(Permission::ReadCases)),
    ("PUT", "/api/v1/goodwill/rules/{id}", P(Permission::ManageGoodwill)),
    ("POST", "/api/v1/goodwill/{id}/approve", P(Permission::ApproveGoodwill)),
    ("POST", "/api/v1/goodwill/{id}/reject", P(Permission::ApproveGoodwill)),
    ("GET", "/api/v1/help-center/theme", P(Permission::ReadCases)),
    ("PUT", "/api/v1/help-center/theme", P(Permission::ManageSolutions)),
    ("GET", "/api/v1/incidents", P(Permission::ReadCases)),
    ("POST", "/api/v1/incidents", P(Permission::ManageIncidents)),
    ("POST", "/api/v1/incidents/alert", P(Permission::ManageIncidents)),
    ("GET", "/api/v1/incidents/{id}", P(Permission::ReadCases)),
    ("PUT", "/api/v1/incidents/{id}", P(Permission::ManageIncidents)),
    ("GET", "/api/v1/incidents/{id}/affected", P(Permission::ReadCases)),
    (
        "POST",
        "/api/v1/incidents/{id}/affected",
        P(Permission::ManageIncidents),
    ),
    ("POST", "/api/v1/incidents/{id}/resolve", P(Permission::ManageIncidents)),
    ("GET", "/api/v1/jobs", P(Permission::ManageIntegrations)),
    ("POST", "/api/v1/jobs/{id}/retry", P(Permission::ManageIntegrations)),
    ("GET", "/api/v1/mail/imap", P(Permission::ManageIntegrations)),
    ("POST", "/api/v1/mail/inbound", P(Permission::ManageIntegrations)),
    ("GET", "/api/v1/me", SignedIn),
    ("GET", "/api/v1/reports/sla", P(Permission::ReadAudit)),
    ("GET", "/api/v1/routing", P(Permission::ReadAudit)),
    ("PUT", "/api/v1/routing", P(Permission::ManageUsers)),
    ("GET", "/api/v1/routing/agents/{id}", P(Permission::ReadAudit)),
    ("PUT", "/api/v1/routing/agents/{id}", P(Permission::ManageUsers)),
    ("GET", "/api/v1/sla-policies", P(Permission::ReadCases)),
    (
        "PUT",
        "/api/v1/sla-policies/{tier}/{priority}",
        P(Permission::ManageSla),
    ),
    ("GET", "/api/v1/solutions", P(Permission::ReadCases)),
    ("POST", "/api/v1/solutions", P(Permission::WorkCases)),
    ("GET", "/api/v1/solutions/search", P(Permission::ReadCases)),
    ("DELETE", "/api/v1/solutions/{id}", P(Permission::ManageSolutions)),
    ("GET", "/api/v1/solutions/{id}", P(Permission::ReadCases)),
    ("PUT", "/api/v1/solutions/{id}", P(Permission::WorkCases)),
    ("GET", "/api/v1/solutions/{id}/versions", P(Permission::ReadCases)),
    ("GET", "/api/v1/templates", P(Permission::ReadCases)),
    ("POST", "/api/v1/templates", P(Permission::ManageTemplates)),
    ("DELETE", "/api/v1/templates/{id}", P(Permission::ManageTemplates)),
    ("GET", "/api/v1/templates/{id}", P(Permission::ReadCases)),
    ("PUT", "/api/v1/templates/{id}", P(Permission::ManageTemplates)),
    ("POST", "/api/v1/templates/{id}/preview", P(Permission::ReadCases)),
    ("GET", "/api/v1/tokens", SignedIn),
    ("POST", "/api/v1/tokens", SignedIn),
    ("DELETE", "/api/v1/tokens/{id}", SignedIn),
    ("GET", "/api/v1/users", P(Permission::ReadCases)),
    ("POST", "/api/v1/users", P(Permission::ManageUsers)),
    ("GET", "/api/v1/webhooks", P(Permission::ManageIntegrations)),
    ("POST", "/api/v1/webhooks", P(Permission::ManageIntegrations)),
    ("DELETE", "/api/v1/webhooks/{id}", P(Permission::ManageIntegrations)),
    (
        "GET",
        "/api/v1/webhooks/{id}/deliveries",
        P(Permission::ManageIntegrations),
    ),
    ("GET", "/api/v1/widget-sites", P(Permission::ManageRules)),
    ("POST", "/api/v1/widget-sites", P(Permission::ManageRules)),
    ("DELETE", "/api/v1/widget-sites/{id}", P(Permission::ManageRules)),
    ("GET", "/api/v1/widget-sites/{id}", P(Permission::ManageRules)),
    ("PATCH", "/api/v1/widget-sites/{id}", P(Permission::ManageRules)),
];

/// The need of the API route `path` (the matched route, e.g.
/// `/api/v1/cases/{id}`) for `method`; `None` if the route has no entry.
#[must_use]
pub fn api_need(method: &Method, path: &str) -> Option<Need> {
    // HEAD is answered by the GET handler.
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    API_ROUTES
        .iter()
        .find(|(m, p, _)| *p == path && method == *m)
        .map(|(_, _, n)| *n)
}
