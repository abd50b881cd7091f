//! The patterns report in words, in German or English: a label per cell
//! ("Mo 09–10", "Billing", "After release “2.4” · Billing") and a sentence
//! with the effect and the q-value ("… 3,1-mal so viele wie erwartet …").

use super::patterns::{Dimension, PatternCell, PatternReport, Verdict};
use super::statement::min_group_arg;
pub use super::statement::q_phrase;
use amends_domain::Language;
use amends_i18n::FluentValue;
use amends_i18n::catalog::I18n;
use amends_i18n::format::format_decimal;
use std::collections::HashMap;
use uuid::Uuid;

/// Names the report cannot know by itself: agents and change events.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub agents: HashMap<Uuid, String>,
}

/// The topic's name in `lang`, else its id.
#[must_use]
pub fn topic(i18n: &I18n, lang: Language, t: &str) -> String {
    let key = format!("topic-{t}");
    let s = i18n.t(lang, &key, &[]);
    if s == key { t.to_string() } else { s }
}

/// The weekday (1 = Monday) in short form.
#[must_use]
pub fn weekday(i18n: &I18n, lang: Language, day: u8) -> String {
    i18n.t(lang, "weekday-short", &[])
        .split(',')
        .nth(usize::from(day.saturating_sub(1)))
        .unwrap_or("?")
        .to_string()
}

/// The cell's label.
#[must_use]
pub fn label(i18n: &I18n, lang: Language, report: &PatternReport, names: &Names, c: &PatternCell) -> String {
    match c.dimension {
        Dimension::WeekdayHour => {
            let h = c.hour.unwrap_or(0);
            format!(
                "{} {h:02}–{:02}",
                weekday(i18n, lang, c.weekday.unwrap_or(1)),
                (h + 1) % 24
            )
        }
        Dimension::Agent => c
            .agent_id
            .and_then(|a| names.agents.get(&a).cloned())
            .unwrap_or_else(|| i18n.t(lang, "patterns-unknown-agent", &[])),
        Dimension::Channel => c
            .channel
            .as_deref()
            .map(|ch| i18n.t(lang, &format!("channel-{ch}"), &[]))
            .unwrap_or_default(),
        Dimension::Topic => topic(i18n, lang, c.topic.as_deref().unwrap_or("")),
        Dimension::Component => c.component.clone().unwrap_or_default(),
        Dimension::ChangeEvent => {
            let ev = report.change_events.iter().find(|e| Some(e.id) == c.change_event_id);
            let event = ev.map_or_else(String::new, |e| {
                i18n.t(
                    lang,
                    "patterns-after-event",
                    &[
                        (
                            "kind",
                            FluentValue::from(i18n.t(lang, &format!("change-kind-{}", e.kind), &[])),
                        ),
                        ("title", FluentValue::from(e.title.clone())),
                    ],
                )
            });
            match c.topic.as_deref() {
                Some(t) => format!("{event} · {}", topic(i18n, lang, t)),
                None => format!("{event} · {}", i18n.t(lang, "patterns-all-complaints", &[])),
            }
        }
    }
}

/// A short label for chart axes: change events as "title · topic".
#[must_use]
pub fn short_label(i18n: &I18n, lang: Language, report: &PatternReport, names: &Names, c: &PatternCell) -> String {
    if c.dimension != Dimension::ChangeEvent {
        return label(i18n, lang, report, names, c);
    }
    let title = report
        .change_events
        .iter()
        .find(|e| Some(e.id) == c.change_event_id)
        .map_or_else(String::new, |e| e.title.clone());
    match c.topic.as_deref() {
        Some(t) => format!("{title} · {}", topic(i18n, lang, t)),
        None => format!("{title} · {}", i18n.t(lang, "patterns-all-complaints", &[])),
    }
}

/// `3,1` (German) or `3.1`: the rate ratio.
#[must_use]
pub fn ratio(r: Option<f64>, lang: Language) -> String {
    r.map_or_else(|| "—".to_string(), |r| format_decimal(r, 1, lang))
}

/// The baseline of a dimension in words.
fn baseline_key(d: Dimension) -> &'static str {
    match d {
        Dimension::WeekdayHour => "patterns-baseline-weekday-hour",
        Dimension::Agent => "patterns-baseline-agent",
        Dimension::Channel => "patterns-baseline-channel",
        Dimension::Topic => "patterns-baseline-topic",
        Dimension::ChangeEvent => "patterns-baseline-change-event",
        Dimension::Component => "patterns-baseline-component",
    }
}

/// The sentence of one cell.
#[must_use]
pub fn sentence(i18n: &I18n, lang: Language, report: &PatternReport, names: &Names, c: &PatternCell) -> String {
    let label = label(i18n, lang, report, names, c);
    let observed = FluentValue::from(i64::try_from(c.observed).unwrap_or(i64::MAX));
    let (Some(q), false) = (c.q_value, c.verdict == Verdict::TooSmall) else {
        return i18n.t(
            lang,
            "patterns-cell-too-small",
            &[
                ("label", FluentValue::from(label)),
                ("n", FluentValue::from(i64::try_from(c.trials).unwrap_or(i64::MAX))),
                min_group_arg(),
            ],
        );
    };
    let verdict = c.verdict.key("patterns");
    i18n.t(
        lang,
        "patterns-cell",
        &[
            ("label", FluentValue::from(label)),
            ("observed", observed),
            ("ratio", FluentValue::from(ratio(c.ratio, lang))),
            ("expected", FluentValue::from(format_decimal(c.expected, 1, lang))),
            (
                "baseline",
                FluentValue::from(i18n.t(lang, baseline_key(c.dimension), &[])),
            ),
            ("q", FluentValue::from(q_phrase(q, lang))),
            ("verdict", FluentValue::from(i18n.t(lang, &verdict, &[]))),
        ],
    )
}

/// The overall finding: the strongest patterns, or that none shows.
#[must_use]
pub fn summary(i18n: &I18n, lang: Language, report: &PatternReport, names: &Names) -> String {
    let findings = report.findings();
    if !findings.is_empty() {
        let list: Vec<String> = findings
            .iter()
            .take(5)
            .map(|c| format!("{} ({}×)", label(i18n, lang, report, names, c), ratio(c.ratio, lang)))
            .collect();
        return i18n.t(
            lang,
            "patterns-summary-found",
            &[
                ("count", FluentValue::from(i64::try_from(findings.len()).unwrap_or(0))),
                ("cells", FluentValue::from(list.join("; "))),
            ],
        );
    }
    if report.cells.iter().any(|c| c.verdict != Verdict::TooSmall) {
        i18n.t(lang, "patterns-summary-none", &[])
    } else {
        i18n.t(lang, "patterns-summary-too-small", &[])
    }
}
