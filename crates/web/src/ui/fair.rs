//! What is fair: the customer's public page (`/fair/{token}`, no login, in
//! the customer's language), the panel and form on the case page, and the
//! fairness report (`/analytics/fairness`).
//!
//! The public form is bound to its link: the token names one case and is
//! signed, so a form posted from elsewhere needs the link; a post whose
//! `Origin` is another host is refused, and answers are rate-limited per
//! case and per client address.

use crate::state::AppState;
use crate::ui::forms::CsrfForm;
use crate::ui::session::UiUser;
use crate::ui::{UiError, page as render_page};
use amends_app::fair::{self, FairExpectationIn, FairLinkProblem};
use amends_domain::fair::{FairAnswer, FairChoice, parse_euros};
use amends_domain::{CaseId, Language};
use amends_store::Case;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use std::net::SocketAddr;
use uuid::Uuid;

/// Answers one case's link takes per minute.
const PER_CASE_MINUTE: u32 = 10;

fn choices() -> Vec<&'static str> {
    FairChoice::ALL.iter().map(|c| c.as_str()).collect()
}

fn public_page(state: &AppState, lang: Language, status: StatusCode, ctx: Value) -> Result<Response, UiError> {
    let html = render_page(state, "fair.html", lang, None, ctx)?;
    Ok((status, html).into_response())
}

/// A link that cannot be answered (in both languages: the customer's is not known).
fn link_problem(state: &AppState, p: FairLinkProblem) -> Result<Response, UiError> {
    let (status, key) = match p {
        FairLinkProblem::Invalid => (StatusCode::NOT_FOUND, "fair-invalid"),
        FairLinkProblem::Expired => (StatusCode::GONE, "fair-expired"),
    };
    public_page(
        state,
        Language::De,
        status,
        context! { mode => "problem", problem => key },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct FairForm {
    #[serde(default)]
    choice: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    note: String,
}

fn form_ctx(token: &str, case: &Case, form: &FairForm, errors: Value) -> Value {
    context! { mode => "form", token => token, case_subject => case.subject.clone(), customer => case.customer_name.clone(),
    choices => choices(), choice => form.choice.clone(), amount => form.amount.clone(), note => form.note.clone(), errors => errors }
}

/// `GET /fair/{token}`.
pub async fn public_get(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, UiError> {
    match fair::open(&state, &token).await {
        Ok(case) => {
            // Prefill with the answer that counts, so answering again starts from it.
            let current = state.store().fair_expectations(case.id).await?.into_iter().next();
            let form = current
                .filter(|c| c.source == "customer")
                .map(|c| FairForm {
                    choice: c.choice,
                    amount: c
                        .amount_cents
                        .map(|a| amends_i18n::format::format_money(a, case.customer_language))
                        .unwrap_or_default()
                        .replace(['€', '\u{a0}'], "")
                        .trim()
                        .to_string(),
                    note: c.note.unwrap_or_default(),
                })
                .unwrap_or_default();
            let ctx = form_ctx(&token, &case, &form, context! {});
            public_page(&state, case.customer_language, StatusCode::OK, ctx)
        }
        Err(p) => link_problem(&state, p),
    }
}

/// Whether a browser's `Origin` (when it sends one) is this host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
}

/// `POST /fair/{token}`: the customer's answer; an invalid one comes back
/// with a message next to its field (422).
pub async fn public_post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<FairForm>,
) -> Result<Response, UiError> {
    let case = match fair::open(&state, &token).await {
        Ok(c) => c,
        Err(p) => return link_problem(&state, p),
    };
    let lang = case.customer_language;
    let now = state.now();
    let limiter = state.widget_limiter();
    if !same_origin(&headers) {
        return public_page(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            context! { mode => "problem", problem => "fair-refused" },
        );
    }
    if !limiter.allow(&format!("fair:{}", case.id), now, PER_CASE_MINUTE)
        || !limiter.allow(
            &format!("fair-ip:{}", peer.ip()),
            now,
            state.config().widget_posts_per_ip_minute,
        )
    {
        return public_page(
            &state,
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            context! { mode => "problem", problem => "fair-too-many" },
        );
    }
    let parsed = parse_euros(&form.amount).and_then(|amount| FairAnswer::parse(&form.choice, amount, Some(&form.note)));
    match parsed {
        Ok(answer) => {
            fair::answer(&state, &case, &answer).await?;
            public_page(
                &state,
                lang,
                StatusCode::OK,
                context! { mode => "thanks", token => token },
            )
        }
        Err(e) => {
            let errors = context! { choice => e.field == "choice", amount => e.field == "amount_cents", note => e.field == "note" };
            let ctx = form_ctx(&token, &case, &form, errors);
            public_page(&state, lang, StatusCode::UNPROCESSABLE_ENTITY, ctx)
        }
    }
}

/// The case page's panel.
pub async fn case_panel(state: &AppState, case: CaseId) -> Result<Value, UiError> {
    let out = fair::get(state, case).await?;
    Ok(context! { fair => Value::from_serialize(&out), choices => choices() })
}

/// `POST /cases/{id}/fair-expectation`: an answer the customer gave the agent.
pub async fn case_post(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<FairForm>,
) -> Result<Response, UiError> {
    let input = parse_euros(&form.amount).map(|amount_cents| FairExpectationIn {
        choice: form.choice.clone(),
        amount_cents,
        note: Some(form.note.clone()),
    });
    let result = match input {
        Ok(input) => fair::set_by_agent(&state, CaseId(id), &input, ui.user.id).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(crate::ui::flash::to(&format!("/cases/{id}#fair"), "fair-saved")),
        Err(amends_app::AppError::Validation { field, .. }) => {
            let key = match field.as_str() {
                "choice" => "fair-err-choice",
                "amount_cents" => "fair-err-amount",
                _ => "fair-err-note",
            };
            let message = state.ui().i18n().t(ui.lang(), key, &[]);
            let field = if field == "amount_cents" {
                "fair-amount".to_string()
            } else {
                format!("fair-{field}")
            };
            crate::ui::cases::page_with_field_error(&state, &ui, id, None, Some((field, message))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    settle_days: Option<String>,
}

/// `GET /analytics/fairness`.
pub async fn report_page(
    State(state): State<AppState>,
    ui: UiUser,
    Query(q): Query<ReportQuery>,
) -> Result<Response, UiError> {
    let settle = q
        .settle_days
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<i64>().unwrap_or(-1));
    let (report, error) = match amends_app::analytics::fairness::fairness(&state, settle).await {
        Ok(r) => (r, false),
        Err(amends_app::AppError::Validation { .. }) => {
            (amends_app::analytics::fairness::fairness(&state, None).await?, true)
        }
        Err(e) => return Err(e.into()),
    };
    let html = ui.render(
        &state,
        "fairness.html",
        context! { nav => "dashboard", report => Value::from_serialize(&report), settle_error => error,
        min_n => amends_app::analytics::fairness::MIN_N },
    )?;
    let status = if error {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, html).into_response())
}
