//! Patterns: where and when complaints are more (or less) frequent than
//! their baseline. A complaint is a feedback item of negative sentiment.
//! Every cell is an exact binomial test (`amends-stats`) against a
//! baseline named in [`Dimension`]; Benjamini–Hochberg runs over all cells
//! that are judged; cells with fewer than [`amends_stats::MIN_GROUP`]
//! trials are not judged.

pub use super::Verdict;
use crate::App;
use crate::error::AppResult;
use amends_domain::Tier;
use amends_store::{ChangeEvent, FeedbackFact};
use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Days before and after a change event that are compared (the default of `window_days`).
pub const DEFAULT_WINDOW_DAYS: i64 = 7;
/// The default period of the patterns report.
pub const DEFAULT_DAYS: i64 = 90;

/// What a cell is split by, and its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Weekday × hour (configured time zone): the complaint share of the
    /// cell's feedback against the share over all feedback of the period.
    WeekdayHour,
    /// The agent of the case the feedback belongs to: the complaint share
    /// of the feedback on their cases against the share over all feedback
    /// on assigned cases.
    Agent,
    /// The channel: its complaint share against the share over all channels.
    Channel,
    /// A topic of complaints: its complaints per feedback item in the
    /// period against the same in the previous period of the same length.
    Topic,
    /// A change event: complaints per day in the `window_days` after it
    /// against the `window_days` before it, in all and per topic.
    ChangeEvent,
    /// The product component (the feedback's own, else its case's
    /// incident's; compared case-insensitively): the complaint share of its
    /// feedback against the share over all feedback with a component.
    Component,
}

/// One cell: its complaints against what its baseline expects.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PatternCell {
    pub dimension: Dimension,
    /// 1 (Monday) to 7 (Sunday).
    pub weekday: Option<u8>,
    /// 0–23, the hour starting then.
    pub hour: Option<u8>,
    pub agent_id: Option<Uuid>,
    pub channel: Option<String>,
    /// The topic; for a change event, none means all complaints.
    pub topic: Option<String>,
    pub change_event_id: Option<Uuid>,
    /// The product component, in lower case.
    pub component: Option<String>,
    /// Complaints in the cell.
    pub observed: u64,
    /// Trials of the binomial test: the cell's feedback (shares), or the
    /// complaints of both periods (period comparisons).
    pub trials: u64,
    /// The complaints the baseline expects in the cell.
    pub expected: f64,
    /// observed ÷ expected; none when nothing is expected.
    pub ratio: Option<f64>,
    /// Exact two-sided binomial test.
    pub p_value: Option<f64>,
    /// Benjamini–Hochberg over all judged cells of the report.
    pub q_value: Option<f64>,
    pub verdict: Verdict,
}

