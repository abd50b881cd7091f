//! The search index of solution articles (FTS5 on SQLite, a weighted
//! `tsvector` with GIN on PostgreSQL, both fed with the same terms; the
//! statements of each are in `dialect`) and the vocabulary that typo
//! correction picks from (terms with the number of articles containing
//! each), written in the transaction of each change.
//!
//! The store does not stem: the caller passes [`IndexTerms`] (from
//! `amends_text::search`), so both backends index identical tokens.

use crate::StoreError;
use crate::dialect::Dialect;
use amends_domain::Language;
use std::collections::HashMap;
use uuid::Uuid;

/// The search terms of one article (stemmed and folded by the caller).
#[derive(Debug, Clone, Default)]
pub struct IndexTerms {
    pub title: String,
    pub tags: String,
    pub body: String,
    /// Compound parts (lowest weight).
    pub parts: String,
    /// Distinct word terms, for the typo-correction vocabulary.
    pub vocabulary: Vec<String>,
}

/// The index token of a language (`xlangde`), written with each article
/// and required by each search.
pub(super) fn lang_token(lang: Language) -> String {
    format!("xlang{}", lang.code())
}

/// The filter tokens of an article in the index: its language and visibility.
pub(super) fn meta_tokens(lang: Language, public: bool) -> String {
    format!("{} {}", lang_token(lang), if public { "xpublic" } else { "xinternal" })
}

crate::backend_trait! {
    /// The search index statements inside an article's transaction.
    pub(super) trait SolutionIndex {
        /// Writes the index row ([`crate::dialect::Dialect::solution_index_insert`])
        /// and vocabulary of one article in this transaction (after its old row was removed).
        async fn index_solution(
            &mut self,
            dialect: Dialect,
            id: Uuid,
            lang: Language,
            public: bool,
            terms: &IndexTerms,
        ) -> Result<(), StoreError> {
            let meta = meta_tokens(lang, public);
            sqlx::query(dialect.solution_index_insert())
                .bind(id)
                .bind(&terms.title)
                .bind(&terms.tags)
                .bind(&terms.body)
                .bind(&terms.parts)
                .bind(&meta)
                .execute(&mut *self)
                .await?;
            for term in &terms.vocabulary {
                sqlx::query(
                    "INSERT INTO search_vocabulary (language, term, docs) VALUES ($1, $2, 1) \
                     ON CONFLICT (language, term) DO UPDATE SET docs = search_vocabulary.docs + 1",
                )
                .bind(lang.code())
                .bind(term)
                .execute(&mut *self)
                .await?;
            }
            Ok(())
        }

        /// Removes the index row of an article and its vocabulary counts in this transaction.
        async fn unindex_solution(&mut self, id: Uuid, lang: &str, old_vocab: &[String]) -> Result<(), StoreError> {
            sqlx::query("DELETE FROM solutions_fts WHERE solution_id = $1")
                .bind(id)
                .execute(&mut *self)
                .await?;
            // Each term by its key: counting down and dropping the unused ones
            // never scans the whole vocabulary.
            for term in old_vocab {
                sqlx::query("UPDATE search_vocabulary SET docs = docs - 1 WHERE language = $1 AND term = $2")
                    .bind(lang)
                    .bind(term)
                    .execute(&mut *self)
                    .await?;
                sqlx::query("DELETE FROM search_vocabulary WHERE language = $1 AND term = $2 AND docs <= 0")
                    .bind(lang)
                    .bind(term)
                    .execute(&mut *self)
                    .await?;
            }
            Ok(())
        }

        /// Adds vocabulary counts (`(language, term)` → articles containing it,
        /// counted in memory by a bulk insert) in this transaction.
        async fn add_vocabulary_counts(&mut self, counts: &HashMap<(Language, &str), i64>) -> Result<(), StoreError> {
            for ((lang, term), n) in counts {
                sqlx::query(
                    "INSERT INTO search_vocabulary (language, term, docs) VALUES ($1, $2, $3) \
                     ON CONFLICT (language, term) DO UPDATE SET docs = search_vocabulary.docs + $3",
                )
                .bind(lang.code())
                .bind(*term)
                .bind(*n)
                .execute(&mut *self)
                .await?;
            }
            Ok(())
        }
    }
}
