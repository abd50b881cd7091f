//! Customers and their service tiers.

use crate::case::string_enum;
use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// The service tier: selects SLA targets and goodwill limits.
    Tier, "tier" {
        Standard => "standard",
        Premium => "premium",
        Enterprise => "enterprise",
    }
);

/// The largest customer value accepted (10 billion in major units), so
/// that the sums over a million customers stay within 64 bits.
pub const MAX_CLV_CENTS: i64 = 1_000_000_000_000;

/// Customer lifetime value in minor units (cents); never negative, at most
/// [`MAX_CLV_CENTS`].
pub fn parse_clv_cents(field: &str, value: i64) -> Result<i64, ValidationError> {
    if value < 0 {
        return Err(ValidationError::new(
            field,
            format!("{field} must not be negative, got {value}"),
        ));
    }
    if value > MAX_CLV_CENTS {
        return Err(ValidationError::new(
            field,
            format!("{field} must be at most {MAX_CLV_CENTS} (minor units), got {value}"),
        ));
    }
    Ok(value)
}

impl Tier {
    /// A badge for the inbox: premium and enterprise customers stand out.
    #[must_use]
    pub fn is_high_value(self) -> bool {
        !matches!(self, Tier::Standard)
    }
}

/// One feedback item's sentiment score (−1 … 1) at a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SentimentSample {
    pub at: chrono::DateTime<chrono::Utc>,
    pub score: f64,
}

/// A customer's sentiment in one calendar month (UTC).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentimentMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Mean score, −1 … 1.
    pub average: f64,
    pub count: u32,
    /// Items scored negative (below −0.05, the analyser's threshold).
    pub negative: u32,
}

string_enum!(
    /// Where a customer's sentiment is heading.
    SentimentTrend, "trend" {
        Improving => "improving",
        Worsening => "worsening",
        Steady => "steady",
        Unknown => "unknown",
    }
);

/// Groups samples by calendar month (oldest first) with the mean score;
/// scores outside −1 … 1 are clamped, non-finite ones skipped.
#[must_use]
pub fn sentiment_by_month(samples: &[SentimentSample]) -> Vec<SentimentMonth> {
    use chrono::Datelike;
    let mut by: std::collections::BTreeMap<(i32, u32), (f64, u32, u32)> = std::collections::BTreeMap::new();
    for s in samples.iter().filter(|s| s.score.is_finite()) {
        let score = s.score.clamp(-1.0, 1.0);
        let e = by.entry((s.at.year(), s.at.month())).or_insert((0.0, 0, 0));
        e.0 += score;
        e.1 += 1;
        if score < -0.05 {
            e.2 += 1;
        }
    }
    by.into_iter()
        .map(|((y, m), (sum, count, negative))| SentimentMonth {
            month: format!("{y:04}-{m:02}"),
            average: sum / f64::from(count),
            count,
            negative,
        })
        .collect()
}

/// The trend from the first to the last month: a change of more than 0.2
/// in the mean score is improving or worsening; one month is unknown.
#[must_use]
pub fn sentiment_trend(months: &[SentimentMonth]) -> SentimentTrend {
    match (months.first(), months.last()) {
        (Some(a), Some(b)) if months.len() > 1 => {
            let d = b.average - a.average;
            if d > 0.2 {
                SentimentTrend::Improving
            } else if d < -0.2 {
                SentimentTrend::Worsening
            } else {
                SentimentTrend::Steady
            }
        }
        _ => SentimentTrend::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_parse() {
        assert_eq!("premium".parse::<Tier>().expect("ok"), Tier::Premium);
        assert!("gold".parse::<Tier>().is_err());
        assert!(parse_clv_cents("clv", -1).is_err());
        assert_eq!(parse_clv_cents("clv", MAX_CLV_CENTS), Ok(MAX_CLV_CENTS));
        assert!(
            parse_clv_cents("clv", MAX_CLV_CENTS + 1).is_err(),
            "sums over customers must not overflow"
        );
    }

    fn at(y: i32, m: u32, d: u32) -> chrono::DateTime<chrono::Utc> {
        use chrono::TimeZone;
        chrono::Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).single().expect("date")
    }

    #[test]
    fn sentiment_by_month_averages_and_orders() {
        let s = |y, m, d, score| SentimentSample { at: at(y, m, d), score };
        let months = sentiment_by_month(&[
            s(2026, 3, 5, 0.5),
            s(2025, 12, 31, -0.8),
            s(2026, 3, 1, -0.1),
            s(2025, 12, 1, -2.0),
            s(2026, 3, 2, f64::NAN),
        ]);
        assert_eq!(months.len(), 2);
        assert_eq!(months[0].month, "2025-12");
        assert!(
            (months[0].average + 0.9).abs() < 1e-9,
            "clamped to -1: {}",
            months[0].average
        );
        assert_eq!((months[0].count, months[0].negative), (2, 2));
        assert_eq!(months[1].month, "2026-03");
        assert!((months[1].average - 0.2).abs() < 1e-9);
        assert_eq!((months[1].count, months[1].negative), (2, 1));
        assert_eq!(sentiment_trend(&months), SentimentTrend::Improving);
        assert_eq!(sentiment_trend(&months[..1]), SentimentTrend::Unknown);
        assert_eq!(sentiment_trend(&[]), SentimentTrend::Unknown);
        let mut down = months.clone();
        down.reverse();
        assert_eq!(sentiment_trend(&down), SentimentTrend::Worsening);
        assert!(sentiment_by_month(&[]).is_empty());
    }
}
