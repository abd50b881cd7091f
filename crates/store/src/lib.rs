//! Storage of amends.
//!
//! One [`Store`] serves both backends: SQLite (the embedded default, one
//! file in WAL mode) and PostgreSQL (several instances share one database).
//! Each query is written once in portable SQL (`$1` placeholders work on
//! both) and expanded for each backend's concrete pool by [`with_pool!`], so
//! the compiler checks both paths. Statements that several methods share
//! (the audit entry, the timeline event, the outbox job, …) are async
//! methods of crate-private traits that `backend_trait!` implements for both
//! backends' connections from one body; a method body calls them on its
//! transaction (`tx.insert_event(..).await?`). The plain reads (one row by
//! a key, the rows of a key, all rows) are `Store` methods in `rows`,
//! generic over the row type (`sqlx::FromRow` on both backends); a change's
//! audit entry goes in with its commit (`tx.commit_audited(..)`, `audit`).
//! Where the backends differ (transaction start, row locks, planner hints,
//! JSON functions, full-text search), the SQL comes from `dialect`. Only
//! this crate writes SQL.

mod analytics;
mod attach;
mod audit;
pub mod backup;
mod bulk;
mod case_batch;
mod case_merge;
mod cases;
mod churn;
mod corrections;
mod customer_merge;
mod customers;
mod dialect;
mod error;
mod fair;
mod feedback;
mod followup;
mod goodwill;
mod goodwill_rules;
mod imports;
mod incidents;
mod insights;
mod jobs;
mod mail;
mod models;
mod outbox;
mod overview;
mod page;
mod panel;
mod patterns;
mod playbooks;
mod privacy;
mod quarantine;
mod retention;
mod risks;
mod routing;
mod rows;
pub mod schema;
mod search;
mod self_service;
mod sla;
mod solutions;
mod templates;
mod text_models;
mod tier_offers;
mod training;
mod users;
mod widget;
mod write_session;
mod write_turn;

