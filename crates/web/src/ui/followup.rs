//! Follow-up pages: the public survey page (no login), the reply editor
//! and lead review on the case page, and the admin pages for the job
//! queue (dead jobs, retry) and webhooks (with their delivery log).

use crate::state::AppState;
use crate::ui::forms::CsrfForm;
use crate::ui::forms::CsrfPairs;
use crate::ui::forms::EmptyForm;
use crate::ui::forms::IdButton;
use crate::ui::session::UiUser;
use crate::ui::{UiError, page as render_page};
use amends_app::followup::{self, LinkProblem};
use amends_domain::{CaseId, Language, Permission};
use amends_store::AnswerOutcome;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use uuid::Uuid;

fn admin(ui: &UiUser) -> Result<(), UiError> {
    if ui.user.role.can(Permission::ManageIntegrations) {
        Ok(())
    } else {
        Err(UiError::Refused("error-role-admin"))
    }
}

fn survey_page(state: &AppState, lang: Language, status: StatusCode, ctx: Value) -> Result<Response, UiError> {
    let html = render_page(state, "survey.html", lang, None, ctx)?;
    Ok((status, html).into_response())
}

/// The page for a link that cannot be answered (in both languages: we may not know the customer's).
fn link_problem(state: &AppState, p: LinkProblem) -> Result<Response, UiError> {
    let (status, key) = match p {
        LinkProblem::Invalid => (StatusCode::BAD_REQUEST, "survey-invalid"),
        LinkProblem::Expired => (StatusCode::GONE, "survey-expired"),
        LinkProblem::Used => (StatusCode::CONFLICT, "survey-used"),
        LinkProblem::Closed => (StatusCode::CONFLICT, "survey-closed"),
    };
    survey_page(
        state,
        Language::De,
        status,
        context! { mode => "problem", problem => key },
    )
}

