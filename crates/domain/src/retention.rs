//! Retention of closed cases: how long their personal texts are kept.

use crate::error::ValidationError;
use chrono::{DateTime, Months, Utc};

/// The longest retention an admin may set (20 years).
pub const MAX_MONTHS: i32 = 240;

/// A retention setting as entered: `None` (off) or 1 to [`MAX_MONTHS`] months.
pub fn months(value: Option<i64>) -> Result<Option<i32>, ValidationError> {
    match value {
        None => Ok(None),
        Some(m) if (1..=i64::from(MAX_MONTHS)).contains(&m) => Ok(i32::try_from(m).ok()),
        Some(m) => Err(ValidationError::new(
            "months",
            format!("months must be between 1 and {MAX_MONTHS} (or empty to keep cases), got {m}"),
        )),
    }
}

/// Cases closed before this time are past a retention of `months` at `now`
/// (calendar months: on 31 March, one month back is 28 or 29 February).
#[must_use]
pub fn closed_before(now: DateTime<Utc>, months: i32) -> DateTime<Utc> {
    let back = Months::new(u32::try_from(months.max(0)).unwrap_or(0));
    now.checked_sub_months(back).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn months_are_between_one_and_the_maximum_or_off() {
        assert_eq!(months(None), Ok(None));
        assert_eq!(months(Some(1)), Ok(Some(1)));
        assert_eq!(months(Some(240)), Ok(Some(240)));
        for bad in [0, -3, 241] {
            let e = months(Some(bad)).expect_err("refused");
            assert_eq!(e.field, "months");
            assert!(e.message.contains(&bad.to_string()), "{}", e.message);
        }
    }

    #[test]
    fn the_cutoff_counts_calendar_months() {
        let now = Utc.with_ymd_and_hms(2026, 3, 31, 12, 0, 0).single().expect("time");
        let feb = Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).single().expect("time");
        assert_eq!(closed_before(now, 1), feb);
        let year = Utc.with_ymd_and_hms(2025, 3, 31, 12, 0, 0).single().expect("time");
        assert_eq!(closed_before(now, 12), year);
    }
}
