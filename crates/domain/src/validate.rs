//! Validated newtypes built once at the edge ("parse, don't validate").

use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An email address, trimmed and lower-cased in its domain part.
///
/// The check is deliberately the practical subset (one `@`, a local part,
/// a dotted domain, no spaces, at most 254 characters): full RFC 5322
/// acceptance would let through addresses no mail server delivers to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        let err = |msg: &str| ValidationError::new("email", format!("{msg}, got `{}`", truncate(s, 80)));
        if s.is_empty() {
            return Err(ValidationError::new("email", "email must not be empty"));
        }
        if s.chars().count() > 254 {
            return Err(err("email must be at most 254 characters"));
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"'))
        {
            return Err(err(
                "email must not contain spaces, commas, semicolons, quotes or angle brackets",
            ));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(err("email must look like name@example.com"));
        };
        if local.is_empty() || local.contains('@') {
            return Err(err("email must have exactly one `@` with a name before it"));
        }
        let labels_ok = domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if !domain.contains('.') || !labels_ok {
            return Err(err("email must end in a domain such as example.com"));
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The two languages amends speaks with customers and users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    De,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::De, Language::En];

    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Language::De => "de",
            Language::En => "en",
        }
    }
}

impl FromStr for Language {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "de" => Ok(Language::De),
            "en" => Ok(Language::En),
            other => Err(ValidationError::new(
                "language",
                format!("language must be `de` or `en`, got `{}`", truncate(other, 20)),
            )),
        }
    }
}

impl TryFrom<String> for Language {
    type Error = ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Text that is not blank after trimming, at most `max` characters long as
/// sent, without control characters but tab and line breaks (the API
/// document states the same: `web/src/api/contract.rs`, `TEXT_FIELDS`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct NonEmptyText(String);

impl NonEmptyText {
    /// Trims `raw` and checks it is non-empty and at most `max` characters.
    pub fn parse(field: &str, raw: &str, max: usize) -> Result<Self, ValidationError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ValidationError::new(field, format!("{field} must not be empty")));
        }
        // The sent length counts: what a schema's `maxLength` says.
        let len = raw.chars().count();
        if len > max {
            return Err(ValidationError::new(
                field,
                format!("{field} must be at most {max} characters, got {len}"),
            ));
        }
        if raw.chars().any(forbidden_control) {
            return Err(ValidationError::new(
                field,
                format!("{field} must not contain control characters"),
            ));
        }
        Ok(Self(s.to_string()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[must_use]
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for NonEmptyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Optional text: blank (white space only, at most `max` characters)
/// becomes `None`, otherwise the same rules as [`NonEmptyText`]. The API
/// document states the same (`web/src/api/contract.rs`, `OPTIONAL_TEXT_FIELDS`).
pub fn optional_text(field: &str, raw: Option<&str>, max: usize) -> Result<Option<NonEmptyText>, ValidationError> {
    match raw {
        None => Ok(None),
        Some(s) if s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(forbidden_control) => Ok(None),
        Some(s) => NonEmptyText::parse(field, s, max).map(Some),
    }
}

/// A control character other than tab, line feed and carriage return.
fn forbidden_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\r' && c != '\t'
}

/// The first `max` characters of `s`, for quoting bad input in messages.
#[must_use]
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_normalised() {
        assert_eq!(
            Email::parse(" Anna@Example.COM ").expect("valid").as_str(),
            "Anna@example.com"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.com",
            "anna@example",
            "an na@example.com",
            "a@b@c.de",
            "a@-x.de",
            "a;b@c.de",
            "\"a\"@c.de",
        ] {
            let e = Email::parse(bad).expect_err(bad);
            assert_eq!(e.field, "email");
        }
        // At most 254 characters, as the document's `maxLength` counts.
        assert!(Email::parse(&format!("{}@example.de", "ä".repeat(130))).is_ok());
        assert!(Email::parse(&format!("{}@example.de", "a".repeat(244))).is_err());
    }

    #[test]
    fn language_accepts_de_and_en_only() {
        assert_eq!("DE".parse::<Language>().expect("de"), Language::De);
        assert_eq!("en".parse::<Language>().expect("en"), Language::En);
        let e = "xx".parse::<Language>().expect_err("xx");
        assert!(e.message.contains("`de` or `en`"), "{}", e.message);
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(NonEmptyText::parse("subject", "  hi ", 5).expect("ok").as_str(), "hi");
        assert!(NonEmptyText::parse("subject", "   ", 5).is_err());
        let e = NonEmptyText::parse("subject", "Lieferverzögerung", 5).expect_err("long");
        assert_eq!(e.field, "subject");
        assert!(e.message.contains("at most 5"));
        assert!(NonEmptyText::parse("subject", "a\u{0}b", 5).is_err());
        // The length as sent counts, as the API document says (`maxLength`).
        assert!(NonEmptyText::parse("subject", "  hi    ", 5).is_err());
        assert_eq!(optional_text("x", Some("  "), 3).expect("ok"), None);
        assert_eq!(optional_text("x", Some("\t\n"), 3).expect("ok"), None);
        // A control character is refused even where trimming would drop it.
        assert!(optional_text("x", Some("\u{85}"), 3).is_err());
        assert!(NonEmptyText::parse("subject", "\u{85}hi", 5).is_err());
    }
}
