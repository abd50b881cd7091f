//! Background work: typed jobs over the store's durable queue, and the
//! workers that run them.
//!
//! Each job kind is one variant of [`Task`] with one `run` arm below. A
//! worker claims a job (with a lease), runs it and records the outcome
//! together with the job's database effects in one transaction. Failures
//! are retried with exponential backoff and declared dead after
//! `job_max_attempts`; dead jobs are listed in the admin UI and API and can
//! be retried. Workers start with [`crate::Application::run`] and stop when
//! the shutdown signal arrives (a running job is finished first).

use crate::followup;
use crate::mail::OutgoingMail;
use crate::state::AppState;
use amends_domain::CaseId;
use amends_store::{Job, JobEffects, NewJob};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

/// A domain event written by the store in the transaction of the change
/// (`case.created`, `case.state_changed`, `survey.answered`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub case_id: Option<CaseId>,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// A mail to send through the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailTask {
    pub case_id: Option<CaseId>,
    /// reply, notify
    pub purpose: String,
    pub author_id: Option<Uuid>,
    pub mail: OutgoingMail,
}

/// Every kind of background job.
#[derive(Debug, Clone)]
pub enum Task {
    Event(DomainEvent),
    Mail(MailTask),
    Survey {
        survey_id: Uuid,
    },
    CheckIn {
        case_id: CaseId,
    },
    Webhook {
        delivery_id: Uuid,
    },
    /// Looks for cases whose SLA is about to break or broke (one per minute).
    SlaSweep,
    /// Fans out the pending affected customers of an incident (after a crash
    /// of the upload that staged them).
    IncidentFanOut {
        incident_id: amends_domain::IncidentId,
    },
    /// A proactive incident message (closing update; notices of earlier
    /// versions) to one customer.
    IncidentMessage(crate::incidents::MessageTask),
    /// The notices of one fan-out chunk; the affected rows are its outbox
    /// entries (each sent at most once, state on the row).
    IncidentNotices {
        incident_id: amends_domain::IncidentId,
    },
}

#[derive(Serialize, Deserialize)]
struct SurveyPayload {
    survey_id: Uuid,
}
#[derive(Serialize, Deserialize)]
struct CheckInPayload {
    case_id: CaseId,
}
#[derive(Serialize, Deserialize)]
struct FanOutPayload {
    incident_id: amends_domain::IncidentId,
}
#[derive(Serialize, Deserialize)]
struct WebhookPayload {
    delivery_id: Uuid,
}

impl Task {
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Task::Event(_) => "event",
            Task::Mail(_) => "mail",
            Task::Survey { .. } => "survey",
            Task::CheckIn { .. } => "check_in",
            Task::Webhook { .. } => "webhook",
            Task::SlaSweep => "sla_sweep",
            Task::IncidentFanOut { .. } => "incident_fan_out",
            Task::IncidentMessage(_) => "incident_message",
            Task::IncidentNotices { .. } => "incident_notices",
        }
    }

    fn payload(&self) -> serde_json::Value {
        let v = match self {
            Task::Event(e) => serde_json::to_value(e),
            Task::Mail(m) => serde_json::to_value(m),
            Task::Survey { survey_id } => serde_json::to_value(SurveyPayload { survey_id: *survey_id }),
            Task::CheckIn { case_id } => serde_json::to_value(CheckInPayload { case_id: *case_id }),
            Task::Webhook { delivery_id } => serde_json::to_value(WebhookPayload {
                delivery_id: *delivery_id,
            }),
            Task::SlaSweep => Ok(serde_json::Value::Null),
            Task::IncidentFanOut { incident_id } => serde_json::to_value(FanOutPayload {
                incident_id: *incident_id,
            }),
            Task::IncidentMessage(m) => serde_json::to_value(m),
            Task::IncidentNotices { incident_id } => serde_json::to_value(FanOutPayload {
                incident_id: *incident_id,
            }),
        };
        v.unwrap_or(serde_json::Value::Null)
    }

    /// Reads a stored job back into its typed form.
    pub fn from_job(job: &Job) -> Result<Task, String> {
        let p = &job.payload;
        let bad = |e: serde_json::Error| format!("payload of `{}` job unreadable: {e}", job.kind);
        Ok(match job.kind.as_str() {
            "event" => Task::Event(serde_json::from_str(p).map_err(bad)?),
            "mail" => Task::Mail(serde_json::from_str(p).map_err(bad)?),
            "survey" => Task::Survey {
                survey_id: serde_json::from_str::<SurveyPayload>(p).map_err(bad)?.survey_id,
            },
            "check_in" => Task::CheckIn {
                case_id: serde_json::from_str::<CheckInPayload>(p).map_err(bad)?.case_id,
            },
            "webhook" => Task::Webhook {
                delivery_id: serde_json::from_str::<WebhookPayload>(p).map_err(bad)?.delivery_id,
            },
            "sla_sweep" => Task::SlaSweep,
            "incident_fan_out" => Task::IncidentFanOut {
                incident_id: serde_json::from_str::<FanOutPayload>(p).map_err(bad)?.incident_id,
            },
            "incident_message" => Task::IncidentMessage(serde_json::from_str(p).map_err(bad)?),
            "incident_notices" => Task::IncidentNotices {
                incident_id: serde_json::from_str::<FanOutPayload>(p).map_err(bad)?.incident_id,
            },
            other => return Err(format!("unknown job kind `{other}`")),
        })
    }

    /// The job row to enqueue for this task.
    #[must_use]
    pub fn job(
        &self,
        state: &AppState,
        run_at: DateTime<Utc>,
        dedupe_key: Option<String>,
        case: Option<CaseId>,
    ) -> NewJob {
        self.job_with_attempts(max_attempts(state), run_at, dedupe_key, case)
    }

    /// Like [`Task::job`], with the attempts given (for code that plans jobs
    /// without the state at hand, such as the incident fan-out).
    #[must_use]
    pub fn job_with_attempts(
        &self,
        max_attempts: i32,
        run_at: DateTime<Utc>,
        dedupe_key: Option<String>,
        case: Option<CaseId>,
    ) -> NewJob {
        NewJob {
            kind: self.kind().into(),
            payload: self.payload(),
            run_at,
            dedupe_key,
            case_id: case,
            max_attempts,
        }
    }
}

