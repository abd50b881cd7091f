//! Where SQLite and PostgreSQL differ. The rest of the crate writes one
//! portable statement for both backends (`$1` placeholders, `ON CONFLICT`,
//! `RETURNING` and `CAST` work on both) and takes every piece of SQL that
//! is not the same on both from here, keyed by backend ([`Dialect`], or a
//! trait implemented for each backend's pool or connection).
//!
//! Not here, because they are settings rather than SQL of the queries: the
//! connection options of each backend (`Store::connect`), SQLite's page
//! cache and WAL checkpoints around a bulk write (`write_session`), and the
//! migrations (one directory per backend, compared by a test).

use crate::write_turn::{SessionSqlite, Turns, WriteTx};
use sqlx::pool::PoolConnection;
use sqlx::{PgPool, Postgres, QueryBuilder, Sqlite, SqlitePool};

/// The SQL dialect of a backend: what to write where SQLite and PostgreSQL
/// differ. Get it with `Store::dialect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// The whole numbers of a case that [`Dialect::case_number`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CaseNumber {
    CreatedSlot,
    FirstResponseSeconds,
    ResolutionSeconds,
}

impl crate::Backend {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            crate::Backend::Sqlite(_) => Dialect::Sqlite,
            crate::Backend::Postgres(_) => Dialect::Postgres,
        }
    }
}

impl crate::Store {
    /// The SQL dialect of this store's backend.
    pub(crate) fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }
}

// ------------------------------------------------------------ transactions

/// How SQLite starts a write transaction: taking the write lock up front.
/// A deferred transaction that reads first and then writes can fail at once
/// with "database is locked" when another writer is active (SQLite does not
/// wait on a lock upgrade); `BEGIN IMMEDIATE` waits for `busy_timeout`
/// instead. PostgreSQL takes row locks as it writes: a plain `BEGIN`.
const SQLITE_BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// Starts a write transaction on a pool: `BEGIN IMMEDIATE` on SQLite (see
/// [`SQLITE_BEGIN_WRITE`]) once it is this process's turn to write
/// (`write_turn`), a plain `BEGIN` on PostgreSQL.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> Result<WriteTx<'static, Self::Db>, sqlx::Error>;
}

impl BeginWrite for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<WriteTx<'static, Sqlite>, sqlx::Error> {
        let turns = Turns::of(self);
        let turn = match &turns {
            Some(turns) => turns.wait().await,
            None => None,
        };
        let beside = turns.map(|t| t.beside(self));
        Ok(WriteTx::new(self.begin_with(SQLITE_BEGIN_WRITE).await?, turn).checkpointed_beside(beside))
    }
}

impl BeginWrite for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<WriteTx<'static, Postgres>, sqlx::Error> {
        Ok(WriteTx::new(self.begin().await?, None))
    }
}

/// Starts a read-only transaction (one snapshot for several queries): a
/// deferred `BEGIN` on both, which never waits for SQLite's write lock.
/// Writing in it is a bug; use [`BeginWrite`].
pub(crate) trait BeginRead {
    type Db: sqlx::Database;
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>;
}

impl BeginRead for SqlitePool {
    type Db = Sqlite;
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin().await
    }
}

impl BeginRead for PgPool {
    type Db = Postgres;
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// Starts a write transaction on a held connection (a write session), as
/// [`BeginWrite`] does on a pool.
pub(crate) trait BeginWriteOn {
    type Db: sqlx::Database;
    async fn begin_write(&mut self) -> Result<WriteTx<'_, Self::Db>, sqlx::Error>;
}

impl BeginWriteOn for SessionSqlite {
    type Db = Sqlite;
    async fn begin_write(&mut self) -> Result<WriteTx<'_, Sqlite>, sqlx::Error> {
        let turn = match &self.turns {
            Some(turns) => turns.wait().await,
            None => None,
        };
        let tx = sqlx::Connection::begin_with(&mut *self.conn, SQLITE_BEGIN_WRITE).await?;
        Ok(WriteTx::new(tx, turn))
    }
}

