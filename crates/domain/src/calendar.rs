//! Service calendars: when the SLA clock runs.
//!
//! A calendar is either round the clock (24/7) or business hours: open
//! intervals per weekday in a time zone, minus holidays. The arithmetic
//! works in local time and converts each interval's ends to UTC, so DST
//! changes shorten or lengthen the day as the wall clock does.

use crate::error::ValidationError;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// One open interval of a day, `start < end`, local wall-clock times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// When the SLA clock runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Calendar {
    /// Always.
    AlwaysOpen,
    /// Business hours in a time zone.
    BusinessHours(BusinessHours),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    tz: Tz,
    /// Monday first; each day's intervals sorted and non-overlapping.
    week: [Vec<Interval>; 7],
    /// Sorted, no duplicates.
    holidays: Vec<NaiveDate>,
}

/// The longest span searched for open time: a calendar that has none for
/// this long (e.g. a year of holidays) is treated as never opening.
const MAX_SEARCH_DAYS: i64 = 800;

impl BusinessHours {
    /// Validates and builds business hours. `week[0]` is Monday.
    pub fn new(tz: Tz, week: [Vec<Interval>; 7], mut holidays: Vec<NaiveDate>) -> Result<Self, ValidationError> {
        let mut week = week;
        for (i, day) in week.iter_mut().enumerate() {
            let name = weekday_name(i);
            day.sort_by_key(|iv| iv.start);
            for iv in day.iter() {
                if iv.end <= iv.start {
                    return Err(ValidationError::new(
                        "hours",
                        format!("{name}: an interval must end after it starts ({}–{})", iv.start, iv.end),
                    ));
                }
            }
            for w in day.windows(2) {
                if w[1].start < w[0].end {
                    return Err(ValidationError::new(
                        "hours",
                        format!(
                            "{name}: the intervals {}–{} and {}–{} overlap",
                            w[0].start, w[0].end, w[1].start, w[1].end
                        ),
                    ));
                }
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(ValidationError::new(
                "hours",
                "business hours need at least one open interval in the week",
            ));
        }
        holidays.sort();
        holidays.dedup();
        Ok(Self { tz, week, holidays })
    }

    /// Monday–Friday, `from`–`to` each day.
    pub fn weekdays(tz: Tz, from: NaiveTime, to: NaiveTime, holidays: Vec<NaiveDate>) -> Result<Self, ValidationError> {
        let iv = vec![Interval { start: from, end: to }];
        let week = [
            iv.clone(),
            iv.clone(),
            iv.clone(),
            iv.clone(),
            iv,
            Vec::new(),
            Vec::new(),
        ];
        Self::new(tz, week, holidays)
    }

    #[must_use]
    pub fn tz(&self) -> Tz {
        self.tz
    }

    fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.binary_search(&d).is_ok()
    }

    /// The open intervals of local date `d`, in UTC.
    fn open_on(&self, d: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if self.is_holiday(d) {
            return Vec::new();
        }
        let day = &self.week[d.weekday().num_days_from_monday() as usize];
        day.iter()
            .filter_map(|iv| {
                let s = to_utc(self.tz, d.and_time(iv.start));
                let e = to_utc(self.tz, d.and_time(iv.end));
                (e > s).then_some((s, e))
            })
            .collect()
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }
}

/// Local wall-clock time to UTC: in a DST gap the time after the gap,
/// in a DST overlap the earlier instant.
fn to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            // Skip forward minute by minute out of the gap (gaps are ≤ 2 h).
            let mut l = local;
            for _ in 0..180 {
                l += Duration::minutes(1);
                if let LocalResult::Single(t) | LocalResult::Ambiguous(t, _) = tz.from_local_datetime(&l) {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

fn weekday_name(i: usize) -> &'static str {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .get(i)
    .map_or("day", |w| match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    })
}

impl Calendar {
    /// The instant when `work` of open time has passed after `start`.
    /// `None` if the calendar never opens again within two years.
    #[must_use]
    pub fn add(&self, start: DateTime<Utc>, work: Duration) -> Option<DateTime<Utc>> {
        let bh = match self {
            Calendar::AlwaysOpen => return Some(start + work),
            Calendar::BusinessHours(bh) => bh,
        };
        let mut left = work.max(Duration::zero());
        // Start one day early: an interval of the previous local day can reach past midnight in UTC terms.
        let mut day = bh.local_date(start) - Duration::days(1);
        for _ in 0..MAX_SEARCH_DAYS {
            for (s, e) in bh.open_on(day) {
                if e <= start {
                    continue;
                }
                let from = s.max(start);
                let avail = e - from;
                if left <= avail {
                    // Zero work still lands on the next open instant.
                    return Some(from + left);
                }
                left -= avail;
            }
            day += Duration::days(1);
        }
        None
    }

