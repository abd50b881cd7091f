//! The search box: one query over cases (reference, subject, description,
//! timeline texts), customers (any part of the name, email, external id),
//! accounts (any part of the name) and solution articles (stemmed, with
//! typo correction), each kind searched on its own and returned apart.

use crate::solutions::{self, Hit, Search};
use crate::{App, AppResult};
use amends_domain::CaseId;
use amends_store::{Account, CaseHit, Customer, CustomerFilter, search_words};
use serde::Serialize;

/// The longest query accepted (characters).
pub const QUERY_MAX: usize = 200;
/// Results per kind: the default and the most.
pub const LIMIT_DEFAULT: usize = 10;
pub const LIMIT_MAX: usize = 50;

/// What the search found, by kind.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub cases: Vec<CaseHit>,
    pub customers: Vec<Customer>,
    pub accounts: Vec<Account>,
    pub articles: Vec<Hit>,
    /// The corrected article query ("did you mean") when the articles
    /// were found only after correcting a typo.
    pub corrected_query: Option<String>,
}

impl SearchResults {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty() && self.customers.is_empty() && self.accounts.is_empty() && self.articles.is_empty()
    }
}

/// The query, trimmed, or a validation error of the field `q` (empty, too
/// long).
pub fn parse_query(q: Option<&str>) -> AppResult<String> {
    let q = q.unwrap_or_default().trim();
    if q.is_empty() {
        return Err(crate::AppError::validation("q", "q must not be empty"));
    }
    if q.chars().count() > QUERY_MAX {
        return Err(crate::AppError::validation(
            "q",
            format!("q must be at most {QUERY_MAX} characters"),
        ));
    }
    Ok(q.to_string())
}

/// The limit per kind (1–[`LIMIT_MAX`], default [`LIMIT_DEFAULT`]), or a
/// validation error of the field `limit`.
pub fn parse_limit(limit: Option<usize>) -> AppResult<usize> {
    match limit {
        None => Ok(LIMIT_DEFAULT),
        Some(n) if (1..=LIMIT_MAX).contains(&n) => Ok(n),
        Some(_) => Err(crate::AppError::validation(
            "limit",
            format!("limit must be between 1 and {LIMIT_MAX}"),
        )),
    }
}

/// Searches every kind for `query` (from [`parse_query`]), at most `limit`
/// of each. A full case id or reference finds that case first.
pub async fn search(app: &App, query: &str, limit: usize) -> AppResult<SearchResults> {
    let store = app.store();
    let words = search_words(query);
    let mut cases = Vec::new();
    if let Ok(id) = uuid::Uuid::parse_str(query.trim().trim_start_matches('#')) {
        cases.extend(store.case_hit(CaseId(id)).await?);
    }
    for hit in store.search_cases(&words, limit).await? {
        if cases.len() < limit && !cases.iter().any(|c: &CaseHit| c.id == hit.id) {
            cases.push(hit);
        }
    }
    let customers = store
        .list_customers(&CustomerFilter {
            q: Some(query.to_string()),
            limit,
            ..CustomerFilter::default()
        })
        .await?
        .items;
    let accounts = store.search_accounts(query, limit).await?;
    let articles = solutions::search(
        store,
        &Search {
            query,
            language: None,
            public_only: false,
            limit,
        },
    )
    .await?;
    Ok(SearchResults {
        query: query.to_string(),
        cases,
        customers,
        accounts,
        corrected_query: articles.corrected_query,
        articles: articles.results,
    })
}
