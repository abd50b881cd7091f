//! Solution articles (the knowledge base behind replies and the public
//! help center) and the help center's theme: validation only; search terms
//! come from `amends_text::search`, storage from the store.

use crate::error::ValidationError;
use crate::validate::{Language, NonEmptyText};
use serde::Serialize;

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 100_000;
pub const TAGS_MAX: usize = 20;
pub const TAG_MAX: usize = 40;
/// The longest help center title, in either language.
pub const THEME_TITLE_MAX: usize = 100;

/// A validated article, ready to store as a new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SolutionDraft {
    pub title: String,
    /// Markdown.
    pub body: String,
    pub language: Language,
    /// Lowercase, unique, in the order given.
    pub tags: Vec<String>,
    /// Shown in the public help center.
    pub public: bool,
}

impl SolutionDraft {
    /// Title 1–200 characters, body 1–100,000 (Markdown), language `de` or
    /// `en`, at most 20 tags of 1–40 letters, digits, `-` or `_` each.
    pub fn parse(
        title: &str,
        body: &str,
        language: &str,
        tags: &[String],
        public: bool,
    ) -> Result<Self, ValidationError> {
        let title = NonEmptyText::parse("title", title, TITLE_MAX)?.into_inner();
        if body.trim().is_empty() {
            return Err(ValidationError::new("body", "body must not be empty"));
        }
        let n = body.chars().count();
        if n > BODY_MAX {
            return Err(ValidationError::new(
                "body",
                format!("body must have at most {BODY_MAX} characters, got {n}"),
            ));
        }
        let language: Language = language.parse().map_err(|e: ValidationError| e.for_field("language"))?;
        Ok(Self {
            title,
            body: body.trim_end().to_string(),
            language,
            tags: parse_tags(tags)?,
            public,
        })
    }
}

/// Tags from a list (each may itself be comma-separated, as a form field is).
pub fn parse_tags(raw: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.iter().flat_map(|t| t.split(',')) {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() {
            continue;
        }
        let n = tag.chars().count();
        if n > TAG_MAX || !tag.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            return Err(ValidationError::new(
                "tags",
                format!("tag `{tag}` must have 1 to {TAG_MAX} letters, digits, `-` or `_`"),
            ));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(ValidationError::new(
            "tags",
            format!("at most {TAGS_MAX} tags, got {}", tags.len()),
        ));
    }
    Ok(tags)
}

/// How the public help center looks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HelpTheme {
    pub title_de: String,
    pub title_en: String,
    /// `https://…` (or `http://…`) address of a logo image, or empty.
    pub logo_url: String,
    /// `#rrggbb`.
    pub primary_color: String,
    /// `#rrggbb`.
    pub background_color: String,
}

impl Default for HelpTheme {
    fn default() -> Self {
        Self {
            title_de: "Hilfe-Center".into(),
            title_en: "Help center".into(),
            logo_url: String::new(),
            primary_color: "#1f5f8b".into(),
            background_color: "#f6f7f9".into(),
        }
    }
}

impl HelpTheme {
    /// Titles 1–100 characters, a logo URL with `http(s)://` and no quotes
    /// or spaces (at most 500 characters), colours as `#rrggbb` — the
    /// values go into a style attribute and an `<img src>`, so nothing else
    /// is let through.
    pub fn parse(
        title_de: &str,
        title_en: &str,
        logo_url: &str,
        primary_color: &str,
        background_color: &str,
    ) -> Result<Self, ValidationError> {
        let title_de = NonEmptyText::parse("title_de", title_de, THEME_TITLE_MAX)?.into_inner();
        let title_en = NonEmptyText::parse("title_en", title_en, THEME_TITLE_MAX)?.into_inner();
        let logo_url = logo_url.trim().to_string();
        if !logo_url.is_empty()
            && (!(logo_url.starts_with("https://") || logo_url.starts_with("http://"))
                || logo_url.chars().count() > 500
                || logo_url
                    .chars()
                    .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '\\')))
        {
            return Err(ValidationError::new(
                "logo_url",
                "logo_url must be an http:// or https:// address without spaces or quotes (at most 500 characters)",
            ));
        }
        Ok(Self {
            title_de,
            title_en,
            logo_url,
            primary_color: colour("primary_color", primary_color)?,
            background_color: colour("background_color", background_color)?,
        })
    }

    #[must_use]
    pub fn title(&self, lang: Language) -> &str {
        match lang {
            Language::De => &self.title_de,
            Language::En => &self.title_en,
        }
    }
}

