//! OpenAPI schemas of the domain's word lists (channels, tiers, languages,
//! priorities, …), built from the domain's own `ALL` lists so that the
//! document names exactly the values the server takes. A field that keeps a
//! `String` (or the domain enum) in Rust declares one with
//! `#[schema(value_type = Option<vocab::Tier>)]` (`#[param(...)]` for a query
//! parameter).

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string schema with exactly `values`.
fn one_of<V: Into<serde_json::Value>>(description: &str, values: impl IntoIterator<Item = V>) -> RefOr<Schema> {
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
    /// A case's state.
    CaseState = "Where a case stands.", amends_domain::CaseState::ALL.iter().map(|v| v.as_str());
    /// How a case was opened.
    Origin = "How the case was opened.", amends_domain::Origin::ALL.iter().map(|v| v.as_str());
    /// A saved view of the inbox.
    CaseView = "A saved view of the inbox.", crate::views::CaseView::ALL.iter().map(|v| v.as_str());
    /// A kind of goodwill.
    GoodwillKind = "A kind of goodwill.",
        amends_domain::goodwill::GoodwillKind::ALL.iter().map(|v| v.as_str());
    /// A grant's state.
    GrantState = "A grant's state.", amends_domain::goodwill::GrantState::ALL.iter().map(|v| v.as_str());
    /// A sentiment label.
    Sentiment = "A sentiment label.",
        amends_domain::feedback::SentimentLabel::ALL.iter().map(|v| v.as_str());
    /// What a reply template is for.
    TemplatePurpose = "What the template is for.",
        amends_domain::template::TemplatePurpose::ALL.iter().map(|v| v.as_str());
    /// A kind of incident.
    IncidentKind = "A kind of incident.", amends_domain::incident::IncidentKind::ALL.iter().map(|v| v.as_str());
    /// An incident's status.
    IncidentStatus = "An incident's status.",
        amends_domain::incident::IncidentStatus::ALL.iter().map(|v| v.as_str());
    /// A kind of change event.
    ChangeKind = "A kind of change.", amends_app::analytics::spikes::CHANGE_KINDS;
    /// A topic of the text analyser's taxonomy.
    Topic = "A topic id of the taxonomy.", amends_app::analysis::topic_ids();
    /// An event a webhook may subscribe to.
    WebhookEvent = "An event a webhook may subscribe to.", amends_app::webhooks::EVENTS;
}
