//! The service report of a resolved case ("what we did for you", see
//! `amends_domain::service_report`): its facts read from the case, its
//! mails, grants and playbook; shown to the agent on the case page and in
//! the API; sent to the customer with the satisfaction survey, or on its
//! own through the outbox (once per resolution).

use super::{queue_customer_mail, render_mail};
use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::service_report::{GrantFact, ReportFacts, ServiceReport, build};
use amends_domain::{CaseId, CaseState, UserId};
use amends_store::{Case, GrantFilter, new_row_id};
use minijinja::context;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Mails that are the follow-up itself; the report counts the others.
const NOT_COUNTED: [&str; 3] = ["survey", "check_in", "service_report"];

/// A case's service report, as the customer would receive it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceReportOut {
    pub case_id: Uuid,
    /// The customer's language: the one `text` is written in.
    pub language: String,
    /// `null` while the case is not resolved.
    pub report: Option<ServiceReport>,
    /// The report as the mail says it (plain text), `null` while not resolved.
    pub text: Option<String>,
}

/// Whether a case counts as resolved for the report.
fn resolved(state: CaseState) -> bool {
    matches!(state, CaseState::Resolved | CaseState::FollowedUp | CaseState::Closed)
}

/// The report of `case` (`None` while it is not resolved).
pub async fn report_of(app: &App, case: &Case) -> AppResult<Option<ServiceReport>> {
    if !resolved(case.state) {
        return Ok(None);
    }
    let mails = crate::delivery::case_mails(app, case.id).await?;
    let messages_sent = mails
        .iter()
        .filter(|m| !m.internal() && m.job.state == "done" && !NOT_COUNTED.contains(&m.task.purpose.as_str()))
        .count();
    let grants = app
        .store()
        .list_grants(&GrantFilter {
            case_id: Some(case.id),
            limit: 200,
            ..GrantFilter::default()
        })
        .await?
        .into_iter()
        .map(|g| GrantFact {
            kind: g.kind,
            value_cents: g.value_cents,
            state: g.state,
        })
        .collect();
    let steps_done = match crate::playbooks::for_case(app, case.id).await? {
        Some(p) => p
            .steps
            .iter()
            .filter(|s| s.done_at.is_some())
            .map(|s| (s.step.title_de.clone(), s.step.title_en.clone()))
            .collect(),
        None => Vec::new(),
    };
    Ok(build(&ReportFacts {
        opened_at: Some(case.created_at),
        resolved_at: case.resolved_at,
        messages_sent: u32::try_from(messages_sent).unwrap_or(u32::MAX),
        proactive: case.incident_id.is_some(),
        grants,
        steps_done,
    }))
}

/// The report of case `id` with its text in the customer's language.
pub async fn get(app: &App, id: CaseId) -> AppResult<ServiceReportOut> {
    let case = app.store().get_case(id).await?;
    let customer = app.store().get_customer(case.customer_id).await?;
    let report = report_of(app, &case).await?;
    let text = match &report {
        Some(r) => Some(
            render_mail(
                app,
                customer.language,
                "service_report",
                context! { name => customer.name.clone(), case_subject => case.subject.clone(), report => r, only_report => true },
            )
            .map_err(AppError::internal)?
            .1,
        ),
        None => None,
    };
    Ok(ServiceReportOut {
        case_id: case.id.0,
        language: customer.language.code().to_string(),
        report,
        text,
    })
}

/// What sending the report did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportQueued {
    /// The outbox job that sends it.
    pub job_id: Uuid,
    /// False when the report of this resolution was queued before (nothing new was queued).
    pub queued: bool,
}

/// Queues the report of case `id` to its customer, once per resolution:
/// 409 while the case is not resolved, 422 without an address or consent.
pub async fn send(app: &App, id: CaseId, actor: UserId) -> AppResult<ReportQueued> {
    let case = app.store().get_case(id).await?;
    let Some(report) = report_of(app, &case).await? else {
        return Err(AppError::Conflict {
            detail: "the case is not resolved: there is nothing to report yet".into(),
            field: None,
            allowed: None,
        });
    };
    let customer = app.store().get_customer(case.customer_id).await?;
    let Some(to) = customer.email.clone() else {
        return Err(AppError::validation(
            "customer",
            "the customer has no email address; add one to the customer first",
        ));
    };
    if !customer.consent_contact {
        return Err(AppError::validation(
            "customer",
            "the customer does not want to be contacted",
        ));
    }
    let (subject, text, html) = render_mail(
        app,
        customer.language,
        "service_report",
        context! { name => customer.name.clone(), case_subject => case.subject.clone(), report => &report },
    )
    .map_err(AppError::internal)?;
    let now = app.now();
    let resolved_at = case.resolved_at.map(|t| t.timestamp()).unwrap_or_default();
    let dedupe = format!("service_report:{id}:{resolved_at}");
    let mail = crate::mail::OutgoingMail {
        to,
        subject: format!("{subject} [#{}]", case.id.short()),
        text,
        html,
        message_id: app.mailer().new_message_id(new_row_id(now)),
        in_reply_to: None,
    };
    let q = queue_customer_mail(app, id, actor, mail, "service_report", &dedupe).await?;
    Ok(ReportQueued {
        job_id: q.job_id,
        queued: q.queued,
    })
}
