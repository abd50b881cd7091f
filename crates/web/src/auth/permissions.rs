//! Who may call which API route: one entry per operation of the OpenAPI
//! document, checked when the [`Actor`](super::Actor) is extracted — before
//! the request body is read, so a refused role gets 403, never a 422 about
//! its input. A route without an entry is refused (fail closed); the role
//! test in `crates/cli/tests/it/auth.rs` walks `/api/openapi.json` and fails
//! for an operation that has no entry here.

use amends_domain::{Permission, Role};
use axum::http::Method;

/// What a route needs beyond a valid token or session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any signed-in user (their own profile and tokens).
    SignedIn,
    /// A role with this permission.
    Allowed(Permission),
}

impl Need {
    /// The permission `role` lacks for this need, if any.
    #[must_use]
    pub fn missing_for(self, role: Role) -> Option<Permission> {
        match self {
            Need::Allowed(p) if !role.can(p) => Some(p),
            _ => None,
        }
    }
}

use Need::{Allowed as P, SignedIn};

/// The entry of `table` for `method` and the matched route `path`; HEAD is
/// answered by the GET handler.
fn lookup<T: Copy>(table: &[(&str, &str, T)], method: &Method, path: &str) -> Option<T> {
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    table
        .iter()
        .find(|(m, p, _)| *p == path && method == *m)
        .map(|(_, _, n)| *n)
}

/// `(method, route as in the OpenAPI document)` of the operations that
/// take no token (`security: []` in the document): the widget's
/// self-service endpoints, keyed by the widget site key.
pub const PUBLIC_API_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/public/suggestions"),
    ("POST", "/api/v1/public/deflection"),
];

