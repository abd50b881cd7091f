//! Measure and learn: the team lead's dashboard figures and the service
//! recovery paradox. The store selects the facts of a period; the pure
//! functions here turn them into figures with honest statistics
//! (`amends-stats`), so each figure is tested on known numbers.

pub mod case_stats;
pub mod churn;
pub mod churn_words;
pub mod fairness;
pub mod kpis;
pub mod paradox;
pub mod pattern_words;
pub mod patterns;
pub mod playbooks;
pub mod risks;
pub mod roi;
pub mod spikes;
pub mod statement;

use crate::App;
use crate::error::{AppError, AppResult};
use amends_store::AnalyticsFilter;
use chrono::{DateTime, Duration, Utc};

/// The longest period a report covers.
pub const MAX_DAYS: i64 = 366;
/// The period when none is asked for.
pub const DEFAULT_DAYS: i64 = 30;
/// How long after the resolution a customer counts as retained if still a
/// customer then (the default of `settle_days`).
pub const DEFAULT_SETTLE_DAYS: i64 = 30;

/// A period `[from, to)` and the cases it looks at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scope {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub filter: AnalyticsFilter,
}

impl Scope {
    /// The last `days` days up to `now` (1 to [`MAX_DAYS`]).
    pub fn last_days(now: DateTime<Utc>, days: Option<i64>, filter: AnalyticsFilter) -> AppResult<Scope> {
        let days = within("days", days, DEFAULT_DAYS, 1..=MAX_DAYS)?;
        Ok(Scope {
            from: now - Duration::days(days),
            to: now,
            filter,
        })
    }

    /// The period of the same length just before this one.
    #[must_use]
    pub fn previous(&self) -> Scope {
        Scope {
            from: self.from - (self.to - self.from),
            to: self.from,
            filter: self.filter,
        }
    }

    #[must_use]
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days()
    }
}

/// Whether the patterns report lets the database count feedback by time
/// (PostgreSQL, whose timestamps are binary) rather than read the period's
/// rows (SQLite, whose text timestamps cost more to take apart in SQL than
/// to read). Both ways give the same figures (tests compare them on both
/// backends). The dashboard counts cases in SQL on both: SQLite keeps the
/// numbers it needs as generated columns (`Dialect::case_number`).
fn counts_in_sql(app: &App) -> bool {
    app.store().kind() == amends_store::BackendKind::Postgres
}

/// Checks `settle_days` (0 to 365).
pub fn settle_days(days: Option<i64>) -> AppResult<i64> {
    within("settle_days", days, DEFAULT_SETTLE_DAYS, 0..=365)
}

/// `value`, or `default` where none is given, if it lies in `range`; else
/// the validation error of `field`.
pub(crate) fn within(
    field: &str,
    value: Option<i64>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> AppResult<i64> {
    let v = value.unwrap_or(default);
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(AppError::validation(
            field,
            format!("{field} must be {} to {}, got {v}", range.start(), range.end()),
        ))
    }
}

fn hours(d: Duration) -> f64 {
    d.num_seconds() as f64 / 3600.0
}

/// `part / whole` in percent, none for an empty whole.
fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// The false discovery rate at which a difference counts as shown.
pub const FDR: f64 = 0.05;

/// What a cell of a report shows against its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Above the baseline (q < [`FDR`]); for recovered cells of the paradox: the paradox.
    Above,
    /// Below the baseline (q < [`FDR`]).
    Below,
    NoDifference,
    /// Fewer than `amends_stats::MIN_GROUP` units or trials: not judged.
    TooSmall,
}

impl Verdict {
    /// The verdict of a judged cell from its Benjamini–Hochberg q-value and
    /// which side of the baseline it lies on.
    #[must_use]
    pub fn of(q: f64, above: bool) -> Verdict {
        if q >= FDR {
            Verdict::NoDifference
        } else if above {
            Verdict::Above
        } else {
            Verdict::Below
        }
    }

    /// The Fluent key of the verdict in the sentences of `report`
    /// (`paradox`, `patterns`): `paradox-verdict-above`, `-below`, `-none`.
    #[must_use]
    pub fn key(self, report: &str) -> String {
        let word = match self {
            Verdict::Above => "above",
            Verdict::Below => "below",
            Verdict::NoDifference | Verdict::TooSmall => "none",
        };
        format!("{report}-verdict-{word}")
    }
}
