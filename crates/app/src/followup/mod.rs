//! Closing the loop: replies, CSAT surveys, check-ins and what a survey
//! answer does. The jobs in [`crate::jobs`] call into here.
//!
//! Survey links carry `base64url(survey id ‖ HMAC-SHA256(key, survey id)[..16])`.
//! The key is a server-wide secret kept in the database (one value for
//! every instance); nothing secret is stored per survey, a tampered token
//! fails the MAC check, and single use and expiry are enforced by the
//! survey row.

pub mod service_report;

use crate::App;
use crate::error::{AppError, AppResult};
use crate::jobs::{DomainEvent, Failure, MailTask, Task};
use crate::mail::OutgoingMail;
use amends_domain::followup::{Score, is_negative_answer, may_survey};
use amends_domain::{CaseId, CaseState, Channel, Language, NonEmptyText, UserId};
use amends_store::{
    AnswerOutcome, EventKind, Job, JobEffects, NewEvent, NewSurvey, StoreError, SurveyAnswer, new_row_id,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use minijinja::context;
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

pub const REPLY_MAX: usize = 20_000;
pub const COMMENT_MAX: usize = 5_000;

fn mac(key: &[u8], id: Uuid) -> [u8; 16] {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| {
        <Hmac<Sha256> as Mac>::new_from_slice(b"amends").unwrap_or_else(|_| unreachable!("HMAC takes any key"))
    });
    m.update(id.as_bytes());
    let full = m.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// The token in a survey link.
#[must_use]
pub fn survey_token(state: &App, id: Uuid) -> String {
    let mut raw = id.as_bytes().to_vec();
    raw.extend_from_slice(&mac(state.survey_key(), id));
    URL_SAFE_NO_PAD.encode(raw)
}

/// The survey a token names, if its MAC is right.
#[must_use]
pub fn verify_token(state: &App, token: &str) -> Option<Uuid> {
    let raw = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    if raw.len() != 32 {
        return None;
    }
    let id = Uuid::from_slice(&raw[..16]).ok()?;
    let want = mac(state.survey_key(), id);
    bool::from(subtle::ConstantTimeEq::ct_eq(&raw[16..], &want[..])).then_some(id)
}

/// Renders a mail from `mail.txt` / `mail.html` in `lang`.
pub fn render_mail(
    state: &App,
    lang: Language,
    purpose: &str,
    ctx: minijinja::Value,
) -> Result<(String, String, String), String> {
    let subject = state.mail_renderer().t(lang, &format!("mail-{purpose}-subject"));
    let ctx = context! { lang => lang.code(), purpose => purpose, subject => subject.clone(), ..ctx };
    let text = state
        .mail_renderer()
        .render("mail.txt", ctx.clone())
        .map_err(|e| format!("mail template: {e:#}"))?;
    let html = state
        .mail_renderer()
        .render("mail.html", ctx)
        .map_err(|e| format!("mail template: {e:#}"))?;
    Ok((subject, text, html))
}

/// Whether a written message opens with its own salutation ("Guten Tag …",
/// "Hello …"), so the mail frame adds none (a template greets already).
#[must_use]
pub fn has_salutation(body: &str) -> bool {
    let start = body.trim_start().to_lowercase();
    [
        "guten tag",
        "hallo",
        "sehr geehrte",
        "liebe ",
        "lieber ",
        "hello",
        "hi ",
        "dear ",
        "good morning",
        "good afternoon",
    ]
    .iter()
    .any(|s| start.starts_with(s))
}

pub fn message_out(case: CaseId, author: Option<UserId>, mail: &OutgoingMail, purpose: &str) -> (CaseId, NewEvent) {
    (
        case,
        NewEvent {
            kind: EventKind::MessageOut,
            author,
            body: Some(mail.text.clone()),
            data: json!({"message_id": mail.message_id, "to": mail.to, "subject": mail.subject,
                         "purpose": purpose, "in_reply_to": mail.in_reply_to}),
            at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        },
    )
}

/// Stamps effects' events with the time they are recorded.
pub fn at_now(mut fx: JobEffects, state: &App) -> JobEffects {
    let now = state.now();
    for (_, e) in &mut fx.events {
        e.at = now;
    }
    fx
}

fn follow_up_event(case: CaseId, data: serde_json::Value) -> (CaseId, NewEvent) {
    (
        case,
        NewEvent {
            kind: EventKind::FollowUp,
            author: None,
            body: None,
            data,
            at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        },
    )
}

fn delivery_failed(case: CaseId, purpose: &str, to: &str, error: &str) -> (CaseId, NewEvent) {
    (
        case,
        NewEvent {
            kind: EventKind::DeliveryFailed,
            author: None,
            body: None,
            data: json!({"purpose": purpose, "to": to, "error": error,
                         "reason": crate::delivery::reason_code(error), "internal": crate::delivery::is_internal(purpose)}),
            at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        },
    )
}

/// A send failure; on the last attempt the case timeline shows it.
pub fn send_failure(state: &App, case: Option<CaseId>, purpose: &str, to: &str, error: String, last: bool) -> Failure {
    let mut fx = JobEffects::default();
    if last && let Some(c) = case {
        fx.events.push(delivery_failed(c, purpose, to, &error));
    }
    Failure {
        error,
        permanent: false,
        fx: at_now(fx, state),
    }
}

/// Reacts to a domain event: webhooks, and after a resolution the survey
/// and the check-in (respecting survey fatigue and consent).
pub async fn on_event(state: &App, job: &Job, e: &DomainEvent) -> Result<JobEffects, Failure> {
    let mut fx = crate::webhooks::fan_out(state, job, e).await?;
    let resolved = e.kind == "case.state_changed" && e.data.get("to").and_then(|v| v.as_str()) == Some("resolved");
    if let (true, Some(case_id)) = (resolved, e.case_id) {
        schedule_follow_up(state, job, case_id, e.at, &mut fx).await?;
    }
    Ok(at_now(fx, state))
}

async fn schedule_follow_up(
    state: &App,
    job: &Job,
    case_id: CaseId,
    resolved_at: chrono::DateTime<chrono::Utc>,
    fx: &mut JobEffects,
) -> Result<(), Failure> {
    let cfg = state.config();
    let now = state.now();
    let case = state.store().get_case(case_id).await?;
    let customer = state.store().get_customer(case.customer_id).await?;
    let survey_skip = if customer.email.is_none() {
        Some("no_email")
    } else if !customer.consent_survey {
        Some("no_consent")
    } else {
        let since = now - cfg.survey_period;
        let recent = state.store().count_recent_surveys(customer.id, since).await?;
        (!may_survey(recent, cfg.survey_max_per_period)).then_some("fatigue")
    };
    match survey_skip {
        Some(reason) => fx.events.push(follow_up_event(
            case_id,
            json!({"what": "survey_skipped", "reason": reason}),
        )),
        None => {
            let id = new_row_id(now);
            let run_at = resolved_at + cfg.survey_delay;
            fx.new_survey = Some(NewSurvey {
                id,
                case_id,
                customer_id: customer.id,
                language: customer.language,
                expires_at: run_at + cfg.survey_expiry,
            });
            fx.jobs.push(Task::Survey { survey_id: id }.job(
                state,
                run_at,
                Some(format!("survey:{}", job.id)),
                Some(case_id),
            ));
            fx.events.push(follow_up_event(
                case_id,
                json!({"what": "survey_scheduled", "survey_id": id, "run_at": run_at}),
            ));
        }
    }
    // High-value customers also get a personal (handwritten) note: a task for the team.
    if customer.tier.is_high_value() || customer.clv_cents >= cfg.personal_note_min_clv_cents {
        fx.events.push(follow_up_event(
            case_id,
            json!({"what": "personal_note_task", "customer": customer.name, "clv_cents": customer.clv_cents}),
        ));
    }
    if customer.email.is_some() && customer.consent_contact {
        let run_at = resolved_at + cfg.checkin_delay;
        fx.jobs
            .push(Task::CheckIn { case_id }.job(state, run_at, Some(format!("checkin:{}", job.id)), Some(case_id)));
        fx.events.push(follow_up_event(
            case_id,
            json!({"what": "check_in_scheduled", "run_at": run_at}),
        ));
    }
    Ok(())
}

/// Sends a queued reply or notification.
pub async fn send_mail_task(state: &App, m: &MailTask, last: bool) -> Result<JobEffects, Failure> {
    if let Err(e) = state.mailer().send(&m.mail).await {
        return Err(send_failure(state, m.case_id, &m.purpose, &m.mail.to, e, last));
    }
    let mut fx = JobEffects::default();
    if let Some(c) = m.case_id {
        if m.purpose == "notify" {
            fx.events.push(follow_up_event(
                c,
                json!({"what": "assignee_notified", "to": m.mail.to, "message_id": m.mail.message_id}),
            ));
        } else if crate::delivery::is_internal(&m.purpose) {
            // A mail to a colleague: marked internal, never a message to the customer.
            fx.events.push(follow_up_event(
                c,
                json!({"what": "internal_mail_sent", "purpose": m.purpose, "to": m.mail.to,
                       "message_id": m.mail.message_id, "internal": true}),
            ));
        } else if !m.recorded {
            fx.events
                .push(message_out(c, m.author_id.map(UserId), &m.mail, &m.purpose));
        }
    }
    Ok(at_now(fx, state))
}

/// Follow-up mail may go out only while the case stays resolved.
fn still_resolved(s: CaseState) -> bool {
    matches!(s, CaseState::Resolved | CaseState::FollowedUp | CaseState::Closed)
}

/// Sends a survey mail (unless the case was reopened meanwhile).
pub async fn send_survey(state: &App, survey_id: Uuid, last: bool) -> Result<JobEffects, Failure> {
    let survey = state.store().get_survey(survey_id).await?;
    let mut fx = JobEffects::default();
    if survey.state != "scheduled" {
        return Ok(fx);
    }
    let case = state.store().get_case(CaseId(survey.case_id)).await?;
    let customer = state.store().get_customer(case.customer_id).await?;
    let skip = if !still_resolved(case.state) {
        Some("reopened")
    } else if customer.email.is_none() {
        Some("no_email")
    } else {
        None
    };
    if let Some(reason) = skip {
        fx.survey_skipped = Some(survey_id);
        fx.events.push(follow_up_event(
            case.id,
            json!({"what": "survey_skipped", "reason": reason, "survey_id": survey_id}),
        ));
        return Ok(at_now(fx, state));
    }
    let lang = survey.language;
    let link = format!(
        "{}/survey/{}",
        state.config().base_url.trim_end_matches('/'),
        survey_token(state, survey_id)
    );
    // The survey carries the service report: what was done, then the question.
    let report = service_report::report_of(state, &case)
        .await
        .map_err(|e| Failure::new(e.to_string()))?;
    let (subject, text, html) = render_mail(
        state,
        lang,
        "survey",
        context! { name => customer.name.clone(), case_subject => case.subject.clone(), link => link, report => report },
    )
    .map_err(|e| Failure {
        error: e,
        permanent: true,
        fx: JobEffects::default(),
    })?;
    let to = customer.email.clone().unwrap_or_default();
    let mail = OutgoingMail {
        to: to.clone(),
        subject,
        text,
        html,
        message_id: state.mailer().new_message_id(survey_id),
        in_reply_to: None,
    };
    if let Err(e) = state.mailer().send(&mail).await {
        return Err(send_failure(state, Some(case.id), "survey", &to, e, last));
    }
    fx.survey_sent = Some(survey_id);
    let (c, mut ev) = message_out(case.id, None, &mail, "survey");
    ev.data["survey_id"] = json!(survey_id);
    fx.events.push((c, ev));
    Ok(at_now(fx, state))
}

/// Sends the check-in message some days after the resolution; that
/// completes the follow-up.
pub async fn send_check_in(state: &App, job: &Job, case_id: CaseId, last: bool) -> Result<JobEffects, Failure> {
    let case = state.store().get_case(case_id).await?;
    let customer = state.store().get_customer(case.customer_id).await?;
    let mut fx = JobEffects::default();
    let Some(to) = customer.email.clone().filter(|_| still_resolved(case.state)) else {
        fx.events.push(follow_up_event(
            case_id,
            json!({"what": "check_in_skipped", "reason": if still_resolved(case.state) { "no_email" } else { "reopened" }}),
        ));
        return Ok(at_now(fx, state));
    };
    let (subject, text, html) = render_mail(
        state,
        customer.language,
        "checkin",
        context! { name => customer.name.clone(), case_subject => case.subject.clone() },
    )
    .map_err(|e| Failure {
        error: e,
        permanent: true,
        fx: JobEffects::default(),
    })?;
    let mail = OutgoingMail {
        to: to.clone(),
        subject,
        text,
        html,
        message_id: state.mailer().new_message_id(job.id),
        in_reply_to: None,
    };
    if let Err(e) = state.mailer().send(&mail).await {
        return Err(send_failure(state, Some(case_id), "check_in", &to, e, last));
    }
    fx.events.push(message_out(case_id, None, &mail, "check_in"));
    fx.follow_up_done = Some(case_id);
    Ok(at_now(fx, state))
}

/// A queued reply: its job id and Message-ID.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct QueuedReply {
    pub job_id: Uuid,
    pub message_id: String,
    /// `false` when the same idempotency key was used before (nothing new was queued).
    pub queued: bool,
}