/// `(method, route as in the OpenAPI document, need)`.
pub const API_ROUTES: &[(&str, &str, Need)] = &[
    ("GET", "/api/v1/accounts", P(Permission::ReadCases)),
    ("POST", "/api/v1/accounts", P(Permission::WorkCases)),
    ("GET", "/api/v1/accounts/{id}", P(Permission::ReadCases)),
    ("PATCH", "/api/v1/accounts/{id}", P(Permission::WorkCases)),
    ("GET", "/api/v1/accounts/{id}/overview", P(Permission::ReadCases)),
    ("GET", "/api/v1/attachments/{id}", P(Permission::ReadCases)),
    ("GET", "/api/v1/analytics/kpis", P(Permission::ReadCases)),
    ("GET", "/api/v1/analytics/paradox", P(Permission::ReadAudit)),
    ("GET", "/api/v1/analytics/roi", P(Permission::ReadAudit)),
    ("GET", "/api/v1/analytics/patterns", P(Permission::ReadAudit)),
    ("GET", "/api/v1/analytics/churn", P(Permission::ReadCases)),
    ("GET", "/api/v1/analytics/playbooks", P(Permission::ReadAudit)),
    ("GET", "/api/v1/analytics/deflection", P(Permission::ReadAudit)),
    ("GET", "/api/v1/settings/auto-answer", P(Permission::ReadAudit)),
    ("PUT", "/api/v1/settings/auto-answer", P(Permission::ManageIntegrations)),
    ("GET", "/api/v1/analytics/fairness", P(Permission::ReadAudit)),
    ("GET", "/api/v1/cases/{id}/fair-expectation", P(Permission::ReadCases)),
    ("PUT", "/api/v1/cases/{id}/fair-expectation", P(Permission::WorkCases)),
    ("GET", "/api/v1/tier-offers", P(Permission::ReadAudit)),
    ("GET", "/api/v1/settings/tier-offers", P(Permission::ReadAudit)),
    ("PUT", "/api/v1/settings/tier-offers", P(Permission::ManageGoodwill)),
    ("GET", "/api/v1/panel", P(Permission::ReadAudit)),
    ("POST", "/api/v1/panel/invitations", P(Permission::ReadAudit)),
    ("GET", "/api/v1/risks", P(Permission::ReadAudit)),
    ("GET", "/api/v1/teams", P(Permission::ReadAudit)),
    ("POST", "/api/v1/teams", P(Permission::ManagePlaybooks)),
    ("GET", "/api/v1/teams/{id}", P(Permission::ReadAudit)),
    ("PATCH", "/api/v1/teams/{id}", P(Permission::ManagePlaybooks)),
    ("DELETE", "/api/v1/teams/{id}", P(Permission::ManagePlaybooks)),
    ("GET", "/api/v1/insights", P(Permission::ReadAudit)),
    ("GET", "/api/v1/insights/{id}", P(Permission::ReadAudit)),
    (
        "POST",
        "/api/v1/insights/{id}/acknowledge",
        P(Permission::ManagePlaybooks),
    ),
    ("POST", "/api/v1/insights/{id}/fixed", P(Permission::ManagePlaybooks)),
    (
        "POST",
        "/api/v1/insights/{id}/notify-reporters",
        P(Permission::ManagePlaybooks),
    ),
    ("GET", "/api/v1/playbooks", P(Permission::ReadCases)),
    ("POST", "/api/v1/playbooks", P(Permission::ManagePlaybooks)),
    ("GET", "/api/v1/playbooks/{id}", P(Permission::ReadCases)),
    ("PUT", "/api/v1/playbooks/{id}", P(Permission::ManagePlaybooks)),
    (
        "POST",
        "/api/v1/playbooks/{id}/deactivate",
        P(Permission::ManagePlaybooks),
    ),
    (
        "POST",
        "/api/v1/playbooks/{id}/activate",
        P(Permission::ManagePlaybooks),
    ),
    ("GET", "/api/v1/cases/{id}/playbook", P(Permission::ReadCases)),
    ("GET", "/api/v1/cases/{id}/service-report", P(Permission::ReadCases)),
    ("POST", "/api/v1/cases/{id}/service-report", P(Permission::WorkCases)),
    (
        "POST",
        "/api/v1/cases/{id}/playbook/steps/{step}/done",
        P(Permission::WorkCases),
    ),
    (
        "DELETE",
        "/api/v1/cases/{id}/playbook/steps/{step}/done",
        P(Permission::WorkCases),
    ),
    (
        "POST",
        "/api/v1/analytics/churn/train",
        P(Permission::ManageIntegrations),
    ),
    ("GET", "/api/v1/change-events", P(Permission::ReadAudit)),
    ("POST", "/api/v1/change-events", P(Permission::ReadAudit)),
    ("GET", "/api/v1/audit", P(Permission::ReadAudit)),
    ("GET", "/api/v1/cases", P(Permission::ReadCases)),
    ("GET", "/api/v1/corrections", P(Permission::ReadAudit)),
    ("GET", "/api/v1/text/models", P(Permission::ReadAudit)),
    ("POST", "/api/v1/text/models", P(Permission::ManageIntegrations)),
    (
        "POST",
        "/api/v1/text/models/{version}/activate",
        P(Permission::ManageIntegrations),
    ),
    (
        "POST",
        "/api/v1/text/models/deactivate",
        P(Permission::ManageIntegrations),
    ),
    ("POST", "/api/v1/cases", P(Permission::WorkCases)),
    ("GET", "/api/v1/cases/views", P(Permission::ReadCases)),
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
    (
        "POST",
        "/api/v1/cases/{id}/messages/{job_id}/retry",
        P(Permission::WorkCases),
    ),
    ("POST", "/api/v1/cases/{id}/merge", P(Permission::WorkCases)),
    (
        "POST",
        "/api/v1/cases/{id}/messages/{event_id}/split",
        P(Permission::WorkCases),
    ),
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
    ("GET", "/api/v1/customers/duplicates", P(Permission::ReadCases)),
    ("POST", "/api/v1/customers/{id}/merge", P(Permission::MergeCustomers)),
    (
        "GET",
        "/api/v1/customers/{id}/export",
        P(Permission::ExportPersonalData),
    ),
    ("POST", "/api/v1/customers/{id}/erase", P(Permission::ErasePersonalData)),
    ("GET", "/api/v1/privacy/retention", P(Permission::ErasePersonalData)),
    ("PUT", "/api/v1/privacy/retention", P(Permission::ErasePersonalData)),
    ("GET", "/api/v1/settings/attach-window", P(Permission::ReadCases)),
    ("PUT", "/api/v1/settings/attach-window", P(Permission::ManageRules)),
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
    ("POST", "/api/v1/feedback/{id}/corrections", P(Permission::WorkCases)),
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
    ("GET", "/api/v1/mail/quarantine", P(Permission::ManageIntegrations)),
    (
        "GET",
        "/api/v1/mail/quarantine/{id}/raw",
        P(Permission::ManageIntegrations),
    ),
    (
        "POST",
        "/api/v1/mail/quarantine/{id}/release",
        P(Permission::ManageIntegrations),
    ),
    (
        "DELETE",
        "/api/v1/mail/quarantine/{id}",
        P(Permission::ManageIntegrations),
    ),
    ("GET", "/api/v1/me", SignedIn),
    ("GET", "/api/v1/reports/sla", P(Permission::ReadAudit)),
    ("GET", "/api/v1/routing", P(Permission::ReadAudit)),
    ("PUT", "/api/v1/routing", P(Permission::ManageUsers)),
    ("GET", "/api/v1/routing/agents/{id}", P(Permission::ReadAudit)),
    ("PUT", "/api/v1/routing/agents/{id}", P(Permission::ManageUsers)),
    ("GET", "/api/v1/search", P(Permission::ReadCases)),
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
    ("GET", "/api/v1/training/cases", P(Permission::ReadAudit)),
    ("GET", "/api/v1/training/cases/{id}", P(Permission::ReadAudit)),
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
    lookup(API_ROUTES, method, path)
}

