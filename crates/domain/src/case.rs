//! Recovery cases: states and the transitions between them, channels,
//! origins and priorities. Decides which state a case may move to and what
//! a move changes: first response, resolution and closing times, the pause
//! of the SLA clocks while the case waits on the customer, and that a case
//! is followed up only after its follow-up happened.

use crate::error::ValidationError;
use chrono::{DateTime, Utc};
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

/// What the state machine needs to know about a case to move it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    pub state: CaseState,
    pub due: DueDates,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Set while the SLA clocks are paused (the case waits on the customer).
    pub sla_paused_at: Option<DateTime<Utc>>,
    /// When the follow-up of the last resolution happened (the customer
    /// answered the survey or the check-in message was sent). Only a move to
    /// `followed_up` looks at it.
    pub follow_up_at: Option<DateTime<Utc>>,
}

/// A case after an allowed move: everything the move changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionChange {
    pub from: CaseState,
    pub state: CaseState,
    /// Whether the customer still waits for us ([`CaseState::is_open`]).
    pub open: bool,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub sla_paused_at: Option<DateTime<Utc>>,
    /// The due dates, moved later by the pause when the case stops waiting
    /// on the customer.
    pub due: DueDates,
    /// A new resolution (or a reopening) needs a new follow-up: the last
    /// follow-up no longer counts.
    pub clear_follow_up: bool,
}

/// Why a case cannot make a move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransitionRefused {
    /// The state machine does not allow the move.
    NotAllowed(TransitionError),
    /// `followed_up` before the follow-up happened.
    FollowUpPending,
}

impl fmt::Display for TransitionRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransitionRefused::NotAllowed(e) => e.fmt(f),
            TransitionRefused::FollowUpPending => f.write_str(
                "a case reaches followed_up only after the follow-up happened: the customer answered the survey \
                 or the check-in message was sent",
            ),
        }
    }
}

impl std::error::Error for TransitionRefused {}

impl CaseFacts {
    /// Moves the case to `to` at `now`, if the state machine allows it.
    ///
    /// Leaving `new` records the first response; `resolved` and `closed`
    /// record their time and `reopened` clears both. Entering
    /// `waiting_on_customer` pauses the SLA clocks; leaving it moves the
    /// open due dates later by the paused time. `followed_up` needs the
    /// follow-up to have happened, and a resolution or a reopening asks for
    /// a new follow-up.
    pub fn transition(&self, to: CaseState, now: DateTime<Utc>) -> Result<TransitionChange, TransitionRefused> {
        let to = self.state.transition(to).map_err(TransitionRefused::NotAllowed)?;
        if to == CaseState::FollowedUp && self.follow_up_at.is_none() {
            return Err(TransitionRefused::FollowUpPending);
        }
        let first_responded_at = self
            .first_responded_at
            .or_else(|| to.counts_as_first_response().then_some(now));
        let resolved_at = match to {
            CaseState::Resolved => Some(now),
            CaseState::Reopened => None,
            _ => self.resolved_at,
        };
        let closed_at = match to {
            CaseState::Closed => Some(now),
            CaseState::Reopened => None,
            _ => self.closed_at,
        };
        let (due, sla_paused_at) = match (self.sla_paused_at, to.sla_paused()) {
            (None, true) => (self.due, Some(now)),
            (Some(p), false) => (self.due.after_pause(p, now, self.first_responded_at.is_some()), None),
            (p, _) => (self.due, p),
        };
        Ok(TransitionChange {
            from: self.state,
            state: to,
            open: to.is_open(),
            first_responded_at,
            resolved_at,
            closed_at,
            sla_paused_at,
            due,
            clear_follow_up: matches!(to, CaseState::Resolved | CaseState::Reopened),
        })
    }
}

