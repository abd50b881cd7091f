//! Introspection of the live schema, used by the test that keeps the
//! SQLite and PostgreSQL migrations in step. The search index
//! (`solutions_fts*`) is left out: FTS5 in SQLite, a tsvector table in
//! PostgreSQL, by design. So are the indexes in [`POSTGRES_ONLY_INDEXES`].
//! The catalog queries of each backend are in `dialect`.

use crate::{Store, StoreError, with_pool};

/// Indexes only PostgreSQL has: `cases_unassigned` gives "unassigned,
/// open, newest first" its order there; SQLite takes that order from
/// `cases_assignee` (migration 0014); `cases_fts_text` and
/// `case_events_fts_body` are its case search, which SQLite keeps in the
/// FTS5 table `cases_fts` (migration 0017).
pub const POSTGRES_ONLY_INDEXES: &[&str] = &["cases_unassigned", "cases_fts_text", "case_events_fts_body"];

impl Store {
    /// `table.column` for every column of every amends table, sorted.
    pub async fn schema_columns(&self) -> Result<Vec<String>, StoreError> {
        let sql = self.dialect().schema_columns();
        let mut cols: Vec<String> = with_pool!(self, |pool| {
            sqlx::query_as::<_, (String, String)>(sql)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|(t, c)| format!("{t}.{c}"))
                .collect()
        });
        cols.sort();
        Ok(cols)
    }

    /// Names of the indexes on amends tables that both backends have, sorted.
    pub async fn schema_indexes(&self) -> Result<Vec<String>, StoreError> {
        let sql = self.dialect().schema_indexes();
        let mut names: Vec<String> = with_pool!(self, |pool| {
            sqlx::query_as::<_, (String,)>(sql)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(|(n,)| n)
                .collect()
        });
        names.retain(|n| !POSTGRES_ONLY_INDEXES.contains(&n.as_str()));
        names.sort();
        Ok(names)
    }
}
