//! `POST /api/v1/mail/inbound`: a raw RFC 822 message (admins; for an MTA or a mail gateway).

use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use amends_app::imap::ImapStatus;
use amends_app::mailin::{self, MailOutcome};
use amends_domain::CaseId;
use amends_store::Attachment;
use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(inbound))
        .routes(routes!(imap_status))
        .routes(routes!(case_attachments))
        .routes(routes!(download))
}

/// The attachments of inbound mail on a case (without their bytes).
#[utoipa::path(get, path = "/cases/{id}/attachments", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<AttachmentOut>)))]
async fn case_attachments(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<Vec<AttachmentOut>>> {
    let list = state.store().list_case_attachments(CaseId(id)).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// An attachment's bytes (always as a download, never shown inline).
#[utoipa::path(get, path = "/attachments/{id}", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem)))]
async fn download(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Response> {
    let (a, bytes) = state.store().get_attachment(id).await?;
    let name: String = a
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub feedback_id: Option<Uuid>,
    pub message_id: Option<String>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

impl From<Attachment> for AttachmentOut {
    fn from(a: Attachment) -> Self {
        Self {
            id: a.id,
            case_id: a.case_id,
            feedback_id: a.feedback_id,
            message_id: a.message_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            created_at: a.created_at,
        }
    }
}

/// Take one raw message (`message/rfc822`, at most 1 MiB here; larger
/// messages through `amends mail ingest`). A reply threads onto its case;
/// other mail becomes feedback (channel email); auto-replies and bounces are
/// ignored.
#[utoipa::path(post, path = "/mail/inbound", tag = "feedback",
    request_body(content = String, content_type = "message/rfc822", description = "the raw message"),
    responses((status = 200, body = MailOutcome), (status = 400, body = Problem), (status = 403, body = Problem)))]
async fn inbound(
    Ctx { state, actor }: Ctx,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<MailOutcome>)> {
    let body = body.map_err(|e| ApiError::bad_request(format!("could not read the message: {e}")))?;
    let out = mailin::ingest(&state, &body, Some(actor.user.id)).await?;
    Ok((StatusCode::OK, Json(out)))
}

/// The IMAP poller of the instance that answers: its mailbox (without the
/// password), the last poll, its outcome or error.
#[utoipa::path(get, path = "/mail/imap", tag = "feedback",
    responses((status = 200, body = ImapStatus), (status = 403, body = Problem)))]
async fn imap_status(Ctx { state, .. }: Ctx) -> ApiResult<Json<ImapStatus>> {
    Ok(Json(state.imap_status().get()))
}
