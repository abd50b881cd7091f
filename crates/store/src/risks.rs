//! Read model of the risk register: per area of one kind (topic, component,
//! incident kind, release), the feedback items and complaints of a period,
//! the cases of its failures, the goodwill granted on them and the lifetime
//! value of the customers who left after a failure — each one grouped
//! query, however many rows the period holds. The ranking is computed by
//! `amends_app::analytics::risks`.

use crate::dialect::{Dialect, ExplainPlan};
use crate::rows::Row;
use crate::{Store, StoreError, with_pool};
use amends_domain::risk::AreaKind;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The counts of one area in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AreaCounts {
    pub area: String,
    /// Feedback items of the area created in the period.
    pub items: i64,
    /// Of them, complaints: negative sentiment or a rating of 1 or 2.
    pub failures: i64,
    /// Cases of the failures: those the complaints belong to, and the
    /// cases opened in the period by incidents of the area.
    pub cases: i64,
    /// Goodwill granted on those cases before the period's end.
    pub goodwill_cents: i64,
    /// Customers of the failures who left at or after a failure of the
    /// area and less than `churn_days` after it, before the period's end.
    pub churned: i64,
    /// The sum of their lifetime values.
    pub churned_cents: i64,
}

/// How often the failures of a component or release area are about one
/// topic (`what` = `topic`) or came from one incident kind
/// (`what` = `incident_kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AreaMix {
    pub area: String,
    pub what: String,
    pub value: String,
    pub n: i64,
}

/// A complaint, as SQL over the feedback alias `f`.
const FAILURE: &str = "CASE WHEN f.sentiment = 'negative' OR f.rating <= 2 THEN 1 ELSE 0 END";

/// The feedback items of `kind`'s areas created in `[$1, $2)`: `area`,
/// `customer_id`, `case_id`, `at`, `failure` (1 or 0), `topics` (JSON)
/// and the `incident_kind` of the item's case.
fn items_sql(d: Dialect, kind: AreaKind) -> String {
    let cols = |area: &str, incident_kind: &str| {
        format!(
            "SELECT {area} AS area, f.customer_id, f.case_id, f.created_at AS at, {FAILURE} AS failure, \
             f.topics, {incident_kind} AS incident_kind FROM feedback f"
        )
    };
    let period = "f.created_at >= $1 AND f.created_at < $2";
    let incident = "LEFT JOIN cases c ON c.id = f.case_id LEFT JOIN incidents i ON i.id = c.incident_id";
    // Only items on an incident's case: inner joins let the planner start
    // from the incidents' cases (`cases_incident`) where that is cheaper.
    let on_incident = "JOIN cases c ON c.id = f.case_id JOIN incidents i ON i.id = c.incident_id";
    // Topic areas need no incident facts: their playbook is the topic's.
    let cols_i = |area: &str| cols(area, "i.kind");
    match kind {
        AreaKind::Topic => format!(
            "{} CROSS JOIN {} WHERE {period}",
            cols("t.value", "CAST(NULL AS TEXT)"),
            d.json_array_elements("f.topics", "t")
        ),
        AreaKind::Component => format!(
            "{} {incident} WHERE {period} AND COALESCE(f.component, i.component) IS NOT NULL",
            cols_i("COALESCE(f.component, i.component)")
        ),
        AreaKind::IncidentKind => format!(
            "{} {on_incident} WHERE {period} AND c.incident_id IS NOT NULL",
            cols_i("i.kind")
        ),
        AreaKind::Release => format!(
            "{} {on_incident} WHERE {period} AND c.incident_id IS NOT NULL AND i.release IS NOT NULL",
            cols_i("i.release")
        ),
    }
}

/// The cases incidents of `kind`'s areas opened in `[$1, $2)` (`area`,
/// `customer_id`, `case_id`, `at`, `incident_kind`); none for topics.
fn incident_cases_sql(kind: AreaKind) -> Option<String> {
    let area = match kind {
        AreaKind::Topic => return None,
        AreaKind::Component => "i.component",
        AreaKind::IncidentKind => "i.kind",
        AreaKind::Release => "i.release",
    };
    Some(format!(
        "SELECT {area} AS area, c.customer_id, c.id AS case_id, c.created_at AS at, i.kind AS incident_kind \
         FROM cases c JOIN incidents i ON i.id = c.incident_id \
         WHERE c.incident_id IS NOT NULL AND c.created_at >= $1 AND c.created_at < $2 AND {area} IS NOT NULL"
    ))
}

/// `WITH items AS (…), failed AS (…)`: the failures are the complaints
/// and the incidents' cases.
fn with_failures(d: Dialect, kind: AreaKind) -> String {
    let complaints = "SELECT area, customer_id, case_id, at, incident_kind FROM items WHERE failure = 1";
    let failed = match incident_cases_sql(kind) {
        Some(cases) => format!("{complaints} UNION ALL {cases}"),
        None => complaints.to_string(),
    };
    format!("WITH items AS ({}), failed AS ({failed}) ", items_sql(d, kind))
}