/// `(method, route of the UI router, need)`; `None` for the public pages
/// (login, help center, survey links, assets), which take no signed-in
/// user. The [`UiUser`](crate::ui::session::UiUser) extractor enforces the
/// need before any form is read; a unit test checks that every route of
/// `ui::router` has an entry.
pub const UI_ROUTES: &[(&str, &str, Option<Need>)] = &[
    ("GET", "/", None),
    ("GET", "/login", None),
    ("POST", "/login", None),
    ("GET", "/assets/{name}", None),
    ("GET", "/help", None),
    ("GET", "/help/articles/{id}", None),
    ("GET", "/help/suggest", None),
    ("GET", "/survey/{token}", None),
    ("POST", "/survey/{token}", None),
    ("GET", "/fair/{token}", None),
    ("POST", "/fair/{token}", None),
    ("POST", "/cases/{id}/fair-expectation", Some(P(Permission::WorkCases))),
    ("GET", "/offer/{token}", None),
    ("POST", "/offer/{token}", None),
    ("GET", "/offers", Some(P(Permission::ReadAudit))),
    ("POST", "/offers/settings", Some(P(Permission::ManageGoodwill))),
    ("GET", "/panel", Some(P(Permission::ReadAudit))),
    ("GET", "/panel/export.csv", Some(P(Permission::ReadAudit))),
    ("POST", "/panel/invitations", Some(P(Permission::ReadAudit))),
    ("GET", "/panel/join/{token}", None),
    ("POST", "/logout", Some(SignedIn)),
    ("GET", "/settings", Some(SignedIn)),
    ("POST", "/settings/language", Some(SignedIn)),
    ("POST", "/settings/tokens", Some(SignedIn)),
    ("POST", "/settings/tokens/{id}/revoke", Some(SignedIn)),
    ("GET", "/settings/users", Some(P(Permission::ManageUsers))),
    ("POST", "/settings/users", Some(P(Permission::ManageUsers))),
    ("GET", "/settings/users/{id}/routing", Some(P(Permission::ManageUsers))),
    ("POST", "/settings/users/{id}/routing", Some(P(Permission::ManageUsers))),
    ("POST", "/settings/routing", Some(P(Permission::ManageUsers))),
    ("GET", "/settings/sla", Some(P(Permission::ManageSla))),
    ("POST", "/settings/sla", Some(P(Permission::ManageSla))),
    ("GET", "/settings/templates", Some(P(Permission::ReadCases))),
    ("POST", "/settings/templates", Some(P(Permission::ManageTemplates))),
    ("GET", "/settings/templates/{id}", Some(P(Permission::ReadCases))),
    (
        "POST",
        "/settings/templates/{id}/delete",
        Some(P(Permission::ManageTemplates)),
    ),
    ("GET", "/reports/sla", Some(P(Permission::ReadAudit))),
    ("GET", "/playbooks", Some(P(Permission::ReadCases))),
    ("POST", "/playbooks", Some(P(Permission::ManagePlaybooks))),
    ("GET", "/playbooks/new", Some(P(Permission::ManagePlaybooks))),
    ("GET", "/playbooks/{id}", Some(P(Permission::ReadCases))),
    ("POST", "/playbooks/{id}/active", Some(P(Permission::ManagePlaybooks))),
    (
        "POST",
        "/cases/{id}/playbook/steps/{step}",
        Some(P(Permission::WorkCases)),
    ),
    ("POST", "/cases/{id}/service-report", Some(P(Permission::WorkCases))),
    ("GET", "/dashboard", Some(P(Permission::ReadCases))),
    ("GET", "/analytics/paradox", Some(P(Permission::ReadAudit))),
    ("GET", "/analytics/fairness", Some(P(Permission::ReadAudit))),
    ("GET", "/analytics/roi", Some(P(Permission::ReadAudit))),
    ("GET", "/analytics/patterns", Some(P(Permission::ReadAudit))),
    ("GET", "/analytics/churn", Some(P(Permission::ReadCases))),
    ("GET", "/risks", Some(P(Permission::ReadAudit))),
    ("GET", "/analytics/deflection", Some(P(Permission::ReadAudit))),
    ("POST", "/settings/auto-answer", Some(P(Permission::ManageIntegrations))),
    ("GET", "/insights", Some(P(Permission::ReadAudit))),
    ("GET", "/insights/{id}", Some(P(Permission::ReadAudit))),
    ("POST", "/insights/{id}/state", Some(P(Permission::ManagePlaybooks))),
    ("POST", "/insights/{id}/notify", Some(P(Permission::ManagePlaybooks))),
    ("GET", "/teams", Some(P(Permission::ReadAudit))),
    ("POST", "/teams", Some(P(Permission::ManagePlaybooks))),
    ("GET", "/teams/{id}", Some(P(Permission::ReadAudit))),
    ("POST", "/teams/{id}", Some(P(Permission::ManagePlaybooks))),
    ("POST", "/teams/{id}/delete", Some(P(Permission::ManagePlaybooks))),
    (
        "POST",
        "/analytics/churn/train",
        Some(P(Permission::ManageIntegrations)),
    ),
    (
        "POST",
        "/analytics/patterns/change-events",
        Some(P(Permission::ReadAudit)),
    ),
    ("GET", "/audit", Some(P(Permission::ReadAudit))),
    ("GET", "/training", Some(P(Permission::ReadAudit))),
    ("GET", "/training/{case_id}", Some(P(Permission::ReadAudit))),
    ("GET", "/inbox", Some(P(Permission::ReadCases))),
    ("POST", "/inbox/bulk", Some(P(Permission::WorkCases))),
    ("GET", "/cases/new", Some(P(Permission::WorkCases))),
    ("POST", "/cases/new", Some(P(Permission::WorkCases))),
    ("GET", "/cases/{id}", Some(P(Permission::ReadCases))),
    ("POST", "/cases/{id}/transition", Some(P(Permission::WorkCases))),
    ("POST", "/cases/{id}/note", Some(P(Permission::WorkCases))),
    ("POST", "/cases/{id}/assign", Some(P(Permission::WorkCases))),
    ("POST", "/cases/{id}/goodwill", Some(P(Permission::WorkCases))),
    ("POST", "/cases/{id}/reply", Some(P(Permission::WorkCases))),
    (
        "POST",
        "/cases/{id}/messages/{job_id}/retry",
        Some(P(Permission::WorkCases)),
    ),
    ("POST", "/cases/{id}/lead-review", Some(P(Permission::ReadAudit))),
    ("POST", "/cases/{id}/personal-note", Some(P(Permission::WorkCases))),
    ("POST", "/cases/{id}/solutions", Some(P(Permission::WorkCases))),
    (
        "POST",
        "/cases/{id}/messages/{event_id}/split",
        Some(P(Permission::WorkCases)),
    ),
    ("GET", "/cases/{id}/merge", Some(P(Permission::WorkCases))),
    ("POST", "/cases/{id}/merge", Some(P(Permission::WorkCases))),
    ("GET", "/goodwill/approvals", Some(P(Permission::ApproveGoodwill))),
    ("GET", "/goodwill/ledger", Some(P(Permission::ApproveGoodwill))),
    ("GET", "/goodwill/ledger.csv", Some(P(Permission::ApproveGoodwill))),
    ("POST", "/goodwill/{id}/decide", Some(P(Permission::ApproveGoodwill))),
    ("GET", "/settings/goodwill", Some(P(Permission::ManageGoodwill))),
    (
        "POST",
        "/settings/goodwill/catalog",
        Some(P(Permission::ManageGoodwill)),
    ),
    (
        "POST",
        "/settings/goodwill/catalog/{id}/toggle",
        Some(P(Permission::ManageGoodwill)),
    ),
    ("POST", "/settings/goodwill/limits", Some(P(Permission::ManageGoodwill))),
    ("POST", "/settings/goodwill/budget", Some(P(Permission::ManageGoodwill))),
    ("POST", "/settings/goodwill/rules", Some(P(Permission::ManageGoodwill))),
    (
        "POST",
        "/settings/goodwill/rules/{id}/toggle",
        Some(P(Permission::ManageGoodwill)),
    ),
    (
        "POST",
        "/settings/goodwill/rules/{id}/delete",
        Some(P(Permission::ManageGoodwill)),
    ),
    ("GET", "/incidents", Some(P(Permission::ReadCases))),
    ("POST", "/incidents", Some(P(Permission::ManageIncidents))),
    ("GET", "/incidents/{id}", Some(P(Permission::ReadCases))),
    ("GET", "/incidents/{id}/progress", Some(P(Permission::ReadCases))),
    ("POST", "/incidents/{id}/affected", Some(P(Permission::ManageIncidents))),
    ("POST", "/incidents/{id}/status", Some(P(Permission::ManageIncidents))),
    ("POST", "/incidents/{id}/resolve", Some(P(Permission::ManageIncidents))),
    ("GET", "/search", Some(P(Permission::ReadCases))),
    ("GET", "/customers", Some(P(Permission::ReadCases))),
    ("POST", "/customers", Some(P(Permission::WorkCases))),
    ("GET", "/customers/new", Some(P(Permission::WorkCases))),
    ("GET", "/customers/duplicates", Some(P(Permission::ReadCases))),
    ("GET", "/customers/{id}/merge", Some(P(Permission::MergeCustomers))),
    ("POST", "/customers/{id}/merge", Some(P(Permission::MergeCustomers))),
    ("GET", "/customers/{id}", Some(P(Permission::ReadCases))),
    ("GET", "/customers/{id}/edit", Some(P(Permission::WorkCases))),
    ("POST", "/customers/{id}/edit", Some(P(Permission::WorkCases))),
    ("GET", "/customers/{id}/export", Some(P(Permission::ExportPersonalData))),
    ("GET", "/customers/{id}/erase", Some(P(Permission::ErasePersonalData))),
    ("POST", "/customers/{id}/erase", Some(P(Permission::ErasePersonalData))),
    ("POST", "/settings/retention", Some(P(Permission::ErasePersonalData))),
    ("GET", "/accounts", Some(P(Permission::ReadCases))),
    ("POST", "/accounts", Some(P(Permission::WorkCases))),
    ("GET", "/accounts/{id}", Some(P(Permission::ReadCases))),
    ("GET", "/accounts/{id}/edit", Some(P(Permission::WorkCases))),
    ("POST", "/accounts/{id}/edit", Some(P(Permission::WorkCases))),
    ("GET", "/feedback", Some(P(Permission::ReadCases))),
    ("POST", "/feedback/{id}/case", Some(P(Permission::WorkCases))),
    ("POST", "/feedback/{id}/correct", Some(P(Permission::WorkCases))),
    ("GET", "/corrections", Some(P(Permission::ReadAudit))),
    ("POST", "/corrections/models", Some(P(Permission::ManageIntegrations))),
    (
        "POST",
        "/corrections/models/{version}/activate",
        Some(P(Permission::ManageIntegrations)),
    ),
    (
        "POST",
        "/corrections/models/deactivate",
        Some(P(Permission::ManageIntegrations)),
    ),
    ("GET", "/settings/rules", Some(P(Permission::ReadCases))),
    ("POST", "/settings/rules", Some(P(Permission::ManageRules))),
    ("POST", "/settings/attach-window", Some(P(Permission::ManageRules))),
    ("POST", "/settings/rules/{id}/toggle", Some(P(Permission::ManageRules))),
    ("POST", "/settings/rules/{id}/delete", Some(P(Permission::ManageRules))),
    ("GET", "/settings/jobs", Some(P(Permission::ManageIntegrations))),
    ("GET", "/settings/mail", Some(P(Permission::ManageIntegrations))),
    (
        "POST",
        "/settings/mail/{id}/release",
        Some(P(Permission::ManageIntegrations)),
    ),
    (
        "POST",
        "/settings/mail/{id}/delete",
        Some(P(Permission::ManageIntegrations)),
    ),
    (
        "POST",
        "/settings/jobs/{id}/retry",
        Some(P(Permission::ManageIntegrations)),
    ),
    ("GET", "/settings/webhooks", Some(P(Permission::ManageIntegrations))),
    ("POST", "/settings/webhooks", Some(P(Permission::ManageIntegrations))),
    (
        "POST",
        "/settings/webhooks/{id}/delete",
        Some(P(Permission::ManageIntegrations)),
    ),
    ("GET", "/settings/widget", Some(P(Permission::ManageRules))),
    ("POST", "/settings/widget", Some(P(Permission::ManageRules))),
    ("POST", "/settings/widget/{id}/toggle", Some(P(Permission::ManageRules))),
    ("POST", "/settings/widget/{id}/delete", Some(P(Permission::ManageRules))),
    ("GET", "/solutions", Some(P(Permission::ReadCases))),
    ("POST", "/solutions", Some(P(Permission::WorkCases))),
    ("GET", "/solutions/new", Some(P(Permission::WorkCases))),
    ("GET", "/solutions/{id}", Some(P(Permission::ReadCases))),
    ("POST", "/solutions/{id}", Some(P(Permission::WorkCases))),
    ("GET", "/solutions/{id}/edit", Some(P(Permission::WorkCases))),
    ("POST", "/solutions/{id}/delete", Some(P(Permission::ManageSolutions))),
    ("GET", "/settings/help-center", Some(P(Permission::ManageSolutions))),
    ("POST", "/settings/help-center", Some(P(Permission::ManageSolutions))),
];

