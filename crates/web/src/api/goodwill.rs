//! `/api/v1/goodwill`: catalog, empowerment limits, budget, grants on a
//! case, the approvals queue, the ledger, and the case assessment.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::goodwill::{self as gw, GrantRequest};
use amends_app::goodwill::{BudgetOut, CatalogIn, budget_for, eur};
use amends_domain::goodwill::{
    Assessment, AssessmentInput, EmpowermentLimit, GrantState, parse_currency, parse_value_cents,
};
use amends_domain::{CaseId, CustomerId, Role};
use amends_store::{CatalogEntry, Grant, GrantFilter, RoleLimit, month_of};
use axum::Json;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_catalog, create_catalog_item))
        .routes(routes!(update_catalog_item))
        .routes(routes!(list_limits, set_limits))
        .routes(routes!(get_budget, set_budget))
        .routes(routes!(grant_goodwill))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(list_grants))
        .routes(routes!(ledger))
        .routes(routes!(assessment))
}

/// The catalog (all items, active or not).
#[utoipa::path(get, path = "/goodwill/catalog", tag = "goodwill",
    responses((status = 200, body = Vec<Object>)))]
async fn list_catalog(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<CatalogEntry>>> {
    Ok(Json(state.store().list_catalog(false).await?))
}

/// Add a catalog item (admins).
#[utoipa::path(post, path = "/goodwill/catalog", tag = "goodwill", request_body = CatalogIn,
    responses((status = 201, body = Object), (status = 422, body = Problem)))]
async fn create_catalog_item(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<CatalogIn>,
) -> ApiResult<Created<CatalogEntry>> {
    let saved = gw::create_catalog_item(&state, &body, actor.user.id).await?;
    Ok(Created(saved))
}