/// Queues a reply to the customer of `case_id` through the outbox. The
/// same `idempotency_key` never queues a second mail.
pub async fn enqueue_reply(
    state: &App,
    case_id: CaseId,
    body: &str,
    subject: Option<&str>,
    actor: UserId,
    idempotency_key: Option<&str>,
) -> AppResult<QueuedReply> {
    let body = NonEmptyText::parse("body", body, REPLY_MAX)?;
    let own_subject = match subject.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > 200 => {
            return Err(AppError::validation(
                "subject",
                "subject must be at most 200 characters",
            ));
        }
        Some(s) if s.contains(['\r', '\n']) => {
            return Err(AppError::validation("subject", "subject must be one line"));
        }
        other => other.map(str::to_string),
    };
    let case = state.store().get_case(case_id).await?;
    let customer = state.store().get_customer(case.customer_id).await?;
    let Some(to) = customer.email.clone() else {
        return Err(AppError::validation(
            "body",
            "the customer has no email address; add one to the customer first",
        ));
    };
    if !customer.consent_contact {
        return Err(AppError::validation(
            "body",
            "the customer does not want to be contacted",
        ));
    }
    let now = state.now();
    let dedupe = match idempotency_key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) if k.len() > 200 => {
            return Err(AppError::validation("Idempotency-Key", "at most 200 characters"));
        }
        Some(k) => format!("reply:{case_id}:{k}"),
        None => format!("reply:{case_id}:{}", Uuid::new_v4()),
    };
    let message_id = state.mailer().new_message_id(new_row_id(now));
    // Replies thread to the last mail we sent on this case.
    let in_reply_to = state
        .store()
        .list_events(case_id)
        .await?
        .iter()
        .rev()
        .filter(|e| e.kind == EventKind::MessageOut || e.kind == EventKind::MessageIn)
        .find_map(|e| e.data_json()["message_id"].as_str().map(str::to_string));
    let (subject, text, html) = render_mail(
        state,
        customer.language,
        "reply",
        context! { name => customer.name.clone(), case_subject => case.subject.clone(), body => body.as_str(), reference => case.id.short(),
                   greet => !has_salutation(body.as_str()) },
    )
    .map_err(AppError::internal)?;
    // Default: "Re: <case subject> [#3f9a12c4]" (the reference the case page
    // shows, so a reply threads even without its headers); a template's
    // subject (or the agent's) replaces it.
    let subject = own_subject.unwrap_or_else(|| format!("{subject} {} [#{}]", case.subject, case.id.short()));
    let mail = OutgoingMail {
        to,
        subject,
        text,
        html,
        message_id,
        in_reply_to,
    };
    queue_customer_mail(state, case_id, actor, mail, "reply", &dedupe).await
}

