//! `/search`: the results of the search box in the navigation, by kind.

use crate::state::AppState;
use crate::ui::session::UiUser;
use crate::ui::{UiError, page as render_page};
use amends_app::search::{self, LIMIT_DEFAULT, QUERY_MAX};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;

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
        (Some(search::search(&state, &query, LIMIT_DEFAULT * 2).await?), None)
    };
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
    let html = render_page(
        &state,
        "search.html",
        ui.lang(),
        Some(&ui),
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
        },
    )?;
    Ok(html.into_response())
}
