//! Read models of the analytics pages: the facts of the cases, survey
//! answers and goodwill of a period, and the never-failed baseline. The
//! figures themselves (medians, intervals, tests) are computed by the
//! caller from these rows; the store only selects and counts.

use crate::dialect::CaseNumber;
use crate::rows::Row;
use crate::{Store, StoreError, with_pool};
use amends_domain::{Channel, Priority, Tier, UserId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// Which cases an analytics query looks at; `None` = all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnalyticsFilter {
    pub channel: Option<Channel>,
    pub tier: Option<Tier>,
    pub assignee: Option<UserId>,
}

impl AnalyticsFilter {
    fn binds(&self) -> (Option<&'static str>, Option<&'static str>, Option<uuid::Uuid>) {
        (
            self.channel.map(|c| c.as_str()),
            self.tier.map(|t| t.as_str()),
            self.assignee.map(|u| u.0),
        )
    }
}

/// The case filter as SQL over the alias `c`, with the binds at `$n`…`$n+2`.
fn case_filter_sql(n: usize) -> String {
    filter_sql(n, ["c.channel", "c.tier", "c.assignee_id"])
}

/// The filter as SQL over the given channel, tier and assignee columns,
/// with the binds at `$n`…`$n+2`.
fn filter_sql(n: usize, [channel, tier, assignee]: [&str; 3]) -> String {
    format!(
        "(${a} IS NULL OR {channel} = ${a}) AND (${b} IS NULL OR {tier} = ${b}) AND (${d} IS NULL OR {assignee} = ${d})",
        a = n,
        b = n + 1,
        d = n + 2
    )
}

/// A value bound before the case filter's three.
#[derive(Clone, Copy)]
enum Lead {
    Time(DateTime<Utc>),
    Int(i64),
}

impl Store {
    /// The rows of `sql`, a statement that binds `lead` at `$1`… and the
    /// case filter (see [`case_filter_sql`]) right after them.
    async fn filtered<T: Row>(&self, sql: &str, lead: &[Lead], filter: &AnalyticsFilter) -> Result<Vec<T>, StoreError> {
        let (channel, tier, assignee) = filter.binds();
        with_pool!(self, |pool| {
            let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.to_owned()));
            for &value in lead {
                q = match value {
                    Lead::Time(t) => q.bind(t),
                    Lead::Int(n) => q.bind(n),
                };
            }
            Ok(q.bind(channel).bind(tier).bind(assignee).fetch_all(pool).await?)
        })
    }

    /// The one row of `sql` (an aggregate), as [`Store::filtered`] binds it.
    async fn filtered_one<T: Row>(&self, sql: &str, lead: &[Lead], filter: &AnalyticsFilter) -> Result<T, StoreError> {
        let row = self.filtered(sql, lead, filter).await?.into_iter().next();
        Ok(row.ok_or(sqlx::Error::RowNotFound)?)
    }
}

/// The times of one case created in the period.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CaseFact {
    pub created_at: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub first_response_due_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution_due_at: DateTime<Utc>,
    pub open: bool,
    /// Tier and priority: which SLA policy (and calendar) the case is under.
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
}

/// Survey answers on failure cases that share every value the analytics
/// split them by, and how many they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, sqlx::FromRow)]
pub struct SurveyGroup {
    pub score: i32,
    pub solved: Option<bool>,
    pub severity: Option<i32>,
    pub repeat_failure: Option<bool>,
    pub controllable: Option<bool>,
    /// From the case's creation to its first response: 0 within an hour,
    /// 1 within a day, 2 later; none without a response.
    pub response_band: Option<i32>,
    /// Goodwill was granted on the case.
    pub goodwill: bool,
    /// Still a customer `settle` after the anchor (the resolution, else
    /// the answer); none while that time has not come.
    pub retained: Option<bool>,
    pub answers: i64,
}