impl BeginWriteOn for PoolConnection<Postgres> {
    type Db = Postgres;
    async fn begin_write(&mut self) -> Result<WriteTx<'_, Postgres>, sqlx::Error> {
        Ok(WriteTx::new(sqlx::Connection::begin(&mut **self).await?, None))
    }
}

// ------------------------------------------------------------ row locks

impl Dialect {
    /// `select FOR UPDATE`, the statement that locks the rows `select`
    /// reads until the transaction ends, so that writers of those rows take
    /// their turns (PostgreSQL). `None` on SQLite: it has no row locks, and
    /// its one writer at a time ([`BeginWrite`]) orders the writers anyway.
    pub(crate) fn lock_rows(self, select: &str) -> Option<String> {
        match self {
            Dialect::Postgres => Some(format!("{select} FOR UPDATE")),
            Dialect::Sqlite => None,
        }
    }

    /// The end of a `SELECT` that locks its rows like
    /// [`Dialect::lock_rows`] (` FOR NO KEY UPDATE`), but neither waits
    /// for nor blocks writers that only insert rows referring to them
    /// (foreign keys take `KEY SHARE`), so they never deadlock with it.
    /// `None` on SQLite.
    pub(crate) fn lock_rows_no_key(self) -> Option<&'static str> {
        match self {
            Dialect::Postgres => Some(" FOR NO KEY UPDATE"),
            Dialect::Sqlite => None,
        }
    }

    /// The end of a `SELECT` whose rows the transaction claims: on
    /// PostgreSQL ` FOR UPDATE [OF alias] SKIP LOCKED`, which locks the rows
    /// it reads (those of the table `of` only, if given) and passes over
    /// rows another transaction holds, so concurrent claimers take different
    /// rows. Nothing on SQLite, where one writer at a time claims.
    pub(crate) fn skip_locked(self, of: Option<&str>) -> String {
        match (self, of) {
            (Dialect::Postgres, Some(table)) => format!(" FOR UPDATE OF {table} SKIP LOCKED"),
            (Dialect::Postgres, None) => " FOR UPDATE SKIP LOCKED".to_string(),
            (Dialect::Sqlite, _) => String::new(),
        }
    }
}

impl Dialect {
    /// The statement that makes every transaction deciding a grant against
    /// the money limits (budget, per person and month, per case) wait for
    /// the one before it, across connections and instances: on PostgreSQL a
    /// transaction-level advisory lock (`pg_advisory_xact_lock`, released
    /// at commit or rollback). Taken first, before the sums are read; under
    /// READ COMMITTED every later statement then sees the grants the
    /// previous holder committed. `None` on SQLite, whose one writer at a
    /// time ([`BeginWrite`]) orders them anyway, across processes too.
    /// The lock's key is a constant: "amends" in ASCII, then 1.
    pub(crate) fn lock_goodwill_ledger(self) -> Option<&'static str> {
        match self {
            Dialect::Postgres => Some("SELECT pg_advisory_xact_lock(27423355152134913)"),
            Dialect::Sqlite => None,
        }
    }

    /// Taken before a new version number is read from `table` (`MAX(version) + 1`):
    /// two trainings at once on PostgreSQL would otherwise read the same
    /// maximum and one would fail on the unique version. SQLite's write
    /// transaction is alone already.
    pub(crate) fn lock_versions(self, table: &str) -> Option<String> {
        match self {
            Dialect::Postgres => Some(format!("LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")),
            Dialect::Sqlite => None,
        }
    }
}

// ------------------------------------------------------------ planner hints

