//! Incident messages: the notices of a fan-out chunk (the affected rows
//! are their outbox), single messages such as the closing update, and the
//! resumption of a fan-out staged by an earlier version.

use super::*;
use crate::App;
use crate::followup::{at_now, message_out, render_mail, send_failure};
use crate::jobs::{Failure, MessageTask};
use crate::mail::OutgoingMail;
use amends_domain::incident::Facts;
use amends_domain::template::{self, TemplatePurpose, TemplateValues};
use amends_domain::{CaseId, IncidentId, Language, UserId};
use amends_store::JobEffects;
use minijinja::context;
use serde_json::json;
use std::str::FromStr;
use uuid::Uuid;

/// Fans out whatever is pending (the background job after a crash).
pub async fn resume_fan_out(state: &App, id: IncidentId) -> Result<JobEffects, Failure> {
    let incident = state.store().get_incident(id).await?;
    let planner = Planner::load(state, &incident, UserId(incident.created_by))
        .await
        .map_err(|e| Failure::new(e.to_string()))?;
    let n = planner.run(state).await.map_err(|e| Failure::new(e.to_string()))?;
    if n > 0 {
        tracing::info!(incident = %id.0, rows = n, "resumed the fan-out of an incident");
    }
    Ok(JobEffects::default())
}

/// Sends the queued notices of one fan-out chunk (an `incident_notices`
/// job; the affected rows are its outbox entries). Each notice is recorded
/// (state `done` and the message on the case timeline) in its own
/// transaction right after it went out, so a retry or a crash resends at
/// most the one in flight; each record renews the job's lease. Notices that
/// fail are tried again with the job (the others are not sent twice); on
/// the job's last attempt they are marked `dead`.
pub async fn send_notices(
    state: &App,
    job: &amends_store::Job,
    incident: IncidentId,
    last: bool,
) -> Result<JobEffects, Failure> {
    let worker = job.locked_by.clone().unwrap_or_default();
    let lease = state.config().job_lease;
    let mut failed = 0_usize;
    let mut first_error = None;
    for n in state.store().queued_notices(job.id).await? {
        let m = MessageTask {
            incident_id: incident,
            customer_id: n.customer_id,
            case_id: CaseId(n.case_id.unwrap_or_default()),
            purpose: "notice".into(),
            language: n.language.clone().unwrap_or_default(),
        };
        // One stable Message-ID per (job, customer), also when resent.
        let id = Uuid::from_u128(job.id.as_u128() ^ n.customer_id.as_u128());
        let (outcome, fx) = match deliver(state, state.mailer().new_message_id(id), &m, last).await {
            Ok(fx) => ("done", fx),
            Err(f) if f.permanent || last => ("dead", f.fx),
            Err(f) => {
                failed += 1;
                first_error.get_or_insert(f.error);
                continue;
            }
        };
        let now = state.now();
        if !state
            .store()
            .record_notice(job.id, &worker, now + lease, &n, outcome, &fx, now)
            .await?
        {
            return Err(Failure::new(
                "the job's lease was taken over; its new holder sends the remaining notices",
            ));
        }
    }
    match first_error {
        Some(e) => Err(Failure::new(format!("{failed} notices not sent yet; first error: {e}"))),
        None => Ok(JobEffects::default()),
    }
}

/// Sends one incident message in the customer's language.
pub async fn send_message(state: &App, job_id: Uuid, m: &MessageTask, last: bool) -> Result<JobEffects, Failure> {
    deliver(state, state.mailer().new_message_id(job_id), m, last).await
}

/// Renders and sends one incident message with the Message-ID given.
async fn deliver(state: &App, message_id: String, m: &MessageTask, last: bool) -> Result<JobEffects, Failure> {
    let incident = state.store().get_incident(m.incident_id).await?;
    let customer = state
        .store()
        .get_customer(amends_domain::CustomerId(m.customer_id))
        .await?;
    let affected = state.store().get_affected(m.incident_id, m.customer_id).await?;
    let Some(to) = customer.email.clone().filter(|_| customer.consent_contact) else {
        return Ok(JobEffects::default());
    };
    let lang = Language::from_str(&m.language).unwrap_or(customer.language);
    let summary = match lang {
        Language::De if !incident.summary_de.is_empty() => incident.summary_de.clone(),
        Language::En if !incident.summary_en.is_empty() => incident.summary_en.clone(),
        _ => String::new(),
    };
    let goodwill = affected.goodwill_cents.map(|cents| {
        let name = match lang {
            Language::De => affected.goodwill_name_de.clone(),
            Language::En => affected.goodwill_name_en.clone(),
        };
        let money = format!(
            "{:.2} {}",
            cents as f64 / 100.0,
            affected.goodwill_currency.clone().unwrap_or_default()
        );
        name.unwrap_or(money)
    });
    let facts: Facts = serde_json::from_str(&affected.facts).unwrap_or_default();
    let delay = facts.get("delay_minutes").map(ToString::to_string);
    let purpose = if m.purpose == "closing" {
        "incident_closing"
    } else {
        "incident"
    };
    let case = state.store().get_case(m.case_id).await?;
    // An active template of the purpose in the customer's language replaces the built-in text.
    let template = state
        .store()
        .list_templates(amends_store::TemplateFilter {
            purpose: Some(if m.purpose == "closing" {
                TemplatePurpose::IncidentClosing
            } else {
                TemplatePurpose::IncidentNotice
            }),
            language: Some(lang),
            active_only: true,
        })
        .await?
        .into_iter()
        .next();
    let permanent = |e: String| Failure {
        error: e,
        permanent: true,
        fx: JobEffects::default(),
    };
    let (subject, text, html) = match &template {
        Some(t) => {
            let values = TemplateValues {
                customer_name: Some(customer.name.clone()),
                case_reference: Some(format!("#{}", case.id.short())),
                case_subject: Some(case.subject.clone()),
                agent_name: None,
                incident_title: Some(incident.title.clone()),
                delay_minutes: delay.clone(),
                goodwill: goodwill.clone(),
                ..TemplateValues::default()
            };
            let body = template::render(&t.body, &values);
            let (_, text, html) = render_mail(
                state,
                lang,
                "reply",
                context! { name => customer.name.clone(), greet => !crate::followup::has_salutation(&body), body => body },
            )
            .map_err(permanent)?;
            let subject = template::render(&t.subject, &values);
            let subject = if subject.trim().is_empty() {
                incident.title.clone()
            } else {
                subject
            };
            (subject, text, html)
        }
        None => {
            let (subject, text, html) = render_mail(
                state,
                lang,
                purpose,
                context! { name => customer.name.clone(), title => incident.title.clone(), summary => summary,
                goodwill => goodwill, delay => delay, reference => case.id.short() },
            )
            .map_err(permanent)?;
            (format!("{subject}: {}", incident.title), text, html)
        }
    };
    let mail = OutgoingMail {
        to: to.clone(),
        subject,
        text,
        html,
        message_id,
        in_reply_to: None,
    };
    if let Err(e) = state.mailer().send(&mail).await {
        return Err(send_failure(state, Some(m.case_id), purpose, &to, e, last));
    }
    let mut fx = JobEffects::default();
    let (c, mut ev) = message_out(m.case_id, None, &mail, purpose);
    ev.data["incident_id"] = json!(m.incident_id);
    fx.events.push((c, ev));
    Ok(at_now(fx, state))
}