    /// Open time between `a` and `b` (zero if `b <= a`).
    #[must_use]
    pub fn open_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        if b <= a {
            return Duration::zero();
        }
        let bh = match self {
            Calendar::AlwaysOpen => return b - a,
            Calendar::BusinessHours(bh) => bh,
        };
        let mut total = Duration::zero();
        let mut day = bh.local_date(a) - Duration::days(1);
        let last = bh.local_date(b) + Duration::days(1);
        while day <= last {
            for (s, e) in bh.open_on(day) {
                let from = s.max(a);
                let to = e.min(b);
                if to > from {
                    total += to - from;
                }
            }
            day += Duration::days(1);
        }
        total
    }

    /// True if the clock runs at `t`.
    #[must_use]
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        match self {
            Calendar::AlwaysOpen => true,
            Calendar::BusinessHours(bh) => {
                let d = bh.local_date(t);
                [d - Duration::days(1), d]
                    .iter()
                    .any(|day| bh.open_on(*day).iter().any(|(s, e)| *s <= t && t < *e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Berlin;
    use proptest::prelude::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
    }

    fn berlin(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        to_utc(
            Berlin,
            NaiveDate::from_ymd_opt(y, mo, d).expect("date").and_time(hm(h, mi)),
        )
    }

    fn office() -> Calendar {
        let holidays = vec![
            NaiveDate::from_ymd_opt(2026, 12, 25).expect("date"),
            NaiveDate::from_ymd_opt(2026, 12, 26).expect("date"),
        ];
        Calendar::BusinessHours(BusinessHours::weekdays(Berlin, hm(9, 0), hm(17, 0), holidays).expect("valid"))
    }

    #[test]
    fn work_rolls_over_nights_and_weekends() {
        let cal = office();
        // Friday 16:00 + 2 h of work = Monday 10:00.
        assert_eq!(
            cal.add(berlin(2026, 11, 20, 16, 0), Duration::hours(2)),
            Some(berlin(2026, 11, 23, 10, 0))
        );
        // Saturday: the clock starts Monday 9:00.
        assert_eq!(
            cal.add(berlin(2026, 11, 21, 12, 0), Duration::hours(1)),
            Some(berlin(2026, 11, 23, 10, 0))
        );
        // Before opening.
        assert_eq!(
            cal.add(berlin(2026, 11, 23, 7, 0), Duration::minutes(30)),
            Some(berlin(2026, 11, 23, 9, 30))
        );
        // 24 working hours = three full days.
        assert_eq!(
            cal.add(berlin(2026, 11, 23, 9, 0), Duration::hours(24)),
            Some(berlin(2026, 11, 25, 17, 0))
        );
    }

    #[test]
    fn holidays_are_skipped() {
        // Thursday 24 Dec 16:00 + 2 h: Friday 25 and Saturday 26 are holidays/weekend → Monday 28 10:00.
        assert_eq!(
            office().add(berlin(2026, 12, 24, 16, 0), Duration::hours(2)),
            Some(berlin(2026, 12, 28, 10, 0))
        );
    }

    #[test]
    fn dst_changes_follow_the_wall_clock() {
        // A 24/7 calendar in Berlin across the spring change (29 March 2026, 02:00 → 03:00).
        let always_berlin = BusinessHours::new(
            Berlin,
            std::array::from_fn(|_| {
                vec![Interval {
                    start: hm(0, 0),
                    end: NaiveTime::from_hms_opt(23, 59, 59).expect("t"),
                }]
            }),
            vec![],
        )
        .expect("valid");
        let cal = Calendar::BusinessHours(always_berlin);
        let sat = berlin(2026, 3, 28, 12, 0);
        let mon = berlin(2026, 3, 30, 12, 0);
        // Wall clock shows 48 h minus the lost hour and the two missing seconds per midnight.
        assert_eq!(cal.open_between(sat, mon), Duration::hours(47) - Duration::seconds(2));
        // Office hours on the change days keep 8 h per weekday.
        let o = office();
        assert_eq!(
            o.open_between(berlin(2026, 3, 27, 0, 0), berlin(2026, 3, 31, 0, 0)),
            Duration::hours(16)
        );
        assert_eq!(
            o.add(berlin(2026, 10, 23, 16, 0), Duration::hours(2)),
            Some(berlin(2026, 10, 26, 10, 0))
        );
    }

    #[test]
    fn bad_calendars_are_rejected() {
        let iv = |a, b| Interval {
            start: hm(a, 0),
            end: hm(b, 0),
        };
        let mut week: [Vec<Interval>; 7] = Default::default();
        week[0] = vec![iv(9, 12), iv(11, 14)];
        let e = BusinessHours::new(Berlin, week, vec![]).expect_err("overlap");
        assert!(e.message.contains("overlap"), "{}", e.message);
        let mut week: [Vec<Interval>; 7] = Default::default();
        week[2] = vec![iv(17, 9)];
        assert!(
            BusinessHours::new(Berlin, week, vec![])
                .expect_err("reversed")
                .message
                .contains("Wednesday")
        );
        let empty: [Vec<Interval>; 7] = Default::default();
        assert!(BusinessHours::new(Berlin, empty, vec![]).is_err());
    }

    #[test]
    fn a_calendar_without_open_days_ahead_gives_none() {
        let all_year: Vec<NaiveDate> = (0..900)
            .map(|i| NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + Duration::days(i))
            .collect();
        let cal =
            Calendar::BusinessHours(BusinessHours::weekdays(Berlin, hm(9, 0), hm(17, 0), all_year).expect("valid"));
        assert_eq!(cal.add(berlin(2026, 1, 2, 10, 0), Duration::hours(1)), None);
    }

    fn arb_start() -> impl Strategy<Value = DateTime<Utc>> {
        // Any minute in 2025–2027 (covers DST changes and year ends).
        (0i64..(3 * 365 * 24 * 60)).prop_map(|m| berlin(2025, 1, 1, 0, 0) + Duration::minutes(m))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn adding_is_additive_and_measured_back(start in arb_start(), a in 0i64..(40 * 60), b in 0i64..(40 * 60)) {
            let cal = office();
            let (da, db) = (Duration::minutes(a), Duration::minutes(b));
            let once = cal.add(start, da + db).expect("opens");
            let twice = cal.add(cal.add(start, da).expect("opens"), db).expect("opens");
            prop_assert_eq!(once, twice);
            prop_assert!(once >= start);
            prop_assert_eq!(cal.open_between(start, once), da + db);
        }

        #[test]
        fn positive_work_ends_in_open_time(start in arb_start(), m in 1i64..(80 * 60)) {
            let cal = office();
            let end = cal.add(start, Duration::minutes(m)).expect("opens");
            // The last minute of work was open time.
            prop_assert!(cal.is_open(end - Duration::seconds(30)));
        }

        #[test]
        fn always_open_is_plain_addition(start in arb_start(), m in 0i64..100_000) {
            prop_assert_eq!(Calendar::AlwaysOpen.add(start, Duration::minutes(m)), Some(start + Duration::minutes(m)));
        }
    }
}

/// The stored and exchanged form of business hours, e.g.
/// `{"timezone":"Europe/Berlin","week":{"mon":[["09:00","17:00"]]},"holidays":["2026-12-25"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    pub timezone: String,
    /// Weekday (`mon` … `sun`) → open intervals `["HH:MM", "HH:MM"]`.
    pub week: std::collections::BTreeMap<String, Vec<[String; 2]>>,
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

impl CalendarSpec {
    /// Validates the spec and builds the calendar; errors name the part to fix.
    pub fn build(&self) -> Result<Calendar, ValidationError> {
        let tz: Tz = self.timezone.parse().map_err(|_| {
            ValidationError::new(
                "calendar.timezone",
                format!("`{}` is not an IANA time zone such as Europe/Berlin", self.timezone),
            )
        })?;
        let mut week: [Vec<Interval>; 7] = Default::default();
        for (day, intervals) in &self.week {
            let idx = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .position(|d| d == &day.to_ascii_lowercase())
                .ok_or_else(|| {
                    ValidationError::new(
                        "calendar.week",
                        format!("`{day}` is not a weekday; use mon, tue, wed, thu, fri, sat or sun"),
                    )
                })?;
            for [a, b] in intervals {
                let parse = |t: &str| {
                    NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| {
                        ValidationError::new("calendar.week", format!("{day}: `{t}` is not a time like 09:00"))
                    })
                };
                week[idx].push(Interval {
                    start: parse(a)?,
                    end: parse(b)?,
                });
            }
        }
        BusinessHours::new(tz, week, self.holidays.clone())
            .map(Calendar::BusinessHours)
            .map_err(|e| e.for_field("calendar.week"))
    }

    /// Monday to Friday, 09:00–17:00, in `timezone`.
    #[must_use]
    pub fn office_hours(timezone: &str) -> Self {
        let day = vec![["09:00".to_string(), "17:00".to_string()]];
        Self {
            timezone: timezone.to_string(),
            week: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| ((*d).to_string(), day.clone()))
                .collect(),
            holidays: Vec::new(),
        }
    }
}

#[cfg(test)]
mod spec_tests {
    use super::*;

    #[test]
    fn specs_build_calendars_or_say_what_is_wrong() {
        let ok = CalendarSpec::office_hours("Europe/Berlin");
        assert!(matches!(ok.build(), Ok(Calendar::BusinessHours(_))));
        let mut bad_tz = ok.clone();
        bad_tz.timezone = "Mars/Olympus".into();
        assert_eq!(bad_tz.build().expect_err("tz").field, "calendar.timezone");
        let mut bad_day = ok.clone();
        bad_day
            .week
            .insert("funday".into(), vec![["09:00".into(), "10:00".into()]]);
        assert!(bad_day.build().expect_err("day").message.contains("funday"));
        let mut overlap = ok.clone();
        overlap.week.insert(
            "mon".into(),
            vec![["09:00".into(), "12:00".into()], ["11:00".into(), "13:00".into()]],
        );
        assert!(overlap.build().expect_err("overlap").message.contains("overlap"));
        let mut bad_time = ok;
        bad_time
            .week
            .insert("tue".into(), vec![["9 Uhr".into(), "17:00".into()]]);
        assert!(bad_time.build().expect_err("time").message.contains("9 Uhr"));
    }
}
