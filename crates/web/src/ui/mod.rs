//! The web UI: server-rendered pages, German and English, no JS build step.
//! Forms post back to the server (CSRF token in every form); a small
//! embedded script adds keyboard shortcuts and live SLA countdowns.

pub mod admin;
pub mod analytics;
pub mod assets;
pub mod case_merge;
pub mod cases;
pub mod chart;
pub mod churn;
pub mod corrections;
pub mod customer_forms;
pub mod customer_merge;
pub mod customers;
pub mod error_page;
pub mod fair;
pub mod feedback;
pub mod flash;
pub mod followup;
pub mod forms;
pub mod goodwill;
pub mod inbox;
pub mod incidents;
pub mod insights;
pub mod panel;
pub mod patterns;
pub mod playbooks;
pub mod privacy;
pub mod quarantine;
pub mod risks;
pub mod routing;
pub mod search;
pub mod self_service;
pub mod session;
pub mod settings;
pub mod sla;
pub mod solutions;
pub mod templates;
pub mod tier_offers;
pub mod training;
pub mod widget;

use crate::error::ApiError;
use crate::state::AppState;
use amends_app::AppError;
use amends_domain::Language;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Value, context};
use session::UiUser;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/inbox") }))
        .route("/login", get(session::login_page).post(session::login_submit))
        .route("/logout", post(session::logout))
        .route("/settings", get(settings::page_handler))
        .route("/settings/language", post(session::set_language))
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/retention", post(settings::set_retention))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/settings/users", get(admin::users).post(admin::create_user))
        .route("/settings/users/{id}/routing", get(routing::edit).post(routing::save))
        .route("/settings/routing", post(routing::toggle))
        .route("/settings/sla", get(sla::page).post(sla::save))
        .route("/settings/templates", get(templates::page).post(templates::save))
        .route("/playbooks", get(playbooks::list).post(playbooks::save))
        .route("/playbooks/new", get(playbooks::new))
        .route("/playbooks/{id}", get(playbooks::show))
        .route("/playbooks/{id}/active", post(playbooks::set_active))
        .route("/cases/{id}/playbook/steps/{step}", post(playbooks::mark_step))
        .route("/cases/{id}/service-report", post(followup::send_service_report))
        .route("/settings/templates/{id}", get(templates::edit))
        .route("/settings/templates/{id}/delete", post(templates::delete))
        .route("/reports/sla", get(sla::report))
        .route("/dashboard", get(analytics::dashboard))
        .route("/analytics/paradox", get(analytics::paradox_page))
        .route("/analytics/roi", get(analytics::roi_page))
        .route("/analytics/patterns", get(patterns::patterns_page))
        .route("/analytics/churn", get(churn::churn_page))
        .route("/analytics/churn/train", post(churn::train))
        .route("/risks", get(risks::page))
        .route("/insights", get(insights::list))
        .route("/insights/{id}", get(insights::show))
        .route("/insights/{id}/state", post(insights::set_state))
        .route("/insights/{id}/notify", post(insights::notify))
        .route("/teams", get(insights::teams).post(insights::add_team))
        .route("/teams/{id}", get(insights::edit_team).post(insights::update_team))
        .route("/teams/{id}/delete", post(insights::delete_team))
        .route("/analytics/patterns/change-events", post(patterns::create_change_event))
        .route("/audit", get(admin::audit))
        .route("/training", get(training::list))
        .route("/training/{case_id}", get(training::page_handler))
        .route("/inbox", get(inbox::page))
        .route("/inbox/bulk", post(inbox::bulk))
        .route("/cases/new", get(cases::new_page).post(cases::create))
        .route("/cases/{id}", get(cases::page))
        .route("/cases/{id}/transition", post(cases::transition))
        .route("/cases/{id}/note", post(cases::note))
        .route("/cases/{id}/assign", post(cases::assign))
        .route("/cases/{id}/goodwill", post(goodwill::grant))
        .route("/goodwill/approvals", get(goodwill::approvals))
        .route("/goodwill/ledger", get(goodwill::ledger))
        .route("/settings/goodwill", get(goodwill::settings))
        .route("/settings/goodwill/catalog", post(goodwill::catalog_create))
        .route("/settings/goodwill/catalog/{id}/toggle", post(goodwill::catalog_toggle))
        .route("/settings/goodwill/limits", post(goodwill::limit_set))
        .route("/settings/goodwill/budget", post(goodwill::budget_set))
        .route("/goodwill/ledger.csv", get(goodwill::ledger_csv))
        .route("/goodwill/{id}/decide", post(goodwill::decide))
        .route("/incidents", get(incidents::list).post(incidents::create))
        .route("/incidents/{id}", get(incidents::page))
        .route("/incidents/{id}/progress", get(incidents::progress))
        .route("/incidents/{id}/affected", post(incidents::upload))
        .route("/incidents/{id}/status", post(incidents::set_status))
        .route("/incidents/{id}/resolve", post(incidents::resolve))
        .route("/settings/goodwill/rules", post(incidents::rule_create))
        .route("/settings/goodwill/rules/{id}/toggle", post(incidents::rule_toggle))
        .route("/settings/goodwill/rules/{id}/delete", post(incidents::rule_delete))
        .route("/search", get(search::page))
        .route("/customers", get(customers::list).post(customer_forms::create))
        .route("/customers/new", get(customer_forms::new_page))
        .route("/customers/duplicates", get(customer_merge::duplicates))
        .route(
            "/customers/{id}/merge",
            get(customer_merge::merge_page).post(customer_merge::merge),
        )
        .route("/customers/{id}", get(customers::page))
        .route(
            "/customers/{id}/edit",
            get(customer_forms::edit_page).post(customer_forms::update),
        )
        .route(
            "/accounts",
            get(customer_forms::accounts).post(customer_forms::create_account),
        )
        .route("/customers/{id}/export", get(privacy::export))
        .route("/customers/{id}/erase", get(privacy::confirm_page).post(privacy::erase))
        .route("/accounts/{id}", get(customers::account_page))
        .route(
            "/accounts/{id}/edit",
            get(customer_forms::edit_account_page).post(customer_forms::update_account),
        )
        .route("/assets/{name}", get(assets::serve))
        .route("/feedback", get(feedback::stream))
        .route("/feedback/{id}/case", post(feedback::open_case))
        .route("/feedback/{id}/correct", post(corrections::correct))
        .route("/corrections", get(corrections::list))
        .route("/corrections/models", post(corrections::train))
        .route("/corrections/models/{version}/activate", post(corrections::activate))
        .route("/corrections/models/deactivate", post(corrections::deactivate))
        .route("/settings/rules", get(feedback::rules_page).post(feedback::create_rule))
        .route("/settings/rules/{id}/toggle", post(feedback::toggle_rule))
        .route("/settings/rules/{id}/delete", post(feedback::delete_rule))
        .route("/settings/attach-window", post(case_merge::set_window))
        .route("/cases/{id}/messages/{event_id}/split", post(case_merge::split))
        .route("/cases/{id}/merge", get(case_merge::merge_page).post(case_merge::merge))
        .route("/cases/{id}/reply", post(followup::reply))
        .route("/cases/{id}/lead-review", post(followup::lead_review))
        .route("/cases/{id}/personal-note", post(followup::personal_note_done))
        .route("/settings/jobs", get(followup::jobs_page))
        .route("/settings/jobs/{id}/retry", post(followup::retry_job))
        .route("/settings/mail", get(quarantine::page))
        .route("/settings/mail/{id}/release", post(quarantine::release))
        .route("/settings/mail/{id}/delete", post(quarantine::delete))
        .route(
            "/settings/webhooks",
            get(followup::webhooks_page).post(followup::webhook_create),
        )
        .route("/settings/webhooks/{id}/delete", post(followup::webhook_delete))
        .route("/settings/widget", get(widget::page).post(widget::create))
        .route("/settings/widget/{id}/toggle", post(widget::toggle))
        .route("/settings/widget/{id}/delete", post(widget::delete))
        .route("/solutions", get(solutions::list).post(solutions::create))
        .route("/solutions/new", get(solutions::new_page))
        .route("/solutions/{id}", get(solutions::page).post(solutions::update))
        .route("/solutions/{id}/edit", get(solutions::edit_page))
        .route("/solutions/{id}/delete", post(solutions::delete))
        .route("/cases/{id}/solutions", post(solutions::link))
        .route(
            "/settings/help-center",
            get(solutions::theme_page).post(solutions::theme_save),
        )
        .route("/analytics/deflection", get(self_service::page))
        .route("/help/suggest", get(self_service::help_suggest))
        .route("/settings/auto-answer", post(self_service::save))
        .route("/help", get(solutions::help_home))
        .route("/help/articles/{id}", get(solutions::help_article))
        .route("/survey/{token}", get(followup::survey_get).post(followup::survey_post))
        .route("/fair/{token}", get(fair::public_get).post(fair::public_post))
        .route("/cases/{id}/fair-expectation", post(fair::case_post))
        .route("/analytics/fairness", get(fair::report_page))
        .route(
            "/offer/{token}",
            get(tier_offers::public_get).post(tier_offers::public_post),
        )
        .route("/offers", get(tier_offers::page))
        .route("/offers/settings", post(tier_offers::save_settings))
        .route("/panel", get(panel::page))
        .route("/panel/export.csv", get(panel::export))
        .route("/panel/invitations", post(panel::invite))
        .route("/panel/join/{token}", get(panel::join))
        .route("/cases/{id}/messages/{job_id}/retry", post(followup::retry_message))
        .layer(axum::middleware::from_fn(flash::clear))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error_page::localize,
        ))
        .with_state(state)
}