/// What [`SurveyGroup`] splits answers by, but the severity, as one number
/// (binds the retention cutoff at `$3` and the settle seconds at `$4`):
/// SQLite groups by one integer about twice as fast as by seven columns.
/// From the outermost: the score, then solved, repeated, controllable (each
/// 0 no, 1 yes, 2 unknown), the response band (0 within an hour, 1 within a
/// day, 2 later, 3 none), goodwill (0, 1) and retention (0 churned within
/// the settle time, 1 retained, 2 too early to tell).
/// [`SurveyCode::group`] takes it apart.
const GROUP_CODE: &str = "((((((s.score * 3 \
    + CASE WHEN s.solved IS NULL THEN 2 WHEN s.solved THEN 1 ELSE 0 END) * 3 \
    + CASE WHEN s.fact_repeat IS NULL THEN 2 WHEN s.fact_repeat THEN 1 ELSE 0 END) * 3 \
    + CASE WHEN s.fact_controllable IS NULL THEN 2 WHEN s.fact_controllable THEN 1 ELSE 0 END) * 4 \
    + CASE WHEN s.fact_response_seconds <= 3600 THEN 0 WHEN s.fact_response_seconds <= 86400 THEN 1 \
           WHEN s.fact_response_seconds IS NOT NULL THEN 2 ELSE 3 END) * 2 \
    + CASE WHEN s.fact_goodwill THEN 1 ELSE 0 END) * 3 \
    + CASE WHEN s.fact_anchor_at > $3 THEN 2 \
           WHEN s.fact_churn_after_seconds IS NULL OR s.fact_churn_after_seconds >= $4 THEN 1 ELSE 0 END)";

/// Answers counted per severity and [`GROUP_CODE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
struct SurveyCode {
    severity: Option<i32>,
    code: i64,
    answers: i64,
}

impl SurveyCode {
    /// The group this count stands for (its answers not yet set).
    fn group(self) -> SurveyGroup {
        let mut rest = self.code;
        let mut take = |base: i64| {
            let part = rest.rem_euclid(base);
            rest = rest.div_euclid(base);
            part
        };
        let known = |part: i64| (part < 2).then_some(part == 1);
        let retained = known(take(3));
        let goodwill = take(2) == 1;
        let band = take(4);
        let controllable = known(take(3));
        let repeat_failure = known(take(3));
        let solved = known(take(3));
        SurveyGroup {
            score: i32::try_from(rest).unwrap_or(if rest < 0 { i32::MIN } else { i32::MAX }),
            solved,
            severity: self.severity,
            repeat_failure,
            controllable,
            response_band: (band < 3).then(|| i32::try_from(band).unwrap_or(0)),
            goodwill,
            retained,
            answers: 0,
        }
    }
}

/// `[from, to)` cut into one slice per core (at most four).
fn slices_of(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let n = i32::try_from(n).unwrap_or(1);
    let span = to - from;
    let at = |i: i32| if i == n { to } else { from + span * i / n };
    (0..n).map(|i| (at(i), at(i + 1))).filter(|(a, b)| a < b).collect()
}

/// The survey answers of one day of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DailyScores {
    /// Whole days since the start of the period.
    pub day: i64,
    pub answers: i64,
    pub score_sum: i64,
}

/// Customers who never had a case: their ratings in the period and how
/// many of them are still customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct NeverFailed {
    pub ratings: i64,
    pub rating_sum: i64,
    pub rating_sum_squares: i64,
    /// Ratings of 4 or 5.
    pub ratings_high: i64,
    /// Customers at the start of the period.
    pub customers: i64,
    /// Of them, still customers at the end of the settle time.
    pub retained: i64,
}

/// Goodwill granted in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct GoodwillTotals {
    pub grants: i64,
    pub cases: i64,
    pub customers: i64,
    pub cents: i64,
}

impl Store {
    /// The cases created in `[from, to)` that match the filter, read in
    /// slices at once (see [`Store::in_slices`]).
    pub async fn case_facts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<CaseFact>, StoreError> {
        let sql = format!(
            "SELECT c.created_at, c.first_responded_at, c.first_response_due_at, c.resolved_at, \
             c.resolution_due_at, c.open, c.tier, c.priority FROM cases c \
             WHERE c.created_at >= $1 AND c.created_at < $2 AND {}",
            case_filter_sql(3)
        );
        let filter = *filter;
        self.in_slices(from, to, move |store, a, b| {
            let sql = sql.clone();
            async move { store.filtered(&sql, &[Lead::Time(a), Lead::Time(b)], &filter).await }
        })
        .await
    }

