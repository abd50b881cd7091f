//! Rows as the rest of amends sees them: typed ids and validated enums.

use amends_domain::{
    AccountId, CaseId, CaseState, Channel, CustomerId, EventId, Language, Origin, Priority, Role, Tier, TokenId, UserId,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Account {
    #[sqlx(try_from = "Uuid")]
    pub id: AccountId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Customer {
    #[sqlx(try_from = "Uuid")]
    pub id: CustomerId,
    pub external_id: Option<String>,
    pub account_id: Option<Uuid>,
    pub name: String,
    pub email: Option<String>,
    #[sqlx(try_from = "String")]
    pub language: Language,
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    pub clv_cents: i64,
    pub consent_contact: bool,
    pub consent_survey: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub churned_at: Option<DateTime<Utc>>,
    /// When the personal data was erased (the name is a pseudonym since).
    pub erased_at: Option<DateTime<Utc>>,
}

impl Customer {
    #[must_use]
    pub fn account(&self) -> Option<AccountId> {
        self.account_id.map(AccountId)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct User {
    #[sqlx(try_from = "Uuid")]
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    #[sqlx(try_from = "String")]
    pub role: Role,
    #[sqlx(try_from = "String")]
    pub language: Language,
    #[serde(skip)]
    pub password_hash: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    #[sqlx(try_from = "Uuid")]
    pub id: TokenId,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A recovery case with the names needed to show it in a list.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Case {
    #[sqlx(try_from = "Uuid")]
    pub id: CaseId,
    #[sqlx(try_from = "Uuid")]
    pub customer_id: CustomerId,
    pub subject: String,
    pub description: String,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub origin: Origin,
    #[sqlx(try_from = "String")]
    pub state: CaseState,
    #[sqlx(try_from = "String")]
    pub priority: Priority,
    #[sqlx(try_from = "String")]
    pub tier: Tier,
    pub assignee_id: Option<Uuid>,
    pub first_response_due_at: DateTime<Utc>,
    pub resolution_due_at: DateTime<Utc>,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Set while the case waits on the customer (SLA clocks paused).
    pub sla_paused_at: Option<DateTime<Utc>>,
    pub severity: Option<i32>,
    pub repeat_failure: Option<bool>,
    pub controllable: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// The incident that opened the case or was linked to it.
    pub incident_id: Option<Uuid>,
    /// The case this one was merged into (it is closed then).
    #[sqlx(default)]
    pub merged_into: Option<Uuid>,
    /// Joined from the customer.
    pub customer_name: String,
    pub customer_clv_cents: i64,
    #[sqlx(try_from = "String")]
    pub customer_language: Language,
    /// Joined from the assignee, if any.
    pub assignee_name: Option<String>,
}

impl Case {
    #[must_use]
    pub fn assignee(&self) -> Option<UserId> {
        self.assignee_id.map(UserId)
    }
}

/// What happened on a case, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Note,
    MessageIn,
    MessageOut,
    StateChange,
    Assignment,
    Update,
    /// A customer answered a survey (score, comment).
    SurveyAnswered,
    /// A follow-up step: survey scheduled or skipped, check-in, lead flag, notification.
    FollowUp,
    /// An SLA warning or breach (data: what, clock, due_at).
    Sla,
    /// An outgoing message could not be delivered (after all retries).
    DeliveryFailed,
    /// Goodwill granted, requested, approved or rejected.
    Goodwill,
    /// A solution article was linked to the case (data: solution_id, version).
    Solution,
    /// A message was split out into its own case (data: from, to, event_id).
    Split,
    /// Two cases were merged (data: into or from, with their references).
    Merge,
    /// A playbook step checked off or taken back (data: what, playbook_id, version, step, title_de, title_en).
    Playbook,
    /// What the customer considers fair, answered or typed in (data: choice, amount_cents, source; body: note).
    FairExpectation,
}

impl EventKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Note => "note",
            EventKind::MessageIn => "message_in",
            EventKind::MessageOut => "message_out",
            EventKind::StateChange => "state_change",
            EventKind::Assignment => "assignment",
            EventKind::Update => "update",
            EventKind::SurveyAnswered => "survey_answered",
            EventKind::FollowUp => "follow_up",
            EventKind::Sla => "sla",
            EventKind::DeliveryFailed => "delivery_failed",
            EventKind::Goodwill => "goodwill",
            EventKind::Solution => "solution",
            EventKind::Split => "split",
            EventKind::Merge => "merge",
            EventKind::Playbook => "playbook",
            EventKind::FairExpectation => "fair_expectation",
        }
    }
}

impl TryFrom<String> for EventKind {
    type Error = amends_domain::ValidationError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        serde_json::from_value(serde_json::Value::String(s.clone()))
            .map_err(|_| amends_domain::ValidationError::new("kind", format!("unknown event kind `{s}`")))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct CaseEvent {
    #[sqlx(try_from = "Uuid")]
    pub id: EventId,
    #[sqlx(try_from = "Uuid")]
    pub case_id: CaseId,
    #[sqlx(try_from = "String")]
    pub kind: EventKind,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub body: Option<String>,
    /// JSON text with kind-specific facts (e.g. `{"from":"new","to":"acknowledged"}`).
    pub data: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl CaseEvent {
    #[must_use]
    pub fn data_json(&self) -> serde_json::Value {
        self.data
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub detail: Option<String>,
    pub created_at: DateTime<Utc>,
}