/// The due dates of a case (computed by [`crate::sla`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DueDates {
    pub first_response_due_at: DateTime<Utc>,
    pub resolution_due_at: DateTime<Utc>,
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

    fn at(hour: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::hours(hour)
    }

    /// A new case opened at hour 0: first response due at 4, resolution at 24.
    fn fresh() -> CaseFacts {
        CaseFacts {
            state: CaseState::New,
            due: DueDates {
                first_response_due_at: at(4),
                resolution_due_at: at(24),
            },
            first_responded_at: None,
            resolved_at: None,
            closed_at: None,
            sla_paused_at: None,
            follow_up_at: None,
        }
    }

    /// The facts of `f` after applying `c`, as the store keeps them.
    fn applied(f: CaseFacts, c: &TransitionChange) -> CaseFacts {
        CaseFacts {
            state: c.state,
            due: c.due,
            first_responded_at: c.first_responded_at,
            resolved_at: c.resolved_at,
            closed_at: c.closed_at,
            sla_paused_at: c.sla_paused_at,
            follow_up_at: if c.clear_follow_up { None } else { f.follow_up_at },
        }
    }

    #[test]
    fn leaving_new_records_the_first_response_once() {
        let ack = fresh().transition(CaseState::Acknowledged, at(1)).expect("ack");
        assert_eq!(ack.from, CaseState::New);
        assert_eq!(ack.first_responded_at, Some(at(1)));
        assert!(ack.open);
        assert!(!ack.clear_follow_up);
        let work = applied(fresh(), &ack)
            .transition(CaseState::InProgress, at(2))
            .expect("work");
        assert_eq!(work.first_responded_at, Some(at(1)), "the first response stays");
        assert_eq!(
            (work.resolved_at, work.closed_at, work.sla_paused_at),
            (None, None, None)
        );
        assert_eq!(work.due, fresh().due);
    }

    #[test]
    fn resolving_closing_and_reopening_set_and_clear_their_times() {
        let working = CaseFacts {
            state: CaseState::InProgress,
            first_responded_at: Some(at(1)),
            ..fresh()
        };
        let resolved = working.transition(CaseState::Resolved, at(5)).expect("resolve");
        assert_eq!(resolved.resolved_at, Some(at(5)));
        assert_eq!(resolved.closed_at, None);
        assert!(!resolved.open);
        assert!(resolved.clear_follow_up, "a resolution needs a new follow-up");
        let closed = applied(working, &resolved)
            .transition(CaseState::Closed, at(6))
            .expect("close");
        assert_eq!((closed.resolved_at, closed.closed_at), (Some(at(5)), Some(at(6))));
        assert!(!closed.clear_follow_up);
        let reopened = applied(working, &closed)
            .transition(CaseState::Reopened, at(7))
            .expect("reopen");
        assert_eq!((reopened.resolved_at, reopened.closed_at), (None, None));
        assert!(reopened.open);
        assert!(reopened.clear_follow_up);
        assert_eq!(reopened.first_responded_at, Some(at(1)));
    }

    #[test]
    fn waiting_on_the_customer_pauses_the_sla_clocks() {
        let working = CaseFacts {
            state: CaseState::InProgress,
            first_responded_at: Some(at(1)),
            ..fresh()
        };
        let wait = working.transition(CaseState::WaitingOnCustomer, at(2)).expect("wait");
        assert_eq!(wait.sla_paused_at, Some(at(2)));
        assert_eq!(wait.due, working.due, "pausing does not move the due dates");
        let back = applied(working, &wait)
            .transition(CaseState::InProgress, at(5))
            .expect("back");
        assert_eq!(back.sla_paused_at, None);
        assert_eq!(
            back.due.resolution_due_at,
            at(27),
            "three paused hours move the resolution"
        );
        assert_eq!(
            back.due.first_response_due_at,
            at(4),
            "a first response already given keeps its due date"
        );
        // Resolving straight from waiting ends the pause as well.
        let resolved = applied(working, &wait)
            .transition(CaseState::Resolved, at(3))
            .expect("resolve");
        assert_eq!(resolved.sla_paused_at, None);
        assert_eq!(resolved.due.resolution_due_at, at(25));
        // Without a first response the first-response clock moves too.
        let unanswered = CaseFacts {
            state: CaseState::WaitingOnCustomer,
            sla_paused_at: Some(at(1)),
            ..fresh()
        };
        let moved = unanswered.transition(CaseState::InProgress, at(3)).expect("back");
        assert_eq!(moved.due.first_response_due_at, at(6));
    }

    #[test]
    fn followed_up_only_after_the_follow_up() {
        let resolved = CaseFacts {
            state: CaseState::Resolved,
            first_responded_at: Some(at(1)),
            resolved_at: Some(at(5)),
            ..fresh()
        };
        let e = resolved
            .transition(CaseState::FollowedUp, at(6))
            .expect_err("no follow-up yet");
        assert_eq!(e, TransitionRefused::FollowUpPending);
        assert_eq!(
            e.to_string(),
            "a case reaches followed_up only after the follow-up happened: the customer answered the survey or \
             the check-in message was sent"
        );
        let done = CaseFacts {
            follow_up_at: Some(at(6)),
            ..resolved
        };
        let c = done.transition(CaseState::FollowedUp, at(7)).expect("followed up");
        assert_eq!(c.state, CaseState::FollowedUp);
        assert_eq!(c.resolved_at, Some(at(5)));
        assert!(!c.clear_follow_up);
        // A move the state machine forbids is refused as such first.
        match fresh().transition(CaseState::FollowedUp, at(1)) {
            Err(TransitionRefused::NotAllowed(e)) => {
                assert_eq!(e.allowed, vec![CaseState::Acknowledged, CaseState::InProgress]);
            }
            other => panic!("{other:?}"),
        }
    }
}
