//! Searching solution articles: the full-text query of one language's
//! index (query syntax and ranking differ per backend; see `dialect`), the
//! vocabulary look-ups of typo correction, and the resolved cases that
//! "similar cases" compares with.

use crate::dialect::Dialect;
use crate::{Store, StoreError, with_pool};
use amends_domain::{CaseId, Language};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::index::lang_token;
use super::{Tags, tags_as_list};

/// A search in one language's index.
#[derive(Debug, Clone)]
pub struct SolutionQuery {
    pub language: Language,
    /// Terms as `amends_text::search::query_terms` gives them.
    pub terms: Vec<String>,
    /// Every term must match (else any term).
    pub all: bool,
    /// The last term also matches as a prefix (search as you type).
    pub prefix_last: bool,
    pub public_only: bool,
    pub limit: usize,
}

/// A search result; `rank`: higher is better (comparable within one backend).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct SolutionHit {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    #[sqlx(try_from = "String")]
    pub language: Language,
    #[sqlx(try_from = "String")]
    #[serde(serialize_with = "tags_as_list")]
    pub tags: Tags,
    pub public: bool,
    pub rank: f64,
}

/// A resolved case to compare with, for "similar cases".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ResolvedCase {
    pub id: Uuid,
    pub subject: String,
    pub description: String,
    pub state: String,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// The full-text query of `q` ([`Dialect::solution_match`]): its language,
/// its visibility if only public articles are wanted, and its terms (the
/// last one also as a prefix if asked and at least three letters long).
/// Terms are `[a-z0-9]+` (from `amends_text::search`); anything else is
/// dropped. `None` when no term is left.
fn match_expression(q: &SolutionQuery, d: Dialect) -> Option<String> {
    let terms: Vec<&str> = q
        .terms
        .iter()
        .map(String::as_str)
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        .collect();
    if terms.is_empty() {
        return None;
    }
    let last = terms.len() - 1;
    let words: Vec<(&str, bool)> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| (*t, q.prefix_last && i == last && t.len() >= 3))
        .collect();
    let lang = lang_token(q.language);
    let mut filters = vec![lang.as_str()];
    if q.public_only {
        filters.push("xpublic");
    }
    Some(d.solution_match(&filters, &words, q.all))
}

impl Store {
    /// Full-text search in one language. Results are consistent right
    /// after a write (the index is written in the same transaction).
    pub async fn search_solutions(&self, q: &SolutionQuery) -> Result<Vec<SolutionHit>, StoreError> {
        let Some(expr) = match_expression(q, self.dialect()) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(q.limit.clamp(1, 100)).unwrap_or(100);
        let search = self.dialect().solution_search();
        let rows = with_pool!(self, |pool| {
            sqlx::query_as::<_, SolutionHit>(search)
                .bind(&expr)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Which of `terms` the index knows in `language`.
    pub async fn known_terms(&self, language: Language, terms: &[String]) -> Result<Vec<String>, StoreError> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new("SELECT term FROM search_vocabulary WHERE language = ");
            q.push_bind(language.code()).push(" AND term IN (");
            let mut sep = q.separated(", ");
            for t in terms {
                sep.push_bind(t.as_str());
            }
            q.push(")");
            Ok(q.build_query_as::<(String,)>()
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|(t,)| t)
                .collect())
        })
    }

    /// Vocabulary terms of `language` that start with the first letter of
    /// `term` and are at most two letters longer or shorter (candidates for
    /// a typo correction), with the number of articles containing each.
    pub async fn vocabulary_near(&self, language: Language, term: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let Some(first) = term.chars().next() else {
            return Ok(Vec::new());
        };
        let len = i64::try_from(term.len()).unwrap_or(0);
        let from = first.to_string();
        let to = char::from_u32(u32::from(first) + 1).map_or_else(|| "\u{10FFFF}".to_string(), |c| c.to_string());
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, (String, i64)>(
                "SELECT term, docs FROM search_vocabulary WHERE language = $1 AND term >= $2 AND term < $3 \
                 AND length(term) BETWEEN $4 AND $5 ORDER BY docs DESC LIMIT 20000",
            )
            .bind(language.code())
            .bind(from)
            .bind(to)
            .bind(len - 2)
            .bind(len + 2)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Recently resolved cases of customers speaking `language` (newest
    /// first, at most `limit`), to compare a case with.
    pub async fn resolved_cases(
        &self,
        language: Language,
        exclude: CaseId,
        limit: usize,
    ) -> Result<Vec<ResolvedCase>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, ResolvedCase>(
                "SELECT c.id, c.subject, c.description, c.state, c.resolved_at FROM cases c \
                 JOIN customers cu ON cu.id = c.customer_id \
                 WHERE c.open = FALSE AND c.id <> $1 AND cu.language = $2 ORDER BY c.id DESC LIMIT $3",
            )
            .bind(exclude.0)
            .bind(language.code())
            .bind(i64::try_from(limit).unwrap_or(500))
            .fetch_all(pool)
            .await?)
        })
    }
}
