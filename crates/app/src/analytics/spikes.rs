//! The spike detector and change events. The detector compares each
//! topic's complaints of the last 24 hours with the mean of the 28 days
//! before (exact Poisson upper tail, Benjamini–Hochberg across topics); a
//! spike becomes an alert row and a `pattern.detected` webhook event in one
//! transaction, once per topic and day.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::jobs::Failure;
use amends_domain::UserId;
use amends_store::{ChangeEvent, FeedbackFact, JobEffects, NewChangeEvent, PatternAlert};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Days of the trailing baseline.
pub const BASELINE_DAYS: i64 = 28;
/// Fewer complaints than this in the last 24 hours are not judged.
pub const MIN_SPIKE: u64 = 5;
/// The false discovery rate below which a spike raises an alert.
pub const SPIKE_FDR: f64 = 0.01;
/// The kinds of change events.
pub const CHANGE_KINDS: [&str; 4] = ["release", "outage", "price_change", "other"];

/// One topic's last 24 hours against its trailing mean.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Spike {
    pub topic: String,
    /// Complaints in the last 24 hours.
    pub observed: u64,
    /// Complaints per day in the 28 days before (at least 1/28: one complaint).
    pub expected: f64,
    /// `P(X >= observed)`, `X ~ Poisson(expected)`.
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    pub alert: bool,
}

/// The spikes of the complaints (negative feedback) of `[now - 29 days,
/// now)`. Pure: tested on known numbers.
#[must_use]
pub fn detect(facts: &[FeedbackFact], now: DateTime<Utc>) -> Vec<Spike> {
    let day_start = now - Duration::days(1);
    let base_start = day_start - Duration::days(BASELINE_DAYS);
    let mut counts: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for f in facts
        .iter()
        .filter(|f| f.negative && f.created_at < now && f.created_at >= base_start)
    {
        for t in f.topic_ids() {
            let e = counts.entry(t).or_default();
            let n = u64::try_from(f.count).unwrap_or(0);
            if f.created_at >= day_start {
                e.0 += n;
            } else {
                e.1 += n;
            }
        }
    }
    let mut spikes: Vec<Spike> = counts
        .into_iter()
        .map(|(topic, (observed, before))| {
            let expected = before.max(1) as f64 / BASELINE_DAYS as f64;
            let p_value = (observed >= MIN_SPIKE)
                .then(|| amends_stats::poisson_upper_p(observed, expected))
                .flatten();
            Spike {
                topic,
                observed,
                expected,
                p_value,
                q_value: None,
                alert: false,
            }
        })
        .collect();
    let judged: Vec<usize> = (0..spikes.len()).filter(|&i| spikes[i].p_value.is_some()).collect();
    let ps: Vec<f64> = judged.iter().filter_map(|&i| spikes[i].p_value).collect();
    for (&i, q) in judged.iter().zip(amends_stats::benjamini_hochberg(&ps)) {
        spikes[i].q_value = Some(q);
        spikes[i].alert = q < SPIKE_FDR;
    }
    spikes
}

/// The sweep job: raises an alert per topic that spikes now (at most one
/// per topic and day; the event goes out with the alert row).
pub async fn sweep(app: &App) -> Result<JobEffects, Failure> {
    let now = app.now();
    let facts = app
        .store()
        .feedback_facts(now - Duration::days(BASELINE_DAYS + 1), now, None, None)
        .await
        .map_err(|e| Failure::new(e.to_string()))?;
    let day = now.with_timezone(&app.config().timezone).format("%Y-%m-%d").to_string();
    for s in detect(&facts, now).into_iter().filter(|s| s.alert) {
        let alert = PatternAlert {
            id: amends_store::new_row_id(now),
            topic: s.topic,
            day: day.clone(),
            observed: i64::try_from(s.observed).unwrap_or(i64::MAX),
            expected: s.expected,
            p_value: s.p_value.unwrap_or(1.0),
            q_value: s.q_value.unwrap_or(1.0),
            window_start: now - Duration::days(1),
            window_end: now,
            created_at: now,
        };
        if app
            .store()
            .insert_pattern_alert(&alert)
            .await
            .map_err(|e| Failure::new(e.to_string()))?
        {
            tracing::info!(topic = %alert.topic, observed = alert.observed, "complaint spike");
        }
    }
    Ok(JobEffects::default())
}

/// The alerts of the last 24 hours (the dashboard banner).
pub async fn recent_alerts(app: &App) -> AppResult<Vec<PatternAlert>> {
    Ok(app.store().pattern_alerts_since(app.now() - Duration::days(1)).await?)
}

