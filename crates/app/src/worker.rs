//! The workers that run background jobs. A worker claims a job (with a
//! lease), runs its handler (one `run` arm per [`Task`] variant) and records
//! the outcome together with the job's database effects in one transaction.
//! Failures are retried with exponential backoff and declared dead after
//! `job_max_attempts`; dead jobs are listed in the admin UI and API and can
//! be retried. Workers start with the web crate's `Application::run` and
//! stop when the shutdown signal arrives (a running job is finished first).

use crate::App;
use crate::followup;
use crate::jobs::{Failure, Task};
use amends_store::{Job, JobEffects};
use chrono::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// How often a worker checks which company text model is active.
const TEXT_MODEL_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs one task; `dead` tells the failure handler whether this was the last attempt.
async fn run(state: &App, job: &Job, task: &Task, last_attempt: bool) -> Result<JobEffects, Failure> {
    match task {
        Task::Event(e) => {
            let mut fx = followup::on_event(state, job, e).await?;
            crate::insights::on_event(state, job, e, &mut fx).await?;
            Ok(fx)
        }
        Task::Mail(m) => followup::send_mail_task(state, m, last_attempt).await,
        Task::Survey { survey_id } => followup::send_survey(state, *survey_id, last_attempt).await,
        Task::CheckIn { case_id } => followup::send_check_in(state, job, *case_id, last_attempt).await,
        Task::Webhook { delivery_id } => crate::webhooks::deliver(state, *delivery_id, last_attempt).await,
        Task::SlaSweep => crate::sla::sweep(state).await,
        Task::PatternSweep => crate::analytics::spikes::sweep(state).await,
        Task::ChurnTrain => crate::analytics::churn::train_job(state).await,
        Task::RetentionSweep => crate::retention::sweep_job(state).await,
        Task::TextTrain { trained_by } => crate::text_models::train_job(state, *trained_by).await,
        Task::IncidentFanOut { incident_id } => crate::incidents::resume_fan_out(state, *incident_id).await,
        Task::IncidentMessage(m) => crate::incidents::send_message(state, job.id, m, last_attempt).await,
        Task::IncidentNotices { incident_id } => {
            crate::incidents::send_notices(state, job, *incident_id, last_attempt).await
        }
        Task::InsightDigest => crate::insights::digest::sweep(state).await,
        Task::TeamPost { team_id, text } => crate::insights::digest::post(state, *team_id, text).await,
    }
}

/// Claims and runs one due job; `false` if none was due.
pub async fn run_one(state: &App, worker: &str) -> Result<bool, amends_store::StoreError> {
    let now = state.now();
    let lease = state.config().job_lease;
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
                let base = state.config().job_backoff;
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
pub async fn worker(state: App, name: String, mut shutdown: watch::Receiver<bool>) {
    let poll = state
        .config()
        .job_poll
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(1))
        .max(std::time::Duration::from_millis(20));
    let notify = state.job_notify();
    let mut swept_minute = i64::MIN;
    let mut swept_quarter = i64::MIN;
    let mut trained_week = String::new();
    let mut retention_day = String::new();
    let mut text_model_checked: Option<std::time::Instant> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Follow the active company text model (switched on any instance).
        if text_model_checked.is_none_or(|t| t.elapsed() >= TEXT_MODEL_CHECK) {
            text_model_checked = Some(std::time::Instant::now());
            if let Err(e) = crate::text_models::sync(&state).await {
                tracing::warn!(error = %e, "cannot load the active text model");
            }
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
            // The spike detector every 15 minutes, the same way.
            if swept_quarter != minute / 15 {
                swept_quarter = minute / 15;
                let job = Task::PatternSweep.job(
                    &state,
                    state.now(),
                    Some(format!("pattern-sweep:{}", minute / 15)),
                    None,
                );
                if let Err(e) = state.store().enqueue_job(&job, state.now()).await {
                    tracing::warn!(error = %e, "cannot queue the pattern sweep");
                }
            }
            // The churn model is retrained once a week.
            let week = crate::analytics::churn::week_key(state.now());
            if trained_week != week {
                if let Err(e) = crate::analytics::churn::schedule(&state, Some(week.clone())).await {
                    tracing::warn!(error = %e, "cannot queue the churn training");
                }
                trained_week = week;
            }
            // Closed cases past the retention are anonymised once a day.
            let day = crate::retention::day_key(state.now());
            if retention_day != day {
                let job = Task::RetentionSweep.job(&state, state.now(), Some(day.clone()), None);
                if let Err(e) = state.store().enqueue_job(&job, state.now()).await {
                    tracing::warn!(error = %e, "cannot queue the retention sweep");
                }
                // The teams' insight digests of the period that ended.
                let now = state.now();
                let job = Task::InsightDigest.job(&state, now, Some(crate::insights::digest::day_key(now)), None);
                if let Err(e) = state.store().enqueue_job(&job, now).await {
                    tracing::warn!(error = %e, "cannot queue the insight digest");
                }
                retention_day = day;
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
pub fn start(state: &App, shutdown: &watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
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
