//! Makes the generated OpenAPI document say exactly what the server does,
//! for every operation at once (handlers added later included), where the
//! per-handler annotations would have to repeat it:
//!
//! - every error response is `application/problem+json` with [`Problem`];
//! - every operation documents the errors its extractors can answer:
//!   401 and 403 (token, role, CSRF), 422 when it takes parameters or a
//!   body (a value of the wrong type or out of range), 404 when its path has
//!   a parameter or it takes a body (an unknown id), 400 and 415 when it
//!   takes a body (malformed JSON, too large, wrong media type);
//! - a parameter declared `in: path` that the path does not name is a query
//!   parameter (axum only has path parameters that the route names);
//! - the text fields of [`TEXT_FIELDS`] state the rules of
//!   `amends_domain::NonEmptyText`: not blank, a maximum length, no control
//!   characters but tab and line breaks; those of [`OPTIONAL_TEXT_FIELDS`]
//!   the rules of `amends_domain::validate::optional_text`, those of
//!   [`EMAIL_FIELDS`] an email address or nothing;
//! - a query parameter is absent or has a value ([`VISIBLE_PATTERN`]); a
//!   `cursor` is of the form the server makes.
//!
//! `scripts/schemathesis.sh` checks the result against the running server;
//! `openapi_contract` in `crates/cli/tests/it/api.rs` checks it cheaply.

use crate::error::Problem;
use utoipa::PartialSchema;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::Response;
use utoipa::openapi::schema::{SchemaType, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required, Schema};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Request fields read as `NonEmptyText` (schema, field, maximum length).
pub const TEXT_FIELDS: &[(&str, &str, usize)] = &[
    ("NoteIn", "body", amends_app::service::NOTE_MAX),
    ("TokenIn", "name", 100),
    ("AccountIn", "name", amends_app::service::NAME_MAX),
    ("DecisionIn", "reason", amends_app::goodwill::REASON_MAX),
    ("CaseIn", "subject", amends_app::service::SUBJECT_MAX),
    ("CasePatchIn", "subject", amends_app::service::SUBJECT_MAX),
    ("CustomerIn", "name", amends_app::service::NAME_MAX),
    ("CustomerPatchIn", "name", amends_app::service::NAME_MAX),
    ("GrantIn", "reason", amends_app::goodwill::REASON_MAX),
    ("ReplyIn", "body", amends_app::followup::REPLY_MAX),
    ("CatalogIn", "name_de", amends_app::goodwill::CATALOG_NAME_MAX),
    ("CatalogIn", "name_en", amends_app::goodwill::CATALOG_NAME_MAX),
    ("SolutionIn", "title", amends_domain::solution::TITLE_MAX),
    ("ThemeIo", "title_de", amends_domain::solution::THEME_TITLE_MAX),
    ("ThemeIo", "title_en", amends_domain::solution::THEME_TITLE_MAX),
    ("UserIn", "display_name", amends_app::service::NAME_MAX),
    ("TeamIn", "name", 80),
    ("TeamPatch", "name", 80),
    ("FixedIn", "release", 60),
];

/// Request fields read as `optional_text`: absent, blank (then as if
/// absent), or text of at most the maximum length without control
/// characters but tab and line breaks (schema, field, maximum length).
pub const OPTIONAL_TEXT_FIELDS: &[(&str, &str, usize)] = &[
    ("CustomerIn", "external_id", amends_app::service::EXTERNAL_ID_MAX),
    ("FeedbackIn", "customer_name", amends_app::detection::CUSTOMER_NAME_MAX),
    ("TransitionIn", "note", amends_app::service::NOTE_MAX),
    ("FairExpectationIn", "note", amends_domain::fair::NOTE_MAX),
    ("FixedIn", "summary_de", 500),
    ("FixedIn", "summary_en", 500),
];

/// Free text of at most a maximum length, counted as sent (schema, field,
/// maximum length).
pub const LONG_TEXT_FIELDS: &[(&str, &str, usize)] = &[
    ("CaseIn", "description", amends_app::service::DESCRIPTION_MAX),
    ("CasePatchIn", "description", amends_app::service::DESCRIPTION_MAX),
];

