//! OpenAPI schemas of the domain's word lists (channels, tiers, languages,
//! priorities, …), built from the domain's own `ALL` lists so that the
//! document names exactly the values the server takes. A field that keeps a
//! `String` (or the domain enum) in Rust declares one with
//! `#[schema(value_type = Option<vocab::Tier>)]` (`#[param(...)]` for a query
//! parameter).

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string schema with exactly `values`.
fn one_of(description: &str, values: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values))
        .into()
}

macro_rules! vocab {
    ($($(#[$meta:meta])* $name:ident = $description:literal, $values:expr;)+) => {$(
        $(#[$meta])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                one_of($description, $values)
            }
        }

        impl utoipa::ToSchema for $name {}
    )+};
}

vocab! {
    /// The channel a customer used.
    Channel = "The channel the customer used.",
        amends_domain::Channel::ALL.iter().map(|v| v.as_str());
    /// A customer's service tier.
    Tier = "The customer's service tier.", amends_domain::Tier::ALL.iter().map(|v| v.as_str());
    /// A case's priority.
    Priority = "How urgent the case is.", amends_domain::Priority::ALL.iter().map(|v| v.as_str());
    /// A language amends speaks.
    Language = "A language: `de` or `en`.", amends_domain::Language::ALL.iter().map(|v| v.code());
    /// A user's role.
    Role = "A user's role.", amends_domain::Role::ALL.iter().map(|v| v.as_str());
}