/// The entry of UI route `path` for `method`: `Some(None)` for a public
/// page, `Some(Some(need))` for a signed-in one, `None` without an entry.
#[must_use]
pub fn ui_need(method: &Method, path: &str) -> Option<Option<Need>> {
    lookup(UI_ROUTES, method, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The routes of `ui::router` as written in its source: `(method, path)`.
    fn ui_router_routes() -> Vec<(String, String)> {
        let src = include_str!("../ui/mod.rs");
        let body = src.split("pub fn router").nth(1).expect("ui::router");
        let mut out = Vec::new();
        for part in body.split(".route(").skip(1) {
            let path = part.split('"').nth(1).expect("route path").to_string();
            let handlers = part.split(".route(").next().unwrap_or_default();
            for (m, token) in [("GET", "get("), ("POST", "post(")] {
                if handlers.contains(token) {
                    out.push((m.to_string(), path.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn every_ui_route_has_exactly_one_entry() {
        let routes = ui_router_routes();
        assert!(routes.len() > 80, "read only {} UI routes", routes.len());
        for (m, p) in &routes {
            let n = UI_ROUTES.iter().filter(|(em, ep, _)| em == m && ep == p).count();
            assert_eq!(n, 1, "UI route {m} {p} needs exactly one entry in UI_ROUTES, has {n}");
        }
        for (m, p, _) in UI_ROUTES {
            assert!(
                routes.iter().any(|(rm, rp)| rm == m && rp == p),
                "UI_ROUTES names {m} {p}, which ui::router does not serve"
            );
        }
    }

    #[test]
    fn every_api_route_has_exactly_one_entry() {
        for (m, p, _) in API_ROUTES {
            let n = API_ROUTES.iter().filter(|(em, ep, _)| em == m && ep == p).count();
            assert_eq!(n, 1, "{m} {p} is listed {n} times");
        }
    }

    #[test]
    fn head_is_looked_up_as_get() {
        assert_eq!(ui_need(&Method::HEAD, "/inbox"), Some(Some(P(Permission::ReadCases))));
        assert_eq!(ui_need(&Method::GET, "/nowhere"), None);
        assert_eq!(api_need(&Method::HEAD, "/api/v1/me"), Some(SignedIn));
    }
}