/// A change event as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ChangeEventOut {
    pub id: Uuid,
    /// release, outage, price_change, other
    pub kind: String,
    pub title: String,
    pub component: Option<String>,
    pub at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<&ChangeEvent> for ChangeEventOut {
    fn from(e: &ChangeEvent) -> Self {
        ChangeEventOut {
            id: e.id,
            kind: e.kind.clone(),
            title: e.title.clone(),
            component: e.component.clone(),
            at: e.at,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PatternReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub window_days: i64,
    /// Feedback items of the period.
    pub feedback: u64,
    /// Complaints (negative feedback) of the period.
    pub complaints: u64,
    pub complaint_share: Option<f64>,
    /// The change events of the period (newest first).
    pub change_events: Vec<ChangeEventOut>,
    pub cells: Vec<PatternCell>,
}

impl PatternReport {
    /// The cells with more complaints than their baseline, strongest first.
    #[must_use]
    pub fn findings(&self) -> Vec<&PatternCell> {
        let mut out: Vec<&PatternCell> = self.cells.iter().filter(|c| c.verdict == Verdict::Above).collect();
        out.sort_by(|a, b| {
            a.q_value
                .unwrap_or(1.0)
                .total_cmp(&b.q_value.unwrap_or(1.0))
                .then(b.ratio.unwrap_or(f64::MAX).total_cmp(&a.ratio.unwrap_or(f64::MAX)))
        });
        out
    }
}

/// The inputs of [`analyse`]: the period, the feedback of the period and
/// of what lies before it (previous period, windows before change events).
pub struct Input<'a> {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub window_days: i64,
    pub tz: Tz,
    pub facts: &'a [FeedbackFact],
    pub events: &'a [ChangeEvent],
}

fn blank(dimension: Dimension) -> PatternCell {
    PatternCell {
        dimension,
        weekday: None,
        hour: None,
        agent_id: None,
        channel: None,
        topic: None,
        change_event_id: None,
        component: None,
        observed: 0,
        trials: 0,
        expected: 0.0,
        ratio: None,
        p_value: None,
        q_value: None,
        verdict: Verdict::TooSmall,
    }
}

/// k of n against the share p0: the cell's complaints among its feedback.
fn share_cell(mut cell: PatternCell, k: u64, n: u64, p0: Option<f64>) -> PatternCell {
    cell.observed = k;
    cell.trials = n;
    if let Some(p0) = p0 {
        cell.expected = n as f64 * p0;
        cell.ratio = (cell.expected > 0.0).then(|| k as f64 / cell.expected);
        if amends_stats::enough(n) {
            cell.p_value = amends_stats::binomial_two_sided_p(k, n, p0);
        }
    }
    cell
}

/// Complaints k1 with exposure e1 against k0 with exposure e0: the exact
/// conditional test of two Poisson rates (k1 of k1 + k0 is binomial with
/// p = e1 / (e1 + e0) when the rates are equal).
fn rate_cell(mut cell: PatternCell, k1: u64, e1: f64, k0: u64, e0: f64) -> PatternCell {
    cell.observed = k1;
    cell.trials = k1 + k0;
    if e1 > 0.0 && e0 > 0.0 {
        cell.expected = k0 as f64 * e1 / e0;
        cell.ratio = (cell.expected > 0.0).then(|| k1 as f64 / cell.expected);
        if amends_stats::enough(cell.trials) {
            cell.p_value = amends_stats::binomial_two_sided_p(k1, k1 + k0, e1 / (e1 + e0));
        }
    }
    cell
}

fn share(k: u64, n: u64) -> Option<f64> {
    (n > 0 && k < n && k > 0).then(|| k as f64 / n as f64)
}

/// The share cells of a dimension whose baseline is the feedback that has
/// a value of it (agents: assigned cases; components: named ones): per
/// value `key` gives, its complaints among its feedback against the
/// complaint share of all feedback with a value. `set` labels the cell.
fn among_named<K: Ord>(
    items: &[&FeedbackFact],
    dimension: Dimension,
    key: impl Fn(&FeedbackFact) -> Option<K>,
    set: impl Fn(&mut PatternCell, K),
) -> Vec<PatternCell> {
    let mut groups: BTreeMap<K, (u64, u64)> = BTreeMap::new();
    for f in items {
        if let Some(k) = key(f) {
            let e = groups.entry(k).or_default();
            e.0 += complaints(f);
            e.1 += items_of(f);
        }
    }
    let (k_all, n_all) = groups.values().fold((0, 0), |(k, n), (ck, cn)| (k + ck, n + cn));
    let p0 = share(k_all, n_all);
    groups
        .into_iter()
        .map(|(k, (ck, cn))| {
            let mut c = blank(dimension);
            set(&mut c, k);
            share_cell(c, ck, cn, p0)
        })
        .collect()
}

/// How many feedback items a fact stands for.
fn items_of(f: &FeedbackFact) -> u64 {
    u64::try_from(f.count).unwrap_or(0)
}

/// How many complaints a fact stands for.
fn complaints(f: &FeedbackFact) -> u64 {
    if f.negative { items_of(f) } else { 0 }
}

/// How many feedback items the facts stand for.
fn total(facts: &[&FeedbackFact]) -> u64 {
    facts.iter().map(|f| items_of(f)).sum()
}

/// The instants [`analyse`] compares feedback times with: the feedback
/// in their 15-minute slots must keep its own times when grouped
/// (`Store::feedback_groups`).
#[must_use]
pub fn boundaries(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    window_days: i64,
    events: &[ChangeEvent],
) -> Vec<DateTime<Utc>> {
    let window = Duration::days(window_days);
    let mut out = vec![from - (to - from), from, to];
    for ev in events.iter().filter(|e| e.at >= from && e.at < to) {
        out.extend([ev.at - window, ev.at, (ev.at + window).min(to)]);
    }
    out
}

/// The report. Pure: every cell is tested on known numbers.
#[must_use]
pub fn analyse(input: &Input<'_>) -> PatternReport {
    let Input {
        from,
        to,
        window_days,
        tz,
        facts,
        events,
    } = *input;
    let in_period: Vec<&FeedbackFact> = facts
        .iter()
        .filter(|f| f.created_at >= from && f.created_at < to)
        .collect();
    let n = total(&in_period);
    let k = in_period.iter().map(|f| complaints(f)).sum();
    let p0 = share(k, n);
    let mut cells = Vec::new();

    // Weekday × hour.
    let mut grid: BTreeMap<(u8, u8), (u64, u64)> = BTreeMap::new();
    for f in &in_period {
        let local = f.created_at.with_timezone(&tz);
        let day = u8::try_from(local.weekday().number_from_monday()).unwrap_or(1);
        let hour = u8::try_from(local.hour()).unwrap_or(0);
        let e = grid.entry((day, hour)).or_default();
        e.0 += complaints(f);
        e.1 += items_of(f);
    }
    for ((day, hour), (ck, cn)) in grid {
        let mut c = blank(Dimension::WeekdayHour);
        c.weekday = Some(day);
        c.hour = Some(hour);
        cells.push(share_cell(c, ck, cn, p0));
    }

    // Agents, among the feedback on assigned cases.
    cells.extend(among_named(
        &in_period,
        Dimension::Agent,
        |f| f.assignee_id,
        |c, a| {
            c.agent_id = Some(a);
        },
    ));

    // Channels.
    let mut channels: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for f in &in_period {
        let e = channels.entry(f.channel.as_str()).or_default();
        e.0 += complaints(f);
        e.1 += items_of(f);
    }
    for (channel, (ck, cn)) in channels {
        let mut c = blank(Dimension::Channel);
        c.channel = Some(channel.to_string());
        cells.push(share_cell(c, ck, cn, p0));
    }

    // Product components, among the feedback with one.
    let component = |f: &FeedbackFact| {
        f.component
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
    };
    cells.extend(among_named(&in_period, Dimension::Component, component, |c, name| {
        c.component = Some(name);
    }));

    // Topics: this period against the previous one, per feedback item.
    let prev_from = from - (to - from);
    let previous: Vec<&FeedbackFact> = facts
        .iter()
        .filter(|f| f.created_at >= prev_from && f.created_at < from)
        .collect();
    let topic_counts = |items: &[&FeedbackFact]| {
        let mut m: BTreeMap<String, u64> = BTreeMap::new();
        for f in items.iter().filter(|f| f.negative) {
            for t in f.topic_ids() {
                *m.entry(t).or_default() += items_of(f);
            }
        }
        m
    };
    let now_topics = topic_counts(&in_period);
    let before_topics = topic_counts(&previous);
    let topics: std::collections::BTreeSet<&String> = now_topics.keys().chain(before_topics.keys()).collect();
    for t in topics {
        let mut c = blank(Dimension::Topic);
        c.topic = Some(t.clone());
        let k1 = now_topics.get(t).copied().unwrap_or(0);
        let k0 = before_topics.get(t).copied().unwrap_or(0);
        cells.push(rate_cell(c, k1, n as f64, k0, total(&previous) as f64));
    }

    // Change events: the days after against the days before, per day.
    let window = Duration::days(window_days);
    for ev in events.iter().filter(|e| e.at >= from && e.at < to) {
        let after_end = (ev.at + window).min(to);
        let before: Vec<&FeedbackFact> = facts
            .iter()
            .filter(|f| f.negative && f.created_at >= ev.at - window && f.created_at < ev.at)
            .collect();
        let after: Vec<&FeedbackFact> = facts
            .iter()
            .filter(|f| f.negative && f.created_at >= ev.at && f.created_at < after_end)
            .collect();
        let e1 = (after_end - ev.at).num_seconds() as f64;
        let e0 = window.num_seconds() as f64;
        let mut all = blank(Dimension::ChangeEvent);
        all.change_event_id = Some(ev.id);
        cells.push(rate_cell(all, total(&after), e1, total(&before), e0));
        let (ta, tb) = (topic_counts(&after), topic_counts(&before));
        let topics: std::collections::BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
        for t in topics {
            let mut c = blank(Dimension::ChangeEvent);
            c.change_event_id = Some(ev.id);
            c.topic = Some(t.clone());
            let (k1, k0) = (ta.get(t).copied().unwrap_or(0), tb.get(t).copied().unwrap_or(0));
            cells.push(rate_cell(c, k1, e1, k0, e0));
        }
    }

    adjust(&mut cells);
    let mut change_events: Vec<ChangeEventOut> = events
        .iter()
        .filter(|e| e.at >= from && e.at < to)
        .map(ChangeEventOut::from)
        .collect();
    change_events.sort_by_key(|e| std::cmp::Reverse(e.at));
    PatternReport {
        from,
        to,
        window_days,
        feedback: n,
        complaints: k,
        complaint_share: (n > 0).then(|| k as f64 / n as f64),
        change_events,
        cells,
    }
}

/// Benjamini–Hochberg over the cells with a p-value; their verdicts.
fn adjust(cells: &mut [PatternCell]) {
    let judged: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].p_value.is_some()).collect();
    let ps: Vec<f64> = judged.iter().filter_map(|&i| cells[i].p_value).collect();
    let qs = amends_stats::benjamini_hochberg(&ps);
    for (&i, q) in judged.iter().zip(qs) {
        let c = &mut cells[i];
        c.q_value = Some(q);
        c.verdict = Verdict::of(q, c.observed as f64 > c.expected);
    }
}

