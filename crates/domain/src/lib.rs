//! The pure domain core of amends.
//!
//! Everything here is deterministic: no I/O, no global clock, no randomness
//! except what the caller passes in. The store and the server build on these
//! types; the types prove that a value was validated at the edge.

pub mod assessment;
pub mod attach;
pub mod calendar;
pub mod case;
pub mod condition_problem;
pub mod customer;
pub mod customer_merge;
pub mod detection;
pub mod error;
pub mod fair;
pub mod feedback;
pub mod followup;
pub mod goodwill;
pub mod goodwill_reason;
pub mod goodwill_rule;
pub mod ids;
pub mod incident;
pub mod insight;
pub mod outbound;
pub mod playbook;
pub mod retention;
pub mod risk;
pub mod role;
pub mod routing;
pub mod service_report;
pub mod sla;
pub mod solution;
pub mod template;
pub mod tier_offer;
pub mod validate;

pub use case::{CaseFacts, CaseState, Channel, Origin, Priority, TransitionChange, TransitionError, TransitionRefused};
pub use customer::Tier;
pub use error::ValidationError;
pub use ids::{AccountId, CaseId, CustomerId, EventId, TokenId, UserId};
pub use ids::{FeedbackId, IncidentId, RuleId};
pub use role::{Permission, Role};
pub use validate::{Email, Language, NonEmptyText};
