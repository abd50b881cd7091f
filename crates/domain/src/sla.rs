//! SLA targets and due dates.
//!
//! The foundation uses round-the-clock (24/7) targets per tier and priority;
//! business-hour calendars build on [`SlaTargets`] and [`DueDates`].

use crate::case::Priority;
use crate::customer::Tier;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long the team has for the first response and for resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTargets {
    pub first_response: Duration,
    pub resolution: Duration,
}

impl SlaTargets {
    /// The built-in policy: higher tiers and priorities get shorter targets.
    #[must_use]
    pub fn default_for(tier: Tier, priority: Priority) -> Self {
        // (first response, resolution) in hours for a normal-priority case.
        let (first, resolve) = match tier {
            Tier::Standard => (8, 72),
            Tier::Premium => (4, 48),
            Tier::Enterprise => (2, 24),
        };
        let (num, den) = match priority {
            Priority::Low => (2, 1),
            Priority::Normal => (1, 1),
            Priority::High => (1, 2),
            Priority::Urgent => (1, 4),
        };
        let scale = |hours: i64| Duration::minutes(hours * 60 * num / den);
        Self {
            first_response: scale(first),
            resolution: scale(resolve),
        }
    }

    /// The policy's name as shown in the UI, e.g. `premium/high`.
    #[must_use]
    pub fn policy_name(tier: Tier, priority: Priority) -> String {
        format!("{tier}/{priority}")
    }
}

pub use crate::case::DueDates;

impl DueDates {
    /// Due dates when the SLA clock runs only while `calendar` is open;
    /// `None` if the calendar never opens again.
    #[must_use]
    pub fn on_calendar(
        start: DateTime<Utc>,
        targets: SlaTargets,
        calendar: &crate::calendar::Calendar,
    ) -> Option<Self> {
        Some(Self {
            first_response_due_at: calendar.add(start, targets.first_response)?,
            resolution_due_at: calendar.add(start, targets.resolution)?,
        })
    }

    #[must_use]
    pub fn from_start(start: DateTime<Utc>, targets: SlaTargets) -> Self {
        Self {
            first_response_due_at: start + targets.first_response,
            resolution_due_at: start + targets.resolution,
        }
    }
}

impl DueDates {
    /// The due dates after a pause of the SLA clock (waiting on the
    /// customer) from `paused_at` to `resumed_at`: open clocks move later by
    /// the paused time, clocks already met stay.
    #[must_use]
    pub fn after_pause(self, paused_at: DateTime<Utc>, resumed_at: DateTime<Utc>, first_response_met: bool) -> Self {
        let paused = (resumed_at - paused_at).max(Duration::zero());
        Self {
            first_response_due_at: if first_response_met {
                self.first_response_due_at
            } else {
                self.first_response_due_at + paused
            },
            resolution_due_at: self.resolution_due_at + paused,
        }
    }
}

/// The calendars of the SLA policies by tier × priority, for measuring how
/// long the clock ran. A tier × priority without a calendar runs round the
/// clock (24/7), as its due dates do.
#[derive(Debug, Clone, Default)]
pub struct PolicyCalendars {
    calendars: std::collections::BTreeMap<(Tier, Priority), crate::calendar::Calendar>,
}

impl PolicyCalendars {
    /// Sets the calendar of `tier` × `priority`.
    pub fn insert(&mut self, tier: Tier, priority: Priority, calendar: crate::calendar::Calendar) {
        self.calendars.insert((tier, priority), calendar);
    }

    /// True if some policy counts business hours only.
    #[must_use]
    pub fn any_business_hours(&self) -> bool {
        self.calendars
            .values()
            .any(|c| matches!(c, crate::calendar::Calendar::BusinessHours(_)))
    }

    /// The time the SLA clock of a `tier` × `priority` case ran between
    /// `start` and `end`: the open time of its policy's calendar, else the
    /// wall-clock time. Zero if `end` is not after `start`.
    #[must_use]
    pub fn elapsed(&self, tier: Tier, priority: Priority, start: DateTime<Utc>, end: DateTime<Utc>) -> Duration {
        match self.calendars.get(&(tier, priority)) {
            Some(calendar) => calendar.open_between(start, end),
            None => (end - start).max(Duration::zero()),
        }
    }
}

