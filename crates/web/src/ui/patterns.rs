//! `/analytics/patterns`: complaint rates by weekday × hour, agent, channel,
//! topic and around change events against their baselines, as a heat map,
//! bar charts (each with its numbers as a table) and sentences; and the
//! form that records a change event (leads and admins).

use super::UiError;
use super::analytics::{app_error_field, read_query};
use super::chart::{Chart, HeatmapSpec, Series, SeriesSpec, Spec, Unit};
use super::forms::CsrfForm;
use super::session::UiUser;
use crate::query::PatternsQuery;
use crate::state::AppState;
use amends_app::analytics::pattern_words::{self, Names};
use amends_app::analytics::patterns::{self, Dimension, PatternCell, PatternReport, Verdict};
use amends_app::analytics::spikes::{self, CHANGE_KINDS, ChangeEventInput};
use amends_domain::{Channel, Language, Tier};
use amends_i18n::format::format_decimal;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use minijinja::{Value, context};
use serde::Deserialize;

/// The change event form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct ChangeEventForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    component: String,
    /// `2026-11-24T08:30` (datetime-local, configured time zone).
    #[serde(default)]
    at: String,
}

fn names(users: Vec<amends_store::User>) -> Names {
    Names {
        agents: users.into_iter().map(|u| (u.id.0, u.display_name)).collect(),
    }
}

fn q_text(c: &PatternCell, lang: Language) -> String {
    match (c.q_value, c.verdict) {
        (Some(q), v) if v != Verdict::TooSmall => amends_app::analytics::statement::q_value(q, lang),
        _ => "—".into(),
    }
}

/// One table row: label, complaints, expected, × expected, q, finding.
fn row(state: &AppState, lang: Language, label: String, c: &PatternCell) -> Vec<String> {
    let verdict = match c.verdict {
        Verdict::Above => "above",
        Verdict::Below => "below",
        Verdict::NoDifference => "no_difference",
        Verdict::TooSmall => "too_small",
    };
    vec![
        label,
        c.observed.to_string(),
        format_decimal(c.expected, 1, lang),
        pattern_words::ratio(c.ratio, lang),
        q_text(c, lang),
        state.ui().t(lang, &format!("paradox-finding-{verdict}")),
    ]
}

/// The heat map of weekday × hour and one bar chart per other dimension.
fn charts(state: &AppState, lang: Language, r: &PatternReport, names: &Names) -> Vec<Chart> {
    let i18n = state.ui().i18n();
    let t = |k: &str| state.ui().t(lang, k);
    let days: Vec<String> = (1..=7).map(|d| pattern_words::weekday(i18n, lang, d)).collect();
    let cells = r
        .cells
        .iter()
        .filter(|c| c.dimension == Dimension::WeekdayHour)
        .filter_map(|c| {
            Some((
                usize::from(c.weekday?.checked_sub(1)?),
                usize::from(c.hour?),
                c.ratio.filter(|_| c.verdict != Verdict::TooSmall)?,
            ))
        })
        .map(|(d, h, v)| (d, h, (v * 100.0).round() / 100.0))
        .collect();
    let heat = Spec::Heatmap(HeatmapSpec {
        x: days,
        y: (0..24).map(|h| format!("{h:02}")).collect(),
        cells,
        unit: Unit::Number,
        decimals: 2,
    });
    let mut out = vec![Chart::series(
        "chart-patterns-heatmap",
        t("patterns-heatmap"),
        t("dashboard-hour"),
        heat,
        lang,
    )];
    let headers = vec![
        t("patterns-col-cell"),
        t("patterns-col-observed"),
        t("patterns-col-expected"),
        t("patterns-col-ratio"),
        t("patterns-col-q"),
        t("patterns-col-finding"),
    ];
    for (dim, key) in [
        (Dimension::Agent, "agent"),
        (Dimension::Channel, "channel"),
        (Dimension::Topic, "topic"),
        (Dimension::Component, "component"),
        (Dimension::ChangeEvent, "change_event"),
    ] {
        let cells: Vec<&PatternCell> = r.cells.iter().filter(|c| c.dimension == dim).collect();
        if cells.is_empty() {
            continue;
        }
        let labels: Vec<String> = cells
            .iter()
            .map(|c| pattern_words::label(i18n, lang, r, names, c))
            .collect();
        let spec = Spec::Bar(SeriesSpec {
            x: cells
                .iter()
                .map(|c| pattern_words::short_label(i18n, lang, r, names, c))
                .collect(),
            series: vec![Series {
                name: t("patterns-col-ratio"),
                values: cells
                    .iter()
                    .map(|c| c.ratio.filter(|_| c.verdict != Verdict::TooSmall))
                    .collect(),
                stack: None,
            }],
            unit: Unit::Number,
            currency: None,
            decimals: 2,
        });
        let dimension = t(&format!("patterns-dim-{key}"));
        let mut chart = Chart::series(
            &format!("chart-patterns-{}", key.replace('_', "-")),
            state.ui().i18n().t(
                lang,
                "patterns-bars",
                &[("dimension", amends_i18n::FluentValue::from(dimension.clone()))],
            ),
            dimension,
            spec,
            lang,
        );
        chart.headers = headers.clone();
        chart.rows = cells.iter().zip(labels).map(|(c, l)| row(state, lang, l, c)).collect();
        out.push(chart);
    }
    out
}

