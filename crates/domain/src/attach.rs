//! Whether a feedback item joins one of the customer's open cases (rule
//! action `attach_or_open`) or opens its own.
//!
//! It joins a case only when it belongs there: it names the case (its
//! reference `#1a2b3c4d` in the text or a field), or it shares a topic
//! with the feedback already on the case and arrived within the window the
//! admin set, counted from the case's last customer message. Otherwise the
//! caller opens a new case. The clock is not read here: the item's time
//! is a fact like the others.

use crate::CaseId;
use crate::error::ValidationError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The window's default in days (see the `detection_settings` table).
pub const DEFAULT_WINDOW_DAYS: i32 = 14;
/// The longest window in days.
pub const MAX_WINDOW_DAYS: i32 = 365;

/// One open case of the customer, as the decision sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCase {
    pub id: CaseId,
    /// Topics of the feedback on the case.
    pub topics: Vec<String>,
    /// The case's last customer message (or its opening when it has none).
    pub last_customer_message_at: DateTime<Utc>,
}

/// Why an item joined a case; stored with its timeline message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum AttachReason {
    /// The item names the case by its reference.
    Reference,
    /// A mail reply to the case's thread (In-Reply-To, References or the
    /// reference in the subject).
    Reply,
    /// The item shares `topic` with the case and came within `days` days.
    Topic { topic: String, days: i32 },
}

/// The facts of one item.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The case reference the item names (8 hex digits), if any.
    pub reference: Option<&'a str>,
    pub topics: &'a [String],
    pub at: DateTime<Utc>,
}

/// The case `item` joins and why, or `None`: it opens its own case.
/// `open` is the customer's open cases, newest first; `window_days` 0
/// never attaches by topic.
#[must_use]
pub fn decide(item: &Item<'_>, open: &[OpenCase], window_days: i32) -> Option<(CaseId, AttachReason)> {
    if let Some(r) = item.reference
        && let Some(c) = open.iter().find(|c| c.id.short().eq_ignore_ascii_case(r))
    {
        return Some((c.id, AttachReason::Reference));
    }
    if window_days <= 0 {
        return None;
    }
    let window = Duration::days(i64::from(window_days));
    open.iter()
        .filter(|c| item.at.signed_duration_since(c.last_customer_message_at) <= window)
        .find_map(|c| {
            let mut shared: Vec<&String> = item.topics.iter().filter(|t| c.topics.contains(t)).collect();
            shared.sort();
            shared.first().map(|t| {
                (
                    c.id,
                    AttachReason::Topic {
                        topic: (*t).clone(),
                        days: window_days,
                    },
                )
            })
        })
}

/// The first case reference in `text`: `#` and 8 hex digits, not part of
/// a longer word (`#3f9a12c4`, `[#3f9a12c4]`), lower case.
#[must_use]
pub fn reference_in(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find('#') {
        let start = from + i + 1;
        let end = start + 8;
        if end <= bytes.len()
            && bytes[start..end].iter().all(u8::is_ascii_hexdigit)
            && bytes.get(end).is_none_or(|b| !b.is_ascii_alphanumeric())
        {
            return Some(text[start..end].to_ascii_lowercase());
        }
        from = start;
    }
    None
}

/// A case reference given in a field: 8 hex digits, a leading `#` allowed.
pub fn parse_reference(field: &'static str, s: &str) -> Result<String, ValidationError> {
    let r = s.trim();
    let r = r.strip_prefix('#').unwrap_or(r);
    if r.len() == 8 && r.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(r.to_ascii_lowercase())
    } else {
        Err(ValidationError::new(
            field,
            "a case reference is 8 hexadecimal digits, e.g. #3f9a12c4",
        ))
    }
}

/// The window in days, 0 to [`MAX_WINDOW_DAYS`].
pub fn window_days(days: i64) -> Result<i32, ValidationError> {
    i32::try_from(days)
        .ok()
        .filter(|d| (0..=MAX_WINDOW_DAYS).contains(d))
        .ok_or_else(|| ValidationError::new("days", format!("the window is 0 to {MAX_WINDOW_DAYS} days")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).single().expect("date")
    }

    fn case(n: u128, topics: &[&str], last: u32) -> OpenCase {
        OpenCase {
            id: CaseId(Uuid::from_u128(n)),
            topics: topics.iter().map(|t| (*t).to_string()).collect(),
            last_customer_message_at: at(last),
        }
    }

    fn topics(ts: &[&str]) -> Vec<String> {
        ts.iter().map(|t| (*t).to_string()).collect()
    }

    #[test]
    fn an_unrelated_topic_opens_its_own_case() {
        let open = [case(0x1234_5678, &["delivery"], 1)];
        let ts = topics(&["search"]);
        let item = Item {
            reference: None,
            topics: &ts,
            at: at(2),
        };
        assert_eq!(decide(&item, &open, 14), None);
    }

    #[test]
    fn a_shared_topic_within_the_window_attaches_to_the_newest_such_case() {
        let open = [
            case(3, &["billing"], 5),
            case(2, &["delivery", "refund"], 4),
            case(1, &["delivery"], 4),
        ];
        let ts = topics(&["refund", "delivery"]);
        let item = Item {
            reference: None,
            topics: &ts,
            at: at(18),
        };
        let (id, why) = decide(&item, &open, 14).expect("attached");
        assert_eq!(id, CaseId(Uuid::from_u128(2)));
        assert_eq!(
            why,
            AttachReason::Topic {
                topic: "delivery".into(),
                days: 14
            }
        );
    }

    #[test]
    fn a_shared_topic_after_the_window_or_with_window_zero_opens_a_case() {
        let open = [case(1, &["delivery"], 1)];
        let ts = topics(&["delivery"]);
        let late = Item {
            reference: None,
            topics: &ts,
            at: at(16),
        };
        assert_eq!(decide(&late, &open, 14), None);
        assert!(decide(&late, &open, 15).is_some());
        let soon = Item { at: at(2), ..late };
        assert_eq!(decide(&soon, &open, 0), None);
    }

    #[test]
    fn a_reference_attaches_whatever_the_topic_and_time() {
        let open = [case(0xabcd, &["delivery"], 1), case(0x3f9a_12c4, &[], 1)];
        let ts = topics(&["search"]);
        let item = Item {
            reference: Some("3F9A12C4"),
            topics: &ts,
            at: at(30),
        };
        assert_eq!(
            decide(&item, &open, 0),
            Some((CaseId(Uuid::from_u128(0x3f9a_12c4)), AttachReason::Reference))
        );
        let other = Item {
            reference: Some("00000001"),
            ..item
        };
        assert_eq!(decide(&other, &open, 14), None, "a reference to no open case of theirs");
    }

    #[test]
    fn references_are_found_in_text_and_fields() {
        assert_eq!(reference_in("Re: [#3F9a12c4] parcel").as_deref(), Some("3f9a12c4"));
        assert_eq!(reference_in("see case #3f9a12c4."), Some("3f9a12c4".into()));
        assert_eq!(reference_in("#3f9a12c4ff is longer"), None);
        assert_eq!(reference_in("# 3f9a12c4 and #xyz"), None);
        assert_eq!(reference_in("#12 then #deadbeef"), Some("deadbeef".into()));
        assert_eq!(reference_in("ü#ü"), None);
        assert_eq!(parse_reference("r", " #DEADBEEF ").as_deref(), Ok("deadbeef"));
        assert!(parse_reference("r", "dead").is_err());
        assert_eq!(window_days(0), Ok(0));
        assert!(window_days(366).is_err());
        assert!(window_days(-1).is_err());
    }
}
