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
//!   characters but tab and line breaks.
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
];

/// Text with a character that is not white space, and no control
/// character but tab, line feed and carriage return (Rust's `char::is_control`).
pub const TEXT_PATTERN: &str = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$";

/// Applies the rules of this module to every operation of `api`.
pub fn complete(api: &mut OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    components
        .schemas
        .entry("Problem".into())
        .or_insert_with(Problem::schema);
    for (schema, field, max) in TEXT_FIELDS {
        text_field(components, schema, field, *max);
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

/// States the rules of a `NonEmptyText` on `schema.field`. A missing field
/// is a programming error, found by the contract test.
fn text_field(components: &mut utoipa::openapi::Components, schema: &str, field: &str, max: usize) {
    let found = components.schemas.get_mut(schema).and_then(|s| match s {
        RefOr::T(Schema::Object(o)) => o.properties.get_mut(field),
        _ => None,
    });
    match found {
        Some(RefOr::T(Schema::Object(p))) => {
            p.min_length = Some(1);
            p.max_length = Some(max);
            p.pattern = Some(TEXT_PATTERN.to_string());
        }
        _ => tracing::error!(schema, field, "TEXT_FIELDS names no string field"),
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
