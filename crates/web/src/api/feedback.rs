//! `/api/v1/feedback` (single, bulk, stream) and `/api/v1/detection-rules`.

use crate::dto::FeedbackOut;
use crate::query::{FeedbackQuery, parse_cursor};

use crate::api::json::{ApiJson, Created, content_type, parse_json};
use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::detection::{self, FeedbackInput, KeyedRow, RowError, RuleFields};
use amends_app::detection_rules::{self, RulePatch};
use amends_domain::detection::Conditions;
use amends_domain::{CustomerId, FeedbackId, RuleId};
use amends_store::{DetectionRule, FeedbackFilter};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

/// Largest bulk body (JSON or CSV).
pub const BULK_BODY_MAX: usize = 32 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_feedback, list_feedback))
        .routes(routes!(get_feedback))
        .routes(routes!(open_case))
        .routes(routes!(create_rule, list_rules))
        .routes(routes!(get_rule, patch_rule, delete_rule))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(bulk_feedback))
                .layer(DefaultBodyLimit::max(BULK_BODY_MAX)),
        )
}

/// One feedback item. Give `customer_id`, or `customer_email` (an unknown
/// email creates the customer, named `customer_name` or after the email).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackIn {
    pub customer_id: Option<Uuid>,
    #[schema(example = "anna.schmidt@example.de")]
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    #[schema(example = "api", value_type = crate::vocab::Channel)]
    pub channel: String,
    /// 1–5
    #[schema(example = 1, minimum = 1, maximum = 5)]
    pub rating: Option<i64>,
    /// At most 20,000 characters.
    #[schema(
        example = "Die Lieferung kam zu spät und die Vase war kaputt. Ich kündige!",
        min_length = 1,
        max_length = 20_000,
        pattern = r"\S"
    )]
    pub text: String,
    /// `de` or `en`; detected when absent.
    #[schema(value_type = Option<crate::vocab::Language>)]
    pub language: Option<String>,
    /// Channel-specific facts (page URL, order id, …), a JSON object up to 8 KiB.
    #[schema(value_type = Option<Object>)]
    pub source: Option<serde_json::Value>,
    /// The reference of the customer's open case this is about
    /// (`#3f9a12c4`): a rule with action `attach_or_open` adds the item
    /// there. Without it, a reference in the text counts; otherwise the
    /// item joins an open case only on a shared topic within the attach
    /// window (`/settings/attach-window`).
    #[schema(example = "#3f9a12c4", pattern = r"^(#?[0-9a-fA-F]{8})?$")]
    pub case_reference: Option<String>,
    /// The product component the item is about (e.g. `checkout`), for the
    /// patterns report; at most 100 characters.
    #[schema(example = "checkout", max_length = 100)]
    pub component: Option<String>,
}

