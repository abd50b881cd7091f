//! Follow-up API: replies through the outbox, a case's follow-up status,
//! the job queue (dead jobs and retry) and webhooks with their delivery log.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::followup::{self, QueuedReply};
use amends_domain::CaseId;
use amends_store::{Job, Survey, WebhookDelivery};
use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_reply))
        .routes(routes!(retry_message))
        .routes(routes!(follow_up_status))
        .routes(routes!(lead_review))
        .routes(routes!(personal_note_done))
        .routes(routes!(list_jobs))
        .routes(routes!(retry_job))
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(list_deliveries))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyIn {
    /// Plain text; sent as text and HTML in the customer's language frame.
    pub body: String,
    /// One line, at most 200 characters (e.g. a template's rendered subject);
    /// default "Re: <case subject>" in the customer's language.
    #[serde(default)]
    pub subject: Option<String>,
}

/// Send a reply to the case's customer by email. The mail goes through
/// the outbox (retried on failure); an `Idempotency-Key` header makes a
/// repeated request queue nothing new.
#[utoipa::path(post, path = "/cases/{id}/replies", tag = "follow-up", params(("id" = Uuid, Path)), request_body = ReplyIn,
    responses((status = 202, body = QueuedReply), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn send_reply(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ReplyIn>,
) -> ApiResult<(StatusCode, Json<QueuedReply>)> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let q = followup::enqueue_reply(
        &state,
        CaseId(id),
        &body.body,
        body.subject.as_deref(),
        actor.user.id,
        key,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(q)))
}

