//! Searching solution articles: the full-text query of one language's
//! index (ranked by the backend's own measure), the vocabulary look-ups of
//! typo correction, and the resolved cases that "similar cases" compares
//! with.

use crate::{Backend, Store, StoreError, with_pool};
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

/// FTS5 match expression (SQLite) or tsquery text (PostgreSQL) for `q`.
/// Terms are `[a-z0-9]+` (from `amends_text::search`); anything else is dropped.
fn match_expression(q: &SolutionQuery, backend: &Backend) -> Option<String> {
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
    let parts: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let prefix = q.prefix_last && i == last && t.len() >= 3;
            match (backend, prefix) {
                (Backend::Sqlite(_), false) => format!("\"{t}\""),
                (Backend::Sqlite(_), true) => format!("\"{t}\"*"),
                (Backend::Postgres(_), false) => (*t).to_string(),
                (Backend::Postgres(_), true) => format!("{t}:*"),
            }
        })
        .collect();
    let joiner = match (backend, q.all) {
        (Backend::Sqlite(_), true) => " AND ",
        (Backend::Sqlite(_), false) => " OR ",
        (Backend::Postgres(_), true) => " & ",
        (Backend::Postgres(_), false) => " | ",
    };
    let words = parts.join(joiner);
    let lang = lang_token(q.language);
    Some(match (backend, q.public_only) {
        (Backend::Sqlite(_), false) => format!("meta : {lang} AND {{title tags body parts}} : ({words})"),
        (Backend::Sqlite(_), true) => {
            format!("meta : {lang} AND meta : xpublic AND {{title tags body parts}} : ({words})")
        }
        (Backend::Postgres(_), false) => format!("{lang} & ({words})"),
        (Backend::Postgres(_), true) => format!("{lang} & xpublic & ({words})"),
    })
}

impl Store {
    /// Full-text search in one language. Results are consistent right
    /// after a write (the index is written in the same transaction).
    pub async fn search_solutions(&self, q: &SolutionQuery) -> Result<Vec<SolutionHit>, StoreError> {
        let Some(expr) = match_expression(q, &self.backend) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(q.limit.clamp(1, 100)).unwrap_or(100);
        // The index picks the best `limit` first; only those rows are read
        // from `solutions` (reading every match's body was the slow part).
        let rows = match &self.backend {
            Backend::Sqlite(pool) => {
                // bm25 weights per column: solution_id (unindexed), title,
                // tags, body, parts, meta; lower is better, so it is negated.
                sqlx::query_as::<_, SolutionHit>(
                    "SELECT s.id, s.title, s.body, s.language, s.tags, s.public, -r.score AS rank FROM \
                     (SELECT solution_id, bm25(solutions_fts, 0.0, 10.0, 5.0, 1.0, 0.5, 0.0) AS score \
                      FROM solutions_fts WHERE solutions_fts MATCH $1 ORDER BY score LIMIT $2) r \
                     JOIN solutions s ON s.id = r.solution_id ORDER BY r.score, s.id DESC",
                )
                .bind(&expr)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
            Backend::Postgres(pool) => {
                sqlx::query_as::<_, SolutionHit>(
                    "SELECT s.id, s.title, s.body, s.language, s.tags, s.public, r.rank FROM \
                     (SELECT f.solution_id, ts_rank(f.document, query)::float8 AS rank \
                      FROM solutions_fts f, to_tsquery('simple', $1) query WHERE f.document @@ query \
                      ORDER BY rank DESC LIMIT $2) r \
                     JOIN solutions s ON s.id = r.solution_id ORDER BY r.rank DESC, s.id DESC",
                )
                .bind(&expr)
                .bind(limit)
                .fetch_all(pool)
                .await?
            }
        };
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
