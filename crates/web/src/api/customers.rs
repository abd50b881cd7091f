//! `/api/v1/customers` and `/api/v1/accounts`.

use crate::api::json::{ApiJson, Created};
use crate::auth::Ctx;
use crate::dto::{CustomerIn, CustomerList, CustomerOut, CustomerPatchIn};
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::query::parse_cursor;
use crate::state::AppState;
use amends_app::service::{self, CustomerInput, NAME_MAX};
use amends_domain::{AccountId, CustomerId, Email, Language, NonEmptyText, Tier};
use amends_store::{Account, CustomerFilter, CustomerPatch};
use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_customer, list_customers))
        .routes(routes!(get_customer, patch_customer))
        .routes(routes!(upsert_customer))
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(get_account, rename_account))
        .routes(routes!(customer_overview))
        .routes(routes!(account_overview))
}

/// Create a customer. The same `external_id` twice is a 409; use the
/// upsert route to create-or-update.
#[utoipa::path(post, path = "/customers", tag = "customers", request_body = CustomerIn,
    responses((status = 201, body = CustomerOut), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_customer(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<CustomerIn>,
) -> ApiResult<Created<CustomerOut>> {
    let c = service::create_customer(&state, &body.into(), Some(actor.user.id)).await?;
    Ok(Created(c.into()))
}

/// Create or update the customer with this external id.
#[utoipa::path(put, path = "/customers/by-external-id/{external_id}", tag = "customers", request_body = CustomerIn,
    params(("external_id" = String, Path)),
    responses((status = 200, description = "updated", body = CustomerOut), (status = 201, description = "created", body = CustomerOut), (status = 409, description = "Another customer has this email address.", body = Problem), (status = 422, body = Problem)))]
async fn upsert_customer(
    Ctx { state, actor }: Ctx,
    Path(external_id): Path<String>,
    ApiJson(body): ApiJson<CustomerIn>,
) -> ApiResult<(StatusCode, Json<CustomerOut>)> {
    if body
        .external_id
        .as_deref()
        .is_some_and(|e| e.trim() != external_id.trim())
    {
        return Err(ApiError::validation(
            "external_id",
            "external_id in the body differs from the one in the path; leave it out or make them equal",
        ));
    }
    let mut input: CustomerInput = body.into();
    input.external_id = Some(external_id);
    let (c, created) = service::upsert_customer(&state, &input, actor.user.id).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(c.into())))
}

#[utoipa::path(get, path = "/customers/{id}", tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerOut), (status = 404, body = Problem)))]
async fn get_customer(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<CustomerOut>> {
    Ok(Json(
        amends_app::customer_merge::customer(&state, CustomerId(id))
            .await?
            .into(),
    ))
}

/// Change a customer's fields.
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", params(("id" = Uuid, Path)), request_body = CustomerPatchIn,
    responses((status = 200, body = CustomerOut), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "Another customer has this email address."),
        (status = 422, body = Problem)))]
async fn patch_customer(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<CustomerPatchIn>,
) -> ApiResult<Json<CustomerOut>> {
    let patch = CustomerPatch {
        name: body
            .name
            .map(|n| NonEmptyText::parse("name", &n, NAME_MAX))
            .transpose()?,
        email: body
            .email
            .map(|e| {
                if e.trim().is_empty() {
                    Ok(None)
                } else {
                    Email::parse(&e).map(Some)
                }
            })
            .transpose()?,
        language: body.language.map(|l| l.parse::<Language>()).transpose()?,
        tier: body.tier.map(|t| t.parse::<Tier>()).transpose()?,
        clv_cents: body
            .clv_cents
            .map(|v| amends_domain::customer::parse_clv_cents("clv_cents", v))
            .transpose()?,
        consent_contact: body.consent_contact,
        consent_survey: body.consent_survey,
        churned_at: body.churned_at.as_deref().map(parse_churned_at).transpose()?,
        ..CustomerPatch::default()
    };
    let c = service::update_customer(&state, CustomerId(id), &patch, actor.user.id).await?;
    Ok(Json(c.into()))
}