pub use analytics::{AnalyticsFilter, CaseClocks, CaseFact, DailyScores, GoodwillTotals, NeverFailed, SurveyGroup};
pub use attach::AttachSetting;
pub use bulk::{Batch, CaseRecord, EventRecord, FeedbackRecord, GrantRecord, RatingRecord, SurveyRecord};
pub use case_merge::{Merged, Split};
pub use cases::{AssigneeFilter, CaseFilter, CaseSort, NewCase, NewEvent};
pub use churn::{ChurnCase, ChurnCustomer, ChurnFacts, ChurnModelRow, ChurnPoint, NewChurnModel};
pub use corrections::{Correction, NewCorrection, RatedText};
pub use customer_merge::{CustomerMerge, DuplicatePair, MergeCounts};
pub use customers::{CustomerFilter, CustomerPatch, NewCustomer};
pub use error::StoreError;
pub use fair::{FairExpectationRow, FairnessFact};
pub use feedback::{Detection, DetectionRule, Feedback, FeedbackFilter, NewFeedback, RuleInput};
pub use followup::{AnswerOutcome, CaseFollowUp, Survey, SurveyAnswer, Webhook, WebhookDelivery};
pub use goodwill::{
    Budget, CatalogEntry, CatalogInput, Coded, Grant, GrantFilter, NewGrant, RoleLimit, Spend, month_of,
};
pub use goodwill_rules::{GoodwillRule, GoodwillRuleInput};
pub use imports::{FEEDBACK_CHUNK, Written};
pub use incidents::{
    AffectedFeedback, AffectedOutcome, AffectedRow, AutoGrant, CustomerRef, FanOutPlan, Incident, IncidentStats,
    PendingAffected, QueuedNotice, UploadChunk, UploadLookup,
};
pub use insights::{
    CaseFeedbackFacts, CustomerInsightReport, FeedbackToRoute, Fix, InsightFilter, InsightNotice, InsightReportRow,
    InsightRow, NewReport, TeamMemberRow, TeamRow, TeamRuleRow,
};
pub use jobs::{DeliveryUpdate, Job, JobEffects, NewDelivery, NewSurvey, first_row_id_at, new_row_id};
pub use mail::{Attachment, InboundMail, NewAttachment};
pub use models::*;
pub use outbox::{EVENT_JOB_ATTEMPTS, NewJob};
pub use overview::{AccountCustomer, CustomerFacts, CustomerSurvey};
pub use page::{Cursor, Page};
pub use panel::{PanelCandidate, PanelFilter, PanelMembership};
pub use patterns::{ChangeEvent, FeedbackFact, NewChangeEvent, PatternAlert};
pub use playbooks::{CasePlaybook, PlaybookCaseFact, PlaybookRow, PlaybookScore, PlaybookStepRow, StepDone};
pub use privacy::{AffectedRecord, CustomerDossier, ErasedCounts, Erasure, StoredAttachment};
pub use quarantine::{NewQuarantined, QuarantinedMail};
pub use retention::{Expiry, RetentionSetting};
pub use risks::{AreaCounts, AreaMix};
pub use routing::{AgentRouting, RouteRequest, RoutingSettings};
pub use search::{CaseHit, SEARCH_WORDS_MAX, search_words};
pub use self_service::{AutoAnswerSetting, DeflectionRow, NewDeflection};
pub use sla::{SlaCandidate, SlaPolicy, SlaStat};
pub use solutions::{
    IndexTerms, LinkedSolution, ReadVersion, ResolvedCase, Solution, SolutionFilter, SolutionHit, SolutionQuery,
    SolutionVersion, Tags,
};
pub use templates::{ReplyTemplate, TemplateFilter};
pub use text_models::{NewTextModel, TextModelRow};
pub use tier_offers::{OfferDraft, TierOfferRow, TierOfferSettings};
pub use training::TrainingFacts;
pub use users::{NewUser, SessionRecord};
pub use widget::{WidgetSite, WidgetSiteInput};
pub use write_session::WriteSession;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// Expands `$body` once per backend with `$pool` bound to that backend's
/// concrete pool, so one piece of portable SQL code serves both.
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($pool) => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Declares a crate-private trait of statements that run on one
/// connection (usually a transaction: `tx.insert_event(..)` derefs to it)
/// and implements it for both backends' connections from one body each,
/// so the SQL is written once and type-checked per backend. Callers see
/// every early return as the `?` after the call. The methods take
/// `&mut self` and plain named arguments (no generics), and call each other
/// as `self.method(..)`.
macro_rules! backend_trait {
    // `$s` is the caller's `self`: a `self` written here would not be the
    // one the bodies name.
    (
        $(#[$trait_meta:meta])*
        $vis:vis trait $name:ident {
            $(
                $(#[$fn_meta:meta])*
                async fn $f:ident(&mut $s:ident $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty $body:block
            )*
        }
    ) => {
        $(#[$trait_meta])*
        $vis trait $name {
            $(
                $(#[$fn_meta])*
                async fn $f(&mut $s $(, $arg: $ty)*) -> $ret;
            )*
        }
        impl $name for sqlx::SqliteConnection {
            $(
                async fn $f(&mut $s $(, $arg: $ty)*) -> $ret $body
            )*
        }
        impl $name for sqlx::PgConnection {
            $(
                async fn $f(&mut $s $(, $arg: $ty)*) -> $ret $body
            )*
        }
    };
}
pub(crate) use backend_trait;

/// How hard a commit tries to survive a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// A committed write survives a crash of the process (SQLite WAL with
    /// `synchronous = NORMAL`; PostgreSQL as configured).
    #[default]
    Normal,
    /// A committed write survives power loss too (fsync per commit).
    Full,
}

#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

/// The storage of amends. Cheap to clone (pools are shared).
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({:?})", self.kind())
    }
}

/// How long a SQLite connection waits for a lock another process holds (ms).
pub(crate) const BUSY_TIMEOUT_MS: u32 = 10_000;

impl Store {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:`, `postgres://…`).
    /// A SQLite file is created if missing.
    pub async fn connect(url: &str, durability: Durability) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("database_url `{url}` is not a valid SQLite URL: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(match durability {
                    Durability::Normal => SqliteSynchronous::Normal,
                    Durability::Full => SqliteSynchronous::Full,
                })
                .foreign_keys(true)
                .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS.into()))
                // A 32 MiB page cache per connection (default: 2 MiB) keeps the
                // indexes of big write transactions (imports, incident
                // fan-outs) in memory instead of spilling them to the WAL.
                .pragma("cache_size", format!("-{}", write_session::POOL_CACHE_KIB))
                // Checkpoint the WAL at 2,500 pages (40 MiB with 16 KiB pages)
                // instead of 1,000: big write transactions (imports) write
                // more than the default, which copied each of them into the
                // database file (and synced twice) right after its commit.
                // Durability is the same: a commit is in the WAL. Bulk
                // uploads checkpoint beside the writer instead (WriteSession).
                .pragma(
                    "wal_autocheckpoint",
                    write_session::POOL_AUTOCHECKPOINT_PAGES.to_string(),
                )
                .pragma("temp_store", "memory")
                // 16 KiB pages for a new database (an existing file keeps its
                // page size): a bulk write of 100,000 cases splits and
                // balances a quarter as many pages and writes fewer WAL
                // frames; about a fifth faster in the fan-out benchmark.
                .page_size(16384);
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            if !in_memory {
                // Create the file and switch it to WAL on one connection first:
                // two pool connections switching a new file at the same time
                // make one of them fail with "database is locked".
                use sqlx::{ConnectOptions, Connection};
                opts.connect().await?.close().await?;
            }
            let pool = SqlitePoolOptions::new()
                // An in-memory database lives in one connection.
                .max_connections(if in_memory { 1 } else { 8 })
                .min_connections(u32::from(in_memory))
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(opts)
                .await?;
            Ok(Self {
                backend: Backend::Sqlite(pool),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let mut opts = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("database_url `{url}` is not a valid PostgreSQL URL: {e}")))?;
            if durability == Durability::Full {
                opts = opts.options([("synchronous_commit", "on")]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Self {
                backend: Backend::Postgres(pool),
            })
        } else {
            Err(StoreError::Config(format!(
                "database_url must start with `sqlite:` or `postgres:`, got `{url}`"
            )))
        }
    }

    #[must_use]
    pub fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// Applies all pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Backend::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// A cheap round trip to check the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Refreshes the planner statistics (after bulk loads; autovacuum and
    /// `PRAGMA optimize` do this over time on their own).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("ANALYZE").execute(pool).await?;
        });
        Ok(())
    }

    /// After a bulk load: the planner statistics, and on PostgreSQL also the
    /// visibility map (the statement is `Dialect::after_bulk_load`).
    pub async fn settle_after_load(&self) -> Result<(), StoreError> {
        let sql = self.dialect().after_bulk_load();
        with_pool!(self, |pool| {
            sqlx::query(sql).execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await);
    }
}