    /// The rows `read` gives for each slice of `[from, to)` (see
    /// [`slices_of`]), read at once, each slice on its own task and
    /// connection, so that decoding the rows divides among the cores too.
    /// In no particular order.
    pub(crate) async fn in_slices<T, F, Fut>(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        read: F,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Send + 'static,
        F: Fn(Store, DateTime<Utc>, DateTime<Utc>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, StoreError>> + Send + 'static,
    {
        let mut tasks = tokio::task::JoinSet::new();
        for (a, b) in slices_of(from, to) {
            tasks.spawn(read(self.clone(), a, b));
        }
        let mut rows = Vec::new();
        while let Some(slice) = tasks.join_next().await {
            match slice {
                Ok(read) => rows.extend(read?),
                // A slice that panicked panics here, as the read would have
                // on the caller's task. The set is never aborted, so a slice
                // is cancelled only when the runtime shuts down.
                Err(e) => match e.try_into_panic() {
                    Ok(panic) => std::panic::resume_unwind(panic),
                    Err(e) => {
                        return Err(StoreError::Database(sqlx::Error::Io(std::io::Error::other(format!(
                            "a slice of a report's rows was cancelled: {e}"
                        )))));
                    }
                },
            }
        }
        Ok(rows)
    }

    /// How many cases matching the filter were created in `[from, to)`.
    pub async fn count_cases_created(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &AnalyticsFilter,
    ) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM cases c WHERE c.created_at >= $1 AND c.created_at < $2 AND {}",
            case_filter_sql(3)
        );
        let (n,): (i64,) = self
            .filtered_one(&sql, &[Lead::Time(from), Lead::Time(to)], filter)
            .await?;
        Ok(n)
    }

    /// When the cases that are no longer open left the backlog (resolved or
    /// else closed), for those that left at or after `since`, one by one:
    /// the reference [`Store::backlog_exits_between`] is tested against.
    pub async fn backlog_exits(
        &self,
        since: DateTime<Utc>,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let sql = format!(
            "SELECT COALESCE(c.resolved_at, c.closed_at, c.updated_at) FROM cases c \
             WHERE c.open = FALSE AND COALESCE(c.resolved_at, c.closed_at, c.updated_at) >= $1 AND {}",
            case_filter_sql(2)
        );
        let rows: Vec<(DateTime<Utc>,)> = self.filtered(&sql, &[Lead::Time(since)], filter).await?;
        Ok(rows.into_iter().map(|(t,)| t).collect())
    }