/// Request fields that take an email address or, to leave it out (or
/// remove it), nothing but white space (schema, field).
pub const EMAIL_FIELDS: &[(&str, &str)] = &[
    ("CustomerIn", "email"),
    ("CustomerPatchIn", "email"),
    ("FeedbackIn", "customer_email"),
    ("UserIn", "email"),
    ("ReleaseIn", "sender"),
];

/// Array fields whose items match a pattern (schema, field, pattern).
pub const ITEM_PATTERNS: &[(&str, &str, &str)] = &[("SolutionIn", "tags", "^[\\w-]{1,40}$")];

/// Array fields whose items are one of a word list of `vocab` (schema,
/// field, the list's schema).
pub const ITEM_WORDS: &[(&str, &str, &str)] = &[
    ("ProfileIn", "languages", "Language"),
    ("ProfileIn", "skills", "Topic"),
    ("ProfileIn", "tiers", "Tier"),
];

/// Fields that take one word of a list of `vocab`, declared as plain
/// strings in crates that do not know `vocab` (schema, field, the list's
/// schema).
pub const FIELD_WORDS: &[(&str, &str, &str)] = &[("IncidentIn", "kind", "IncidentKind")];

/// Text with a character that is not white space, and no control
/// character but tab, line feed and carriage return (Rust's `char::is_control`).
pub const TEXT_PATTERN: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";

/// Text without a control character but tab, line feed and carriage return.
pub const OPTIONAL_TEXT_PATTERN: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";

/// `amends_domain::Email` (one `@` with a name before it, a dotted domain
/// whose labels neither start nor end with `-`, no white space, control
/// characters, commas, semicolons, quotes or angle brackets), or nothing; white space around
/// it is trimmed. `[^\S\x1c-\x1f]` is what Rust trims: Python's `\s`
/// but the four separators, which are control characters.
pub const EMAIL_PATTERN: &str = concat!(
    "^[^\\S\\x1c-\\x1f]*(?:",
    "[^\\s<>,;\"@\\x00-\\x1f\\x7f-\\x9f]+@",
    "(?:[^\\s<>,;\"@.\\x00-\\x1f\\x7f-\\x9f-](?:[^\\s<>,;\"@.\\x00-\\x1f\\x7f-\\x9f]*[^\\s<>,;\"@.\\x00-\\x1f\\x7f-\\x9f-])?\\.)+",
    "[^\\s<>,;\"@.\\x00-\\x1f\\x7f-\\x9f-](?:[^\\s<>,;\"@.\\x00-\\x1f\\x7f-\\x9f]*[^\\s<>,;\"@.\\x00-\\x1f\\x7f-\\x9f-])?",
    ")?[^\\S\\x1c-\\x1f]*$"
);

/// A value with a character that is neither white space nor a control
/// character: what every string query parameter without a narrower rule
/// must match (`crate::query::refuse_blank` refuses the rest).
pub const VISIBLE_PATTERN: &str = "[^\\s\\x00-\\x1f\\x7f-\\x9f]";

/// Applies the rules of this module to every operation of `api`.
pub fn complete(api: &mut OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    components
        .schemas
        .entry("Problem".into())
        .or_insert_with(Problem::schema);
    for (schema, field, max) in TEXT_FIELDS {
        text_field(components, schema, field, Some(1), Some(*max), TEXT_PATTERN);
    }
    for (schema, field, max) in OPTIONAL_TEXT_FIELDS {
        text_field(components, schema, field, None, Some(*max), OPTIONAL_TEXT_PATTERN);
    }
    for (schema, field) in EMAIL_FIELDS {
        text_field(components, schema, field, None, Some(254), EMAIL_PATTERN);
    }
    for (schema, field, max) in LONG_TEXT_FIELDS {
        max_length(components, schema, field, *max);
    }
    for (schema, field, pattern) in ITEM_PATTERNS {
        item_pattern(components, schema, field, pattern);
    }
    for (schema, field, words) in ITEM_WORDS {
        item_words(components, schema, field, words);
    }
    for (schema, field, words) in FIELD_WORDS {
        match property(components, schema, field) {
            Some(p @ RefOr::T(Schema::Object(_))) => *p = RefOr::Ref(Ref::from_schema_name(*words)),
            _ => tracing::error!(schema, field, "FIELD_WORDS names no string field"),
        }
    }
    for (path, item) in &mut api.paths.paths {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            complete_operation(path, op);
        }
    }
}