pub async fn survey_get(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, UiError> {
    match followup::open_survey(&state, &token).await {
        Ok(s) => {
            let case = state.store().get_case(CaseId(s.case_id)).await?;
            let lang = s.language;
            survey_page(
                &state,
                lang,
                StatusCode::OK,
                context! { mode => "form", token => token, case_subject => case.subject, customer => case.customer_name },
            )
        }
        Err(p) => link_problem(&state, p),
    }
}

#[derive(Deserialize)]
pub struct SurveyForm {
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    solved: String,
}

pub async fn survey_post(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<SurveyForm>,
) -> Result<Response, UiError> {
    let survey = match followup::open_survey(&state, &token).await {
        Ok(s) => s,
        Err(p) => return link_problem(&state, p),
    };
    let lang = survey.language;
    let score: i64 = form.score.trim().parse().unwrap_or(0);
    let solved = match form.solved.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    match followup::answer(&state, &survey, score, Some(&form.comment), solved).await {
        Ok(outcome) => survey_page(
            &state,
            lang,
            StatusCode::OK,
            context! { mode => "thanks", sorry => outcome != AnswerOutcome::FollowedUp },
        ),
        Err(amends_app::AppError::Validation { field, .. }) => {
            let case = state.store().get_case(CaseId(survey.case_id)).await?;
            survey_page(
                &state,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                context! { mode => "form", token => token, case_subject => case.subject, customer => case.customer_name,
                error => if field == "score" { "survey-err-score" } else { "survey-err-comment" }, comment => form.comment },
            )
        }
        Err(amends_app::AppError::Conflict { .. }) => link_problem(&state, LinkProblem::Used),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ReplyForm {
    body: String,
    /// Optional; a template fills it.
    #[serde(default)]
    subject: String,
    /// A random key from the form, so a double submit sends one mail.
    #[serde(default)]
    key: String,
}

pub async fn reply(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<ReplyForm>,
) -> Result<Response, UiError> {
    let key = (!form.key.is_empty()).then_some(form.key.as_str());
    match followup::enqueue_reply(
        &state,
        CaseId(id),
        &form.body,
        Some(form.subject.as_str()),
        ui.user.id,
        key,
    )
    .await
    {
        Ok(_) => Ok(crate::ui::flash::to(
            &format!("/cases/{id}#outbox"),
            "flash-reply-queued",
        )),
        Err(e @ amends_app::AppError::Validation { .. }) => {
            let text = crate::ui::cases::action_error(&state, &ui, &e);
            crate::ui::cases::page_handler(&state, &ui, id, Some(text)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Sends a message of the case again (failed, or waiting for its next attempt).
pub async fn retry_message(
    State(state): State<AppState>,
    Path((id, job_id)): Path<(Uuid, Uuid)>,
    CsrfForm(ui, _): CsrfForm<EmptyForm>,
) -> Result<Response, UiError> {
    match amends_app::delivery::retry(&state, CaseId(id), job_id, ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to(&format!("/cases/{id}#timeline"), "flash-retry")),
        Err(e @ amends_app::AppError::Conflict { .. }) => {
            crate::ui::cases::page_handler(&state, &ui, id, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn lead_review(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    if !ui.user.role.can(Permission::ReadAudit) {
        return Err(UiError::Refused("error-role-lead"));
    }
    amends_app::followup::lead_reviewed(&state, CaseId(id), ui.user.id).await?;
    Ok(crate::ui::flash::to(&format!("/cases/{id}"), "flash-saved"))
}

/// Marks the case's personal-note task done.
pub async fn personal_note_done(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    amends_app::followup::complete_personal_note(&state, CaseId(id), ui.user.id).await?;
    Ok(crate::ui::flash::to(&format!("/cases/{id}"), "flash-saved"))
}

pub async fn jobs_page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let dead = state.store().list_jobs(Some("dead"), 200).await?;
    let counts = state.store().count_jobs().await?;
    ui.page(
        &state,
        "jobs.html",
        context! { nav => "settings", dead => Value::from_serialize(&dead), counts => counts,
        imap => Value::from_serialize(state.imap_status().get()) },
    )
}

pub async fn retry_job(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    amends_app::jobs::retry(&state, id, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/jobs", "flash-retry"))
}

async fn webhooks_render(
    state: &AppState,
    ui: &UiUser,
    created: Option<(String, String)>,
    error: Option<String>,
) -> Result<Response, UiError> {
    let hooks = state.store().list_webhooks().await?;
    let deliveries = state.store().list_deliveries(None, 100).await?;
    let urls: std::collections::HashMap<Uuid, String> = hooks.iter().map(|h| (h.id, h.url.clone())).collect();
    let log: Vec<Value> = deliveries
        .iter()
        .map(|d| {
            context! { id => d.id, url => urls.get(&d.webhook_id).cloned().unwrap_or_default(), event => d.event.clone(),
            state => d.state.clone(), attempts => d.attempts, last_status => d.last_status, last_error => d.last_error.clone(),
            updated_at => d.updated_at }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let html = ui.render(state, "webhooks.html", context! {
            nav => "settings",
            hooks => hooks.iter().map(|h| context!{ id => h.id, url => h.url.clone(), events => h.event_list(), created_at => h.created_at }).collect::<Vec<_>>(),
            events => amends_app::webhooks::EVENTS.to_vec(),
            deliveries => log,
            created => created.map(|(url, secret)| context!{ url => url, secret => secret }),
            error => error,
        })?;
    Ok((status, html).into_response())
}

pub async fn webhooks_page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    webhooks_render(&state, &ui, None, None).await
}

pub async fn webhook_create(
    State(state): State<AppState>,
    CsrfPairs(ui, pairs): CsrfPairs,
) -> Result<Response, UiError> {
    let mut url = String::new();
    let mut events = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "url" => url = v,
            "events" => events.push(v),
            _ => {}
        }
    }
    admin(&ui)?;
    match amends_app::webhooks::create(&state, &url, &events, ui.user.id).await {
        Ok((hook, secret)) => webhooks_render(&state, &ui, Some((hook.url, secret)), None).await,
        Err(amends_app::AppError::Validation { field, .. }) => {
            let key = if field == "events" {
                "err-webhook-events"
            } else {
                "err-webhook-url"
            };
            let message = state.ui().i18n().t(ui.lang(), key, &[]);
            webhooks_render(&state, &ui, None, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn webhook_delete(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    amends_app::webhooks::deactivate(&state, id, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/webhooks", "flash-deleted"))
}

/// The follow-up panel data for the case page.
pub async fn case_panel(state: &AppState, case: CaseId) -> Result<Value, UiError> {
    let f = state.store().case_follow_up(case).await?;
    let surveys = state.store().list_case_surveys(case).await?;
    let smtp = state.mailer().configured();
    let (mut outbox, mut internal) = (Vec::new(), Vec::new());
    for job in state.store().list_case_jobs(case).await? {
        let mail = (job.kind == "mail")
            .then(|| serde_json::from_str::<amends_app::jobs::MailTask>(&job.payload).ok())
            .flatten();
        let row = context! {
            kind => job.kind.clone(), state => job.state.clone(), attempts => job.attempts, run_at => job.run_at,
            last_error => job.last_error.clone(),
            reason => job.last_error.as_deref().map(amends_app::delivery::reason_code)
                .or((!smtp && job.state == "queued" && mail.is_some()).then_some("no_smtp")),
            purpose => mail.as_ref().map(|m| m.purpose.clone()),
            to => mail.as_ref().map(|m| m.mail.to.clone()),
        };
        if mail
            .as_ref()
            .is_some_and(|m| amends_app::delivery::is_internal(&m.purpose))
        {
            internal.push(row);
        } else {
            outbox.push(row);
        }
    }
    let report = amends_app::followup::service_report::get(state, case).await?;
    Ok(context! {
        report => Value::from_serialize(&report),
        lead_attention => f.lead_attention,
        follow_up_at => f.follow_up_at,
        surveys => Value::from_serialize(&surveys),
        outbox => outbox,
        internal => internal,
        smtp => smtp,
        reply_key => Uuid::new_v4().simple().to_string(),
    })
}

/// `POST /cases/{id}/service-report`: sends the report on its own.
pub async fn send_service_report(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, EmptyForm {}): CsrfForm<EmptyForm>,
) -> Result<Response, UiError> {
    let q = amends_app::followup::service_report::send(&state, CaseId(id), ui.user.id).await?;
    let key = if q.queued {
        "flash-service-report-sent"
    } else {
        "flash-service-report-again"
    };
    Ok(crate::ui::flash::to(&format!("/cases/{id}#service-report"), key))
}
