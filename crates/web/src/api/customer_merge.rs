//! `POST /api/v1/customers/{id}/merge` (leads, admins): merge a duplicate
//! customer into this one; `GET /api/v1/customers/duplicates`: the pairs
//! of customers that may be one person.

use crate::api::json::ApiJson;
use crate::auth::Ctx;
use crate::dto::CustomerOut;
use crate::error::{ApiError, ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::customer_merge;
use amends_domain::CustomerId;
use amends_store::{DuplicatePair, MergeCounts};
use axum::Json;
use axum::extract::Path;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(merge_customer))
        .routes(routes!(list_duplicates))
}

/// The customer to merge into the one of the path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIn {
    /// The duplicate: its cases, feedback, surveys, goodwill, incident rows
    /// and messages move to the customer of the path; it is deleted.
    pub duplicate_id: Uuid,
}

/// Rows that moved from the duplicate to the survivor.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeCountsOut {
    pub cases: i64,
    pub feedback: i64,
    pub surveys: i64,
    pub grants: i64,
    /// Incidents that affected the duplicate (where both were affected,
    /// the survivor's row stays: one notice).
    pub incidents: i64,
    /// Outbox jobs that named the duplicate.
    pub jobs: i64,
}

impl From<MergeCounts> for MergeCountsOut {
    fn from(n: MergeCounts) -> Self {
        Self {
            cases: n.cases,
            feedback: n.feedback,
            surveys: n.surveys,
            grants: n.grants,
            incidents: n.incidents,
            jobs: n.jobs,
        }
    }
}

/// The survivor after a merge and what moved to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeOut {
    pub customer: CustomerOut,
    pub merged_id: Uuid,
    pub moved: MergeCountsOut,
}

/// Merge the customer `duplicate_id` into customer `id`. The survivor keeps
/// its id, name and language and its own non-empty fields; its empty email,
/// external id and account are taken from the duplicate; the higher tier
/// and value stay; a consent stays only if both gave it. The duplicate is
/// deleted; `GET /customers/{duplicate_id}` then answers 404 naming the
/// survivor. One transaction, audited as `customer.merge`. 409 when either
/// was merged meanwhile or erased; 422 for a merge into itself. Leads and
/// admins.
#[utoipa::path(post, path = "/customers/{id}/merge", tag = "customers", params(("id" = Uuid, Path)),
    request_body = MergeIn,
    responses((status = 200, body = MergeOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn merge_customer(
    Ctx { state, actor }: Ctx,
    Path(id): Path<Uuid>,
    ApiJson(body): ApiJson<MergeIn>,
) -> ApiResult<Json<MergeOut>> {
    let (c, moved) =
        customer_merge::merge(&state, CustomerId(id), CustomerId(body.duplicate_id), actor.user.id).await?;
    Ok(Json(MergeOut {
        customer: c.into(),
        merged_id: body.duplicate_id,
        moved: moved.into(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DuplicateQuery {
    /// 1–200, default 50
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// Two customers that may be one person.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatePairOut {
    /// The older customer (a natural survivor).
    pub first: DuplicateSideOut,
    pub second: DuplicateSideOut,
    /// Why they look alike: `same_name` (equal names without case).
    #[schema(example = "same_name")]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateSideOut {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
}

impl From<DuplicatePair> for DuplicatePairOut {
    fn from(p: DuplicatePair) -> Self {
        Self {
            first: DuplicateSideOut {
                id: p.first_id,
                name: p.first_name,
                email: p.first_email,
            },
            second: DuplicateSideOut {
                id: p.second_id,
                name: p.second_name,
                email: p.second_email,
            },
            reason: "same_name".into(),
        }
    }
}

/// Pairs of customers that may be one person (same name without case;
/// erased customers left out), oldest first, at most `limit`. Merge one
/// with `POST /customers/{first.id}/merge`.
#[utoipa::path(get, path = "/customers/duplicates", tag = "customers", params(DuplicateQuery),
    responses((status = 200, body = Vec<DuplicatePairOut>), (status = 422, body = Problem)))]
async fn list_duplicates(
    Ctx { state, .. }: Ctx,
    ApiQuery(q): ApiQuery<DuplicateQuery>,
) -> ApiResult<Json<Vec<DuplicatePairOut>>> {
    let limit = match q.limit {
        None => 50,
        Some(n @ 1..=200) => usize::try_from(n).unwrap_or(50),
        Some(n) => return Err(ApiError::validation("limit", format!("limit must be 1 … 200, got {n}"))),
    };
    let pairs = customer_merge::candidates(&state, limit).await?;
    Ok(Json(pairs.into_iter().map(Into::into).collect()))
}