fn complete_operation(path: &str, op: &mut Operation) {
    query_parameters_in_query(path, op);
    query_values_visible(op);
    if path == "/api/v1/cases" {
        query_pattern(op, "state", &case_states_pattern());
    }
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let has_body = op.request_body.is_some();
    let public = op.security.as_ref().is_some_and(|s| s.is_empty());
    let mut common: Vec<(&str, &str)> = Vec::new();
    if !public {
        common.push(("401", "No valid token or session."));
        common.push((
            "403",
            "The role lacks the permission, or a session write lacks its CSRF token.",
        ));
    }
    if path.contains('{') || has_body {
        common.push(("404", "No such resource (named in the path or the body)."));
    }
    if has_params || has_body {
        common.push((
            "422",
            "A parameter or field is missing, unknown, of the wrong type or out of range; `field` names it.",
        ));
    }
    if has_body {
        common.push(("400", "The body is not valid JSON or too large."));
        common.push(("415", "The body is not sent with the media type the operation takes."));
    }
    for (status, description) in common {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    }
    for (status, response) in &mut op.responses.responses {
        if let RefOr::T(r) = response
            && (status.starts_with('4') || status.starts_with('5'))
        {
            problem_content(r);
        }
    }
}

/// States the rules of a text field on `schema.field`. A missing field is
/// a programming error, found by the contract test.
fn text_field(
    components: &mut utoipa::openapi::Components,
    schema: &str,
    field: &str,
    min: Option<usize>,
    max: Option<usize>,
    pattern: &str,
) {
    match property(components, schema, field) {
        Some(RefOr::T(Schema::Object(p))) => {
            p.min_length = min;
            p.max_length = max;
            p.pattern = Some(pattern.to_string());
        }
        _ => tracing::error!(schema, field, "a text field table names no string field"),
    }
}

/// States the maximum length of `schema.field`.
fn max_length(components: &mut utoipa::openapi::Components, schema: &str, field: &str, max: usize) {
    match property(components, schema, field) {
        Some(RefOr::T(Schema::Object(p))) => p.max_length = Some(max),
        _ => tracing::error!(schema, field, "LONG_TEXT_FIELDS names no string field"),
    }
}

/// The property `field` of the component schema `schema`.
fn property<'a>(
    components: &'a mut utoipa::openapi::Components,
    schema: &str,
    field: &str,
) -> Option<&'a mut RefOr<Schema>> {
    components.schemas.get_mut(schema).and_then(|s| match s {
        RefOr::T(Schema::Object(o)) => o.properties.get_mut(field),
        _ => None,
    })
}

/// States the pattern of every item of the array `schema.field`.
fn item_pattern(components: &mut utoipa::openapi::Components, schema: &str, field: &str, pattern: &str) {
    match property(components, schema, field) {
        Some(RefOr::T(Schema::Array(a))) => match &mut a.items {
            utoipa::openapi::schema::ArrayItems::RefOrSchema(item) => match item.as_mut() {
                RefOr::T(Schema::Object(o)) => o.pattern = Some(pattern.to_string()),
                _ => tracing::error!(schema, field, "ITEM_PATTERNS names an array of references"),
            },
            utoipa::openapi::schema::ArrayItems::False => {
                tracing::error!(schema, field, "ITEM_PATTERNS names an empty array");
            }
        },
        _ => tracing::error!(schema, field, "ITEM_PATTERNS names no array field"),
    }
}

/// Makes every item of the array `schema.field` one of the word list `words`.
fn item_words(components: &mut utoipa::openapi::Components, schema: &str, field: &str, words: &str) {
    match property(components, schema, field) {
        Some(RefOr::T(Schema::Array(a))) => {
            a.items =
                utoipa::openapi::schema::ArrayItems::RefOrSchema(Box::new(RefOr::Ref(Ref::from_schema_name(words))));
        }
        _ => tracing::error!(schema, field, "ITEM_WORDS names no array field"),
    }
}

