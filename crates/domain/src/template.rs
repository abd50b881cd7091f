//! Reply templates: text per purpose and language with `{{variable}}`
//! placeholders, validated here and rendered by plain substitution (no
//! template engine: no loops, no conditions, nothing to escape or execute).

use crate::case::string_enum;
use crate::error::ValidationError;
use crate::validate::{Language, truncate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum!(
    /// What a template is for.
    TemplatePurpose, "purpose" {
        Reply => "reply",
        Apology => "apology",
        Solution => "solution",
        GoodwillOffer => "goodwill_offer",
        FollowUp => "follow_up",
        IncidentNotice => "incident_notice",
        IncidentClosing => "incident_closing",
    }
);

/// The purpose of template the reply editor suggests for a case: an
/// apology before anyone answered (seed 001: acknowledge and apologise
/// first), a follow-up once it is resolved, otherwise a plain reply.
#[must_use]
pub fn suggested_purpose(state: crate::CaseState, answered: bool) -> TemplatePurpose {
    use crate::CaseState as S;
    match (state, answered) {
        (S::Resolved | S::FollowedUp | S::Closed, _) => TemplatePurpose::FollowUp,
        (_, false) => TemplatePurpose::Apology,
        _ => TemplatePurpose::Reply,
    }
}

/// The variables a template may use, written `{{customer_name}}`.
pub const VARIABLES: &[&str] = &[
    "customer_name",
    "case_reference",
    "case_subject",
    "agent_name",
    "incident_title",
    "delay_minutes",
    "goodwill",
    "solution_title",
    "solution_url",
    "fair_url",
];

pub const NAME_MAX: usize = 100;
pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;

/// A validated template, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateDraft {
    pub name: String,
    pub purpose: TemplatePurpose,
    pub language: Language,
    pub subject: String,
    pub body: String,
    pub active: bool,
}

impl TemplateDraft {
    /// Validates raw input: name 1–100 characters, subject at most 200,
    /// body 1–10,000; placeholders only of known variables and closed.
    pub fn parse(
        name: &str,
        purpose: &str,
        language: &str,
        subject: &str,
        body: &str,
        active: bool,
    ) -> Result<Self, ValidationError> {
        let name = name.trim();
        let n = name.chars().count();
        if n == 0 || n > NAME_MAX {
            return Err(ValidationError::new(
                "name",
                format!("name must have 1 to {NAME_MAX} characters, got {n}"),
            ));
        }
        let purpose: TemplatePurpose = purpose.parse()?;
        let language: Language = language.parse()?;
        let subject = subject.trim();
        let n = subject.chars().count();
        if n > SUBJECT_MAX {
            return Err(ValidationError::new(
                "subject",
                format!("subject must have at most {SUBJECT_MAX} characters, got {n}"),
            ));
        }
        placeholders("subject", subject)?;
        let n = body.trim().chars().count();
        if n == 0 || body.chars().count() > BODY_MAX {
            return Err(ValidationError::new(
                "body",
                format!(
                    "body must have 1 to {BODY_MAX} characters, got {}",
                    body.chars().count()
                ),
            ));
        }
        placeholders("body", body)?;
        Ok(Self {
            name: name.to_string(),
            purpose,
            language,
            subject: subject.to_string(),
            body: body.to_string(),
            active,
        })
    }
}

/// One piece of a template text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// What is wrong with the placeholders of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceholderProblem {
    /// A `{{` without `}}`; holds the text from there (shortened).
    Unclosed(String),
    /// `{{name}}` with a name not in [`VARIABLES`].
    Unknown(String),
}