    /// Open cases matching the filter now.
    pub async fn open_case_count(&self, filter: &AnalyticsFilter) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM cases c WHERE c.open = TRUE AND {}",
            case_filter_sql(1)
        );
        let (n,): (i64,) = self.filtered_one(&sql, &[], filter).await?;
        Ok(n)
    }

    /// Cases reopened (by an agent or a survey answer) in `[from, to)`.
    pub async fn reopened_count(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &AnalyticsFilter,
    ) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COUNT(DISTINCT e.case_id) FROM case_events e JOIN cases c ON c.id = e.case_id \
             WHERE e.kind = 'state_change' AND e.data LIKE '%\"to\":\"reopened\"%' \
             AND e.created_at >= $1 AND e.created_at < $2 AND {}",
            case_filter_sql(3)
        );
        let (n,): (i64,) = self
            .filtered_one(&sql, &[Lead::Time(from), Lead::Time(to)], filter)
            .await?;
        Ok(n)
    }

    /// The surveys answered in `[from, to)` on cases matching the filter,
    /// grouped by what the analytics split them by (their facts are kept
    /// beside each answer by the triggers of migration 0025). Retention is
    /// judged at `now` after `settle`.
    ///
    /// The period is read in slices at once (see [`Store::in_slices`]) and
    /// their groups summed: grouping some 100,000 answers is the work, and
    /// it divides.
    pub async fn survey_groups(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &AnalyticsFilter,
        now: DateTime<Utc>,
        settle: chrono::Duration,
    ) -> Result<Vec<SurveyGroup>, StoreError> {
        let filter = *filter;
        let slices = self
            .in_slices(from, to, move |store, a, b| async move {
                store.survey_codes(a, b, &filter, now - settle, settle).await
            })
            .await?;
        let mut sums: HashMap<SurveyGroup, i64> = HashMap::new();
        for c in slices {
            *sums.entry(c.group()).or_default() += c.answers;
        }
        Ok(sums
            .into_iter()
            .map(|(g, answers)| SurveyGroup { answers, ..g })
            .collect())
    }

    /// The answers of `[from, to)` counted per severity and [`GROUP_CODE`].
    async fn survey_codes(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &AnalyticsFilter,
        cutoff: DateTime<Utc>,
        settle: chrono::Duration,
    ) -> Result<Vec<SurveyCode>, StoreError> {
        let sql = format!(
            "SELECT s.fact_severity AS severity, CAST({GROUP_CODE} AS BIGINT) AS code, COUNT(*) AS answers \
             FROM surveys s WHERE s.state = 'answered' AND s.score IS NOT NULL \
             AND s.answered_at >= $1 AND s.answered_at < $2 AND {} \
             GROUP BY 1, 2",
            filter_sql(5, ["s.fact_channel", "s.fact_tier", "s.fact_assignee_id"])
        );
        let lead = [
            Lead::Time(from),
            Lead::Time(to),
            Lead::Time(cutoff),
            Lead::Int(settle.num_seconds()),
        ];
        self.filtered(&sql, &lead, filter).await
    }

    /// The survey answers of `[from, to)` per day since `from`.
    pub async fn daily_scores(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<DailyScores>, StoreError> {
        let day = self.dialect().days_since("s.answered_at", "$1");
        let sql = format!(
            "SELECT {day} AS day, COUNT(*) AS answers, CAST(SUM(s.score) AS BIGINT) AS score_sum \
             FROM surveys s WHERE s.state = 'answered' AND s.score IS NOT NULL \
             AND s.answered_at >= $1 AND s.answered_at < $2 AND {} GROUP BY 1",
            filter_sql(3, ["s.fact_channel", "s.fact_tier", "s.fact_assignee_id"])
        );
        self.filtered(&sql, &[Lead::Time(from), Lead::Time(to)], filter).await
    }

    /// The baseline of customers who never had a case (the marks migration
    /// 0037 keeps on each customer and feedback item): their ratings given
    /// in `[from, to)`; and of those who were customers at `from`, how many
    /// were still customers at `retained_until`.
    pub async fn never_failed(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        retained_until: DateTime<Utc>,
        tier: Option<Tier>,
    ) -> Result<NeverFailed, StoreError> {
        let tier = tier.map(|t| t.as_str());
        with_pool!(self, |pool| {
            let (ratings, rating_sum, rating_sum_squares, ratings_high): (i64, Option<i64>, Option<i64>, Option<i64>) =
                sqlx::query_as(
                    "SELECT COUNT(*), SUM(f.rating), SUM(f.rating * f.rating), \
                     SUM(CASE WHEN f.rating >= 4 THEN 1 ELSE 0 END) \
                     FROM feedback f WHERE f.never_failed = TRUE AND f.rating IS NOT NULL \
                     AND f.created_at >= $1 AND f.created_at < $2 \
                     AND ($3 IS NULL OR EXISTS (SELECT 1 FROM customers k WHERE k.id = f.customer_id AND k.tier = $3))",
                )
                .bind(from)
                .bind(to)
                .bind(tier)
                .fetch_one(pool)
                .await?;
            let (customers, retained): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), SUM(CASE WHEN k.churned_at IS NULL OR k.churned_at >= $2 THEN 1 ELSE 0 END) \
                 FROM customers k WHERE k.had_case = FALSE AND k.created_at < $1 \
                 AND (k.churned_at IS NULL OR k.churned_at >= $1) AND ($3 IS NULL OR k.tier = $3)",
            )
            .bind(from)
            .bind(retained_until)
            .bind(tier)
            .fetch_one(pool)
            .await?;
            Ok(NeverFailed {
                ratings,
                rating_sum: rating_sum.unwrap_or(0),
                rating_sum_squares: rating_sum_squares.unwrap_or(0),
                ratings_high: ratings_high.unwrap_or(0),
                customers,
                retained: retained.unwrap_or(0),
            })
        })
    }

    /// Goodwill granted in `[from, to)` on cases matching the filter.
    pub async fn goodwill_totals(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &AnalyticsFilter,
    ) -> Result<GoodwillTotals, StoreError> {
        // Every grant has its case (a foreign key): without a case filter
        // the grants are counted from `goodwill_grants_analytics` alone.
        let (join, case_filter) = if *filter == AnalyticsFilter::default() {
            ("", "($3 IS NULL AND $4 IS NULL AND $5 IS NULL)".to_string())
        } else {
            (" JOIN cases c ON c.id = g.case_id", case_filter_sql(3))
        };
        let sql = format!(
            "SELECT COUNT(*) AS grants, COUNT(DISTINCT g.case_id) AS cases, \
             COUNT(DISTINCT g.customer_id) AS customers, CAST(COALESCE(SUM(g.value_cents), 0) AS BIGINT) AS cents \
             FROM goodwill_grants g{join} \
             WHERE g.state = 'granted' AND g.granted_at >= $1 AND g.granted_at < $2 AND {case_filter}"
        );
        self.filtered_one(&sql, &[Lead::Time(from), Lead::Time(to)], filter)
            .await
    }

    /// Customers with a case created in `[from, to)` matching the filter:
    /// how many, and the sum of their lifetime values.
    pub async fn failed_customers(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &AnalyticsFilter,
    ) -> Result<(i64, i64), StoreError> {
        // The period's cases are read once (a range of `cases_analytics`)
        // and their customers looked up by key, instead of every customer
        // probing the cases.
        let sql = format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(k.clv_cents), 0) AS BIGINT) FROM customers k WHERE k.id IN \
             (SELECT c.customer_id FROM cases c WHERE c.created_at >= $1 AND c.created_at < $2 AND {})",
            case_filter_sql(3)
        );
        self.filtered_one(&sql, &[Lead::Time(from), Lead::Time(to)], filter)
            .await
    }

    /// Proactive incidents not yet resolved (open or mitigated).
    pub async fn open_incident_count(&self) -> Result<i64, StoreError> {
        with_pool!(self, |pool| {
            Ok(
                sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM incidents WHERE status <> 'resolved'")
                    .fetch_one(pool)
                    .await?,
            )
        })
    }
}