/// Replace a catalog item (admins); `active: false` retires it.
#[utoipa::path(put, path = "/goodwill/catalog/{id}", tag = "goodwill", params(("id" = Uuid, Path)), request_body = CatalogIn,
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn update_catalog_item(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CatalogIn>,
) -> ApiResult<Json<CatalogEntry>> {
    Ok(Json(gw::update_catalog_item(&state, id, &body, actor.user.id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitIn {
    /// agent, lead or admin
    #[schema(value_type = crate::vocab::Role)]
    pub role: String,
    /// `null` means unlimited; 0 to 1,000,000,000 cents.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub per_grant_cents: Option<i64>,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub per_case_cents: Option<i64>,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub per_month_cents: Option<i64>,
}

/// Empowerment limits per role.
#[utoipa::path(get, path = "/goodwill/limits", tag = "goodwill", responses((status = 200, body = Vec<Object>)))]
async fn list_limits(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<RoleLimit>>> {
    Ok(Json(state.store().list_limits().await?))
}

/// Set the limits of one or more roles (admins).
#[utoipa::path(put, path = "/goodwill/limits", tag = "goodwill", request_body = Vec<LimitIn>,
    responses((status = 200, body = Vec<Object>), (status = 422, body = Problem)))]
async fn set_limits(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<Vec<LimitIn>>,
) -> ApiResult<Json<Vec<RoleLimit>>> {
    let mut valid = Vec::new();
    for (i, l) in body.iter().enumerate() {
        let role: Role = l
            .role
            .parse()
            .map_err(|e: amends_domain::ValidationError| e.for_field(format!("[{i}].role")))?;
        let check = |f: &str, v: Option<i64>| v.map(|v| parse_value_cents(&format!("[{i}].{f}"), v)).transpose();
        valid.push((
            role,
            EmpowermentLimit {
                per_grant_cents: check("per_grant_cents", l.per_grant_cents)?,
                per_case_cents: check("per_case_cents", l.per_case_cents)?,
                per_month_cents: check("per_month_cents", l.per_month_cents)?,
            },
        ));
    }
    gw::set_limits(&state, &valid, actor.user.id).await?;
    Ok(Json(state.store().list_limits().await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BudgetQuery {
    /// `YYYY-MM`; default the current month.
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
}

fn parse_month(s: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> ApiResult<chrono::DateTime<chrono::Utc>> {
    match s {
        None => Ok(now),
        Some(m) => chrono::NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            .ok_or_else(|| ApiError::validation("month", format!("month must look like `2026-11`, got `{m}`"))),
    }
}

/// The goodwill budget of a month with the live spend.
#[utoipa::path(get, path = "/goodwill/budget", tag = "goodwill", params(BudgetQuery),
    responses((status = 200, body = BudgetOut)))]
async fn get_budget(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<BudgetQuery>) -> ApiResult<Json<BudgetOut>> {
    let at = parse_month(q.month.as_deref(), state.now())?;
    Ok(Json(budget_for(&state, at).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetIn {
    /// `YYYY-MM`; default the current month.
    #[schema(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
    /// 0 to 1,000,000,000 cents.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub amount_cents: i64,
    /// ISO 4217, e.g. `EUR` (default).
    #[schema(pattern = "^[A-Za-z]{3}$")]
    #[serde(default = "eur")]
    pub currency: String,
}

/// Set a month's budget (admins).
#[utoipa::path(put, path = "/goodwill/budget", tag = "goodwill", request_body = BudgetIn,
    responses((status = 200, body = BudgetOut), (status = 422, body = Problem)))]
async fn set_budget(Ctx { state, actor }: Ctx, ApiJson(body): ApiJson<BudgetIn>) -> ApiResult<Json<BudgetOut>> {
    let at = parse_month(body.month.as_deref(), state.now())?;
    let amount = parse_value_cents("amount_cents", body.amount_cents)?;
    let currency = parse_currency("currency", &body.currency)?;
    gw::set_budget(&state, at, amount, &currency, actor.user.id).await?;
    Ok(Json(budget_for(&state, at).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantIn {
    /// A catalog item; or give `kind`, `value_cents` and `currency`.
    pub catalog_item_id: Option<Uuid>,
    pub kind: Option<String>,
    pub value_cents: Option<i64>,
    pub currency: Option<String>,
    /// Why: goes into the ledger.
    pub reason: String,
}

/// Grant goodwill on a case: 201 when within the caller's empowerment
/// limit, 202 when it waits for a lead's approval. Negative values are 422.
#[utoipa::path(post, path = "/cases/{id}/goodwill", tag = "goodwill", params(("id" = Uuid, Path)), request_body = GrantIn,
    responses((status = 201, body = Object), (status = 202, body = Object), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn grant_goodwill(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<GrantIn>,
) -> ApiResult<(StatusCode, Json<Grant>)> {
    let g = gw::grant(
        &state,
        CaseId(id),
        GrantRequest {
            catalog_item_id: body.catalog_item_id,
            kind: body.kind,
            value_cents: body.value_cents,
            currency: body.currency,
            reason: body.reason,
        },
        &actor.user,
    )
    .await?;
    let status = if g.state == GrantState::Granted {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(localized(&state, &actor, g))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    pub reason: String,
}

/// Approve a pending request (leads and admins; never one's own; the
/// approver's limit must cover it).
#[utoipa::path(post, path = "/goodwill/{id}/approve", tag = "goodwill", params(("id" = Uuid, Path)), request_body = DecisionIn,
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn approve(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<DecisionIn>,
) -> ApiResult<Json<Grant>> {
    let g = gw::decide(&state, id, true, &body.reason, &actor.user).await?;
    Ok(Json(localized(&state, &actor, g)))
}

/// Reject a pending request (leads and admins; never one's own).
#[utoipa::path(post, path = "/goodwill/{id}/reject", tag = "goodwill", params(("id" = Uuid, Path)), request_body = DecisionIn,
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 409, body = Problem)))]
async fn reject(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<DecisionIn>,
) -> ApiResult<Json<Grant>> {
    let g = gw::decide(&state, id, false, &body.reason, &actor.user).await?;
    Ok(Json(localized(&state, &actor, g)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct GrantQuery {
    /// granted, pending or rejected
    #[param(pattern = "^(granted|pending|rejected)$")]
    pub state: Option<String>,
    pub case_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    /// `csv` for the ledger export.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
    /// `YYYY-MM`: only this month (ledger).
    #[param(pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
}

impl GrantQuery {
    fn filter(&self, now: chrono::DateTime<chrono::Utc>, limit: usize) -> ApiResult<GrantFilter> {
        if let Some(f) = self.format.as_deref()
            && !matches!(f, "json" | "csv")
        {
            return Err(ApiError::validation(
                "format",
                format!(
                    "format must be `json` or `csv`, got `{}`",
                    amends_domain::validate::truncate(f, 20)
                ),
            ));
        }
        let state = self.state.as_deref().map(str::parse::<GrantState>).transpose()?;
        let (from, to) = match &self.month {
            Some(m) => {
                let (f, t, _) = month_of(parse_month(Some(m), now)?);
                (Some(f), Some(t))
            }
            None => (None, None),
        };
        Ok(GrantFilter {
            state,
            case_id: self.case_id.map(CaseId),
            customer_id: self.customer_id.map(CustomerId),
            from,
            to,
            limit,
        })
    }
}

/// Grants, newest first; `?state=pending` is the approvals queue.
#[utoipa::path(get, path = "/goodwill", tag = "goodwill", params(GrantQuery),
    responses((status = 200, body = Vec<Object>), (status = 422, body = Problem)))]
async fn list_grants(Ctx { state, actor }: Ctx, ApiQuery(q): ApiQuery<GrantQuery>) -> ApiResult<Json<Vec<Grant>>> {
    let mut grants = state.store().list_grants(&q.filter(state.now(), 500)?).await?;
    gw::localize(state.ui().i18n(), actor.user.language, &mut grants);
    Ok(Json(grants))
}

/// A grant as the API answers it: `reason` (of a rule's grant) and
/// `approval_reason` in the caller's language, their codes and parameters
/// in `automatic` and `approval`.
fn localized(state: &crate::state::AppState, actor: &crate::auth::Actor, g: Grant) -> Grant {
    let mut one = [g];
    gw::localize(state.ui().i18n(), actor.user.language, &mut one);
    let [g] = one;
    g
}

/// The ledger of every grant (who, when, why, approved by); `?format=csv`
/// downloads it as CSV. Leads and admins.
#[utoipa::path(get, path = "/goodwill/ledger", tag = "goodwill", params(GrantQuery),
    responses((status = 200, description = "JSON, or text/csv with `?format=csv`",
        content((Vec<Object> = "application/json"), (String = "text/csv"))), (status = 403, body = Problem)))]
async fn ledger(Ctx { state, actor }: Ctx, ApiQuery(q): ApiQuery<GrantQuery>) -> ApiResult<Response> {
    let mut grants = state.store().list_grants(&q.filter(state.now(), 10_000)?).await?;
    gw::localize(state.ui().i18n(), actor.user.language, &mut grants);
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(grants).into_response()),
        Some("csv") => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"goodwill-ledger.csv\"",
                ),
            ],
            gw::ledger_csv(&grants)?,
        )
            .into_response()),
        Some(other) => Err(ApiError::validation(
            "format",
            format!("format must be `json` or `csv`, got `{other}`"),
        )),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentOut {
    #[schema(value_type = Object)]
    pub assessment: Assessment,
    #[schema(value_type = Object)]
    pub input: AssessmentInput,
}

/// The case assessment: severity, first or repeated failure, controllable,
/// customer value, churn risk → recommended action and goodwill level,
/// with the reasons (service recovery paradox research).
#[utoipa::path(get, path = "/cases/{id}/assessment", tag = "goodwill", params(("id" = Uuid, Path)),
    responses((status = 200, body = AssessmentOut), (status = 404, body = Problem)))]
async fn assessment(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<AssessmentOut>> {
    let (assessment, input) = gw::assess(&state, CaseId(id)).await?;
    Ok(Json(AssessmentOut { assessment, input }))
}
