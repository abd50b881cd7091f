//! `/api/v1/incidents`: declare incidents (or let Alertmanager do it),
//! upload affected customers (streamed JSON or CSV), follow the fan-out,
//! resolve with a closing update; `/api/v1/goodwill/rules`: automatic goodwill.

use crate::api::json::{ApiJson, Created, content_type};
use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::goodwill_rules::{self, RuleIn};
use amends_app::incidents::{self as inc, AlertOutcome, IncidentIn, Totals, UploadFormat, UploadReport};
use amends_domain::IncidentId;
use amends_domain::incident::IncidentStatus;
use amends_store::{AffectedRow, GoodwillRule, Incident, IncidentStats};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// The largest upload of affected customers (streamed, never held whole).
pub const UPLOAD_MAX: u64 = 1024 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_incidents, create_incident))
        .routes(routes!(get_incident, update_incident))
        .routes(routes!(alert))
        .routes(routes!(upload_affected, list_affected))
        .routes(routes!(resolve_incident))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(get_rule, update_rule, delete_rule))
}

/// An incident with its totals and live figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentOut {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub incident: Incident,
    /// `affected`, `pending`, `cases_created`, `cases_updated`, `messages_queued`, `goodwill_granted`, `goodwill_cents`.
    pub totals: Totals,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub stats: Option<IncidentStats>,
}

fn out(incident: Incident, stats: Option<IncidentStats>) -> IncidentOut {
    IncidentOut {
        totals: Totals::of(&incident),
        incident,
        stats,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// open, mitigated, resolved
    #[param(pattern = "^(open|mitigated|resolved)$")]
    pub status: Option<String>,
    pub limit: Option<usize>,
}

/// Incidents, newest first.
#[utoipa::path(get, path = "/incidents", tag = "incidents", params(ListQuery),
    responses((status = 200, body = Vec<IncidentOut>), (status = 422, body = Problem)))]
async fn list_incidents(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<Vec<IncidentOut>>> {
    let status = q.status.as_deref().map(str::parse::<IncidentStatus>).transpose()?;
    let list = state.store().list_incidents(status, q.limit.unwrap_or(50)).await?;
    Ok(Json(list.into_iter().map(|i| out(i, None)).collect()))
}

/// Declare an incident (leads and admins).
#[utoipa::path(post, path = "/incidents", tag = "incidents", request_body = IncidentIn,
    responses((status = 201, body = IncidentOut), (status = 422, body = Problem)))]
async fn create_incident(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<IncidentIn>,
) -> ApiResult<Created<IncidentOut>> {
    let i = inc::create(&state, &body, "api", actor.user.id).await?;
    Ok(Created(out(i, None)))
}

/// One incident with totals (`affected`, `cases_created`, `messages_queued`,
/// `goodwill_granted`, …) and live figures (open cases, messages by state,
/// feedback from affected customers, CSAT).
#[utoipa::path(get, path = "/incidents/{id}", tag = "incidents", params(("id" = Uuid, Path)),
    responses((status = 200, body = IncidentOut), (status = 404, body = Problem)))]
async fn get_incident(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<IncidentOut>> {
    let i = state.store().get_incident(IncidentId(id)).await?;
    let stats = state.store().incident_stats(&i).await?;
    Ok(Json(out(i, Some(stats))))
}

/// Replace an incident's fields; `status` may move it between open,
/// mitigated and resolved (resolving here sends no closing update; use
/// `POST /incidents/{id}/resolve` for that).
#[utoipa::path(put, path = "/incidents/{id}", tag = "incidents", params(("id" = Uuid, Path)), request_body = IncidentIn,
    responses((status = 200, body = IncidentOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_incident(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<IncidentIn>,
) -> ApiResult<Json<IncidentOut>> {
    let i = inc::update(&state, IncidentId(id), &body, actor.user.id).await?;
    Ok(Json(out(i, None)))
}

/// Resolve the incident and send the closing update to every affected
/// customer who may be contacted (in their language, once).
#[utoipa::path(post, path = "/incidents/{id}/resolve", tag = "incidents", params(("id" = Uuid, Path)),
    responses((status = 200, body = IncidentOut), (status = 404, body = Problem)))]
async fn resolve_incident(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<IncidentOut>> {
    let i = inc::resolve(&state, IncidentId(id), actor.user.id).await?;
    Ok(Json(out(i, None)))
}

/// The Prometheus Alertmanager webhook (`webhook_configs` with a bearer
/// token of a lead or admin). The first notification of an alert group
/// (`groupKey`) opens an incident; later ones update it: `resolved` marks it
/// mitigated with its end time, firing again reopens it. Labels:
/// `severity` (critical → 4, warning → 2, info → 1, else 3),
/// `incident_kind`, `component`/`service`/`job`, `release`,
/// `controllable` ("false"); annotations: `summary` (title),
/// `summary_de`, `summary_en`/`description`.
#[utoipa::path(post, path = "/incidents/alert", tag = "incidents", request_body(content = Object,
        description = "Alertmanager webhook payload, version 4"),
    responses((status = 200, body = AlertOutcome), (status = 400, body = Problem), (status = 422, body = Problem)))]