/// Queues `mail` of `purpose` to the customer of `case_id` through the
/// outbox, on the timeline at once (its delivery state comes from the
/// job). A `dedupe` key queued before queues nothing new: the answer names
/// the earlier job and its Message-ID, with `queued` false.
pub async fn queue_customer_mail(
    state: &App,
    case_id: CaseId,
    actor: UserId,
    mail: OutgoingMail,
    purpose: &str,
    dedupe: &str,
) -> AppResult<QueuedReply> {
    let now = state.now();
    let message_id = mail.message_id.clone();
    let (_, mut event) = message_out(case_id, Some(actor), &mail, purpose);
    event.at = now;
    let task = Task::Mail(MailTask {
        case_id: Some(case_id),
        purpose: purpose.into(),
        author_id: Some(actor.0),
        mail,
        recorded: true,
    });
    let job = task.job(state, now, Some(dedupe.to_string()), Some(case_id));
    let queued = state.store().enqueue_message(&job, case_id, &event, now).await?;
    state.wake_workers();
    if let Some(job_id) = queued {
        return Ok(QueuedReply {
            job_id,
            message_id,
            queued: true,
        });
    }
    let existing = state
        .store()
        .list_case_jobs(case_id)
        .await?
        .into_iter()
        .find(|j| j.dedupe_key.as_deref() == Some(dedupe))
        .ok_or_else(|| AppError::internal("deduplicated job vanished"))?;
    let mid = serde_json::from_str::<MailTask>(&existing.payload)
        .map(|m| m.mail.message_id)
        .unwrap_or_default();
    Ok(QueuedReply {
        job_id: existing.id,
        message_id: mid,
        queued: false,
    })
}