impl From<FeedbackIn> for FeedbackInput {
    fn from(f: FeedbackIn) -> Self {
        Self {
            customer_id: f.customer_id,
            customer_email: f.customer_email,
            customer_name: f.customer_name,
            channel: f.channel,
            rating: f.rating,
            text: f.text,
            language: f.language,
            source: f.source,
            component: f.component,
            whole_text: false,
            case_reference: f.case_reference,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackList {
    pub items: Vec<FeedbackOut>,
    pub next_cursor: Option<String>,
}

/// Take one feedback item: text analytics (language, sentiment, topics,
/// signals), then the detection rules; `case_id` is set when a rule opened
/// a case or attached the item to the customer's open case.
#[utoipa::path(post, path = "/feedback", tag = "feedback", request_body = FeedbackIn,
    responses((status = 201, body = FeedbackOut), (status = 422, body = Problem)))]
async fn create_feedback(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<FeedbackIn>,
) -> ApiResult<Created<FeedbackOut>> {
    let done = detection::ingest_one(&state, body.into(), Some(actor.user.id)).await?;
    let f = state.store().get_feedback(done.id).await?;
    Ok(Created(f.into()))
}

#[utoipa::path(get, path = "/feedback/{id}", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 200, body = FeedbackOut), (status = 404, body = Problem)))]
async fn get_feedback(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<FeedbackOut>> {
    Ok(Json(state.store().get_feedback(FeedbackId(id)).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenedCaseOut {
    pub case_id: Uuid,
}

/// Open a recovery case for an item that has none (409 if it has one).
#[utoipa::path(post, path = "/feedback/{id}/case", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 201, body = OpenedCaseOut), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn open_case(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Created<OpenedCaseOut>> {
    let case = detection::open_case_for(&state, FeedbackId(id), Some(actor.user.id)).await?;
    Ok(Created(OpenedCaseOut { case_id: case.0 }))
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl FeedbackQuery {
    pub fn to_filter(&self) -> ApiResult<FeedbackFilter> {
        let has_case = match nonempty(&self.has_case) {
            None => None,
            Some("yes" | "true") => Some(true),
            Some("no" | "false") => Some(false),
            Some(other) => {
                return Err(ApiError::validation(
                    "has_case",
                    format!("has_case must be `yes` or `no`, got `{other}`"),
                ));
            }
        };
        let topic = nonempty(&self.topic).map(str::to_string);
        if topic.as_ref().is_some_and(|t| t.chars().count() > 64) {
            return Err(ApiError::validation("topic", "topic must be at most 64 characters"));
        }
        Ok(FeedbackFilter {
            channel: nonempty(&self.channel).map(str::parse).transpose()?,
            sentiment: nonempty(&self.sentiment).map(str::parse).transpose()?,
            topic,
            rating: nonempty(&self.rating).map(str::parse).transpose()?,
            language: nonempty(&self.language).map(str::parse).transpose()?,
            customer_id: self.customer_id.map(CustomerId),
            has_case,
            created_from: self.created_from,
            created_to: self.created_to,
            cursor: parse_cursor(self.cursor.as_deref())?,
            limit: self.limit.unwrap_or(50),
        })
    }
}

/// The feedback stream, newest first, with filters and a cursor.
#[utoipa::path(get, path = "/feedback", tag = "feedback", params(FeedbackQuery),
    responses((status = 200, body = FeedbackList), (status = 422, body = Problem)))]
async fn list_feedback(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<FeedbackQuery>) -> ApiResult<Json<FeedbackList>> {
    let page = state.store().list_feedback(&q.to_filter()?).await?;
    Ok(Json(FeedbackList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItemOut {
    pub row: usize,
    pub id: Uuid,
    pub case_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkOut {
    /// Items stored.
    pub created: usize,
    /// Items that opened or joined a case.
    pub with_case: usize,
    pub items: Vec<BulkItemOut>,
    /// Rows stored before (same import key: the same CSV row, or the same
    /// `external_id`), skipped without a change.
    pub duplicates: Vec<usize>,
    /// Rows that were skipped, with the reason.
    pub errors: Vec<RowError>,
}

/// Take many items at once: a JSON array of feedback objects, or CSV
/// (`Content-Type: text/csv`) with a header row. At most 10,000 items;
/// rows with problems are reported in `errors` (row, field, message) and
/// the good rows are stored. Idempotent: every CSV row has an import key
/// (its `external_id` column, else its content), a JSON item one when it
/// has an `external_id`; a row whose key is stored already is listed in
/// `duplicates` and not stored again (also when two requests run at once).
#[utoipa::path(post, path = "/feedback/bulk", tag = "feedback", request_body(content = Vec<FeedbackIn>,
        description = "JSON array, or text/csv with a header row"),
    responses((status = 200, body = BulkOut), (status = 400, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
async fn bulk_feedback(
    Ctx { state, actor }: Ctx,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<BulkOut>> {
    let limit = format!("{} MiB", BULK_BODY_MAX / (1024 * 1024));
    let body = body.map_err(|e| ApiError::unreadable_body(&e, &limit, "; split the file"))?;
    let ct = content_type(&headers);
    let rows = if ct.starts_with("text/csv") {
        amends_app::import::parse_csv(&body, detection::BULK_MAX_ROWS)?
    } else if ct.starts_with("application/json") {
        let items: Vec<serde_json::Value> = parse_json(&body)?;
        if items.len() > detection::BULK_MAX_ROWS {
            return Err(ApiError::validation(
                "items",
                format!(
                    "at most {} items per request, got {}",
                    detection::BULK_MAX_ROWS,
                    items.len()
                ),
            ));
        }
        items
            .into_iter()
            .enumerate()
            .map(|(i, mut v)| {
                let key = match v.as_object_mut().and_then(|o| o.remove("external_id")) {
                    Some(serde_json::Value::String(id)) if !id.trim().is_empty() => {
                        Some(amends_app::import::key_of_external_id(&id))
                    }
                    _ => None,
                };
                let parsed = serde_json::from_value::<FeedbackIn>(v)
                    .map(FeedbackInput::from)
                    .map_err(|e| {
                        let msg = e.to_string();
                        let field = ["missing field `", "unknown field `", "invalid type"]
                            .iter()
                            .find_map(|p| msg.strip_prefix(p).and_then(|r| r.split('`').next()))
                            .unwrap_or("")
                            .to_string();
                        amends_domain::ValidationError::new(field, msg)
                    });
                KeyedRow {
                    row: i + 1,
                    key,
                    input: parsed,
                }
            })
            .collect()
    } else {
        return Err(ApiError::unsupported_media_type(format!(
            "send a JSON array (`application/json`) or CSV with a header row (`text/csv`), got `{}`",
            if ct.is_empty() { "nothing" } else { &ct }
        )));
    };
    let out = detection::ingest_keyed(&state, rows, Some(actor.user.id)).await?;
    let with_case = out.items.iter().filter(|(_, i)| i.case_id.is_some()).count();
    Ok(Json(BulkOut {
        created: out.items.len(),
        with_case,
        items: out
            .items
            .into_iter()
            .map(|(row, i)| BulkItemOut {
                row,
                id: i.id.0,
                case_id: i.case_id.map(|c| c.0),
            })
            .collect(),
        duplicates: out.duplicates,
        errors: out.errors,
    }))
}

/// A detection rule: conditions (all must hold) and what to do.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleOut {
    pub id: Uuid,
    pub name: String,
    /// Rules are tried in ascending position; the first match fires.
    pub position: i32,
    pub enabled: bool,
    #[schema(value_type = Object)]
    pub conditions: serde_json::Value,
    /// open_case or attach_or_open
    pub action: String,
    /// Priority of the case it opens.
    pub priority: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DetectionRule> for RuleOut {
    fn from(r: DetectionRule) -> Self {
        Self {
            id: r.id.0,
            conditions: serde_json::to_value(r.parsed_conditions()).unwrap_or_default(),
            name: r.name,
            position: r.position,
            enabled: r.enabled,
            action: r.action.as_str().into(),
            priority: r.priority.as_str().into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Conditions: `rating_max`, `rating_min` (1–5), `sentiment`
/// (negative|neutral|positive), `topic`, `signal`
/// (churn_intent|urgency|legal_threat), `tier`, `clv_min_cents`, `channel`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = DetectionRuleIn)]
#[serde(deny_unknown_fields)]
pub struct RuleIn {
    #[schema(example = "Premium customers unhappy")]
    pub name: String,
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    #[schema(value_type = Object, example = json!({"tier": "premium", "sentiment": "negative"}))]
    pub conditions: Conditions,
    /// open_case (default) or attach_or_open
    pub action: Option<String>,
    /// low, normal (default), high, urgent
    pub priority: Option<String>,
}

/// Fields to change; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePatchIn {
    pub name: Option<String>,
    pub position: Option<i32>,
    pub enabled: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub conditions: Option<Conditions>,
    pub action: Option<String>,
    pub priority: Option<String>,
}

#[utoipa::path(get, path = "/detection-rules", tag = "feedback",
    responses((status = 200, body = Vec<RuleOut>)))]
async fn list_rules(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<RuleOut>>> {
    Ok(Json(
        state.store().list_rules().await?.into_iter().map(Into::into).collect(),
    ))
}

#[utoipa::path(get, path = "/detection-rules/{id}", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 200, body = RuleOut), (status = 404, body = Problem)))]
async fn get_rule(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<RuleOut>> {
    Ok(Json(state.store().get_rule(RuleId(id)).await?.into()))
}

/// Add a detection rule (leads and admins).
#[utoipa::path(post, path = "/detection-rules", tag = "feedback", request_body = RuleIn,
    responses((status = 201, body = RuleOut), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn create_rule(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<RuleIn>) -> ApiResult<Created<RuleOut>> {
    let fields = RuleFields {
        name: body.name,
        position: body.position,
        enabled: body.enabled,
        conditions: body.conditions,
        action: body.action,
        priority: body.priority,
    };
    let rule = detection_rules::create(&state, fields, actor.user.id).await?;
    Ok(Created(rule.into()))
}

/// Change a rule, e.g. `{"enabled": false}` (leads and admins).
#[utoipa::path(patch, path = "/detection-rules/{id}", tag = "feedback", params(("id" = Uuid, Path)), request_body = RulePatchIn,
    responses((status = 200, body = RuleOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn patch_rule(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<RulePatchIn>,
) -> ApiResult<Json<RuleOut>> {
    let patch = RulePatch {
        name: body.name,
        position: body.position,
        enabled: body.enabled,
        conditions: body.conditions,
        action: body.action,
        priority: body.priority,
    };
    let rule = detection_rules::update(&state, RuleId(id), patch, actor.user.id).await?;
    Ok(Json(rule.into()))
}

/// Delete a rule (leads and admins). Feedback keeps the name of the rule that fired.
#[utoipa::path(delete, path = "/detection-rules/{id}", tag = "feedback", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn delete_rule(Ctx { state, actor }: Ctx, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    detection_rules::delete(&state, RuleId(id), actor.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