/// The cases created in a period, counted: how many, how their SLA clocks
/// stand, and per case its creation slot and how long its clocks ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseClocks {
    pub cases: i64,
    /// First responses given, or overdue at `now`.
    pub first_judged: i64,
    /// First responses given by their due time.
    pub first_met: i64,
    pub resolution_judged: i64,
    pub resolution_met: i64,
    /// Each case's 15-minute creation slot: whole seconds since 1970
    /// divided by 900 (rounded down). Every time zone's offset is a
    /// multiple of 15 minutes, so a slot falls in one local hour.
    pub slots: Vec<i64>,
    /// Whole seconds (truncated toward zero) from creation to the first
    /// response, of the cases that have one; in no particular order.
    pub first_response_seconds: Vec<i64>,
    /// The same to the resolution.
    pub resolution_seconds: Vec<i64>,
}

/// [`CaseClocks`] as the database gives it: the per-case numbers as text
/// lists (one row for the period instead of a row per case).
#[derive(sqlx::FromRow)]
struct CaseClockRow {
    cases: i64,
    first_judged: i64,
    first_met: i64,
    resolution_judged: i64,
    resolution_met: i64,
    slots: Option<String>,
    first_response_seconds: Option<String>,
    resolution_seconds: Option<String>,
}

/// The whole numbers of a comma-separated list (`string_agg`); none for
/// no list.
fn numbers(list: Option<&str>) -> Result<Vec<i64>, StoreError> {
    let Some(list) = list.filter(|l| !l.is_empty()) else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(|n| {
            n.trim().parse::<i64>().map_err(|e| {
                StoreError::Database(sqlx::Error::Decode(
                    format!("a whole number in a list: {n:?}: {e}").into(),
                ))
            })
        })
        .collect()
}