/// Checks `window_days` (1 to 60).
pub fn window_days(days: Option<i64>) -> AppResult<i64> {
    super::within("window_days", days, DEFAULT_WINDOW_DAYS, 1..=60)
}

/// The report of the last `days` days (1–366, default 90), optionally of
/// one channel and tier.
pub async fn report(
    app: &App,
    days: Option<i64>,
    channel: Option<amends_domain::Channel>,
    tier: Option<Tier>,
    window: Option<i64>,
) -> AppResult<PatternReport> {
    let window_days = window_days(window)?;
    let scope = super::Scope::last_days(app.now(), Some(days.unwrap_or(DEFAULT_DAYS)), Default::default())?;
    let (from, to) = (scope.from, scope.to);
    let earliest = (from - (to - from)).min(from - Duration::days(window_days));
    let store = app.store();
    let events = store.list_change_events(from, to, 500).await?;
    // Grouped by 15-minute slot in the database, exact where analyse
    // compares (see `super::counts_in_sql`); else row by row.
    let channel = channel.map(|c| c.as_str());
    let facts = if super::counts_in_sql(app) {
        let exact = boundaries(from, to, window_days, &events);
        store.feedback_groups(earliest, to, channel, tier, &exact).await?
    } else {
        store.feedback_facts(earliest, to, channel, tier).await?
    };
    Ok(analyse(&Input {
        from,
        to,
        window_days,
        tz: app.config().timezone,
        facts: &facts,
        events: &events,
    }))
}