impl Dialect {
    /// What settles a database after a bulk load: the planner statistics,
    /// and on PostgreSQL also the visibility map (`VACUUM`), without which
    /// a covering index is read together with every row it points to until
    /// autovacuum comes by.
    pub(crate) fn after_bulk_load(self) -> &'static str {
        match self {
            Dialect::Sqlite => "ANALYZE",
            Dialect::Postgres => "VACUUM (ANALYZE)",
        }
    }

    /// After a table in `FROM`: ` INDEXED BY index`, which makes SQLite read
    /// the table through `index`. SQLite plans without statistics of fresh
    /// rows and may otherwise pick a walk over the whole table. Nothing on
    /// PostgreSQL, which has no index hints (see
    /// [`Dialect::no_seq_scans_in_transaction`]).
    pub(crate) fn indexed_by(self, index: &str) -> String {
        match self {
            Dialect::Sqlite => format!(" INDEXED BY {index}"),
            Dialect::Postgres => String::new(),
        }
    }

    /// A statement that keeps PostgreSQL's planner off sequential scans for
    /// the rest of the transaction (`SET LOCAL enable_seqscan = off`), for
    /// queries that must use their indexes even when the statistics say a
    /// table is empty. `None` on SQLite, which has no such setting.
    pub(crate) fn no_seq_scans_in_transaction(self) -> Option<&'static str> {
        match self {
            Dialect::Postgres => Some("SET LOCAL enable_seqscan = off"),
            Dialect::Sqlite => None,
        }
    }
}

// ------------------------------------------------------------ expressions

impl Dialect {
    /// An aggregate: the greatest UUID of `column` in the group. SQLite
    /// stores UUIDs as blobs and takes `MAX`; PostgreSQL has no `max(uuid)`,
    /// so it sorts them into an array and takes the first.
    pub(crate) fn max_uuid(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("MAX({column})"),
            Dialect::Postgres => format!("(array_agg({column} ORDER BY {column} DESC))[1]"),
        }
    }

    /// The UUID `expr` as a value inside a JSON array built by
    /// [`Dialect::json_array_of_rows`]: hex text of the blob on SQLite
    /// (`hex(expr)`; `""` for NULL), UUID text on PostgreSQL (`null` for
    /// NULL). `Uuid::try_parse` reads both.
    pub(crate) fn uuid_in_json(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("hex({expr})"),
            Dialect::Postgres => expr.to_string(),
        }
    }
}

// ------------------------------------------------------------ JSON

impl Dialect {
    /// A `FROM` item with one row per element of `array` (an SQL expression
    /// giving a JSON array of strings, such as a bound parameter), named
    /// `alias`: `alias.value` is the element's text, and
    /// [`Dialect::json_element_index`] its position. SQLite: `json_each`;
    /// PostgreSQL: `json_array_elements_text` with its ordinality.
    pub(crate) fn json_array_elements(self, array: &str, alias: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_each({array}) {alias}"),
            Dialect::Postgres => {
                format!("json_array_elements_text({array}::json) WITH ORDINALITY {alias} (value, key)")
            }
        }
    }

    /// The 0-based position in its array of the element `alias` of
    /// [`Dialect::json_array_elements`] (PostgreSQL's ordinality counts
    /// from 1).
    pub(crate) fn json_element_index(self, alias: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{alias}.key"),
            Dialect::Postgres => format!("{alias}.key - 1"),
        }
    }

    /// An aggregate: one JSON array (as text) with an element per row, each
    /// the JSON array of `values` (a comma-separated list of SQL
    /// expressions); `[]` when there are no rows. SQLite:
    /// `json_group_array(json_array(…))`; PostgreSQL:
    /// `json_agg(json_build_array(…))`. One value instead of a row per
    /// element saves the driver's per-row cost.
    pub(crate) fn json_array_of_rows(self, values: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_group_array(json_array({values}))"),
            Dialect::Postgres => format!("COALESCE(json_agg(json_build_array({values}))::text, '[]')"),
        }
    }
}

// ------------------------------------------------------------ full-text search

// The search index of solution articles, `solutions_fts`, differs by design
// (see the migrations): an FTS5 table on SQLite with one column per field
// (`solution_id` unindexed, `title`, `tags`, `body`, `parts`, `meta`), a
// `tsvector` column `document` with GIN on PostgreSQL, its fields weighted
// A to D. Both get the same tokens; ranks compare within one backend only.