/// Errors of UI pages. The response carries an [`error_page::ErrorPage`];
/// the [`error_page::localize`] layer renders it in the reader's language.
#[derive(Debug)]
pub enum UiError {
    NotFound,
    /// Refused; the detail is developer English, shown to English readers only.
    Forbidden(String),
    /// Refused, with the reason as a catalogue key.
    Refused(&'static str),
    /// Bad input; the detail is developer English, shown to English readers only.
    BadRequest(String),
    /// Bad input, with a message already in the reader's language.
    Invalid(String),
    TooManyRequests,
    /// The database cannot be reached now.
    Unavailable(String),
    Internal(String),
}

impl From<AppError> for UiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound(_) => UiError::NotFound,
            AppError::Forbidden(m) => UiError::Forbidden(m),
            AppError::Internal(m) => UiError::Internal(m),
            AppError::Unavailable(m) => UiError::Unavailable(m),
            AppError::TooManyRequests => UiError::TooManyRequests,
            other => UiError::BadRequest(other.to_string()),
        }
    }
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized => UiError::Refused("error-sign-in"),
            ApiError::App(e) => e.into(),
        }
    }
}

impl From<amends_store::StoreError> for UiError {
    fn from(e: amends_store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<minijinja::Error> for UiError {
    fn from(e: minijinja::Error) -> Self {
        UiError::Internal(format!("template: {e:#}"))
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        use error_page::{Detail, ErrorPage};
        let (status, key, detail) = match self {
            UiError::NotFound => (StatusCode::NOT_FOUND, "error-not-found", Detail::None),
            UiError::Forbidden(m) => (StatusCode::FORBIDDEN, "error-forbidden", Detail::English(m)),
            UiError::Refused(k) => (StatusCode::FORBIDDEN, "error-forbidden", Detail::Key(k)),
            UiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "error-bad-request", Detail::English(m)),
            UiError::Invalid(m) => (StatusCode::BAD_REQUEST, "error-bad-request", Detail::Text(m)),
            UiError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "error-too-many", Detail::None),
            UiError::Unavailable(m) => {
                tracing::warn!(cause = %m, "database unavailable (UI)");
                (StatusCode::SERVICE_UNAVAILABLE, "error-unavailable", Detail::None)
            }
            UiError::Internal(m) => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                tracing::error!(error_id = %id, cause = %m, "internal error in UI");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal", Detail::ErrorId(id))
            }
        };
        ErrorPage { status, key, detail }.into_response()
    }
}

/// Escapes text for HTML (for the few strings built outside templates).
#[must_use]
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A form page as the answer to its post: 422 when it shows an input
/// error (`failed`), else 200.
pub fn form_response(html: Html<String>, failed: bool) -> Response {
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, html).into_response()
}

/// Renders a full page with the common context (language, user, CSRF token, now).
pub fn page(
    state: &AppState,
    template: &str,
    lang: Language,
    user: Option<&UiUser>,
    extra: Value,
) -> Result<Html<String>, UiError> {
    let ctx = context! {
        lang => lang.code(),
        now => state.now(),
        user => user.map(|u| context!{
            id => u.user.id,
            name => u.user.display_name.clone(),
            role => u.user.role.as_str(),
            pending_approvals => u.pending_approvals,
        }),
        csrf => user.map(|u| u.csrf.clone()),
        flash => user.and_then(|u| u.flash.clone()),
        ..extra
    };
    Ok(Html(state.ui().render(template, ctx)?))
}