/// The statement of [`Store::risk_areas`], binding `from` at `$1` and `to` at `$2`.
fn areas_sql(d: Dialect, kind: AreaKind, churn_days: i64) -> String {
    let within = d.days_since("l.churned_at", "w.at");
    format!(
        "{}SELECT area, CAST(SUM(items) AS BIGINT) AS items, CAST(SUM(failures) AS BIGINT) AS failures, \
             CAST(SUM(cases) AS BIGINT) AS cases, CAST(SUM(goodwill_cents) AS BIGINT) AS goodwill_cents, \
             CAST(SUM(churned) AS BIGINT) AS churned, CAST(SUM(churned_cents) AS BIGINT) AS churned_cents FROM ( \
               SELECT area, COUNT(*) AS items, CAST(SUM(failure) AS BIGINT) AS failures, 0 AS cases, \
               0 AS goodwill_cents, 0 AS churned, 0 AS churned_cents FROM items GROUP BY area \
             UNION ALL \
               SELECT area, 0, 0, COUNT(DISTINCT case_id), 0, 0, 0 FROM failed WHERE case_id IS NOT NULL GROUP BY area \
             UNION ALL \
               SELECT x.area, 0, 0, 0, CAST(SUM(g.value_cents) AS BIGINT), 0, 0 \
               FROM (SELECT DISTINCT area, case_id FROM failed WHERE case_id IS NOT NULL) x \
               JOIN goodwill_grants g ON g.case_id = x.case_id \
               WHERE g.state = 'granted' AND g.granted_at < $2 GROUP BY x.area \
             UNION ALL \
               SELECT x.area, 0, 0, 0, 0, COUNT(*), CAST(SUM(k.clv_cents) AS BIGINT) \
               FROM (SELECT DISTINCT w.area, w.customer_id FROM failed w JOIN customers l ON l.id = w.customer_id \
                     WHERE l.churned_at >= w.at AND l.churned_at < $2 AND {within} < {churn_days}) x \
               JOIN customers k ON k.id = x.customer_id GROUP BY x.area \
             ) parts GROUP BY area ORDER BY area",
        with_failures(d, kind)
    )
}

impl Store {
    /// The counts of every area of `kind` with a feedback item or a
    /// failure in `[from, to)`, by area; a customer counts as lost to an
    /// area when they left less than `churn_days` after one of its failures.
    pub async fn risk_areas(
        &self,
        kind: AreaKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        churn_days: i64,
    ) -> Result<Vec<AreaCounts>, StoreError> {
        self.risk_rows(&areas_sql(self.dialect(), kind, churn_days), from, to)
            .await
    }

    /// The database's plan for [`Store::risk_areas`], as text (a test
    /// checks that it reads the period's feedback by index, never the
    /// whole table; see `dialect::ExplainPlan`).
    pub async fn explain_risk_areas(
        &self,
        kind: AreaKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        churn_days: i64,
    ) -> Result<String, StoreError> {
        let sql = areas_sql(self.dialect(), kind, churn_days);
        with_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(pool.explain_prefix());
            // Each `$1` and `$2` becomes a bound parameter of its own.
            let mut rest = sql.as_str();
            while let Some(i) = rest.find('$') {
                q.push(&rest[..i]);
                match &rest[i + 1..i + 2] {
                    "1" => q.push_bind(from),
                    _ => q.push_bind(to),
                };
                rest = &rest[i + 2..];
            }
            q.push(rest);
            Ok(pool.plan_text(q).await?)
        })
    }

    /// For component and release areas: how often their failures in
    /// `[from, to)` are about each topic and came from each incident kind
    /// (the facts a playbook matches on). Empty for the other kinds, whose
    /// areas are those facts.
    pub async fn risk_area_mix(
        &self,
        kind: AreaKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AreaMix>, StoreError> {
        if matches!(kind, AreaKind::Topic | AreaKind::IncidentKind) {
            return Ok(Vec::new());
        }
        let d = self.dialect();
        let sql = format!(
            "{}SELECT x.area, 'topic' AS what, t.value AS value, COUNT(*) AS n \
             FROM items x CROSS JOIN {} WHERE x.failure = 1 GROUP BY x.area, t.value \
             UNION ALL \
             SELECT area, 'incident_kind', incident_kind, COUNT(*) FROM failed \
             WHERE incident_kind IS NOT NULL GROUP BY area, incident_kind \
             ORDER BY 1, 2, 3",
            with_failures(d, kind),
            d.json_array_elements("x.topics", "t")
        );
        self.risk_rows(&sql, from, to).await
    }

    async fn risk_rows<T: Row>(&self, sql: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<T>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.to_owned()))
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await?)
        })
    }
}
