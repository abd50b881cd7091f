//! The mail quarantine (admins): inbound mail that could not be taken,
//! kept whole; release it (with a sender where it had none) or delete it.

use crate::api::json::ApiJson;
use crate::auth::Ctx;
use crate::error::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::mailin::MailOutcome;
use amends_app::quarantine;
use amends_store::QuarantinedMail;
use axum::Json;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(raw))
        .routes(routes!(release))
        .routes(routes!(delete))
}

/// A quarantined message (without its bytes).
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantineOut {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    /// `pipe` (the MTA) or `imap`.
    pub source: String,
    /// Why it could not be taken: `no_sender`, `not_mail`, `too_large` or `unreadable`.
    pub reason_code: String,
    /// The same in words (English).
    pub reason: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    /// Bytes of the raw message.
    pub size: i64,
    /// When it was released or deleted; open while null.
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<Uuid>,
    /// `released: <outcome>` or `deleted`.
    pub outcome: Option<String>,
}

impl From<QuarantinedMail> for QuarantineOut {
    fn from(m: QuarantinedMail) -> Self {
        Self {
            id: m.id,
            received_at: m.received_at,
            source: m.source,
            reason_code: m.reason_code,
            reason: m.reason,
            sender: m.sender,
            subject: m.subject,
            size: m.size,
            closed_at: m.closed_at,
            closed_by: m.closed_by,
            outcome: m.outcome,
        }
    }
}

/// `all=true` lists released and deleted messages too.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuarantineQuery {
    pub all: Option<bool>,
}

/// The quarantined messages, newest first (at most 500): open ones, or all.
#[utoipa::path(get, path = "/mail/quarantine", tag = "feedback", params(QuarantineQuery),
    responses((status = 200, body = Vec<QuarantineOut>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn list(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<QuarantineQuery>) -> ApiResult<Json<Vec<QuarantineOut>>> {
    let rows = quarantine::list(&state, !q.all.unwrap_or(false)).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// The raw message as it arrived (`message/rfc822`, a download).
#[utoipa::path(get, path = "/mail/quarantine/{id}/raw", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "message/rfc822"), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn raw(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let bytes = state.store().quarantined_raw(id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "message/rfc822".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"quarantine-{id}.eml\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// What to release a message with.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseIn {
    /// The sender's address, replacing or supplying the message's From.
    #[serde(default)]
    pub sender: Option<String>,
}

/// Take a quarantined message after all, as if it had just arrived. 422
/// (field `sender`) when it still has no usable sender; 409 when it was
/// already released or deleted.
#[utoipa::path(post, path = "/mail/quarantine/{id}/release", tag = "feedback", params(("id" = Uuid, Path)),
    request_body = ReleaseIn,
    responses((status = 200, body = MailOutcome), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn release(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<ReleaseIn>,
) -> ApiResult<Json<MailOutcome>> {
    Ok(Json(
        quarantine::release(&state, id, body.sender.as_deref(), actor.user.id).await?,
    ))
}

/// Delete a quarantined message (its bytes are dropped, the row stays as a record).
#[utoipa::path(delete, path = "/mail/quarantine/{id}", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    quarantine::delete(&state, id, actor.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