#[cfg(test)]
mod tests {
    //! Known answers from SciPy 1.17: `binomtest(k, n, p).pvalue` and
    //! `false_discovery_control(ps, method="bh")`.
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-12), "{a} ≠ {b}");
    }

    #[test]
    fn a_share_cell_is_a_binomial_test_against_the_baseline() {
        let c = share_cell(blank(Dimension::Channel), 20, 40, Some(0.3));
        close(c.expected, 12.0);
        close(c.ratio.expect("ratio"), 20.0 / 12.0);
        close(c.p_value.expect("p"), 0.008815400443342825);
        let small = share_cell(blank(Dimension::Channel), 20, 29, Some(0.3));
        assert!(small.p_value.is_none(), "under MIN_GROUP trials: not tested");
    }

    #[test]
    fn a_rate_cell_is_the_conditional_test_of_two_poisson_rates() {
        // 10 complaints among 100 feedback items against 20 among 50 before.
        let c = rate_cell(blank(Dimension::Topic), 10, 100.0, 20, 50.0);
        close(c.expected, 40.0);
        close(c.ratio.expect("ratio"), 0.25);
        close(c.p_value.expect("p"), 0.00027720082218384847);
        let none_before = rate_cell(blank(Dimension::Topic), 30, 1.0, 0, 0.0);
        assert!(none_before.p_value.is_none(), "no exposure before: not tested");
    }

    #[test]
    fn verdicts_follow_the_bh_adjusted_q() {
        let mut cells = vec![
            share_cell(blank(Dimension::Channel), 20, 40, Some(0.3)),
            share_cell(blank(Dimension::Channel), 10, 60, Some(0.3)),
            rate_cell(blank(Dimension::Topic), 20, 100.0, 15, 50.0),
            share_cell(blank(Dimension::Channel), 1, 2, Some(0.3)),
        ];
        adjust(&mut cells);
        // ps 0.0088154, 0.0238387, 0.2813417 → qs 0.0264462, 0.0357581, 0.2813417.
        close(cells[0].q_value.expect("q"), 0.026446201330028476);
        close(cells[1].q_value.expect("q"), 0.03575809734765939);
        close(cells[2].q_value.expect("q"), 0.2813417246105362);
        assert_eq!(cells[0].verdict, Verdict::Above);
        assert_eq!(cells[1].verdict, Verdict::Below);
        assert_eq!(cells[2].verdict, Verdict::NoDifference);
        assert_eq!(cells[3].verdict, Verdict::TooSmall);
        assert!(cells[3].q_value.is_none());
    }
}