/// `churned_at` of a patch: a time, or empty for "still a customer".
fn parse_churned_at(s: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, crate::error::ApiError> {
    if s.is_empty() {
        return Ok(None);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| Some(t.with_timezone(&chrono::Utc)))
        .map_err(|_| {
            crate::error::ApiError::validation(
                "churned_at",
                format!(
                    "churned_at must be an RFC 3339 time such as 2026-11-30T00:00:00Z, or empty, got `{}`",
                    amends_domain::validate::truncate(s, 40)
                ),
            )
        })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Exact email, external id, or name prefix.
    q: Option<String>,
    #[param(value_type = Option<crate::vocab::Tier>)]
    tier: Option<String>,
    account_id: Option<Uuid>,
    cursor: Option<String>,
    /// 1–200, default 50
    #[param(minimum = 1, maximum = 200)]
    #[serde(default, deserialize_with = "crate::query::page_limit::<_, 200>")]
    limit: Option<usize>,
}

/// List customers, newest first.
#[utoipa::path(get, path = "/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = CustomerList), (status = 422, body = Problem)))]
async fn list_customers(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<CustomerQuery>) -> ApiResult<Json<CustomerList>> {
    let filter = CustomerFilter {
        account_id: q.account_id.map(AccountId),
        tier: q.tier.as_deref().map(str::parse).transpose()?,
        q: q.q,
        cursor: parse_cursor(q.cursor.as_deref())?,
        limit: q.limit.unwrap_or(50),
    };
    let page = state.store().list_customers(&filter).await?;
    Ok(Json(CustomerList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountIn {
    #[schema(example = "Müller Logistik GmbH")]
    name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOut {
    id: Uuid,
    name: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<Account> for AccountOut {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.0,
            name: a.name,
            created_at: a.created_at,
        }
    }
}

/// Create a B2B account (company).
#[utoipa::path(post, path = "/accounts", tag = "customers", request_body = AccountIn,
    responses((status = 201, body = AccountOut), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_account(
    Ctx { state, actor }: Ctx,
    ApiJson(body): ApiJson<AccountIn>,
) -> ApiResult<Created<AccountOut>> {
    let a = service::create_account(&state, &body.name, actor.user.id).await?;
    Ok(Created(a.into()))
}

/// List accounts by name (at most 1000).
#[utoipa::path(get, path = "/accounts", tag = "customers", responses((status = 200, body = Vec<AccountOut>)))]
async fn list_accounts(Ctx { state, .. }: Ctx) -> ApiResult<Json<Vec<AccountOut>>> {
    let list = state.store().list_accounts(1000).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

#[utoipa::path(get, path = "/accounts/{id}", tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountOut), (status = 404, body = Problem)))]
async fn get_account(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<AccountOut>> {
    Ok(Json(state.store().get_account(AccountId(id)).await?.into()))
}

/// Rename an account.
#[utoipa::path(patch, path = "/accounts/{id}", tag = "customers", params(("id" = Uuid, Path)), request_body = AccountIn,
    responses((status = 200, body = AccountOut), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
async fn rename_account(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<AccountIn>,
) -> ApiResult<Json<AccountOut>> {
    let a = service::rename_account(&state, AccountId(id), &body.name, actor.user.id).await?;
    Ok(Json(a.into()))
}

/// One month of a customer's sentiment.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentimentMonthOut {
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Mean score of the month's feedback, −1 … 1.
    pub average: f64,
    pub count: u32,
    /// Items scored negative.
    pub negative: u32,
}

/// A survey sent to the customer and its answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyOut {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_subject: String,
    /// `scheduled`, `sent`, `answered`, `skipped`.
    pub state: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub answered_at: Option<chrono::DateTime<chrono::Utc>>,
    /// CSAT 1–5.
    pub score: Option<i32>,
    pub comment: Option<String>,
    pub solved: Option<bool>,
}

/// Counts and sums of a customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerFactsOut {
    pub total_cases: i64,
    pub open_cases: i64,
    /// Cases opened in the last 365 days.
    pub prior_failures: i64,
    /// Granted goodwill (minor units).
    pub goodwill_granted_cents: i64,
    pub feedback_count: i64,
    pub surveys_answered: i64,
    /// Mean CSAT (1–5) of answered surveys.
    pub average_csat: Option<f64>,
}

/// Customer 360: profile, account, figures, sentiment over time, surveys.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOverviewOut {
    pub customer: CustomerOut,
    pub account: Option<AccountOut>,
    pub facts: CustomerFactsOut,
    /// Mean sentiment per month of the newest 1,000 feedback items, oldest first.
    pub sentiment: Vec<SentimentMonthOut>,
    /// `improving`, `worsening`, `steady` or `unknown` (fewer than two months).
    pub sentiment_trend: String,
    /// Newest first, at most 100.
    pub surveys: Vec<SurveyOut>,
}

/// Customer 360: figures (cases, prior failures, goodwill received, CSAT),
/// sentiment over time and survey answers. Cases: `GET /cases?customer_id=`;
/// feedback: `GET /feedback?customer_id=`; goodwill: `GET /goodwill?customer_id=`.
#[utoipa::path(get, path = "/customers/{id}/overview", tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = CustomerOverviewOut), (status = 404, body = Problem)))]
async fn customer_overview(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<CustomerOverviewOut>> {
    let o = amends_app::overview::customer_overview(&state, CustomerId(id)).await?;
    let f = o.facts;
    Ok(Json(CustomerOverviewOut {
        customer: o.customer.into(),
        account: o.account.map(Into::into),
        facts: CustomerFactsOut {
            total_cases: f.total_cases,
            open_cases: f.open_cases,
            prior_failures: f.prior_failures,
            goodwill_granted_cents: f.goodwill_granted_cents,
            feedback_count: f.feedback_count,
            surveys_answered: f.surveys_answered,
            average_csat: f.average_csat,
        },
        sentiment: o
            .sentiment
            .into_iter()
            .map(|m| SentimentMonthOut {
                month: m.month,
                average: m.average,
                count: m.count,
                negative: m.negative,
            })
            .collect(),
        sentiment_trend: o.trend.as_str().into(),
        surveys: o
            .surveys
            .into_iter()
            .map(|s| SurveyOut {
                id: s.id,
                case_id: s.case_id,
                case_subject: s.case_subject,
                state: s.state,
                created_at: s.created_at,
                answered_at: s.answered_at,
                score: s.score,
                comment: s.comment,
                solved: s.solved,
            })
            .collect(),
    }))
}

/// A customer of an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCustomerOut {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub tier: String,
    pub clv_cents: i64,
    pub open_cases: i64,
    pub total_cases: i64,
    /// Granted goodwill (minor units).
    pub goodwill_cents: i64,
}

/// An open case of one of the account's customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCaseOut {
    pub id: Uuid,
    pub reference: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub subject: String,
    pub state: String,
    pub priority: String,
    pub assignee_name: Option<String>,
    pub resolution_due_at: chrono::DateTime<chrono::Utc>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The account view: customers, their open cases, goodwill and value.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountOverviewOut {
    pub account: AccountOut,
    pub totals: amends_app::overview::AccountTotals,
    /// By name, at most 1,000.
    pub customers: Vec<AccountCustomerOut>,
    /// Newest first, at most 200.
    pub open_cases: Vec<AccountCaseOut>,
}

/// B2B account view: the account's customers with open cases, goodwill
/// received and value, their open cases, and totals.
#[utoipa::path(get, path = "/accounts/{id}/overview", tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountOverviewOut), (status = 404, body = Problem)))]
async fn account_overview(Ctx { state, .. }: Ctx, Path(id): Path<Uuid>) -> ApiResult<Json<AccountOverviewOut>> {
    let o = amends_app::overview::account_overview(&state, AccountId(id)).await?;
    Ok(Json(AccountOverviewOut {
        account: o.account.into(),
        totals: o.totals,
        customers: o
            .customers
            .into_iter()
            .map(|c| AccountCustomerOut {
                id: c.id,
                name: c.name,
                email: c.email,
                tier: c.tier.as_str().into(),
                clv_cents: c.clv_cents,
                open_cases: c.open_cases,
                total_cases: c.total_cases,
                goodwill_cents: c.goodwill_cents,
            })
            .collect(),
        open_cases: o
            .open_cases
            .into_iter()
            .map(|c| AccountCaseOut {
                id: c.id.0,
                reference: c.id.short(),
                customer_id: c.customer_id.0,
                customer_name: c.customer_name,
                subject: c.subject,
                state: c.state.as_str().into(),
                priority: c.priority.as_str().into(),
                assignee_name: c.assignee_name,
                resolution_due_at: c.resolution_due_at,
                created_at: c.created_at,
            })
            .collect(),
    }))
}