impl PlaceholderProblem {
    /// The validation error for `field`, naming the variable.
    #[must_use]
    pub fn to_error(&self, field: &str) -> ValidationError {
        match self {
            PlaceholderProblem::Unclosed(near) => ValidationError::new(
                field,
                format!("{field} has an unclosed `{{{{` near `{near}`; write variables as `{{{{customer_name}}}}`"),
            ),
            PlaceholderProblem::Unknown(name) => ValidationError::new(
                field,
                format!(
                    "{field} uses the unknown variable `{name}`; known are {}",
                    VARIABLES
                        .iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        }
    }
}

/// The first placeholder problem of `text`, if any.
#[must_use]
pub fn problem(text: &str) -> Option<PlaceholderProblem> {
    pieces(text).err()
}

/// Splits `text` into literal text and variables, checking each variable.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, PlaceholderProblem> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(PlaceholderProblem::Unclosed(truncate(&rest[start..], 30)));
        };
        let name = after[..end].trim();
        if !VARIABLES.contains(&name) {
            return Err(PlaceholderProblem::Unknown(truncate(name, 40)));
        }
        out.push(Piece::Var(name));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// The variables `text` uses, in order (with repeats); an error names
/// `field` and the unknown variable or the unclosed `{{`.
pub fn placeholders<'a>(field: &str, text: &'a str) -> Result<Vec<&'a str>, ValidationError> {
    Ok(pieces(text)
        .map_err(|p| p.to_error(field))?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var(v) => Some(v),
            Piece::Text(_) => None,
        })
        .collect())
}

/// The values substituted into a template; a missing value becomes empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateValues {
    pub customer_name: Option<String>,
    pub case_reference: Option<String>,
    pub case_subject: Option<String>,
    pub agent_name: Option<String>,
    pub incident_title: Option<String>,
    pub delay_minutes: Option<String>,
    pub goodwill: Option<String>,
    /// The article most recently linked to the case.
    pub solution_title: Option<String>,
    /// Its address in the public help center (public articles only).
    pub solution_url: Option<String>,
    /// The customer's page to say what they would consider fair.
    #[serde(default)]
    pub fair_url: Option<String>,
}

impl TemplateValues {
    /// The value of a known variable.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            "customer_name" => self.customer_name.as_deref(),
            "case_reference" => self.case_reference.as_deref(),
            "case_subject" => self.case_subject.as_deref(),
            "agent_name" => self.agent_name.as_deref(),
            "incident_title" => self.incident_title.as_deref(),
            "delay_minutes" => self.delay_minutes.as_deref(),
            "goodwill" => self.goodwill.as_deref(),
            "solution_title" => self.solution_title.as_deref(),
            "solution_url" => self.solution_url.as_deref(),
            "fair_url" => self.fair_url.as_deref(),
            _ => None,
        }
    }

    /// Example values for a preview without a case.
    #[must_use]
    pub fn sample(language: Language) -> Self {
        let de = language == Language::De;
        Self {
            customer_name: Some(if de { "Erika Mustermann" } else { "Jane Doe" }.into()),
            case_reference: Some("#3f9a12c4".into()),
            case_subject: Some(if de { "Lieferung verspätet" } else { "Delivery late" }.into()),
            agent_name: Some(if de { "Max Beispiel" } else { "Sam Example" }.into()),
            incident_title: Some(if de { "Störung im Versand" } else { "Shipping outage" }.into()),
            delay_minutes: Some("90".into()),
            goodwill: Some(if de { "Gutschein 10 €" } else { "Voucher EUR 10" }.into()),
            solution_title: Some(
                if de {
                    "Rechnung herunterladen"
                } else {
                    "Download an invoice"
                }
                .into(),
            ),
            solution_url: Some("https://help.example.com/help/articles/0194a000-0000-7000-8000-000000000001".into()),
            fair_url: Some("https://help.example.com/fair/AZSgAAAAAHAAgAAAAAAAAQ".into()),
        }
    }
}

