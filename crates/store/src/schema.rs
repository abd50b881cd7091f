//! Introspection of the live schema, used by the test that keeps the
//! SQLite and PostgreSQL migrations in step. The search index
//! (`solutions_fts*`) is left out: FTS5 in SQLite, a tsvector table in
//! PostgreSQL, by design. So are the indexes in [`POSTGRES_ONLY_INDEXES`].

use crate::{Store, StoreError, with_pool};

/// Indexes only PostgreSQL has: `cases_unassigned` gives "unassigned,
/// open, newest first" its order there; SQLite takes that order from
/// `cases_assignee` (migration 0014).
pub const POSTGRES_ONLY_INDEXES: &[&str] = &["cases_unassigned"];

impl Store {
    /// `table.column` for every column of every amends table, sorted.
    pub async fn schema_columns(&self) -> Result<Vec<String>, StoreError> {
        let mut cols: Vec<String> = match &self.backend {
            crate::Backend::Sqlite(pool) => {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx_%' \
                     AND m.name NOT LIKE 'solutions_fts%'",
                )
                .fetch_all(pool)
                .await?;
                rows.into_iter().map(|(t, c)| format!("{t}.{c}")).collect()
            }
            crate::Backend::Postgres(pool) => {
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx_%' \
                     AND table_name NOT LIKE 'solutions_fts%'",
                )
                .fetch_all(pool)
                .await?;
                rows.into_iter().map(|(t, c)| format!("{t}.{c}")).collect()
            }
        };
        cols.sort();
        Ok(cols)
    }

    /// Names of the indexes on amends tables that both backends have, sorted.
    pub async fn schema_indexes(&self) -> Result<Vec<String>, StoreError> {
        let sql = match self.kind() {
            crate::BackendKind::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE '_sqlx_%' AND tbl_name NOT LIKE 'solutions_fts%'"
            }
            crate::BackendKind::Postgres => {
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
                 AND indexname NOT LIKE '%_pkey' AND tablename NOT LIKE '_sqlx_%' \
                 AND tablename NOT LIKE 'solutions_fts%'"
            }
        };
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