/// Why a survey link cannot be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// The token is malformed or its MAC is wrong.
    Invalid,
    Expired,
    Used,
    /// Not sent (yet) or skipped.
    Closed,
}

/// Checks a survey link: the survey if it may be answered.
pub async fn open_survey(state: &App, token: &str) -> Result<amends_store::Survey, LinkProblem> {
    let id = verify_token(state, token).ok_or(LinkProblem::Invalid)?;
    let s = state.store().get_survey(id).await.map_err(|_| LinkProblem::Invalid)?;
    match s.state.as_str() {
        "answered" => Err(LinkProblem::Used),
        _ if s.expires_at <= state.now() => Err(LinkProblem::Expired),
        // `scheduled`: the mail may be out before its job recorded it.
        "sent" | "scheduled" => Ok(s),
        _ => Err(LinkProblem::Closed),
    }
}

fn comment_is_negative(text: &str, lang: Language) -> bool {
    static ANALYZER: std::sync::OnceLock<amends_text::Analyzer> = std::sync::OnceLock::new();
    let a = ANALYZER.get_or_init(|| {
        amends_text::Analyzer::default_model().with_audience(crate::analysis::audience_of(Channel::Survey))
    });
    a.sentiment(text, Some(crate::analysis::to_text_lang(lang))).label == amends_text::SentimentLabel::Negative
}