/// Send an outgoing message of the case again: a failed one gets fresh
/// attempts, one waiting for its next attempt is tried now. 409 for a
/// message that is sent or being sent.
#[utoipa::path(post, path = "/cases/{id}/messages/{job_id}/retry", tag = "follow-up",
    params(("id" = Uuid, Path), ("job_id" = Uuid, Path, description = "`delivery.job_id` of the message on the timeline")),
    responses((status = 202, body = amends_app::delivery::Delivery), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn retry_message(
    Ctx { state, actor }: Ctx,
    Path((id, job_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<(StatusCode, Json<amends_app::delivery::Delivery>)> {
    let d = amends_app::delivery::retry(&state, CaseId(id), job_id, actor.user.id).await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobOut {
    pub id: Uuid,
    /// event, mail, survey, check_in, webhook
    pub kind: String,
    /// queued, running, done, dead
    pub state: String,
    pub case_id: Option<Uuid>,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Job> for JobOut {
    fn from(j: Job) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            state: j.state,
            case_id: j.case_id,
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CaseSurveyOut)]
pub struct SurveyOut {
    pub id: Uuid,
    /// scheduled, sent, answered, skipped
    pub state: String,
    pub language: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub score: Option<i32>,
    pub comment: Option<String>,
    pub solved: Option<bool>,
    pub negative: Option<bool>,
}

impl From<Survey> for SurveyOut {
    fn from(s: Survey) -> Self {
        Self {
            id: s.id,
            state: s.state,
            language: s.language.code().into(),
            sent_at: s.sent_at,
            expires_at: s.expires_at,
            answered_at: s.answered_at,
            score: s.score,
            comment: s.comment,
            solved: s.solved,
            negative: s.negative,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpOut {
    /// When the follow-up happened (survey answered or check-in sent) after the last resolution.
    pub follow_up_at: Option<DateTime<Utc>>,
    /// A negative survey answer asks a lead to look at the case.
    pub lead_attention: bool,
    pub surveys: Vec<SurveyOut>,
    /// Outgoing mail and follow-up jobs of this case, newest first (delivery state and errors).
    pub outbox: Vec<JobOut>,
}

/// The follow-up of a case: surveys, lead flag, and its outbox with delivery errors.
#[utoipa::path(get, path = "/cases/{id}/follow-up", tag = "follow-up", params(("id" = Uuid, Path)),
    responses((status = 200, body = FollowUpOut), (status = 404, body = Problem)))]
async fn follow_up_status(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<FollowUpOut>> {
    let f = state.store().case_follow_up(CaseId(id)).await?;
    let surveys = state.store().list_case_surveys(CaseId(id)).await?;
    let jobs = state.store().list_case_jobs(CaseId(id)).await?;
    Ok(Json(FollowUpOut {
        follow_up_at: f.follow_up_at,
        lead_attention: f.lead_attention,
        surveys: surveys.into_iter().map(Into::into).collect(),
        outbox: jobs.into_iter().map(Into::into).collect(),
    }))
}

/// A lead has reviewed the case after a negative answer: clears the flag.
#[utoipa::path(post, path = "/cases/{id}/lead-review", tag = "follow-up", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn lead_review(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    amends_app::followup::lead_reviewed(&state, CaseId(id), actor.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The personal (handwritten) note to a high-value customer was written:
/// marks the case's open task done (409 if there is none).
#[utoipa::path(post, path = "/cases/{id}/personal-note/done", tag = "follow-up", params(("id" = Uuid, Path)),
    responses((status = 201, body = crate::dto::EventOut), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn personal_note_done(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
) -> ApiResult<Created<crate::dto::EventOut>> {
    let ev = amends_app::followup::complete_personal_note(&state, CaseId(id), actor.user.id).await?;
    Ok(Created(ev.into()))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// queued, running, done, dead (default: all)
    #[param(pattern = "^(queued|running|done|dead)$")]
    pub state: Option<String>,
    /// 1–500, default 100
    #[param(minimum = 1, maximum = 500)]
    #[serde(default, deserialize_with = "crate::query::page_limit::<_, 500>")]
    pub limit: Option<usize>,
}

/// Background jobs, newest first (admin). `?state=dead` lists the ones that gave up.
#[utoipa::path(get, path = "/jobs", tag = "follow-up", params(JobQuery),
    responses((status = 200, body = Vec<JobOut>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list_jobs(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<JobQuery>) -> ApiResult<Json<Vec<JobOut>>> {
    let st = q
        .state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "all");
    if let Some(s) = st
        && !["queued", "running", "done", "dead"].contains(&s)
    {
        return Err(ApiError::validation(
            "state",
            format!("state must be queued, running, done or dead, got `{s}`"),
        ));
    }
    let jobs = state.store().list_jobs(st, q.limit.unwrap_or(100)).await?;
    Ok(Json(jobs.into_iter().map(Into::into).collect()))
}

/// Put a dead job back into the queue (admin).
#[utoipa::path(post, path = "/jobs/{id}/retry", tag = "follow-up", params(("id" = Uuid, Path)),
    responses((status = 200, body = JobOut), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn retry_job(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<JobOut>> {
    let job = amends_app::jobs::retry(&state, id, actor.user.id).await?;
    Ok(Json(job.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    /// Where to POST, http:// or https://.
    #[schema(example = "https://crm.example.com/hooks/amends")]
    pub url: String,
    /// case.created, case.state_changed, survey.answered, or `*` for all.
    pub events: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOut {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Only in the response that creates the webhook: the HMAC key of `X-Amends-Signature`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookOut {
    fn new(w: &amends_store::Webhook, secret: Option<String>) -> Self {
        Self {
            id: w.id,
            url: w.url.clone(),
            events: w.event_list(),
            created_at: w.created_at,
            secret,
        }
    }
}

#[utoipa::path(get, path = "/webhooks", tag = "follow-up",
    responses((status = 200, body = Vec<WebhookOut>), (status = 403, body = Problem)))]
async fn list_webhooks(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<WebhookOut>>> {
    let hooks = state.store().list_webhooks().await?;
    Ok(Json(hooks.iter().map(|h| WebhookOut::new(h, None)).collect()))
}

/// Subscribe a URL to events. The response carries the signing secret once.
#[utoipa::path(post, path = "/webhooks", tag = "follow-up", request_body = WebhookIn,
    responses((status = 201, body = WebhookOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_webhook(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<WebhookIn>,
) -> ApiResult<Created<WebhookOut>> {
    let (hook, secret) = amends_app::webhooks::create(&state, &body.url, &body.events, actor.user.id).await?;
    Ok(Created(WebhookOut::new(&hook, Some(secret))))
}

#[utoipa::path(delete, path = "/webhooks/{id}", tag = "follow-up", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_webhook(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    amends_app::webhooks::deactivate(&state, id, actor.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    /// pending, delivered, failed
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookDelivery> for DeliveryOut {
    fn from(d: WebhookDelivery) -> Self {
        Self {
            id: d.id,
            webhook_id: d.webhook_id,
            event: d.event,
            state: d.state,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// The delivery log of one webhook, newest first.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "follow-up", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<DeliveryOut>), (status = 404, body = Problem)))]
async fn list_deliveries(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<Vec<DeliveryOut>>> {
    state.store().get_webhook(id).await?;
    let list = state.store().list_deliveries(Some(id), 200).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}
