//! The search index of solution articles (FTS5 on SQLite, a weighted
//! `tsvector` with GIN on PostgreSQL, both fed with the same terms; the
//! statements of each are in `dialect`) and the vocabulary that typo
//! correction picks from (terms with the number of articles containing
//! each), written in the transaction of each change.
//!
//! The store does not stem: the caller passes [`IndexTerms`] (from
//! `amends_text::search`), so both backends index identical tokens.

use amends_domain::Language;

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

/// Writes the index row ([`crate::dialect::Dialect::solution_index_insert`])
/// and vocabulary of one article inside `$tx` (after its old row was removed).
macro_rules! index_solution {
    ($dialect:expr, $tx:expr, $id:expr, $lang:expr, $public:expr, $terms:expr) => {{
        let terms: &$crate::solutions::IndexTerms = $terms;
        let meta = $crate::solutions::index::meta_tokens($lang, $public);
        sqlx::query($dialect.solution_index_insert())
            .bind($id)
            .bind(&terms.title)
            .bind(&terms.tags)
            .bind(&terms.body)
            .bind(&terms.parts)
            .bind(&meta)
            .execute(&mut *$tx)
            .await?;
        for term in &terms.vocabulary {
            sqlx::query(
                "INSERT INTO search_vocabulary (language, term, docs) VALUES ($1, $2, 1) \
                 ON CONFLICT (language, term) DO UPDATE SET docs = search_vocabulary.docs + 1",
            )
            .bind($lang.code())
            .bind(term)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}
pub(super) use index_solution;

/// Removes the index row of an article and its vocabulary counts inside `$tx`.
macro_rules! unindex_solution {
    ($tx:expr, $id:expr, $lang:expr, $old_vocab:expr) => {{
        sqlx::query("DELETE FROM solutions_fts WHERE solution_id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await?;
        // Each term by its key: counting down and dropping the unused ones
        // never scans the whole vocabulary.
        for term in $old_vocab {
            sqlx::query("UPDATE search_vocabulary SET docs = docs - 1 WHERE language = $1 AND term = $2")
                .bind($lang)
                .bind(term)
                .execute(&mut *$tx)
                .await?;
            sqlx::query("DELETE FROM search_vocabulary WHERE language = $1 AND term = $2 AND docs <= 0")
                .bind($lang)
                .bind(term)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(super) use unindex_solution;

/// Adds vocabulary counts (`(language, term)` → articles containing it,
/// counted in memory by a bulk insert) inside `$tx`.
macro_rules! add_vocabulary_counts {
    ($tx:expr, $counts:expr) => {{
        for ((lang, term), n) in $counts {
            sqlx::query(
                "INSERT INTO search_vocabulary (language, term, docs) VALUES ($1, $2, $3) \
                 ON CONFLICT (language, term) DO UPDATE SET docs = search_vocabulary.docs + $3",
            )
            .bind(lang.code())
            .bind(*term)
            .bind(*n)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}
pub(super) use add_vocabulary_counts;