/// Which SLA clock an escalation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    FirstResponse,
    Resolution,
}

/// What the SLA sweep should do about a case now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Escalation {
    /// Due within the warning window: tell the assignee.
    Warn { clock: Clock, key: String },
    /// Past due: escalate (raise the priority, flag for a lead).
    Breach { clock: Clock, key: String },
}

/// Decides the escalation of an open, running (not paused) case: the clock
/// that runs now is the first response until it is met, then the
/// resolution. `warned_for`/`breached_for` hold the keys already handled,
/// so each due date warns and escalates once (a moved due date again).
#[must_use]
pub fn escalation(
    now: DateTime<Utc>,
    warn_before: Duration,
    first_responded: bool,
    due: DueDates,
    warned_for: Option<&str>,
    breached_for: Option<&str>,
) -> Option<Escalation> {
    let (clock, at) = if first_responded {
        (Clock::Resolution, due.resolution_due_at)
    } else {
        (Clock::FirstResponse, due.first_response_due_at)
    };
    let name = match clock {
        Clock::FirstResponse => "first_response",
        Clock::Resolution => "resolution",
    };
    let key = format!("{name}@{}", at.timestamp());
    if now >= at {
        (breached_for != Some(key.as_str())).then_some(Escalation::Breach { clock, key })
    } else if now + warn_before >= at {
        (warned_for != Some(key.as_str())).then_some(Escalation::Warn { clock, key })
    } else {
        None
    }
}

/// Traffic-light state of one SLA clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaUrgency {
    /// Met (the clock stopped in time) or plenty of time left.
    Green,
    /// Less than 40 % of the target left.
    Amber,
    /// Less than 15 % of the target left.
    Red,
    /// Past due.
    Breached,
}

impl SlaUrgency {
    /// Urgency of a clock that started at `start`, is due at `due`, and is
    /// looked at `now`. A clock that stopped (`stopped_at`) is judged at
    /// the time it stopped.
    #[must_use]
    pub fn of(start: DateTime<Utc>, due: DateTime<Utc>, stopped_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        let at = stopped_at.unwrap_or(now);
        if at >= due {
            return SlaUrgency::Breached;
        }
        if stopped_at.is_some() {
            return SlaUrgency::Green;
        }
        let total = (due - start).num_seconds().max(1);
        let left = (due - at).num_seconds();
        // Integer percent avoids float rounding at the boundaries.
        let pct_left = left * 100 / total;
        if pct_left < 15 {
            SlaUrgency::Red
        } else if pct_left < 40 {
            SlaUrgency::Amber
        } else {
            SlaUrgency::Green
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SlaUrgency::Green => "green",
            SlaUrgency::Amber => "amber",
            SlaUrgency::Red => "red",
            SlaUrgency::Breached => "breached",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0)
            .single()
            .expect("valid time")
    }

    #[test]
    fn policy_calendars_count_business_time_where_a_policy_has_a_calendar() {
        use crate::calendar::CalendarSpec;
        use chrono_tz::Europe::Berlin;
        let berlin = |d: u32, h: u32, m: u32| {
            Berlin
                .with_ymd_and_hms(2026, 11, d, h, m, 0)
                .single()
                .expect("valid time")
                .with_timezone(&Utc)
        };
        let office = CalendarSpec::office_hours("Europe/Berlin").build().expect("calendar");
        let mut cals = PolicyCalendars::default();
        assert!(!cals.any_business_hours());
        cals.insert(Tier::Standard, Priority::Normal, office);
        assert!(cals.any_business_hours());
        let el = |tier, start, end| cals.elapsed(tier, Priority::Normal, start, end);
        // Friday 20 Nov 17:00 → Monday 23 Nov 09:30: 30 business minutes.
        let (fri, mon) = (berlin(20, 17, 0), berlin(23, 9, 30));
        assert_eq!(el(Tier::Standard, fri, mon), Duration::minutes(30));
        // Without a calendar the clock runs round the clock: 64.5 hours.
        assert_eq!(el(Tier::Premium, fri, mon), Duration::minutes(64 * 60 + 30));
        // Friday 16:00 → Monday 10:00: 1 h + 1 h.
        assert_eq!(
            el(Tier::Standard, berlin(20, 16, 0), berlin(23, 10, 0)),
            Duration::hours(2)
        );
        // Saturday to Sunday: nothing; backwards: zero.
        assert_eq!(
            el(Tier::Standard, berlin(21, 8, 0), berlin(22, 20, 0)),
            Duration::zero()
        );
        assert_eq!(el(Tier::Premium, mon, fri), Duration::zero());
        // Monday 9:00 → Wednesday 12:00: 8 + 8 + 3 hours.
        assert_eq!(
            el(Tier::Standard, berlin(23, 9, 0), berlin(25, 12, 0)),
            Duration::hours(19)
        );
    }