/// Scratch databases for benchmarks: a fresh SQLite file in a temporary
/// directory, or a fresh PostgreSQL database next to `base_url`'s.
pub mod scratch {
    use super::StoreError;
    use sqlx::Connection;

    /// Creates an empty database and returns its URL.
    pub async fn create(base_url: &str, name: &str) -> Result<String, StoreError> {
        if base_url.starts_with("sqlite:") {
            let dir = std::env::temp_dir().join(format!("amends-{name}-{}", uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir)
                .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
            return Ok(format!("sqlite://{}", dir.join("bench.db").display()));
        }
        let mut conn = sqlx::PgConnection::connect(base_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        let base = base_url.rsplit_once('/').map_or(base_url, |(b, _)| b);
        Ok(format!("{base}/{name}"))
    }

    /// The disk's plain speed for the benchmarks' ratios: one-row
    /// autocommit inserts on one connection for `seconds` into a table of
    /// the database at `url` (made by [`create`]) — SQLite in WAL with
    /// `synchronous = NORMAL`, PostgreSQL as configured. Rows per second.
    pub async fn one_row_commits(url: &str, seconds: f64) -> Result<f64, StoreError> {
        const CREATE: &str = "CREATE TABLE baseline (id BIGINT PRIMARY KEY, body TEXT NOT NULL)";
        const INSERT: &str = "INSERT INTO baseline (id, body) VALUES ($1, $2)";
        let body = "Die Lieferung kam zwei Wochen zu spät und niemand antwortet.";
        let until = std::time::Duration::from_secs_f64(seconds.max(0.1));
        let started = std::time::Instant::now();
        let mut rows: i64 = 0;
        if url.starts_with("sqlite:") {
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
            use std::str::FromStr;
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            let mut conn = sqlx::SqliteConnection::connect_with(&opts).await?;
            sqlx::query(CREATE).execute(&mut conn).await?;
            while started.elapsed() < until {
                sqlx::query(INSERT).bind(rows).bind(body).execute(&mut conn).await?;
                rows += 1;
            }
        } else {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            sqlx::query(CREATE).execute(&mut conn).await?;
            while started.elapsed() < until {
                sqlx::query(INSERT).bind(rows).bind(body).execute(&mut conn).await?;
                rows += 1;
            }
        }
        Ok(rows as f64 / started.elapsed().as_secs_f64())
    }

    /// Removes a database made by [`create`].
    pub async fn drop(base_url: &str, name: &str, url: &str) -> Result<(), StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if let Some(dir) = std::path::Path::new(path).parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
            return Ok(());
        }
        let mut conn = sqlx::PgConnection::connect(base_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tidy {
    /// Every write transaction goes through `begin_write` (see `dialect::BeginWrite`):
    /// a plain deferred `begin()` on SQLite can fail at once under concurrent writers.
    #[test]
    fn write_transactions_take_the_write_lock() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![src.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path == src.join("lib.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("read");
                assert!(
                    !text.contains("pool.begin()"),
                    "{} uses pool.begin(); use pool.begin_write()",
                    path.display()
                );
            }
        }
    }
}