impl Dialect {
    /// Inserts an article's index row: `$1` the article's id, `$2` title,
    /// `$3` tags, `$4` body, `$5` compound parts and `$6` the filter tokens
    /// (language and visibility), in falling weight.
    pub(crate) fn solution_index_insert(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "INSERT INTO solutions_fts (solution_id, title, tags, body, parts, meta) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            }
            Dialect::Postgres => {
                "INSERT INTO solutions_fts (solution_id, document) VALUES ($1, \
                 setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B') || \
                 setweight(to_tsvector('simple', $4), 'C') || setweight(to_tsvector('simple', $5), 'D') || \
                 setweight(to_tsvector('simple', $6), 'D'))"
            }
        }
    }

    /// The best `$2` articles matching `$1` (a query from
    /// [`Dialect::solution_match`]) as `SolutionHit` rows, best first, with
    /// `rank` higher for better. The index picks the best first; only those
    /// rows are read from `solutions` (reading every match's body was the
    /// slow part). SQLite ranks with `bm25`, weighted per column
    /// (`solution_id` unindexed, title, tags, body, parts, meta; lower is
    /// better, so it is negated); PostgreSQL with `ts_rank` of the weighted
    /// document.
    pub(crate) fn solution_search(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT s.id, s.title, s.body, s.language, s.tags, s.public, -r.score AS rank FROM \
                 (SELECT solution_id, bm25(solutions_fts, 0.0, 10.0, 5.0, 1.0, 0.5, 0.0) AS score \
                  FROM solutions_fts WHERE solutions_fts MATCH $1 ORDER BY score LIMIT $2) r \
                 JOIN solutions s ON s.id = r.solution_id ORDER BY r.score, s.id DESC"
            }
            Dialect::Postgres => {
                "SELECT s.id, s.title, s.body, s.language, s.tags, s.public, r.rank FROM \
                 (SELECT f.solution_id, ts_rank(f.document, query)::float8 AS rank \
                  FROM solutions_fts f, to_tsquery('simple', $1) query WHERE f.document @@ query \
                  ORDER BY rank DESC LIMIT $2) r \
                 JOIN solutions s ON s.id = r.solution_id ORDER BY r.rank DESC, s.id DESC"
            }
        }
    }

    /// The query of [`Dialect::solution_search`]: an FTS5 match expression
    /// (SQLite) or `to_tsquery` text (PostgreSQL). It matches articles with
    /// every token of `filters` (language and visibility, in the `meta`
    /// column on SQLite) and all (`all`) or any of `words`, each a
    /// `(word, prefix)`: with `prefix`, words starting with it match too.
    /// Tokens must be `[a-z0-9]+`; nothing here quotes anything else.
    pub(crate) fn solution_match(self, filters: &[&str], words: &[(&str, bool)], all: bool) -> String {
        let words: Vec<String> = words
            .iter()
            .map(|&(word, prefix)| match (self, prefix) {
                (Dialect::Sqlite, false) => format!("\"{word}\""),
                (Dialect::Sqlite, true) => format!("\"{word}\"*"),
                (Dialect::Postgres, false) => word.to_string(),
                (Dialect::Postgres, true) => format!("{word}:*"),
            })
            .collect();
        let joiner = match (self, all) {
            (Dialect::Sqlite, true) => " AND ",
            (Dialect::Sqlite, false) => " OR ",
            (Dialect::Postgres, true) => " & ",
            (Dialect::Postgres, false) => " | ",
        };
        let words = words.join(joiner);
        match self {
            Dialect::Sqlite => {
                let filters: String = filters.iter().map(|f| format!("meta : {f} AND ")).collect();
                format!("{filters}{{title tags body parts}} : ({words})")
            }
            Dialect::Postgres => {
                let filters: String = filters.iter().map(|f| format!("{f} & ")).collect();
                format!("{filters}({words})")
            }
        }
    }
}

// The case search differs by design too (migration 0017): an FTS5 table
// `cases_fts` fed by triggers on SQLite (one row per case head and per
// timeline text, folded, not stemmed), GIN expression indexes over the
// cases and their events on PostgreSQL ('simple' configuration).