    #[test]
    fn higher_tiers_and_priorities_get_shorter_targets() {
        let std_normal = SlaTargets::default_for(Tier::Standard, Priority::Normal);
        let ent_urgent = SlaTargets::default_for(Tier::Enterprise, Priority::Urgent);
        assert_eq!(std_normal.first_response, Duration::hours(8));
        assert_eq!(ent_urgent.first_response, Duration::minutes(30));
        assert_eq!(
            SlaTargets::default_for(Tier::Standard, Priority::Low).resolution,
            Duration::hours(144)
        );
        let d = DueDates::from_start(t(9, 0), std_normal);
        assert_eq!(d.first_response_due_at, t(17, 0));
    }

    #[test]
    fn escalations_warn_then_breach_once_per_due_date() {
        let due = DueDates {
            first_response_due_at: t(10, 0),
            resolution_due_at: t(20, 0),
        };
        let w = Duration::hours(1);
        assert_eq!(escalation(t(8, 0), w, false, due, None, None), None);
        let Some(Escalation::Warn { clock, key }) = escalation(t(9, 30), w, false, due, None, None) else {
            panic!("expected a warning");
        };
        assert_eq!(clock, Clock::FirstResponse);
        assert_eq!(
            escalation(t(9, 40), w, false, due, Some(&key), None),
            None,
            "warned once"
        );
        let Some(Escalation::Breach { key: bkey, .. }) = escalation(t(10, 0), w, false, due, Some(&key), None) else {
            panic!("expected a breach");
        };
        assert_eq!(
            escalation(t(11, 0), w, false, due, Some(&key), Some(&bkey)),
            None,
            "escalated once"
        );
        // After the first response the resolution clock counts.
        assert!(matches!(
            escalation(t(19, 30), w, true, due, Some(&key), Some(&bkey)),
            Some(Escalation::Warn {
                clock: Clock::Resolution,
                ..
            })
        ));
    }

    #[test]
    fn a_pause_moves_open_clocks_only() {
        let d = DueDates {
            first_response_due_at: t(10, 0),
            resolution_due_at: t(20, 0),
        };
        let after = d.after_pause(t(8, 0), t(9, 30), true);
        assert_eq!(after.first_response_due_at, t(10, 0));
        assert_eq!(after.resolution_due_at, t(21, 30));
        assert_eq!(d.after_pause(t(8, 0), t(8, 30), false).first_response_due_at, t(10, 30));
        assert_eq!(d.after_pause(t(9, 0), t(8, 0), false), d, "time never runs backwards");
    }

    #[test]
    fn urgency_follows_the_time_left() {
        let (start, due) = (t(0, 0), t(10, 0));
        assert_eq!(SlaUrgency::of(start, due, None, t(1, 0)), SlaUrgency::Green);
        assert_eq!(SlaUrgency::of(start, due, None, t(6, 30)), SlaUrgency::Amber);
        assert_eq!(SlaUrgency::of(start, due, None, t(9, 0)), SlaUrgency::Red);
        assert_eq!(SlaUrgency::of(start, due, None, t(10, 0)), SlaUrgency::Breached);
        assert_eq!(SlaUrgency::of(start, due, Some(t(9, 59)), t(23, 0)), SlaUrgency::Green);
        assert_eq!(
            SlaUrgency::of(start, due, Some(t(10, 1)), t(10, 2)),
            SlaUrgency::Breached
        );
    }
}
