//! The paradox report in words, in German or English: one sentence per
//! cell ("Recovered, minor failures: CSAT 4.6 vs 4.2 never-failed, +0.4
//! [0.2, 0.6], n = 312") and the overall finding.

use super::paradox::{Cell, Level, Outcome, ParadoxReport, Verdict};
use amends_domain::Language;
use amends_i18n::FluentValue;
use amends_i18n::catalog::I18n;
use amends_i18n::format::format_decimal;

fn level_key(level: Level) -> &'static str {
    match level {
        Level::All => "paradox-level-all",
        Level::Minor => "paradox-level-minor",
        Level::Severe => "paradox-level-severe",
        Level::First => "paradox-level-first",
        Level::Repeated => "paradox-level-repeated",
        Level::Uncontrollable => "paradox-level-uncontrollable",
        Level::Controllable => "paradox-level-controllable",
        Level::WithinHour => "paradox-level-within-hour",
        Level::WithinDay => "paradox-level-within-day",
        Level::AfterDay => "paradox-level-after-day",
        Level::Goodwill => "paradox-level-goodwill",
        Level::NoGoodwill => "paradox-level-no-goodwill",
        Level::ParadoxProfile => "paradox-level-profile",
        Level::OtherProfile => "paradox-level-other-profile",
    }
}

/// The level alone ("minor failures"), or the group for a group cell: the
/// short label of charts.
#[must_use]
pub fn short_label(i18n: &I18n, lang: Language, cell: &Cell) -> String {
    if cell.level == Level::All {
        label(i18n, lang, cell)
    } else {
        i18n.t(lang, level_key(cell.level), &[])
    }
}

/// "Recovered, minor failures" / "Wiedergewonnen, leichte Fehler".
#[must_use]
pub fn label(i18n: &I18n, lang: Language, cell: &Cell) -> String {
    let group = i18n.t(lang, &format!("paradox-group-{}", cell.group.replace('_', "-")), &[]);
    if cell.level == Level::All {
        group
    } else {
        format!("{group}, {}", i18n.t(lang, level_key(cell.level), &[]))
    }
}

fn decimals(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Satisfaction => 2,
        Outcome::Retention => 1,
    }
}

/// A value of the outcome: `4,62` or `81,3 %`.
#[must_use]
pub fn number(outcome: Outcome, v: f64, lang: Language) -> String {
    let text = format_decimal(v, decimals(outcome), lang);
    match outcome {
        Outcome::Satisfaction => text,
        Outcome::Retention if lang == Language::De => format!("{text}\u{a0}%"),
        Outcome::Retention => format!("{text}%"),
    }
}

fn signed(outcome: Outcome, v: f64, lang: Language) -> String {
    let text = format_decimal(v, decimals(outcome), lang);
    let text = if text.starts_with('-') {
        text
    } else {
        format!("+{text}")
    };
    match outcome {
        Outcome::Satisfaction => text,
        Outcome::Retention => format!("{text} pp"),
    }
}

/// A q- or p-value: `0,012`, or `< 0,001`.
#[must_use]
pub fn q_value(q: f64, lang: Language) -> String {
    if q < 0.001 {
        format!("< {}", format_decimal(0.001, 3, lang))
    } else {
        format_decimal(q, 3, lang)
    }
}

/// The `min` argument of the "too small" sentences: the smallest group judged.
pub(super) fn min_group_arg() -> (&'static str, FluentValue<'static>) {
    (
        "min",
        FluentValue::from(i64::try_from(amends_stats::MIN_GROUP).unwrap_or(30)),
    )
}

/// `q = 0,016` or `q < 0,001`.
#[must_use]
pub fn q_phrase(q: f64, lang: Language) -> String {
    let text = q_value(q, lang);
    if text.starts_with('<') {
        format!("q {text}")
    } else {
        format!("q = {text}")
    }
}

/// The difference with its interval: `+0,40 [0,21; 0,59]`.
#[must_use]
pub fn difference(outcome: Outcome, cmp: &super::paradox::Comparison, lang: Language) -> String {
    let sep = if lang == Language::De { "; " } else { ", " };
    format!(
        "{} [{}{sep}{}]",
        signed(outcome, cmp.diff, lang),
        format_decimal(cmp.ci.low, decimals(outcome), lang),
        format_decimal(cmp.ci.high, decimals(outcome), lang)
    )
}

/// The sentence of one cell.
#[must_use]
pub fn cell(i18n: &I18n, lang: Language, report: &ParadoxReport, cell: &Cell) -> String {
    let o = report.outcome;
    let label = label(i18n, lang, cell);
    let n = FluentValue::from(i64::try_from(cell.figure.n).unwrap_or(i64::MAX));
    let (Some(value), Some(base), Some(cmp), false) = (
        cell.figure.value,
        report.never_failed.value,
        cell.comparison,
        cell.verdict == Verdict::TooSmall,
    ) else {
        return i18n.t(
            lang,
            "paradox-cell-too-small",
            &[
                ("label", FluentValue::from(label)),
                ("n", n),
                (
                    "base",
                    FluentValue::from(i64::try_from(report.never_failed.n).unwrap_or(0)),
                ),
                min_group_arg(),
            ],
        );
    };
    let verdict = cell.verdict.key("paradox");
    let p = q_phrase(cmp.q_value, lang);
    i18n.t(
        lang,
        "paradox-cell",
        &[
            ("label", FluentValue::from(label)),
            (
                "outcome",
                FluentValue::from(i18n.t(lang, &format!("paradox-outcome-{}", outcome_key(o)), &[])),
            ),
            ("value", FluentValue::from(number(o, value, lang))),
            ("base", FluentValue::from(number(o, base, lang))),
            ("diff", FluentValue::from(signed(o, cmp.diff, lang))),
            ("low", FluentValue::from(format_decimal(cmp.ci.low, decimals(o), lang))),
            (
                "high",
                FluentValue::from(format_decimal(cmp.ci.high, decimals(o), lang)),
            ),
            ("n", n),
            ("q", FluentValue::from(p)),
            ("verdict", FluentValue::from(i18n.t(lang, &verdict, &[]))),
        ],
    )
}

fn outcome_key(o: Outcome) -> &'static str {
    match o {
        Outcome::Satisfaction => "satisfaction",
        Outcome::Retention => "retention",
    }
}

/// The overall finding: where a paradox shows, or that none does, or that
/// there are too few answers to tell.
#[must_use]
pub fn summary(i18n: &I18n, lang: Language, report: &ParadoxReport) -> String {
    let cells: Vec<String> = report.paradox_cells().map(|c| label(i18n, lang, c)).collect();
    if !cells.is_empty() {
        return i18n.t(
            lang,
            "paradox-summary-visible",
            &[("cells", FluentValue::from(cells.join("; ")))],
        );
    }
    let judged = report.cells.iter().any(|c| c.verdict != Verdict::TooSmall);
    if judged {
        i18n.t(lang, "paradox-summary-none", &[])
    } else {
        i18n.t(lang, "paradox-summary-too-small", &[])
    }
}