/// An error answer's body is a problem document, whatever the handler
/// annotation said (`body = Problem` alone documents it as plain JSON).
fn problem_content(r: &mut Response) {
    let schema = r
        .content
        .shift_remove("application/json")
        .and_then(|c| c.schema)
        .unwrap_or_else(|| RefOr::Ref(Ref::from_schema_name("Problem")));
    r.content
        .entry(PROBLEM_JSON.to_string())
        .or_insert_with(|| Content::new(Some(schema)));
}

/// Parameters that the path template does not name are read from the
/// query; a query parameter is absent or a value, never `null`.
fn query_parameters_in_query(path: &str, op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        if p.parameter_in == ParameterIn::Path && !path.contains(&format!("{{{}}}", p.name)) {
            p.parameter_in = ParameterIn::Query;
            // A path parameter is always required; a query parameter only
            // if its type has no absence (`Option`, written as `null`).
            if p.schema.as_ref().is_some_and(nullable) {
                p.required = Required::False;
            }
        }
        if p.parameter_in == ParameterIn::Query
            && let Some(schema) = p.schema.take()
        {
            p.schema = Some(without_null(schema));
        }
    }
}

/// A query parameter is absent or has a value that is not blank
/// (`crate::query::refuse_blank`): every string parameter says so with
/// `minLength` 1 and, where no enum, format or pattern narrows it already,
/// [`VISIBLE_PATTERN`]. A `cursor` is one of the form the server makes.
fn query_values_visible(op: &mut Operation) {
    for p in op.parameters.iter_mut().flatten() {
        if p.parameter_in != ParameterIn::Query {
            continue;
        }
        if let Some(RefOr::T(Schema::Object(o))) = &mut p.schema
            && o.schema_type == SchemaType::Type(Type::String)
        {
            if p.name == "cursor" {
                o.pattern = Some(amends_store::Cursor::PATTERN.to_string());
            }
            o.min_length.get_or_insert(1);
            if o.pattern.is_none() && o.enum_values.is_none() && o.format.is_none() {
                o.pattern = Some(VISIBLE_PATTERN.to_string());
            }
        }
    }
}

/// `state` of the case list: `all`, `open`, or states separated by commas.
fn case_states_pattern() -> String {
    let one = amends_domain::CaseState::ALL
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("|");
    format!("^(all|open|({one})(,({one}))*)$")
}

/// Gives the query parameter `name` of `op` the pattern `pattern`.
fn query_pattern(op: &mut Operation, name: &str, pattern: &str) {
    for p in op.parameters.iter_mut().flatten() {
        if p.parameter_in == ParameterIn::Query
            && p.name == name
            && let Some(RefOr::T(Schema::Object(o))) = &mut p.schema
        {
            o.pattern = Some(pattern.to_string());
        }
    }
}

/// The schema without its `null` alternative (`type: [T, "null"]`, or
/// `oneOf: [{type: "null"}, S]` for an optional reference).
fn without_null(schema: RefOr<Schema>) -> RefOr<Schema> {
    let is_null =
        |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
    match schema {
        RefOr::T(Schema::Object(mut o)) => {
            if let SchemaType::Array(types) = &o.schema_type {
                let present: Vec<Type> = types.iter().filter(|t| **t != Type::Null).cloned().collect();
                if present.len() == 1 {
                    o.schema_type = SchemaType::Type(present[0].clone());
                }
            }
            RefOr::T(Schema::Object(o))
        }
        RefOr::T(Schema::OneOf(one)) if one.items.iter().any(is_null) => {
            let mut rest: Vec<RefOr<Schema>> = one.items.iter().filter(|s| !is_null(s)).cloned().collect();
            if rest.len() == 1 {
                rest.remove(0)
            } else {
                RefOr::T(Schema::OneOf(one))
            }
        }
        other => other,
    }
}

/// Whether a schema admits `null` (how utoipa writes an `Option`).
fn nullable(schema: &RefOr<Schema>) -> bool {
    serde_json::to_value(schema).is_ok_and(|v| v.to_string().contains("\"null\""))
}
