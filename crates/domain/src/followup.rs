//! Follow-up rules: durations in configuration, retry backoff, survey
//! scores, survey fatigue and when an answer counts as negative. Pure: the
//! caller passes times and counts in.

use crate::error::ValidationError;
use chrono::Duration;

/// Parses a duration such as `0s`, `90s`, `15m`, `4h`, `2d` or `1w`.
pub fn parse_duration(field: &str, raw: &str) -> Result<Duration, ValidationError> {
    let s = raw.trim();
    let bad = || ValidationError::new(field, format!("`{raw}` is not a duration like 0s, 30m, 4h or 2d"));
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| bad())?;
    if n > 10_000_000 {
        return Err(bad());
    }
    match unit.trim() {
        "ms" => Ok(Duration::milliseconds(n)),
        "s" => Ok(Duration::seconds(n)),
        "m" | "min" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        "w" => Ok(Duration::weeks(n)),
        _ => Err(bad()),
    }
}

/// Delay before retry number `attempt` (1-based: the attempt that just
/// failed): `base · 2^(attempt-1)`, capped at `cap`.
#[must_use]
pub fn backoff(base: Duration, attempt: i32, cap: Duration) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(20);
    let ms = base.num_milliseconds().saturating_mul(1_i64 << exp);
    Duration::milliseconds(ms).min(cap)
}

/// A CSAT score, 1 (very unhappy) to 5 (very happy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Score(u8);

impl Score {
    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        if (1..=5).contains(&raw) {
            Ok(Score(u8::try_from(raw).unwrap_or(1)))
        } else {
            Err(ValidationError::new(
                "score",
                format!("score must be 1 to 5, got {raw}"),
            ))
        }
    }

    #[must_use]
    pub fn get(self) -> u8 {
        self.0
    }
}

/// Whether a survey answer means the recovery failed: a score of 2 or
/// less, or a comment that reads negative.
#[must_use]
pub fn is_negative_answer(score: Score, comment_is_negative: bool) -> bool {
    score.get() <= 2 || comment_is_negative
}

/// Survey fatigue: may another survey go to a customer who already got
/// `recent` surveys within the period, with at most `max_per_period`?
#[must_use]
pub fn may_survey(recent: i64, max_per_period: u32) -> bool {
    recent < i64::from(max_per_period)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("d", "0s").ok(), Some(Duration::zero()));
        assert_eq!(parse_duration("d", "4h").ok(), Some(Duration::hours(4)));
        assert_eq!(parse_duration("d", "2d").ok(), Some(Duration::days(2)));
        assert_eq!(parse_duration("d", " 15m ").ok(), Some(Duration::minutes(15)));
        assert!(parse_duration("d", "soon").is_err());
        assert!(parse_duration("d", "4").is_err());
        assert!(parse_duration("d", "-4h").is_err());
        assert!(parse_duration("d", "4y").is_err());
    }

    #[test]
    fn backoff_grows_and_caps() {
        let b = Duration::seconds(10);
        let cap = Duration::hours(1);
        assert_eq!(backoff(b, 1, cap), Duration::seconds(10));
        assert_eq!(backoff(b, 2, cap), Duration::seconds(20));
        assert_eq!(backoff(b, 4, cap), Duration::seconds(80));
        assert_eq!(backoff(b, 30, cap), cap);
    }

    #[test]
    fn scores_and_negative_answers() {
        assert!(Score::parse(9).is_err());
        assert!(Score::parse(0).is_err());
        let two = Score::parse(2).expect("2");
        let four = Score::parse(4).expect("4");
        assert!(is_negative_answer(two, false));
        assert!(!is_negative_answer(four, false));
        assert!(is_negative_answer(four, true));
        assert!(may_survey(0, 1));
        assert!(!may_survey(1, 1));
    }
}