impl Dialect {
    /// The ids of the newest `$2` cases matching `$1` (a query from
    /// [`Dialect::case_match`]) by their reference, subject, description or
    /// a timeline text, newest first, as `CaseHit` rows. On SQLite the
    /// newest 1,000 matching index rows are read (FTS5 walks its rowids
    /// backwards without ranking), so a word on every case stays cheap.
    pub(crate) fn case_search(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT c.id, c.subject, c.state, c.priority, c.customer_id, cu.name AS customer_name, c.created_at \
                 FROM cases c JOIN customers cu ON cu.id = c.customer_id \
                 WHERE c.id IN (SELECT case_id FROM cases_fts WHERE cases_fts MATCH $1 ORDER BY rowid DESC LIMIT 1000) \
                 ORDER BY c.id DESC LIMIT $2"
            }
            Dialect::Postgres => {
                "SELECT c.id, c.subject, c.state, c.priority, c.customer_id, cu.name AS customer_name, c.created_at \
                 FROM cases c JOIN customers cu ON cu.id = c.customer_id \
                 WHERE c.id IN (\
                   SELECT id FROM cases WHERE to_tsvector('simple', right(replace(id::text, '-', ''), 8) || ' ' || subject || ' ' || description) \
                     @@ to_tsquery('simple', $1) \
                   UNION SELECT case_id FROM case_events WHERE body IS NOT NULL AND body <> '' \
                     AND to_tsvector('simple', body) @@ to_tsquery('simple', $1)) \
                 ORDER BY c.id DESC LIMIT $2"
            }
        }
    }

    /// The query of [`Dialect::case_search`]: every one of `words` as a
    /// word prefix. Words must be letters and digits only (nothing here
    /// quotes anything else).
    pub(crate) fn case_match(self, words: &[&str]) -> String {
        match self {
            Dialect::Sqlite => words
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" AND "),
            Dialect::Postgres => words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & "),
        }
    }
}

impl Dialect {
    /// The statements that bring the search index of the cases `scope`
    /// selects (a subquery of case ids with `$1`) up to date after their
    /// texts were replaced (erasure, retention): on SQLite every FTS5 row of
    /// those cases goes and one row with their present texts comes back (the
    /// triggers only ever add rows); PostgreSQL's expression indexes follow
    /// the rows by themselves.
    pub(crate) fn case_index_rebuild(self, scope: &str) -> Vec<String> {
        match self {
            Dialect::Sqlite => vec![
                format!("DELETE FROM cases_fts WHERE case_id IN ({scope})"),
                format!(
                    "INSERT INTO cases_fts (case_id, text) SELECT id, lower(substr(hex(id), 25, 8)) || ' ' || subject \
                     || ' ' || description FROM cases WHERE id IN ({scope})"
                ),
            ],
            Dialect::Postgres => Vec::new(),
        }
    }
}

impl Dialect {
    /// The statements that rebuild the search index of the case `$1`
    /// (`scope` names the parameter) after timeline entries moved to or
    /// from it (split, merge): on SQLite its FTS5 rows go and come back
    /// from its present reference, subject, description and event texts;
    /// PostgreSQL's expression indexes follow the rows by themselves.
    pub(crate) fn case_index_refresh(self, param: &str) -> Vec<String> {
        match self {
            Dialect::Sqlite => vec![
                format!("DELETE FROM cases_fts WHERE case_id = {param}"),
                format!(
                    "INSERT INTO cases_fts (case_id, text) SELECT id, lower(substr(hex(id), 25, 8)) || ' ' || subject \
                     || ' ' || description FROM cases WHERE id = {param}"
                ),
                format!(
                    "INSERT INTO cases_fts (case_id, text) SELECT case_id, body FROM case_events \
                     WHERE case_id = {param} AND body IS NOT NULL AND body <> ''"
                ),
            ],
            Dialect::Postgres => Vec::new(),
        }
    }
}

// ------------------------------------------------------------ query plans

