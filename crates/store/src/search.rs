//! The search box's look-ups beyond articles: cases by reference, subject,
//! description and timeline texts (the index of migration 0017; the query
//! of each backend is in `dialect`), and accounts by any part of the name.
//! Customers are found by [`Store::list_customers`].

use crate::{Account, Store, StoreError, with_pool};
use amends_domain::{CaseId, CaseState, CustomerId, Priority};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// At most this many words of a query are searched.
pub const SEARCH_WORDS_MAX: usize = 8;

/// A case found by the search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CaseHit {
    #[sqlx(try_from = "Uuid")]
    pub id: CaseId,
    pub subject: String,
    #[sqlx(try_from = "String")]
    pub state: CaseState,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    #[sqlx(try_from = "Uuid")]
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub created_at: DateTime<Utc>,
}

/// The words of a search query: runs of letters and digits, lower case,
/// at least two characters long, at most [`SEARCH_WORDS_MAX`].
#[must_use]
pub fn search_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .take(SEARCH_WORDS_MAX)
        .collect()
}

/// `text` for a `LIKE` pattern with `\` as the escape character.
pub(crate) fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl Store {
    /// The newest `limit` cases (at most 100) whose reference, subject,
    /// description or a timeline text contains a word starting with each
    /// of `words` ([`search_words`]); none without words.
    pub async fn search_cases(&self, words: &[String], limit: usize) -> Result<Vec<CaseHit>, StoreError> {
        let words: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|w| !w.is_empty() && w.chars().all(char::is_alphanumeric))
            .collect();
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let expr = self.dialect().case_match(&words);
        let limit = i64::try_from(limit.clamp(1, 100)).unwrap_or(100);
        let sql = self.dialect().case_search();
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, CaseHit>(sql)
                .bind(&expr)
                .bind(limit)
                .fetch_all(pool)
                .await?)
        })
    }

    /// Accounts whose name contains `text` (case-insensitive), by name.
    pub async fn search_accounts(&self, text: &str, limit: usize) -> Result<Vec<Account>, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit.clamp(1, 100)).unwrap_or(100);
        let lower = format!("%{}%", like_escaped(&text.to_lowercase()));
        let typed = format!("%{}%", like_escaped(text));
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, Account>(
                "SELECT id, name, created_at FROM accounts \
                 WHERE LOWER(name) LIKE $1 ESCAPE '\\' OR name LIKE $2 ESCAPE '\\' ORDER BY name LIMIT $3",
            )
            .bind(lower)
            .bind(typed)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The case with this id, if any (for a search by full id).
    pub async fn case_hit(&self, id: CaseId) -> Result<Option<CaseHit>, StoreError> {
        self.find_row(
            "SELECT c.id, c.subject, c.state, c.priority, c.customer_id, cu.name AS customer_name, c.created_at \
                 FROM cases c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = $1",
            id.0,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::search_words;

    #[test]
    fn words_are_letters_and_digits_in_lower_case() {
        assert_eq!(search_words("#3F9A12c4"), vec!["3f9a12c4"]);
        assert_eq!(
            search_words("Rückruf: a \"x\" OR *Paket*"),
            vec!["rückruf", "or", "paket"]
        );
        assert!(search_words("  - * ").is_empty());
        assert_eq!(search_words(&"ab ".repeat(20)).len(), super::SEARCH_WORDS_MAX);
    }
}
