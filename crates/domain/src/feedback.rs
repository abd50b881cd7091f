//! Feedback: what customers tell us on any channel, with a validated
//! rating and the sentiment label found by text analytics.

use crate::case::string_enum;
use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The most characters one feedback text may have. Longer texts are
/// refused with a clear error (a complaint longer than this is an
/// attachment, not a comment); email alone is kept whole
/// ([`whole_feedback_text`]), analysed on its beginning.
pub const FEEDBACK_TEXT_MAX: usize = 20_000;

/// A star rating from 1 (worst) to 5 (best).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Rating(u8);

impl Rating {
    /// Checks `value` is 1–5.
    pub fn new(value: i64) -> Result<Self, ValidationError> {
        match u8::try_from(value) {
            Ok(v @ 1..=5) => Ok(Self(v)),
            _ => Err(ValidationError::new(
                "rating",
                format!("rating must be a whole number from 1 to 5, got {value}"),
            )),
        }
    }

    #[must_use]
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<i64> for Rating {
    type Error = ValidationError;
    fn try_from(v: i64) -> Result<Self, Self::Error> {
        Self::new(v)
    }
}

impl From<Rating> for i64 {
    fn from(r: Rating) -> Self {
        i64::from(r.0)
    }
}

impl FromStr for Rating {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        t.parse::<i64>()
            .map_err(|_| {
                ValidationError::new(
                    "rating",
                    format!(
                        "rating must be a whole number from 1 to 5, got `{}`",
                        crate::validate::truncate(t, 20)
                    ),
                )
            })
            .and_then(Self::new)
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

string_enum!(
    /// Document sentiment as text analytics labels it.
    SentimentLabel, "sentiment" {
        Negative => "negative",
        Neutral => "neutral",
        Positive => "positive",
    }
);

/// The signals text analytics can find (see the `amends-text` crate).
pub const SIGNALS: &[&str] = &["churn_intent", "urgency", "legal_threat"];

/// Feedback text: trimmed, not blank, at most [`FEEDBACK_TEXT_MAX`]
/// characters. HTML is kept as sent (it is escaped when shown); control
/// characters other than line breaks and tabs are refused.
pub fn feedback_text(raw: &str) -> Result<String, ValidationError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ValidationError::new("text", "text must not be empty"));
    }
    // Count cheaply: a text with more bytes than 4 × max surely has too many characters.
    let len = if t.len() > FEEDBACK_TEXT_MAX * 4 {
        usize::MAX
    } else {
        t.chars().count()
    };
    if len > FEEDBACK_TEXT_MAX {
        return Err(ValidationError::new(
            "text",
            format!(
                "text must be at most {FEEDBACK_TEXT_MAX} characters, got {}; send long documents as attachments",
                if len == usize::MAX {
                    format!("{} bytes", t.len())
                } else {
                    len.to_string()
                }
            ),
        ));
    }
    whole_feedback_text(t)
}

/// A feedback text taken whole however long (an email, whose size the
/// mail limit bounds: a long quoted thread is kept, not refused): trimmed,
/// not empty, no control characters. Analysis reads [`analysed_part`].
pub fn whole_feedback_text(raw: &str) -> Result<String, ValidationError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ValidationError::new("text", "text must not be empty"));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(ValidationError::new("text", "text must not contain control characters"));
    }
    Ok(t.to_string())
}

/// The part of a feedback text that analysis reads: its first
/// [`FEEDBACK_TEXT_MAX`] characters (all of any text [`feedback_text`] takes).
#[must_use]
pub fn analysed_part(text: &str) -> &str {
    match text.char_indices().nth(FEEDBACK_TEXT_MAX) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_texts_keep_every_character_and_analysis_reads_the_beginning() {
        let long = "ä".repeat(FEEDBACK_TEXT_MAX + 5);
        assert!(feedback_text(&long).is_err());
        assert_eq!(whole_feedback_text(&long).expect("whole"), long);
        assert_eq!(analysed_part(&long).chars().count(), FEEDBACK_TEXT_MAX);
        assert_eq!(analysed_part("kurz"), "kurz");
        assert!(whole_feedback_text(" ").is_err());
        assert!(whole_feedback_text("a\u{1b}b").is_err());
    }

    #[test]
    fn ratings_are_one_to_five() {
        assert_eq!(Rating::new(1).expect("ok").get(), 1);
        assert_eq!(Rating::new(5).expect("ok").get(), 5);
        for bad in [0, 6, -1, 300] {
            assert_eq!(Rating::new(bad).expect_err("bad").field, "rating");
        }
        assert_eq!(" 2 ".parse::<Rating>().expect("ok").get(), 2);
        assert!("zwei".parse::<Rating>().is_err());
        let r: Result<Rating, _> = serde_json::from_str("7");
        assert!(r.is_err());
    }

    #[test]
    fn texts_are_checked() {
        assert_eq!(feedback_text("  hallo ").expect("ok"), "hallo");
        assert_eq!(feedback_text("   ").expect_err("blank").field, "text");
        let long = "a".repeat(FEEDBACK_TEXT_MAX + 1);
        assert!(feedback_text(&long).expect_err("long").message.contains("at most"));
        let huge = "ü".repeat(1_000_000);
        assert!(feedback_text(&huge).is_err());
        assert!(feedback_text("a\u{0}b").is_err());
        assert_eq!(
            feedback_text("<script>alert(1)</script>").expect("html is kept"),
            "<script>alert(1)</script>"
        );
    }
}