/// A change event as entered (API body, form).
#[derive(Debug, Clone, Default)]
pub struct ChangeEventInput {
    pub kind: String,
    pub title: String,
    pub component: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

impl ChangeEventInput {
    /// Checks every field; the first bad one is named.
    pub fn validate(&self, now: DateTime<Utc>) -> AppResult<NewChangeEvent> {
        let kind = self.kind.trim();
        if !CHANGE_KINDS.contains(&kind) {
            return Err(AppError::validation(
                "kind",
                format!("kind must be one of {}, got `{kind}`", CHANGE_KINDS.join(", ")),
            ));
        }
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err(AppError::validation("title", "title must be 1 to 200 characters"));
        }
        let component = self
            .component
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        if component.as_ref().is_some_and(|c| c.chars().count() > 100) {
            return Err(AppError::validation(
                "component",
                "component must be at most 100 characters",
            ));
        }
        let at = self
            .at
            .ok_or_else(|| AppError::validation("at", "at is required (when the change happened)"))?;
        if at > now + Duration::days(366) || at < now - Duration::days(3660) {
            return Err(AppError::validation(
                "at",
                "at must lie within ten years before and one year after now",
            ));
        }
        Ok(NewChangeEvent {
            kind: kind.to_string(),
            title: title.to_string(),
            component,
            at,
        })
    }
}

/// Records a change event (with its audit entry).
pub async fn create_change_event(app: &App, input: &ChangeEventInput, actor: UserId) -> AppResult<ChangeEvent> {
    let now = app.now();
    let e = input.validate(now)?;
    Ok(app.store().insert_change_event(&e, actor, now).await?)
}

/// The change events of the last `days` days (default 366), newest first.
pub async fn list_change_events(app: &App, limit: Option<i64>) -> AppResult<Vec<ChangeEvent>> {
    let limit = super::within("limit", limit, 100, 1..=500)?;
    let now = app.now();
    Ok(app
        .store()
        .list_change_events(now - Duration::days(3660), now + Duration::days(367), limit)
        .await?)
}

#[cfg(test)]
mod tests {
    //! Known answers from SciPy 1.17: `poisson.sf(k - 1, mu)` and
    //! `false_discovery_control(ps, method="bh")`.
    use super::*;
    use chrono::TimeZone;

    fn fact(at: DateTime<Utc>, topic: &str, negative: bool) -> FeedbackFact {
        FeedbackFact {
            component: None,
            created_at: at,
            channel: "email".into(),
            negative,
            assignee_id: None,
            topics: format!("[\"{topic}\"]"),
            count: 1,
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-9 * b.abs(), "{a} ≠ {b}");
    }

    #[test]
    fn a_topic_that_jumps_raises_an_alert_and_steady_ones_do_not() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).single().expect("time");
        let mut facts = Vec::new();
        // billing: 12 in the last day against 56 in the 28 days before (2 a day).
        for i in 0..12 {
            facts.push(fact(now - Duration::hours(20) + Duration::minutes(i), "billing", true));
        }
        for i in 0..56 {
            facts.push(fact(now - Duration::days(2) - Duration::hours(i * 11), "billing", true));
        }
        // delay: 5 against 140 (5 a day) — as usual.
        for i in 0..5 {
            facts.push(fact(now - Duration::hours(3) + Duration::minutes(i), "delay", true));
        }
        for i in 0..140 {
            facts.push(fact(now - Duration::days(2) - Duration::hours(i * 4), "delay", true));
        }
        // delivery: 4 today, none before — under MIN_SPIKE, not judged; praise never counts.
        for i in 0..4 {
            facts.push(fact(now - Duration::hours(1) + Duration::minutes(i), "delivery", true));
        }
        for i in 0..50 {
            facts.push(fact(
                now - Duration::hours(2) + Duration::minutes(i),
                "app_website",
                false,
            ));
        }
        let spikes = detect(&facts, now);
        let get = |t: &str| spikes.iter().find(|s| s.topic == t).expect(t);
        let billing = get("billing");
        assert_eq!(billing.observed, 12);
        close(billing.expected, 2.0);
        close(billing.p_value.expect("p"), 1.3646151596151931e-06);
        close(billing.q_value.expect("q"), 2.729230319230386e-06);
        assert!(billing.alert);
        let delay = get("delay");
        close(delay.p_value.expect("p"), 0.5595067149347879);
        close(delay.q_value.expect("q"), 0.5595067149347879);
        assert!(!delay.alert);
        assert!(get("delivery").p_value.is_none() && !get("delivery").alert);
        assert!(spikes.iter().all(|s| s.topic != "app_website"));
    }

    #[test]
    fn change_events_are_checked_field_by_field() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).single().expect("time");
        let ok = ChangeEventInput {
            kind: "release".into(),
            title: " 2.4 ".into(),
            component: Some(" ".into()),
            at: Some(now),
        };
        let e = ok.validate(now).expect("valid");
        assert_eq!((e.title.as_str(), e.component), ("2.4", None));
        let field = |i: ChangeEventInput| match i.validate(now) {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(
            field(ChangeEventInput {
                kind: "party".into(),
                ..ok.clone()
            }),
            "kind"
        );
        assert_eq!(
            field(ChangeEventInput {
                title: String::new(),
                ..ok.clone()
            }),
            "title"
        );
        assert_eq!(
            field(ChangeEventInput {
                component: Some("c".repeat(101)),
                ..ok.clone()
            }),
            "component"
        );
        assert_eq!(field(ChangeEventInput { at: None, ..ok.clone() }), "at");
        assert_eq!(
            field(ChangeEventInput {
                at: Some(now + Duration::days(400)),
                ..ok
            }),
            "at"
        );
    }
}
