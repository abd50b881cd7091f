//! `GET /api/v1/search`: the search box's query over cases, customers,
//! accounts and solution articles.

use crate::auth::Ctx;
use crate::dto::CustomerOut;
use crate::error::{ApiResult, Problem};
use crate::query::ApiQuery;
use crate::state::AppState;
use amends_app::search::{self, SearchResults};
use amends_app::solutions::Hit;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search_all))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchAllQuery {
    /// 1–200 characters: words, a case reference (`#3f9a12c4`) or id, an
    /// email address or an external id.
    #[param(required = true, min_length = 1, max_length = 200, pattern = r"\S")]
    q: Option<String>,
    /// Results per kind, 1–50, default 10.
    #[param(minimum = 1, maximum = 50)]
    limit: Option<usize>,
}

/// A case found by the search.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseHitOut {
    id: Uuid,
    /// The short reference (the last 8 hex digits of the id).
    reference: String,
    subject: String,
    #[schema(example = "open")]
    state: String,
    #[schema(example = "high")]
    priority: String,
    customer_id: Uuid,
    customer_name: String,
    created_at: DateTime<Utc>,
}

/// An account found by the search.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountHitOut {
    id: Uuid,
    name: String,
}

/// The search's results, by kind (each newest or best first).
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    query: String,
    /// Newest first; a case whose reference, subject, description or a
    /// timeline text (message, note) has words starting with every word
    /// of the query.
    cases: Vec<CaseHitOut>,
    /// Newest first; any part of the name, the email or the external id.
    customers: Vec<CustomerOut>,
    /// By name; any part of the name.
    accounts: Vec<AccountHitOut>,
    /// Best first; the stemmed article search with typo correction.
    articles: Vec<Hit>,
    /// Set when the articles were found for this corrected query.
    corrected_query: Option<String>,
}

impl From<SearchResults> for SearchOut {
    fn from(r: SearchResults) -> Self {
        Self {
            query: r.query,
            cases: r
                .cases
                .into_iter()
                .map(|c| CaseHitOut {
                    id: c.id.0,
                    reference: c.id.short(),
                    subject: c.subject,
                    state: c.state.as_str().to_string(),
                    priority: c.priority.as_str().to_string(),
                    customer_id: c.customer_id.0,
                    customer_name: c.customer_name,
                    created_at: c.created_at,
                })
                .collect(),
            customers: r.customers.into_iter().map(Into::into).collect(),
            accounts: r
                .accounts
                .into_iter()
                .map(|a| AccountHitOut {
                    id: a.id.0,
                    name: a.name,
                })
                .collect(),
            articles: r.articles,
            corrected_query: r.corrected_query,
        }
    }
}

/// Search cases (reference, subject, description, messages and notes),
/// customers (any part of the name, email, external id), accounts (any
/// part of the name) and solution articles (stemmed, typos corrected) at
/// once; results are grouped by kind.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchAllQuery),
    responses((status = 200, body = SearchOut), (status = 422, body = Problem)))]
async fn search_all(Ctx { state, .. }: Ctx, ApiQuery(q): ApiQuery<SearchAllQuery>) -> ApiResult<Json<SearchOut>> {
    let query = search::parse_query(q.q.as_deref())?;
    let limit = search::parse_limit(q.limit)?;
    Ok(Json(search::search(&state, &query, limit).await?.into()))
}