impl Store {
    /// The cases created in `[from, to)` that match the filter, with their
    /// SLA clocks judged at `now`: the same numbers [`Store::case_facts`]
    /// gives row by row, in one row (the creation slots only `with_slots`). The per-case numbers come from
    /// [`Dialect::case_number`](crate::dialect::Dialect::case_number), so
    /// on SQLite no text timestamp is taken apart.
    pub async fn case_clocks(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        filter: &AnalyticsFilter,
        now: DateTime<Utc>,
        with_slots: bool,
    ) -> Result<CaseClocks, StoreError> {
        let d = self.dialect();
        let list = |n: CaseNumber| format!("string_agg(CAST({} AS TEXT), ',')", d.case_number(n));
        let slots = if with_slots {
            list(CaseNumber::CreatedSlot)
        } else {
            "CAST(NULL AS TEXT)".to_string()
        };
        let sql = format!(
            "SELECT COUNT(*) AS cases, \
             CAST(COALESCE(SUM(CASE WHEN c.first_responded_at IS NOT NULL OR c.first_response_due_at < $6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS first_judged, \
             CAST(COALESCE(SUM(CASE WHEN c.first_responded_at <= c.first_response_due_at THEN 1 ELSE 0 END), 0) AS BIGINT) AS first_met, \
             CAST(COALESCE(SUM(CASE WHEN c.resolved_at IS NOT NULL OR c.resolution_due_at < $6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS resolution_judged, \
             CAST(COALESCE(SUM(CASE WHEN c.resolved_at <= c.resolution_due_at THEN 1 ELSE 0 END), 0) AS BIGINT) AS resolution_met, \
             {slots} AS slots, {first} AS first_response_seconds, {resolution} AS resolution_seconds \
             FROM cases c WHERE c.created_at >= $1 AND c.created_at < $2 AND {filter}",
            first = list(CaseNumber::FirstResponseSeconds),
            resolution = list(CaseNumber::ResolutionSeconds),
            filter = case_filter_sql(3),
        );
        let (channel, tier, assignee) = filter.binds();
        let row: CaseClockRow = with_pool!(self, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(from)
                .bind(to)
                .bind(channel)
                .bind(tier)
                .bind(assignee)
                .bind(now)
                .fetch_one(pool)
                .await
        })?;
        Ok(CaseClocks {
            cases: row.cases,
            first_judged: row.first_judged,
            first_met: row.first_met,
            resolution_judged: row.resolution_judged,
            resolution_met: row.resolution_met,
            slots: numbers(row.slots.as_deref())?,
            first_response_seconds: numbers(row.first_response_seconds.as_deref())?,
            resolution_seconds: numbers(row.resolution_seconds.as_deref())?,
        })
    }

    /// How many cases matching the filter were created between each two
    /// neighbouring `bounds` (ascending): `bounds.len() - 1` counts, each a
    /// range count of `cases_analytics`.
    pub async fn cases_created_between(
        &self,
        bounds: &[DateTime<Utc>],
        filter: &AnalyticsFilter,
    ) -> Result<Vec<i64>, StoreError> {
        self.range_counts("c.created_at", "TRUE", bounds, false, filter).await
    }
}