/// The attempts a job gets before it is declared dead (`job_max_attempts`).
#[must_use]
pub fn max_attempts(state: &AppState) -> i32 {
    i32::try_from(state.config().job_max_attempts).unwrap_or(8)
}

/// Why a job failed; `fx` is applied with the failure (e.g. the delivery log).
#[derive(Debug, Default)]
pub struct Failure {
    pub error: String,
    /// Retrying cannot help (e.g. an unreadable payload).
    pub permanent: bool,
    pub fx: JobEffects,
}

impl Failure {
    pub fn new(error: impl Into<String>) -> Self {
        Failure {
            error: error.into(),
            ..Failure::default()
        }
    }
}

impl From<amends_store::StoreError> for Failure {
    fn from(e: amends_store::StoreError) -> Self {
        Failure::new(e.to_string())
    }
}

/// Runs one task; `dead` tells the failure handler whether this was the last attempt.
async fn run(state: &AppState, job: &Job, task: &Task, last_attempt: bool) -> Result<JobEffects, Failure> {
    match task {
        Task::Event(e) => followup::on_event(state, job, e).await,
        Task::Mail(m) => followup::send_mail_task(state, m, last_attempt).await,
        Task::Survey { survey_id } => followup::send_survey(state, *survey_id, last_attempt).await,
        Task::CheckIn { case_id } => followup::send_check_in(state, job, *case_id, last_attempt).await,
        Task::Webhook { delivery_id } => crate::webhooks::deliver(state, *delivery_id, last_attempt).await,
        Task::SlaSweep => crate::sla::sweep(state).await,
        Task::IncidentFanOut { incident_id } => crate::incidents::resume_fan_out(state, *incident_id).await,
        Task::IncidentMessage(m) => crate::incidents::send_message(state, job.id, m, last_attempt).await,
        Task::IncidentNotices { incident_id } => {
            crate::incidents::send_notices(state, job, *incident_id, last_attempt).await
        }
    }
}

/// Claims and runs one due job; `false` if none was due.
pub async fn run_one(state: &AppState, worker: &str) -> Result<bool, amends_store::StoreError> {
    let now = state.now();
    let lease = state.config().duration(&state.config().job_lease);
    let jobs = state.store().claim_jobs(worker, now, lease, 1).await?;
    let Some(job) = jobs.into_iter().next() else {
        return Ok(false);
    };
    if job.attempts > job.max_attempts {
        // Its workers kept dying (lease expired each time): stop trying.
        let err = "the job's lease expired after its last attempt (did the worker crash?)";
        state
            .store()
            .fail_job(job.id, worker, err, None, &JobEffects::default(), state.now())
            .await?;
        return Ok(true);
    }
    let last_attempt = job.attempts >= job.max_attempts;
    let outcome = match Task::from_job(&job) {
        Ok(task) => run(state, &job, &task, last_attempt).await,
        Err(e) => Err(Failure {
            error: e,
            permanent: true,
            fx: JobEffects::default(),
        }),
    };
    let now = state.now();
    match outcome {
        Ok(fx) => {
            if !state.store().complete_job(job.id, worker, &fx, now).await? {
                tracing::warn!(job = %job.id, "job finished after its lease was taken over; its effects were dropped");
            }
        }
        Err(f) => {
            let dead = f.permanent || last_attempt;
            let retry_at = (!dead).then(|| {
                let base = state.config().duration(&state.config().job_backoff);
                now + amends_domain::followup::backoff(base, job.attempts, Duration::hours(1))
            });
            tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, dead, error = %f.error, "job failed");
            state
                .store()
                .fail_job(job.id, worker, &f.error, retry_at, &f.fx, now)
                .await?;
        }
    }
    state.wake_workers();
    Ok(true)
}

/// One worker: runs due jobs until `shutdown` turns true.
pub async fn worker(state: AppState, name: String, mut shutdown: watch::Receiver<bool>) {
    let poll = state
        .config()
        .duration(&state.config().job_poll)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1))
        .max(std::time::Duration::from_millis(20));
    let notify = state.job_notify();
    let mut swept_minute = i64::MIN;
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Once a minute some worker of some instance queues the SLA sweep;
        // the dedupe key makes it one job per minute across all instances.
        let minute = state.now().timestamp() / 60;
        if minute != swept_minute {
            swept_minute = minute;
            let job = Task::SlaSweep.job(&state, state.now(), Some(format!("sla-sweep:{minute}")), None);
            if let Err(e) = state.store().enqueue_job(&job, state.now()).await {
                tracing::warn!(error = %e, "cannot queue the SLA sweep");
            }
        }
        match run_one(&state, &name).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => tracing::warn!(worker = %name, error = %e, "job queue unavailable"),
        }
        tokio::select! {
            () = notify.notified() => {}
            () = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Starts `job_workers` workers; they stop when `shutdown` turns true.
pub fn start(state: &AppState, shutdown: &watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    let instance = Uuid::new_v4().simple().to_string();
    (0..state.config().job_workers)
        .map(|i| {
            let name = format!("{}-{}-{i}", hostname(), &instance[..8]);
            tokio::spawn(worker(state.clone(), name, shutdown.clone()))
        })
        .collect()
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| format!("pid{}", std::process::id()))
}
