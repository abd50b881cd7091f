//! Recovery cases: states and the transitions between them, channels,
//! origins and priorities.

use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a string-valued enum with `as_str`, `ALL`, `Display` and a
/// `FromStr` whose error names the field and lists the allowed values.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(ValidationError::new(
                        $field,
                        format!(
                            "{} must be one of {}, got `{}`",
                            $field,
                            [$($text),+].map(|v| format!("`{v}`")).join(", "),
                            crate::validate::truncate(other, 40)
                        ),
                    )),
                }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// Where a case stands in the recovery loop.
    CaseState, "state" {
        New => "new",
        Acknowledged => "acknowledged",
        InProgress => "in_progress",
        WaitingOnCustomer => "waiting_on_customer",
        Resolved => "resolved",
        FollowedUp => "followed_up",
        Closed => "closed",
        Reopened => "reopened",
    }
);

string_enum!(
    /// The channel the customer used.
    Channel, "channel" {
        Email => "email",
        Phone => "phone",
        Chat => "chat",
        Web => "web",
        Widget => "widget",
        Survey => "survey",
        Social => "social",
        Api => "api",
        InPerson => "in_person",
        Other => "other",
        Csv => "csv",
    }
);

string_enum!(
    /// What opened the case.
    Origin, "origin" {
        Manual => "manual",
        Api => "api",
        Feedback => "feedback",
        Email => "email",
        Incident => "incident",
    }
);

string_enum!(
    /// How urgent the case is; with the tier it selects the SLA targets.
    Priority, "priority" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

impl Priority {
    /// One step more urgent (urgent stays urgent): used on an SLA breach.
    #[must_use]
    pub fn raised(self) -> Priority {
        match self {
            Priority::Low => Priority::Normal,
            Priority::Normal => Priority::High,
            Priority::High | Priority::Urgent => Priority::Urgent,
        }
    }
}

/// A transition that the state machine does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionError {
    pub from: CaseState,
    pub to: CaseState,
    pub allowed: Vec<CaseState>,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<&str> = self.allowed.iter().map(|s| s.as_str()).collect();
        write!(
            f,
            "a case in state `{}` cannot move to `{}`; allowed: {}",
            self.from,
            self.to,
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        )
    }
}

impl std::error::Error for TransitionError {}

impl CaseState {
    /// The states a case may move to from `self`.
    ///
    /// `new → acknowledged → in_progress ⇄ waiting_on_customer → resolved →
    /// followed_up → closed`, and `reopened` from resolved, followed_up or
    /// closed. Acknowledging may be skipped by starting work directly, and a
    /// case can be resolved from any working state.
    #[must_use]
    pub fn allowed_next(self) -> &'static [CaseState] {
        use CaseState::*;
        match self {
            New => &[Acknowledged, InProgress],
            Acknowledged => &[InProgress, WaitingOnCustomer, Resolved],
            InProgress => &[WaitingOnCustomer, Resolved],
            WaitingOnCustomer => &[InProgress, Resolved],
            Resolved => &[FollowedUp, Closed, Reopened],
            FollowedUp => &[Closed, Reopened],
            Closed => &[Reopened],
            Reopened => &[InProgress, WaitingOnCustomer, Resolved],
        }
    }

    /// Checks the transition `self → to`.
    pub fn transition(self, to: CaseState) -> Result<CaseState, TransitionError> {
        if self.allowed_next().contains(&to) {
            Ok(to)
        } else {
            Err(TransitionError {
                from: self,
                to,
                allowed: self.allowed_next().to_vec(),
            })
        }
    }

    /// Open states are those where the customer still waits for us.
    #[must_use]
    pub fn is_open(self) -> bool {
        !matches!(self, CaseState::Resolved | CaseState::FollowedUp | CaseState::Closed)
    }

    /// States whose SLA clock is paused (the customer has to act).
    #[must_use]
    pub fn sla_paused(self) -> bool {
        matches!(self, CaseState::WaitingOnCustomer)
    }

    /// Leaving `new` for any state counts as the first response.
    #[must_use]
    pub fn counts_as_first_response(self) -> bool {
        !matches!(self, CaseState::New)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_is_allowed() {
        use CaseState::*;
        let path = [
            New,
            Acknowledged,
            InProgress,
            WaitingOnCustomer,
            InProgress,
            Resolved,
            FollowedUp,
            Closed,
            Reopened,
            Resolved,
        ];
        for w in path.windows(2) {
            assert_eq!(w[0].transition(w[1]), Ok(w[1]), "{} -> {}", w[0], w[1]);
        }
    }

    #[test]
    fn invalid_transitions_name_the_allowed_ones() {
        let e = CaseState::New.transition(CaseState::Closed).expect_err("new -> closed");
        assert_eq!(e.allowed, vec![CaseState::Acknowledged, CaseState::InProgress]);
        assert!(e.to_string().contains("allowed: acknowledged, in_progress"), "{e}");
        assert!(CaseState::Closed.transition(CaseState::Closed).is_err());
        assert!(CaseState::New.transition(CaseState::Reopened).is_err());
    }

    #[test]
    fn every_state_can_reach_closed() {
        for &s in CaseState::ALL {
            let mut seen = vec![s];
            let mut frontier = vec![s];
            while let Some(x) = frontier.pop() {
                for &n in x.allowed_next() {
                    if !seen.contains(&n) {
                        seen.push(n);
                        frontier.push(n);
                    }
                }
            }
            assert!(seen.contains(&CaseState::Closed), "{s} cannot reach closed");
        }
    }

    #[test]
    fn enums_parse_with_helpful_errors() {
        assert_eq!("in_progress".parse::<CaseState>().expect("ok"), CaseState::InProgress);
        let e = "shouting".parse::<Channel>().expect_err("bad");
        assert_eq!(e.field, "channel");
        assert!(e.message.contains("`email`"), "{}", e.message);
        for &c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().expect("round trip"), c);
        }
    }
}