fn colour(field: &str, raw: &str) -> Result<String, ValidationError> {
    let v = raw.trim().to_ascii_lowercase();
    if v.len() == 7 && v.starts_with('#') && v[1..].chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(v)
    } else {
        Err(ValidationError::new(
            field,
            format!("{field} must be a colour like #1f5f8b, got `{raw}`"),
        ))
    }
}

/// How well an article works: from the cases it was linked to.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct SolutionStats {
    /// Cases the article was linked to.
    pub times_used: i64,
    /// Of those, resolved (or later) and never reopened after the link.
    pub resolved_without_reopen: i64,
    /// `resolved_without_reopen / times_used`, when used.
    pub resolved_share: Option<f64>,
    /// Mean CSAT (1–5) of answered surveys of those cases.
    pub csat: Option<f64>,
    pub csat_answers: i64,
}

impl SolutionStats {
    #[must_use]
    pub fn new(times_used: i64, resolved_without_reopen: i64, csat_sum: i64, csat_answers: i64) -> Self {
        #[allow(clippy::cast_precision_loss)]
        let share = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
        Self {
            times_used,
            resolved_without_reopen,
            resolved_share: share(resolved_without_reopen, times_used),
            csat: share(csat_sum, csat_answers),
            csat_answers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_validates_each_field() {
        let tags = vec!["Rechnung, billing".to_string(), "billing".to_string()];
        let d = SolutionDraft::parse(" Rechnung herunterladen ", "So geht's.\n\n", "de", &tags, true).expect("valid");
        assert_eq!(d.title, "Rechnung herunterladen");
        assert_eq!(d.body, "So geht's.");
        assert_eq!(d.tags, vec!["rechnung", "billing"]);
        let field = |r: Result<SolutionDraft, ValidationError>| r.expect_err("invalid").field;
        assert_eq!(field(SolutionDraft::parse("", "x", "de", &[], false)), "title");
        assert_eq!(field(SolutionDraft::parse("t", "  ", "de", &[], false)), "body");
        assert_eq!(field(SolutionDraft::parse("t", "x", "fr", &[], false)), "language");
        assert_eq!(
            field(SolutionDraft::parse("t", "x", "de", &["a b".into()], false)),
            "tags"
        );
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(field(SolutionDraft::parse("t", "x", "de", &many, false)), "tags");
        let long = "x".repeat(BODY_MAX + 1);
        assert_eq!(field(SolutionDraft::parse("t", &long, "de", &[], false)), "body");
    }

    #[test]
    fn theme_lets_nothing_into_style_or_src_but_colours_and_urls() {
        let ok = HelpTheme::parse("Hilfe", "Help", "https://example.com/logo.png", "#AABBCC", "#ffffff").expect("ok");
        assert_eq!(ok.primary_color, "#aabbcc");
        let field = |r: Result<HelpTheme, ValidationError>| r.expect_err("invalid").field;
        assert_eq!(field(HelpTheme::parse("H", "H", "", "red;}", "#fff")), "primary_color");
        assert_eq!(
            field(HelpTheme::parse("H", "H", "", "#123456", "#fff")),
            "background_color"
        );
        assert_eq!(
            field(HelpTheme::parse("H", "H", "javascript:alert(1)", "#123456", "#ffffff")),
            "logo_url"
        );
        assert_eq!(
            field(HelpTheme::parse("H", "H", "https://x/\"onerror", "#123456", "#ffffff")),
            "logo_url"
        );
        assert_eq!(field(HelpTheme::parse("", "H", "", "#123456", "#ffffff")), "title_de");
    }

    #[test]
    fn stats_shares() {
        let s = SolutionStats::new(4, 3, 9, 2);
        assert_eq!(s.resolved_share, Some(0.75));
        assert_eq!(s.csat, Some(4.5));
        assert_eq!(SolutionStats::new(0, 0, 0, 0).resolved_share, None);
    }
}