/// Reading the plan the database chose for a query, as text (tests and
/// benchmarks check that the inbox never scans a whole table).
pub(crate) trait ExplainPlan {
    type Db: sqlx::Database;
    /// What goes before the query to have its plan instead of its rows.
    fn explain_prefix(&self) -> &'static str;
    /// Runs `q` (a query after [`ExplainPlan::explain_prefix`]) and gives
    /// the plan, one line per step.
    async fn plan_text(&self, q: QueryBuilder<Self::Db>) -> Result<String, sqlx::Error>;
}

impl ExplainPlan for SqlitePool {
    type Db = Sqlite;
    fn explain_prefix(&self) -> &'static str {
        "EXPLAIN QUERY PLAN "
    }
    /// `EXPLAIN QUERY PLAN` gives rows of (id, parent, unused, detail).
    async fn plan_text(&self, mut q: QueryBuilder<Sqlite>) -> Result<String, sqlx::Error> {
        let rows: Vec<(i64, i64, i64, String)> = q.build_query_as().fetch_all(self).await?;
        Ok(rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n"))
    }
}

impl ExplainPlan for PgPool {
    type Db = Postgres;
    fn explain_prefix(&self) -> &'static str {
        "EXPLAIN "
    }
    /// `EXPLAIN` gives one text row per line. Sequential scans are disabled
    /// for the connection meanwhile (`SET enable_seqscan`), so a missing
    /// index shows as a `Seq Scan` even where a small table would make one
    /// the cheaper plan.
    async fn plan_text(&self, mut q: QueryBuilder<Postgres>) -> Result<String, sqlx::Error> {
        let mut conn = self.acquire().await?;
        sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await?;
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&mut *conn).await?;
        sqlx::query("SET enable_seqscan = on").execute(&mut *conn).await?;
        Ok(rows.into_iter().map(|r| r.0).collect::<Vec<_>>().join("\n"))
    }
}

// ------------------------------------------------------------ catalog

impl Dialect {
    /// `(table, column)` rows for every column of every amends table, from
    /// Whole days from the timestamp `start` to the timestamp `column`
    /// (both SQL expressions), rounded down: the trend bucket of a row.
    pub(crate) fn days_since(self, column: &str, start: &str) -> String {
        match self {
            // Whole milliseconds first, so that exactly one day is 1, not 0.999….
            Dialect::Sqlite => {
                format!("CAST(ROUND((julianday({column}) - julianday({start})) * 86400000) / 86400000 AS INTEGER)")
            }
            Dialect::Postgres => {
                format!("CAST(FLOOR(EXTRACT(EPOCH FROM ({column} - {start})) / 86400) AS BIGINT)")
            }
        }
    }

    /// Whole seconds from the timestamp `start` to the timestamp `end`
    /// (SQL expressions), truncated toward zero like chrono's
    /// `TimeDelta::num_seconds` — exactly, not through a float.
    ///
    /// SQLite keeps timestamps as sqlx writes them (`YYYY-MM-DDTHH:MM:SS`,
    /// then up to nine digits of fraction, then `+00:00`): the seconds come
    /// from the first 19 characters (SQLite's date functions round the
    /// fraction to milliseconds) and the fractions, padded to nine digits,
    /// are compared as text. PostgreSQL's `date_part` gives the seconds as a
    /// double, several times cheaper than `EXTRACT`'s numeric: below about
    /// 4·10⁹ seconds a double tells a microsecond before a whole second from
    /// that second, so truncating stays exact.
    pub(crate) fn whole_seconds(self, end: &str, start: &str) -> String {
        match self {
            Dialect::Sqlite => {
                let s = |t: &str| format!("CAST(strftime('%s', substr({t}, 1, 19)) AS INTEGER)");
                let f = |t: &str| {
                    format!(
                        "(CASE WHEN substr({t}, 20, 1) = '.' THEN substr(substr({t}, 21, length({t}) - 26) || '000000000', 1, 9) ELSE '000000000' END)"
                    )
                };
                let d = format!("({} - {})", s(end), s(start));
                format!(
                    "({d} + CASE WHEN {d} > 0 AND {fe} < {fs} THEN -1 WHEN {d} < 0 AND {fe} > {fs} THEN 1 ELSE 0 END)",
                    fe = f(end),
                    fs = f(start)
                )
            }
            Dialect::Postgres => format!("CAST(TRUNC(date_part('epoch', {end} - {start})) AS BIGINT)"),
        }
    }