impl Store {
    /// How many cases matching the filter left the backlog (as
    /// [`Store::backlog_exits`] times it) between each two neighbouring
    /// `bounds` (ascending), and, if `and_after`, at or after the last
    /// bound: `bounds.len() - 1` counts, and one more `and_after`, each a
    /// range count of `cases_backlog_exits`.
    pub async fn backlog_exits_between(
        &self,
        bounds: &[DateTime<Utc>],
        and_after: bool,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<i64>, StoreError> {
        self.range_counts(
            "COALESCE(c.resolved_at, c.closed_at, c.updated_at)",
            "c.open = FALSE",
            bounds,
            and_after,
            filter,
        )
        .await
    }

    /// How many cases matching `condition` and the filter have the time
    /// `expr` between each two neighbouring `bounds` (ascending), and, if
    /// `and_after`, at or after the last: one index range count each, in
    /// one statement, so that no row's time is taken apart.
    async fn range_counts(
        &self,
        expr: &str,
        condition: &str,
        bounds: &[DateTime<Utc>],
        and_after: bool,
        filter: &AnalyticsFilter,
    ) -> Result<Vec<i64>, StoreError> {
        let ranges = if and_after {
            bounds.len()
        } else {
            bounds.len().saturating_sub(1)
        };
        if ranges == 0 {
            return Ok(Vec::new());
        }
        let filter_sql = case_filter_sql(1);
        // The bounds are binds `$4`…; range `i` is `[$4+i, $5+i)`, the one
        // after the last bound open.
        let sql = (0..ranges)
            .map(|i| {
                let upper = if i + 1 < bounds.len() {
                    format!(" AND {expr} < ${}", i + 5)
                } else {
                    String::new()
                };
                format!(
                    "SELECT CAST({i} AS BIGINT) AS k, COUNT(*) AS n FROM cases c \
                     WHERE {condition} AND {expr} >= ${}{upper} AND {filter_sql}",
                    i + 4
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let (channel, tier, assignee) = filter.binds();
        let rows: Vec<(i64, i64)> = with_pool!(self, |pool| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(channel)
                .bind(tier)
                .bind(assignee);
            for &b in bounds {
                q = q.bind(b);
            }
            q.fetch_all(pool).await
        })?;
        let mut out = vec![0; ranges];
        for (k, n) in rows {
            if let Some(slot) = usize::try_from(k).ok().and_then(|k| out.get_mut(k)) {
                *slot = n;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_code_comes_apart_into_its_facts() {
        // Score 4, solved, repeat unknown, not controllable, within a day,
        // goodwill, too early to tell.
        let code = ((((((4 * 3 + 1) * 3 + 2) * 3) * 4 + 1) * 2 + 1) * 3) + 2;
        let g = SurveyCode {
            severity: Some(2),
            code,
            answers: 7,
        }
        .group();
        assert_eq!(
            g,
            SurveyGroup {
                score: 4,
                solved: Some(true),
                severity: Some(2),
                repeat_failure: None,
                controllable: Some(false),
                response_band: Some(1),
                goodwill: true,
                retained: None,
                answers: 0,
            }
        );
        // Score 1, nothing known, no response, retained.
        let g = SurveyCode {
            severity: None,
            code: (((((3 + 2) * 3 + 2) * 3 + 2) * 4 + 3) * 2) * 3 + 1,
            answers: 1,
        }
        .group();
        assert_eq!(
            (g.score, g.solved, g.repeat_failure, g.controllable),
            (1, None, None, None)
        );
        assert_eq!((g.response_band, g.goodwill, g.retained), (None, false, Some(true)));
    }

    #[test]
    fn slices_cover_the_period_once() {
        let from = DateTime::<Utc>::from_timestamp(1_000_000_007, 0).expect("time");
        let to = from + chrono::Duration::days(180) + chrono::Duration::microseconds(3);
        let slices = slices_of(from, to);
        assert!(!slices.is_empty());
        assert_eq!(slices.first().map(|s| s.0), Some(from));
        assert_eq!(slices.last().map(|s| s.1), Some(to));
        assert!(slices.windows(2).all(|w| w[0].1 == w[1].0 && w[0].0 < w[0].1));
        assert!(slices_of(from, from).is_empty());
    }
}
