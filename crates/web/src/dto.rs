//! Request and response bodies of the REST API (with their OpenAPI schemas).

use amends_domain::CaseState;
use amends_domain::detection::explain;
use amends_domain::sla::SlaUrgency;
use amends_store::{Case, CaseEvent, Customer, Feedback, User};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    /// Your system's id for the customer; unique.
    #[schema(example = "CRM-10042")]
    pub external_id: Option<String>,
    #[schema(example = "Anna Schmidt")]
    pub name: String,
    #[schema(example = "anna.schmidt@example.de")]
    pub email: Option<String>,
    /// `de` (default) or `en`.
    #[schema(example = "de", value_type = Option<crate::vocab::Language>)]
    pub language: Option<String>,
    /// `standard` (default), `premium` or `enterprise`.
    #[schema(example = "premium", value_type = Option<crate::vocab::Tier>)]
    pub tier: Option<String>,
    /// Customer lifetime value in cents (0 to 1,000,000,000,000).
    #[schema(example = 125000, minimum = 0, maximum = 1e12)]
    pub clv_cents: Option<i64>,
    pub account_id: Option<Uuid>,
    pub consent_contact: Option<bool>,
    pub consent_survey: Option<bool>,
}

impl From<CustomerIn> for amends_app::service::CustomerInput {
    fn from(c: CustomerIn) -> Self {
        Self {
            external_id: c.external_id,
            name: c.name,
            email: c.email,
            language: c.language,
            tier: c.tier,
            clv_cents: c.clv_cents,
            account_id: c.account_id,
            consent_contact: c.consent_contact,
            consent_survey: c.consent_survey,
        }
    }
}

/// Fields to change; absent fields stay as they are. An empty `email` removes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatchIn {
    pub name: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = Option<crate::vocab::Language>)]
    pub language: Option<String>,
    #[schema(value_type = Option<crate::vocab::Tier>)]
    pub tier: Option<String>,
    #[schema(minimum = 0, maximum = 1e12)]
    pub clv_cents: Option<i64>,
    pub consent_contact: Option<bool>,
    pub consent_survey: Option<bool>,
    /// When the customer left (RFC 3339, e.g. from the CRM); an empty string: still a customer.
    #[schema(example = "2026-11-30T00:00:00Z", value_type = Option<ChurnedAt>)]
    pub churned_at: Option<String>,
}

/// A time (RFC 3339), or an empty string.
pub struct ChurnedAt;

impl utoipa::PartialSchema for ChurnedAt {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String).format(Some(
                utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime),
            )))
            .item(ObjectBuilder::new().schema_type(Type::String).enum_values(Some([""])))
            .into()
    }
}

impl ToSchema for ChurnedAt {}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerOut {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub account_id: Option<Uuid>,
    pub name: String,
    pub email: Option<String>,
    pub language: String,
    pub tier: String,
    pub clv_cents: i64,
    pub consent_contact: bool,
    pub consent_survey: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub churned_at: Option<DateTime<Utc>>,
}