/// Renders `text` by substituting the known variables. A stored template
/// was validated; should `text` still hold something invalid, it is kept
/// as written rather than failing a reply.
#[must_use]
pub fn render(text: &str, values: &TemplateValues) -> String {
    let Ok(pieces) = pieces(text) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(v) => out.push_str(values.get(v).unwrap_or("")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(subject: &str, body: &str) -> Result<TemplateDraft, ValidationError> {
        TemplateDraft::parse("Apology", "apology", "de", subject, body, true)
    }

    #[test]
    fn the_editor_suggests_apology_first_then_reply_then_follow_up() {
        use crate::CaseState as S;
        assert_eq!(suggested_purpose(S::New, false), TemplatePurpose::Apology);
        assert_eq!(suggested_purpose(S::InProgress, true), TemplatePurpose::Reply);
        assert_eq!(suggested_purpose(S::Resolved, true), TemplatePurpose::FollowUp);
    }

    #[test]
    fn purposes_round_trip_and_reject_unknown() {
        for p in TemplatePurpose::ALL {
            assert_eq!(p.as_str().parse::<TemplatePurpose>().expect("parses"), *p);
        }
        let e = "memo".parse::<TemplatePurpose>().expect_err("unknown");
        assert_eq!(e.field, "purpose");
        assert!(e.message.contains("goodwill_offer"), "{}", e.message);
    }

    #[test]
    fn valid_template_is_trimmed_and_typed() {
        let d = TemplateDraft::parse(
            "  Entschuldigung ",
            "apology",
            "DE",
            " Ihr Fall {{case_reference}} ",
            "Hallo {{ customer_name }}",
            false,
        )
        .expect("valid");
        assert_eq!(d.name, "Entschuldigung");
        assert_eq!(d.purpose, TemplatePurpose::Apology);
        assert_eq!(d.language, Language::De);
        assert_eq!(d.subject, "Ihr Fall {{case_reference}}");
        assert!(!d.active);
    }

    #[test]
    fn lengths_are_checked_per_field() {
        let long_name = "x".repeat(101);
        let e = TemplateDraft::parse(&long_name, "reply", "en", "", "b", true).expect_err("long name");
        assert_eq!(e.field, "name");
        assert!(TemplateDraft::parse(&"x".repeat(100), "reply", "en", "", "b", true).is_ok());
        assert_eq!(draft("", "  ").expect_err("blank").field, "body");
        assert_eq!(draft("", &"b".repeat(10_001)).expect_err("long body").field, "body");
        assert!(draft("", &"b".repeat(10_000)).is_ok());
        assert_eq!(draft(&"s".repeat(201), "b").expect_err("long subject").field, "subject");
        assert_eq!(
            TemplateDraft::parse("n", "reply", "fr", "", "b", true)
                .expect_err("lang")
                .field,
            "language"
        );
    }

    #[test]
    fn unknown_variable_names_field_and_variable() {
        let e = draft("", "Hallo {{customer_nam}}").expect_err("unknown");
        assert_eq!(e.field, "body");
        assert!(e.message.contains("`customer_nam`"), "{}", e.message);
        let e = draft("Fall {{order_id}}", "ok").expect_err("unknown in subject");
        assert_eq!(e.field, "subject");
        assert!(e.message.contains("order_id"), "{}", e.message);
    }

    #[test]
    fn unclosed_placeholder_is_an_error() {
        let e = draft("", "Hallo {{customer_name").expect_err("unclosed");
        assert_eq!(e.field, "body");
        assert!(e.message.contains("unclosed"), "{}", e.message);
        // A lone closing brace pair is plain text.
        assert!(draft("", "smile }}").is_ok());
    }

    #[test]
    fn placeholders_are_listed_in_order() {
        let vars = placeholders("body", "{{agent_name}} an {{customer_name}}, {{agent_name}}").expect("valid");
        assert_eq!(vars, vec!["agent_name", "customer_name", "agent_name"]);
        assert_eq!(problem("{{ x }}"), Some(PlaceholderProblem::Unknown("x".into())));
        assert!(matches!(problem("a {{b"), Some(PlaceholderProblem::Unclosed(_))));
        assert_eq!(problem("{{goodwill}}"), None);
    }

    #[test]
    fn render_substitutes_and_blanks_missing_values() {
        let values = TemplateValues {
            customer_name: Some("Erika".into()),
            case_reference: Some("#12345678".into()),
            ..TemplateValues::default()
        };
        assert_eq!(
            render(
                "Hallo {{customer_name}}, Fall {{ case_reference }}. {{agent_name}}!",
                &values
            ),
            "Hallo Erika, Fall #12345678. !"
        );
        // Values are inserted as they are, never interpreted again.
        let tricky = TemplateValues {
            customer_name: Some("{{agent_name}}".into()),
            agent_name: Some("X".into()),
            ..TemplateValues::default()
        };
        assert_eq!(render("{{customer_name}}", &tricky), "{{agent_name}}");
        assert_eq!(render("no vars", &values), "no vars");
    }

    #[test]
    fn every_variable_has_a_sample_value() {
        for lang in Language::ALL {
            let s = TemplateValues::sample(lang);
            for v in VARIABLES {
                assert!(s.get(v).is_some_and(|x| !x.is_empty()), "{v} in {lang}");
            }
        }
    }
}
