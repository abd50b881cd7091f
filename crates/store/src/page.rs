//! Keyset pagination: an opaque cursor holds the sort key of the last row.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The position after the last row of a page. Opaque to clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The id of the last row.
    pub id: Uuid,
    /// The secondary sort key of the last row, when sorting by time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
}

impl Cursor {
    /// What every cursor looks like: the id as 32 lower-case hex digits,
    /// then, when sorting by time, `_`, the seconds since 1970, `_` and the
    /// nanoseconds (no `.`: the inbox joins cursors with it). Any text of
    /// this form is a cursor (the API document states it).
    pub const PATTERN: &'static str = "^[0-9a-f]{32}(_-?[0-9]{1,12}_[0-9]{1,9})?$";

    #[must_use]
    pub fn encode(&self) -> String {
        let id = self.id.simple();
        match self.at {
            Some(at) if at.timestamp().unsigned_abs() < 1_000_000_000_000 => {
                format!("{id}_{}_{}", at.timestamp(), at.timestamp_subsec_nanos())
            }
            _ => id.to_string(),
        }
    }

    /// `None` when the text is not of the form [`Cursor::PATTERN`].
    #[must_use]
    pub fn decode(s: &str) -> Option<Self> {
        let mut parts = s.splitn(3, '_');
        let id = parts.next()?;
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return None;
        }
        let digits = |n: &str, max: usize| !n.is_empty() && n.len() <= max && n.bytes().all(|b| b.is_ascii_digit());
        let at = match (parts.next(), parts.next()) {
            (None, None) => None,
            (Some(secs), Some(nanos)) if digits(secs.strip_prefix('-').unwrap_or(secs), 12) && digits(nanos, 9) => {
                Some(DateTime::<Utc>::from_timestamp(
                    secs.parse().ok()?,
                    nanos.parse().ok()?,
                )?)
            }
            _ => return None,
        };
        Some(Self {
            id: Uuid::parse_str(id).ok()?,
            at,
        })
    }
}

/// One page of a list and the cursor for the next one.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only tells
    /// whether there is a next page.
    pub fn from_rows(mut rows: Vec<T>, limit: usize, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|r| cursor_of(r).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            id: Uuid::from_u128(7),
            at: None,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        let timed = Cursor {
            id: Uuid::from_u128(8),
            at: DateTime::from_timestamp(1_780_000_000, 123_456_789),
        };
        assert_eq!(Cursor::decode(&timed.encode()), Some(timed));
        let early = Cursor {
            id: Uuid::from_u128(9),
            at: DateTime::from_timestamp(-1, 5),
        };
        assert_eq!(Cursor::decode(&early.encode()), Some(early));
        assert_eq!(Cursor::decode("not a cursor"), None);
        for bad in [
            "",
            "_",
            "0000000000000000000000000000000A",
            "00000000000000000000000000000007_",
            "00000000000000000000000000000007_1",
            "00000000000000000000000000000007_1_",
            "00000000000000000000000000000007_1234567890123_0",
            "00000000000000000000000000000007_1_1234567890",
            "00000000000000000000000000000007_1_1_1",
            "00000000000000000000000000000007.1.1",
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
        let p = Page::from_rows(vec![1, 2, 3], 2, |n| Cursor {
            id: Uuid::from_u128(*n as u128),
            at: None,
        });
        assert_eq!(p.items, vec![1, 2]);
        assert!(p.next_cursor.is_some());
    }
}