async fn render(
    state: &AppState,
    ui: &UiUser,
    q: &PatternsQuery,
    mut error: Option<String>,
    form: &ChangeEventForm,
    form_error: Option<String>,
) -> Result<Response, UiError> {
    let report = match patterns::report(state, q.days, q.channel, q.tier, q.window_days).await {
        Ok(r) => r,
        Err(e) => {
            error = Some(app_error_field(&e));
            patterns::report(state, None, None, None, None).await?
        }
    };
    let lang = ui.lang();
    let i18n = state.ui().i18n();
    let users = state.store().list_users().await.map_err(amends_app::AppError::from)?;
    let names = names(users);
    let findings: Vec<String> = report
        .findings()
        .iter()
        .map(|c| pattern_words::sentence(i18n, lang, &report, &names, c))
        .collect();
    let sentences: Vec<String> = report
        .cells
        .iter()
        .filter(|c| c.dimension != Dimension::WeekdayHour && c.verdict != Verdict::TooSmall)
        .map(|c| pattern_words::sentence(i18n, lang, &report, &names, c))
        .collect();
    let tz = state.config().timezone;
    let events: Vec<Value> = report
        .change_events
        .iter()
        .map(|e| {
            context! {
                kind => state.ui().t(lang, &format!("change-kind-{}", e.kind)),
                title => e.title,
                component => e.component,
                at => e.at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
            }
        })
        .collect();
    let days = (report.to - report.from).num_days();
    ui.page(
        state,
        "patterns.html",
        context! {
            nav => "patterns",
            error => error,
            filter => context! {
                days => days,
                channel => q.channel.map(Channel::as_str),
                tier => q.tier.map(Tier::as_str),
                channels => Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                tiers => Tier::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            },
            window_days => report.window_days,
            report => Value::from_serialize(&report),
            share => report.complaint_share.map(|s| amends_i18n::format::format_percent(100.0 * s, 1, lang)),
            summary => pattern_words::summary(i18n, lang, &report, &names),
            findings => findings,
            sentences => sentences,
            charts => Value::from_serialize(charts(state, lang, &report, &names)),
            events => events,
            kinds => CHANGE_KINDS.to_vec(),
            form => context! { kind => form.kind, title => form.title, component => form.component, at => form.at },
            form_error => form_error,
            min_group => amends_stats::MIN_GROUP,
            now_local => state.now().with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string(),
        },
    )
}

/// The patterns report (leads and admins).
pub async fn patterns_page(
    State(state): State<AppState>,
    ui: UiUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let (q, error) = read_query::<PatternsQuery>(raw.as_deref());
    render(&state, &ui, &q, error, &ChangeEventForm::default(), None).await
}

/// `2026-11-24T08:30` in the configured time zone, or RFC 3339.
fn local_time(state: &AppState, s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|n| n.and_local_timezone(state.config().timezone).earliest())
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Records a change event from the form; a bad field is named on the page.
pub async fn create_change_event(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<ChangeEventForm>,
) -> Result<Response, UiError> {
    let input = ChangeEventInput {
        kind: form.kind.clone(),
        title: form.title.clone(),
        component: Some(form.component.clone()),
        at: local_time(&state, &form.at),
    };
    match spikes::create_change_event(&state, &input, ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to("/analytics/patterns#change-events", "flash-saved")),
        Err(amends_app::AppError::Validation { field, .. }) => {
            let q = PatternsQuery::default();
            render(&state, &ui, &q, None, &form, Some(field)).await
        }
        Err(e) => Err(e.into()),
    }
}
