//! `/search`: the results of the search box in the navigation, by kind.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::session::UiUser;
use amends_app::search::{self, LIMIT_DEFAULT, QUERY_MAX};
use axum::extract::{Query, State};
use axum::response::Response;
use minijinja::{Value, context};
use serde::Deserialize;

/// Results shown per kind; one more is asked for, and a group that has
/// it reads `20+`.
const PER_KIND: usize = LIMIT_DEFAULT * 2;

#[derive(Deserialize)]
pub struct SearchPageQuery {
    q: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    ui: UiUser,
    Query(q): Query<SearchPageQuery>,
) -> Result<Response, UiError> {
    let typed = q.q.unwrap_or_default();
    let trimmed = typed.trim();
    let (results, error) = if trimmed.is_empty() {
        (None, None)
    } else if trimmed.chars().count() > QUERY_MAX {
        (None, Some("search-too-long"))
    } else {
        let query = search::parse_query(Some(trimmed))?;
        (Some(search::search(&state, &query, PER_KIND + 1).await?), None)
    };
    let mut more: Vec<&str> = Vec::new();
    let mut results = results;
    if let Some(r) = results.as_mut() {
        for (kind, len) in [
            ("cases", r.cases.len()),
            ("customers", r.customers.len()),
            ("accounts", r.accounts.len()),
            ("articles", r.articles.len()),
        ] {
            if len > PER_KIND {
                more.push(kind);
            }
        }
        r.cases.truncate(PER_KIND);
        r.customers.truncate(PER_KIND);
        r.accounts.truncate(PER_KIND);
        r.articles.truncate(PER_KIND);
    }
    let cases: Vec<Value> = results
        .as_ref()
        .map(|r| {
            r.cases
                .iter()
                .map(|c| {
                    context! { id => c.id.0, reference => c.id.short(), subject => c.subject.clone(),
                    state => c.state.as_str(), priority => c.priority.as_str(),
                    customer_id => c.customer_id.0, customer_name => c.customer_name.clone(), created_at => c.created_at }
                })
                .collect()
        })
        .unwrap_or_default();
    ui.page(
        &state,
        "search.html",
        context! {
            nav => "search",
            search_q => typed,
            searched => results.is_some(),
            empty => results.as_ref().is_some_and(search::SearchResults::is_empty),
            cases => cases,
            customers => Value::from_serialize(results.as_ref().map(|r| &r.customers)),
            accounts => Value::from_serialize(results.as_ref().map(|r| &r.accounts)),
            articles => Value::from_serialize(results.as_ref().map(|r| &r.articles)),
            corrected_query => results.as_ref().and_then(|r| r.corrected_query.clone()),
            error => error,
            query_max => QUERY_MAX,
            more => more,
        },
    )
}
