//! Background work as typed jobs over the store's durable queue: each job
//! kind is one variant of [`Task`]; a handler that fails returns a
//! [`Failure`]. The workers that claim and run them are in
//! [`crate::worker`].

use crate::App;
use crate::error::AppResult;
use crate::mail::OutgoingMail;
use amends_domain::CaseId;
use amends_domain::IncidentId;
use amends_domain::UserId;
use amends_store::{Job, JobEffects, NewJob};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
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
    /// reply; internal (to colleagues): notify, approval (see [`crate::delivery::is_internal`])
    pub purpose: String,
    pub author_id: Option<Uuid>,
    pub mail: OutgoingMail,
    /// The message is on the case timeline since it was queued (replies):
    /// sending it adds no second entry.
    #[serde(default)]
    pub recorded: bool,
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
    /// Looks for spikes of a topic's complaints (every 15 minutes).
    PatternSweep,
    /// Trains a new version of the churn model (weekly, and on demand).
    ChurnTrain,
    /// Anonymises closed cases past the retention setting (daily).
    RetentionSweep,
    /// Trains a new version of the company sentiment model (on demand).
    TextTrain {
        trained_by: Option<UserId>,
    },
    /// Fans out the pending affected customers of an incident (after a crash
    /// of the upload that staged them).
    IncidentFanOut {
        incident_id: amends_domain::IncidentId,
    },
    /// A proactive incident message (closing update; notices of earlier
    /// versions) to one customer.
    IncidentMessage(MessageTask),
    /// The notices of one fan-out chunk; the affected rows are its outbox
    /// entries (each sent at most once, state on the row).
    IncidentNotices {
        incident_id: amends_domain::IncidentId,
    },
    /// The digest mails of the teams whose period ended (daily).
    InsightDigest,
    /// A post to a team's channel webhook.
    TeamPost {
        team_id: Uuid,
        text: String,
    },
}

#[derive(Serialize, Deserialize)]
struct TeamPostPayload {
    team_id: Uuid,
    text: String,
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
struct TextTrainPayload {
    trained_by: Option<UserId>,
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
            Task::PatternSweep => "pattern_sweep",
            Task::ChurnTrain => "churn_train",
            Task::RetentionSweep => "retention_sweep",
            Task::TextTrain { .. } => "text_train",
            Task::IncidentFanOut { .. } => "incident_fan_out",
            Task::IncidentMessage(_) => "incident_message",
            Task::IncidentNotices { .. } => "incident_notices",
            Task::InsightDigest => "insight_digest",
            Task::TeamPost { .. } => "team_post",
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
            Task::SlaSweep | Task::PatternSweep | Task::ChurnTrain | Task::RetentionSweep | Task::InsightDigest => {
                Ok(serde_json::Value::Null)
            }
            Task::TextTrain { trained_by } => serde_json::to_value(TextTrainPayload {
                trained_by: *trained_by,
            }),
            Task::IncidentFanOut { incident_id } => serde_json::to_value(FanOutPayload {
                incident_id: *incident_id,
            }),
            Task::IncidentMessage(m) => serde_json::to_value(m),
            Task::IncidentNotices { incident_id } => serde_json::to_value(FanOutPayload {
                incident_id: *incident_id,
            }),
            Task::TeamPost { team_id, text } => serde_json::to_value(TeamPostPayload {
                team_id: *team_id,
                text: text.clone(),
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
            "pattern_sweep" => Task::PatternSweep,
            "churn_train" => Task::ChurnTrain,
            "retention_sweep" => Task::RetentionSweep,
            "text_train" => Task::TextTrain {
                trained_by: serde_json::from_str::<TextTrainPayload>(p).map_err(bad)?.trained_by,
            },
            "incident_fan_out" => Task::IncidentFanOut {
                incident_id: serde_json::from_str::<FanOutPayload>(p).map_err(bad)?.incident_id,
            },
            "incident_message" => Task::IncidentMessage(serde_json::from_str(p).map_err(bad)?),
            "incident_notices" => Task::IncidentNotices {
                incident_id: serde_json::from_str::<FanOutPayload>(p).map_err(bad)?.incident_id,
            },
            "insight_digest" => Task::InsightDigest,
            "team_post" => {
                let p = serde_json::from_str::<TeamPostPayload>(p).map_err(bad)?;
                Task::TeamPost {
                    team_id: p.team_id,
                    text: p.text,
                }
            }
            other => return Err(format!("unknown job kind `{other}`")),
        })
    }

    /// The job row to enqueue for this task.
    #[must_use]
    pub fn job(&self, state: &App, run_at: DateTime<Utc>, dedupe_key: Option<String>, case: Option<CaseId>) -> NewJob {
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
pub fn max_attempts(state: &App) -> i32 {
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

/// The payload of an incident message job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageTask {
    pub incident_id: IncidentId,
    pub customer_id: Uuid,
    pub case_id: CaseId,
    /// notice (when the customer is found affected), closing (when resolved)
    pub purpose: String,
    pub language: String,
}

/// Puts dead job `id` back into the queue and wakes the workers.
pub async fn retry(state: &App, id: Uuid, actor: UserId) -> AppResult<Job> {
    let job = state.store().retry_job(id, Some(actor), state.now()).await?;
    state.wake_workers();
    Ok(job)
}
