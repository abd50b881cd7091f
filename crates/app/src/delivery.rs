//! The delivery state of outgoing messages, read from their outbox jobs:
//! a reply is on the case timeline the moment it is queued, and shows
//! there whether it is queued, sent or failed (with a reason code the
//! pages put in words), and can be retried. Mails to colleagues (approval
//! requests, notifications) are internal: they never count as messages to
//! the customer.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::jobs::MailTask;
use amends_domain::{CaseId, UserId};
use amends_store::Job;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// Purposes of mails to colleagues, not to the customer.
pub const INTERNAL_PURPOSES: [&str; 3] = ["notify", "approval", "digest"];

/// True if a mail of this purpose goes to a colleague, not to the customer.
#[must_use]
pub fn is_internal(purpose: &str) -> bool {
    INTERNAL_PURPOSES.contains(&purpose)
}

/// Where an outgoing message is.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Delivery {
    /// The outbox job that sends it (retry it with `POST /cases/{id}/messages/{job_id}/retry`).
    pub job_id: Uuid,
    /// queued (waiting for its first or next attempt), sent, failed (gave up)
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Why it is not sent yet or failed: `no_smtp` (no SMTP server configured),
    /// `rejected` (the server refused it), `temporary` (the server asked to
    /// try later), `unreachable` (no connection), `other`.
    pub reason: Option<String>,
    /// The last error as the mail server or the system said it (English).
    pub error: Option<String>,
    /// The next attempt (queued only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it went out (sent only).
    pub sent_at: Option<DateTime<Utc>>,
    /// True while it can be retried by hand: failed, or queued for a later attempt.
    pub retryable: bool,
}

/// The reason code of a send error (see [`crate::mail::Mailer::send`]).
#[must_use]
pub fn reason_code(error: &str) -> &'static str {
    let e = error.to_ascii_lowercase();
    if e.contains("smtp is not configured") {
        "no_smtp"
    } else if e.contains("permanent") || e.contains(" 55") || e.contains("is not a mail address") {
        "rejected"
    } else if e.contains("transient") || e.contains(" 45") || e.contains("451") {
        "temporary"
    } else if e.contains("connect") || e.contains("timed out") || e.contains("timeout") || e.contains("dns") {
        "unreachable"
    } else {
        "other"
    }
}

/// The delivery state of a mail job.
#[must_use]
pub fn of_job(job: &Job, smtp_configured: bool) -> Delivery {
    let state = match job.state.as_str() {
        "done" => "sent",
        "dead" => "failed",
        _ => "queued",
    };
    let reason = match (&job.last_error, state) {
        (_, "sent") => None,
        (Some(e), _) => Some(reason_code(e)),
        (None, _) if !smtp_configured => Some("no_smtp"),
        (None, _) => None,
    };
    Delivery {
        job_id: job.id,
        state: state.into(),
        attempts: job.attempts,
        max_attempts: job.max_attempts,
        reason: reason.map(Into::into),
        error: if state == "sent" { None } else { job.last_error.clone() },
        next_attempt_at: (job.state == "queued").then_some(job.run_at),
        sent_at: (state == "sent").then_some(job.updated_at),
        retryable: state == "failed" || (state == "queued" && job.attempts > 0),
    }
}

/// A mail job of a case, read back.
pub struct CaseMail {
    pub job: Job,
    pub task: MailTask,
}

impl CaseMail {
    #[must_use]
    pub fn internal(&self) -> bool {
        is_internal(&self.task.purpose)
    }
}

/// The mail jobs of a case, newest first.
pub async fn case_mails(state: &App, case: CaseId) -> AppResult<Vec<CaseMail>> {
    Ok(state
        .store()
        .list_case_jobs(case)
        .await?
        .into_iter()
        .filter(|j| j.kind == "mail")
        .filter_map(|job| {
            let task = serde_json::from_str::<MailTask>(&job.payload).ok()?;
            Some(CaseMail { job, task })
        })
        .collect())
}

/// The delivery state of each mail of a case, by its Message-ID.
pub async fn by_message_id(state: &App, case: CaseId) -> AppResult<HashMap<String, Delivery>> {
    let smtp = state.mailer().configured();
    Ok(case_mails(state, case)
        .await?
        .into_iter()
        .map(|m| (m.task.mail.message_id.clone(), of_job(&m.job, smtp)))
        .collect())
}

/// Sends a message of `case` again: a failed one gets fresh attempts, a
/// queued one waiting for its next attempt runs now. Sent messages and
/// messages of other cases are refused.
pub async fn retry(state: &App, case: CaseId, job_id: Uuid, actor: UserId) -> AppResult<Delivery> {
    let job = state.store().get_job(job_id).await?;
    if job.case_id != Some(case.0) || job.kind != "mail" {
        return Err(AppError::NotFound("message".into()));
    }
    let now = state.now();
    match job.state.as_str() {
        "dead" => {
            state.store().retry_job(job_id, Some(actor), now).await?;
        }
        "queued" if state.store().run_job_now(job_id, Some(actor), now).await? => {}
        other => {
            return Err(AppError::Conflict {
                detail: format!(
                    "only a failed message or one waiting for its next attempt can be retried; this one is {}",
                    if other == "done" { "sent" } else { other }
                ),
                field: None,
                allowed: None,
            });
        }
    }
    state.wake_workers();
    let job = state.store().get_job(job_id).await?;
    Ok(of_job(&job, state.mailer().configured()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_errors_have_reason_codes() {
        assert_eq!(
            reason_code("SMTP is not configured: set smtp.url (AMENDS_SMTP_URL)"),
            "no_smtp"
        );
        assert_eq!(reason_code("SMTP: transient error (451): try again later"), "temporary");
        assert_eq!(reason_code("SMTP: permanent error (550): no such user"), "rejected");
        assert_eq!(reason_code("SMTP: Connection error: Connection refused"), "unreachable");
        assert_eq!(reason_code("something odd"), "other");
        assert!(is_internal("approval") && is_internal("notify") && !is_internal("reply"));
    }
}