async fn alert(Ctx { state, actor }: Ctx, body: Bytes) -> ApiResult<Json<AlertOutcome>> {
    Ok(Json(inc::alert(&state, &body, actor.user.id).await?))
}

/// A blocking reader over the request body stream, fed by a task.
struct BodyReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
    current: Bytes,
}

impl std::io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

fn body_reader(body: Body) -> BodyReader {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        let mut total = 0_u64;
        while let Some(chunk) = stream.next().await {
            let item = chunk.map_err(std::io::Error::other).and_then(|b| {
                total += b.len() as u64;
                if total > UPLOAD_MAX {
                    Err(std::io::Error::other(format!(
                        "the upload is larger than {} MiB; split the file",
                        UPLOAD_MAX / 1024 / 1024
                    )))
                } else {
                    Ok(b)
                }
            });
            let stop = item.is_err();
            if tx.send(item).await.is_err() || stop {
                break;
            }
        }
    });
    BodyReader {
        rx,
        current: Bytes::new(),
    }
}

/// Add affected customers: a JSON array of `{customer_external_id, facts}`
/// or CSV (`Content-Type: text/csv`) with a `customer_external_id` column
/// and one column per fact (`delay_minutes`, `order_id`, `amount`, …).
/// Streamed; idempotent per (incident, customer). Each new customer gets a
/// proactive case (or an update of their open case), a message in their
/// language through the outbox, and goodwill from the first matching rule.
/// Rows with problems are reported in `errors`; the rest is processed.
#[utoipa::path(post, path = "/incidents/{id}/affected", tag = "incidents", params(("id" = Uuid, Path)),
    request_body(content = Vec<Object>, description = "JSON array of {customer_external_id, facts}, or text/csv"),
    responses((status = 200, body = UploadReport), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
async fn upload_affected(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<UploadReport>> {
    let ct = content_type(&headers);
    let format = if ct.starts_with("text/csv") {
        UploadFormat::Csv
    } else if ct.starts_with("application/json") {
        UploadFormat::Json
    } else {
        return Err(ApiError::unsupported_media_type(format!(
            "send the affected customers as application/json (an array) or text/csv, not `{}`",
            if ct.is_empty() { "no Content-Type" } else { &ct }
        )));
    };
    Ok(Json(
        inc::upload(&state, IncidentId(id), format, body_reader(body), actor.user.id).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AffectedQuery {
    /// The last customer id of the previous page.
    pub after: Option<Uuid>,
    pub limit: Option<usize>,
}

/// Affected customers with their case, message and goodwill, by customer id.
#[utoipa::path(get, path = "/incidents/{id}/affected", tag = "incidents", params(("id" = Uuid, Path), AffectedQuery),
    responses((status = 200, body = Vec<Object>), (status = 404, body = Problem)))]
async fn list_affected(
    Ctx { state, .. }: Ctx,
    Path(id): Path<Uuid>,
    ApiQuery(q): ApiQuery<AffectedQuery>,
) -> ApiResult<Json<Vec<AffectedRow>>> {
    state.store().get_incident(IncidentId(id)).await?;
    Ok(Json(
        state
            .store()
            .list_affected(IncidentId(id), q.after, q.limit.unwrap_or(100))
            .await?,
    ))
}

/// Automatic goodwill rules, in the order they are tried.
#[utoipa::path(get, path = "/goodwill/rules", tag = "goodwill", responses((status = 200, body = Vec<Object>)))]
async fn list_rules(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<GoodwillRule>>> {
    Ok(Json(state.store().list_goodwill_rules(false).await?))
}

/// Add an automatic goodwill rule (admins).
#[utoipa::path(post, path = "/goodwill/rules", tag = "goodwill", request_body = RuleIn,
    responses((status = 201, body = Object), (status = 422, body = Problem)))]
async fn create_rule(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<RuleIn>) -> ApiResult<Created<GoodwillRule>> {
    let r = goodwill_rules::create(&state, &body, actor.user.id).await?;
    Ok(Created(r))
}

#[utoipa::path(get, path = "/goodwill/rules/{id}", tag = "goodwill", params(("id" = Uuid, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
async fn get_rule(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<GoodwillRule>> {
    Ok(Json(state.store().get_goodwill_rule(id).await?))
}

/// Replace an automatic goodwill rule (admins).
#[utoipa::path(put, path = "/goodwill/rules/{id}", tag = "goodwill", params(("id" = Uuid, Path)), request_body = RuleIn,
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_rule(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<RuleIn>,
) -> ApiResult<Json<GoodwillRule>> {
    Ok(Json(goodwill_rules::update(&state, id, &body, actor.user.id).await?))
}

/// Delete an automatic goodwill rule (admins); grants it made stay.
#[utoipa::path(delete, path = "/goodwill/rules/{id}", tag = "goodwill", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_rule(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    goodwill_rules::delete(&state, id, actor.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