/// Records an answer. Errors: a score outside 1–5 (validation), or the
/// survey is no longer open (conflict).
pub async fn answer(
    state: &App,
    survey: &amends_store::Survey,
    score: i64,
    comment: Option<&str>,
    solved: Option<bool>,
) -> AppResult<AnswerOutcome> {
    let score = Score::parse(score)?;
    let comment =
        amends_domain::validate::optional_text("comment", comment, COMMENT_MAX)?.map(NonEmptyText::into_inner);
    let lang = survey.language;
    let negative = is_negative_answer(score, comment.as_deref().is_some_and(|c| comment_is_negative(c, lang)));
    let now = state.now();
    let mut jobs = Vec::new();
    if negative {
        jobs.extend(notify_assignee(state, CaseId(survey.case_id), score, comment.as_deref()).await?);
    }
    let outcome = state
        .store()
        .answer_survey(&SurveyAnswer {
            survey_id: survey.id,
            score: i32::from(score.get()),
            comment,
            solved,
            negative,
            jobs,
            now,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict { detail, .. } => AppError::Conflict {
                detail,
                field: Some("token".into()),
                allowed: None,
            },
            e => e.into(),
        })?;
    state.wake_workers();
    // A recovery rated 4–5 may be the moment for a tier offer; the answer stands either way.
    if score.get() >= 4
        && let Err(e) = crate::tier_offers::on_survey_answer(
            state,
            amends_domain::CustomerId(survey.customer_id),
            Some(CaseId(survey.case_id)),
            i32::from(score.get()),
        )
        .await
    {
        tracing::warn!(error = %e, "tier offer after a survey answer");
    }
    Ok(outcome)
}