impl From<Customer> for CustomerOut {
    fn from(c: Customer) -> Self {
        Self {
            id: c.id.0,
            external_id: c.external_id,
            account_id: c.account_id,
            name: c.name,
            email: c.email,
            language: c.language.code().into(),
            tier: c.tier.as_str().into(),
            clv_cents: c.clv_cents,
            consent_contact: c.consent_contact,
            consent_survey: c.consent_survey,
            created_at: c.created_at,
            updated_at: c.updated_at,
            churned_at: c.churned_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    pub items: Vec<CustomerOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseIn {
    pub customer_id: Uuid,
    /// 1 to 200 characters.
    #[schema(example = "Lieferung kam beschädigt an")]
    pub subject: String,
    /// At most 20,000 characters.
    #[schema(example = "Der Karton war eingedrückt, die Vase zerbrochen.")]
    pub description: Option<String>,
    #[schema(example = "email", value_type = crate::vocab::Channel)]
    pub channel: String,
    /// low, normal (default), high, urgent
    #[schema(value_type = Option<crate::vocab::Priority>)]
    pub priority: Option<String>,
    pub assignee_id: Option<Uuid>,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasePatchIn {
    pub subject: Option<String>,
    /// At most 20,000 characters.
    pub description: Option<String>,
    /// low, normal, high, urgent — recomputes the SLA due dates.
    #[schema(value_type = Option<crate::vocab::Priority>)]
    pub priority: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionIn {
    /// The target state, e.g. `acknowledged`.
    #[schema(example = "acknowledged", value_type = crate::vocab::CaseState)]
    pub to: String,
    /// Optional note shown on the timeline with the change.
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignIn {
    /// The user to assign; `null` unassigns.
    pub assignee_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    #[schema(example = "Kundin angerufen, Ersatz ist unterwegs.")]
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaClock {
    pub due_at: DateTime<Utc>,
    /// When the clock stopped (first response given / case resolved).
    pub met_at: Option<DateTime<Utc>>,
    /// green, amber, red or breached
    pub urgency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlaOut {
    /// e.g. `premium/high`
    pub policy: String,
    /// Since when the clocks stand still (waiting on the customer).
    pub paused_since: Option<DateTime<Utc>>,
    pub first_response: SlaClock,
    pub resolution: SlaClock,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseOut {
    pub id: Uuid,
    /// Short reference for people, e.g. `3f9a12c4`.
    pub reference: String,
    pub customer: PersonRef,
    pub subject: String,
    pub description: String,
    pub channel: String,
    pub origin: String,
    pub state: String,
    pub priority: String,
    pub tier: String,
    pub assignee: Option<PersonRef>,
    pub first_response_due_at: DateTime<Utc>,
    pub resolution_due_at: DateTime<Utc>,
    pub sla: SlaOut,
    /// States this case may move to next.
    pub allowed_transitions: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i64,
    /// The incident that opened the case or was linked to it.
    pub incident_id: Option<Uuid>,
    /// The case this one was merged into (it is closed then).
    pub merged_into: Option<Uuid>,
}

impl CaseOut {
    #[must_use]
    pub fn new(c: Case, now: DateTime<Utc>) -> Self {
        // While paused (waiting on the customer) the clocks are judged at the pause.
        let at = c.sla_paused_at.unwrap_or(now);
        let first = SlaUrgency::of(c.created_at, c.first_response_due_at, c.first_responded_at, at);
        let resolution = SlaUrgency::of(c.created_at, c.resolution_due_at, c.resolved_at, at);
        Self {
            id: c.id.0,
            reference: c.id.short(),
            customer: PersonRef {
                id: c.customer_id.0,
                name: c.customer_name.clone(),
            },
            assignee: c.assignee_id.map(|id| PersonRef {
                id,
                name: c.assignee_name.clone().unwrap_or_default(),
            }),
            sla: SlaOut {
                policy: amends_domain::sla::SlaTargets::policy_name(c.tier, c.priority),
                paused_since: c.sla_paused_at,
                first_response: SlaClock {
                    due_at: c.first_response_due_at,
                    met_at: c.first_responded_at,
                    urgency: first.as_str().into(),
                },
                resolution: SlaClock {
                    due_at: c.resolution_due_at,
                    met_at: c.resolved_at,
                    urgency: resolution.as_str().into(),
                },
            },
            allowed_transitions: c.state.allowed_next().iter().map(|s| s.as_str().into()).collect(),
            subject: c.subject,
            description: c.description,
            channel: c.channel.as_str().into(),
            origin: c.origin.as_str().into(),
            state: c.state.as_str().into(),
            priority: c.priority.as_str().into(),
            tier: c.tier.as_str().into(),
            first_response_due_at: c.first_response_due_at,
            resolution_due_at: c.resolution_due_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            resolved_at: c.resolved_at,
            closed_at: c.closed_at,
            version: c.version,
            incident_id: c.incident_id,
            merged_into: c.merged_into,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseOut>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The number of cases in one saved view.
#[derive(Debug, Serialize, ToSchema)]
pub struct ViewCountOut {
    /// The view, as the `view` parameter of `GET /cases` takes it.
    pub view: String,
    /// Cases in the view, at most 1,000.
    pub count: i64,
    /// True when the view holds more than `count` cases.
    pub more: bool,
}

impl ViewCountOut {
    /// From a count capped at [`crate::views::COUNT_CAP`] (one more means "more").
    #[must_use]
    pub fn new(view: &str, n: i64) -> Self {
        let cap = crate::views::COUNT_CAP;
        Self {
            view: view.to_string(),
            count: n.min(cap),
            more: n > cap,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub id: Uuid,
    /// created, note, message_in, message_out, state_change, assignment,
    /// update, … split (a message moved to or from another case), merge
    /// (`data.into` or `data.from`). A `message_in` that joined an open case
    /// says why in `data.attach`: `{"reason": "reference"}`, `{"reason":
    /// "reply"}` or `{"reason": "topic", "topic": …, "days": …}`.
    pub kind: String,
    pub author: Option<PersonRef>,
    pub body: Option<String>,
    /// Details of the event by kind; `null` for kinds without any.
    #[schema(value_type = Option<Object>)]
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// Outgoing messages (`message_out`) sent through the outbox: queued,
    /// sent or failed, with the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<amends_app::delivery::Delivery>,
}

impl EventOut {
    /// A case's events with the delivery state of its outgoing messages.
    pub async fn timeline(
        state: &amends_app::App,
        case: amends_domain::CaseId,
    ) -> Result<Vec<Self>, amends_app::AppError> {
        let events = state.store().list_events(case).await?;
        let deliveries = amends_app::delivery::by_message_id(state, case).await?;
        Ok(Self::with_delivery(events, deliveries))
    }

    /// Events with the delivery state of each outgoing message (by Message-ID).
    #[must_use]
    pub fn with_delivery(
        events: Vec<CaseEvent>,
        mut deliveries: std::collections::HashMap<String, amends_app::delivery::Delivery>,
    ) -> Vec<Self> {
        events
            .into_iter()
            .map(|e| {
                let mut out = EventOut::from(e);
                if out.kind == "message_out"
                    && let Some(mid) = out.data["message_id"].as_str()
                {
                    out.delivery = deliveries.remove(mid);
                }
                out
            })
            .collect()
    }
}

impl From<CaseEvent> for EventOut {
    fn from(e: CaseEvent) -> Self {
        let data = e.data_json();
        Self {
            id: e.id.0,
            kind: e.kind.as_str().into(),
            author: e.author_id.map(|id| PersonRef {
                id,
                name: e.author_name.clone().unwrap_or_default(),
            }),
            body: e.body,
            data,
            created_at: e.created_at,
            delivery: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub language: String,
    pub active: bool,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            role: u.role.as_str().into(),
            language: u.language.code().into(),
            active: u.active,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    /// Letters a–z, digits and `.` `_` `-` `@`; at most 64.
    #[schema(min_length = 1, max_length = 64, pattern = "^[A-Za-z0-9._@-]+$")]
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    #[schema(value_type = crate::vocab::Role)]
    pub role: String,
    #[schema(value_type = Option<crate::vocab::Language>)]
    pub language: Option<String>,
    /// 10 to 1,024 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenIn {
    #[schema(example = "crm-sync")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: Uuid,
    pub name: String,
    /// The token itself; shown only this once.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditOut {
    pub id: Uuid,
    pub actor: Option<PersonRef>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// What changed, by action; `null` for actions without details.
    #[schema(value_type = Option<Object>)]
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// States a client may filter by, for the docs.
#[must_use]
pub fn state_names() -> Vec<&'static str> {
    CaseState::ALL.iter().map(|s| s.as_str()).collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackOut {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    /// The case a rule opened or attached the item to (or one opened by hand).
    pub case_id: Option<Uuid>,
    pub channel: String,
    pub rating: Option<i32>,
    pub text: String,
    pub language: String,
    pub sentiment: SentimentOut,
    pub topics: Vec<String>,
    pub signals: Vec<String>,
    pub rule: Option<FiredRuleOut>,
    #[schema(value_type = Option<Object>)]
    pub source: Option<serde_json::Value>,
    /// The product component the item is about, if its source named one.
    pub component: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Feedback> for FeedbackOut {
    fn from(f: Feedback) -> Self {
        let reasons = f.reasons();
        let rule = f.rule_name.clone().map(|name| FiredRuleOut {
            id: f.rule_id,
            explanation: explain(&name, &reasons),
            name,
            reasons: reasons.iter().filter_map(|r| serde_json::to_value(r).ok()).collect(),
        });
        Self {
            id: f.id.0,
            customer_id: f.customer_id.0,
            customer_name: f.customer_name.clone(),
            case_id: f.case_id,
            channel: f.channel.as_str().into(),
            rating: f.rating,
            language: f.language.code().into(),
            sentiment: SentimentOut {
                label: f.sentiment.as_str().into(),
                score: (f.sentiment_score * 1000.0).round() / 1000.0,
            },
            topics: f.topic_list(),
            signals: f.signal_list(),
            rule,
            source: f.source_json(),
            component: f.component.clone(),
            created_at: f.created_at,
            text: f.text,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SentimentOut {
    /// negative, neutral or positive
    pub label: String,
    /// −1 (very negative) … 1 (very positive)
    pub score: f64,
}

/// The rule that fired for an item and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiredRuleOut {
    pub id: Option<Uuid>,
    pub name: String,
    /// A sentence saying why the rule fired.
    pub explanation: String,
    /// The matched conditions: `{kind, value, actual?}`.
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<serde_json::Value>,
}