    /// A number of the case `c` that the dashboard counts by: its
    /// 15-minute creation slot, or the whole seconds its first response or
    /// resolution took. SQLite keeps them as generated columns of `cases`
    /// (migration 0040), stored in `cases_analytics`, so counting a period
    /// reads integers instead of taking its text timestamps apart row by
    /// row; PostgreSQL computes them from its binary timestamps.
    pub(crate) fn case_number(self, n: CaseNumber) -> String {
        match (self, n) {
            (Dialect::Sqlite, CaseNumber::CreatedSlot) => "c.created_slot".to_string(),
            (Dialect::Sqlite, CaseNumber::FirstResponseSeconds) => "c.first_response_s".to_string(),
            (Dialect::Sqlite, CaseNumber::ResolutionSeconds) => "c.resolution_s".to_string(),
            (Dialect::Postgres, CaseNumber::CreatedSlot) => format!("{} / 900", self.epoch_seconds("c.created_at")),
            (Dialect::Postgres, CaseNumber::FirstResponseSeconds) => {
                self.whole_seconds("c.first_responded_at", "c.created_at")
            }
            (Dialect::Postgres, CaseNumber::ResolutionSeconds) => self.whole_seconds("c.resolved_at", "c.created_at"),
        }
    }

    /// Whole seconds since 1970 of the timestamp `t`, rounded down (on
    /// PostgreSQL exactly through a double, as [`Dialect::whole_seconds`]).
    pub(crate) fn epoch_seconds(self, t: &str) -> String {
        match self {
            Dialect::Sqlite => format!("CAST(strftime('%s', substr({t}, 1, 19)) AS INTEGER)"),
            Dialect::Postgres => format!("CAST(FLOOR(date_part('epoch', {t})) AS BIGINT)"),
        }
    }

    /// SQLite's `sqlite_master` or PostgreSQL's `information_schema`
    /// (without sqlx's migration table and the search index, which differs
    /// by design).
    pub(crate) fn schema_columns(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx_%' \
                 AND m.name NOT LIKE 'solutions_fts%' AND m.name NOT LIKE 'cases_fts%'"
            }
            Dialect::Postgres => {
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx_%' \
                 AND table_name NOT LIKE 'solutions_fts%'"
            }
        }
    }

    /// The names (one column) of the indexes on amends tables, from
    /// `sqlite_master` or `pg_indexes`, leaving out what only one backend
    /// has by nature: SQLite's automatic indexes, PostgreSQL's primary key
    /// indexes, and those of sqlx's migration table and the search index.
    pub(crate) fn schema_indexes(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE '_sqlx_%' AND tbl_name NOT LIKE 'solutions_fts%' AND tbl_name NOT LIKE 'cases_fts%'"
            }
            Dialect::Postgres => {
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
                 AND indexname NOT LIKE '%_pkey' AND tablename NOT LIKE '_sqlx_%' \
                 AND tablename NOT LIKE 'solutions_fts%'"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's generated columns of migration 0040 hold what
    /// `whole_seconds` and `epoch_seconds` compute, to the letter.
    #[test]
    fn the_generated_case_numbers_are_the_dialects_expressions() {
        let migration = include_str!("../migrations/sqlite/0040_case_numbers.sql");
        let d = Dialect::Sqlite;
        for expression in [
            format!("AS ({} / 900) VIRTUAL", d.epoch_seconds("created_at")),
            format!("AS ({}) VIRTUAL", d.whole_seconds("first_responded_at", "created_at")),
            format!("AS ({}) VIRTUAL", d.whole_seconds("resolved_at", "created_at")),
        ] {
            assert!(migration.contains(&expression), "not in the migration: {expression}");
        }
    }
}