/// The mail to the assignee about a negative answer (if they have an address).
async fn notify_assignee(
    state: &App,
    case_id: CaseId,
    score: Score,
    comment: Option<&str>,
) -> AppResult<Option<amends_store::NewJob>> {
    let case = state.store().get_case(case_id).await?;
    let Some(assignee) = case.assignee() else {
        return Ok(None);
    };
    let user = state.store().get_user(assignee).await?;
    let Some(to) = user.email.clone() else {
        return Ok(None);
    };
    let now = state.now();
    let link = format!("{}/cases/{}", state.config().base_url.trim_end_matches('/'), case.id);
    let (subject, text, html) = render_mail(
        state,
        user.language,
        "notify",
        context! { name => user.display_name.clone(), case_subject => case.subject.clone(), score => score.get(), comment => comment, link => link },
    )
    .map_err(AppError::internal)?;
    let task = Task::Mail(MailTask {
        case_id: Some(case_id),
        purpose: "notify".into(),
        author_id: None,
        mail: OutgoingMail {
            to,
            subject,
            text,
            html,
            message_id: state.mailer().new_message_id(new_row_id(now)),
            in_reply_to: None,
        },
        recorded: false,
    });
    Ok(Some(task.job(state, now, None, Some(case_id))))
}

/// True while a "personal note" task on the timeline is not marked done.
#[must_use]
pub fn personal_note_open(events: &[amends_store::CaseEvent]) -> bool {
    let count = |what: &str| {
        events
            .iter()
            .filter(|e| e.kind == amends_store::EventKind::FollowUp && e.data_json()["what"] == what)
            .count()
    };
    count("personal_note_task") > count("personal_note_done")
}

/// A lead has reviewed the case after a negative answer: clears its flag.
pub async fn lead_reviewed(state: &App, case: CaseId, actor: UserId) -> AppResult<()> {
    Ok(state
        .store()
        .clear_lead_attention(case, Some(actor), state.now())
        .await?)
}

/// Marks the open "personal note" task of a case done (409 if there is none).
pub async fn complete_personal_note(
    state: &App,
    case: CaseId,
    actor: UserId,
) -> crate::error::AppResult<amends_store::CaseEvent> {
    let events = state.store().list_events(case).await?;
    if !personal_note_open(&events) {
        return Err(crate::error::AppError::Conflict {
            detail: "this case has no open personal-note task".into(),
            field: None,
            allowed: None,
        });
    }
    let ev = NewEvent {
        kind: amends_store::EventKind::FollowUp,
        author: Some(actor),
        body: None,
        data: json!({"what": "personal_note_done"}),
        at: state.now(),
    };
    Ok(state.store().add_event(case, &ev).await?)
}

#[cfg(test)]
mod tests {
    use super::has_salutation;

    #[test]
    fn own_salutations_are_recognised() {
        assert!(has_salutation("Guten Tag Frau Schmidt,\n\nes tut uns leid"));
        assert!(has_salutation("  Hello Jane,"));
        assert!(!has_salutation("Es tut uns leid, dass …"));
        assert!(!has_salutation("We are on it."));
    }
}
