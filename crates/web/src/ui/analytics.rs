//! `/dashboard` and `/analytics/paradox`: the figures of
//! `amends_app::analytics` as tiles, charts (each with its numbers as a
//! table) and sentences, in the user's language.

use super::UiError;
use super::chart::{Chart, HeatmapSpec, Series, SeriesSpec, Spec, Unit};
use super::session::UiUser;
use crate::query::{AnalyticsQuery, RoiQuery};
use crate::state::AppState;
use amends_app::analytics::kpis::{self, Dashboard};
use amends_app::analytics::paradox::{self, ParadoxReport};
use amends_app::analytics::{roi, statement};
use amends_domain::{Channel, Language, Permission, Tier};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono_tz::Tz;
use minijinja::{Value, context};

/// The query of an analytics page; a bad one is named above the figures
/// (by field, in the user's language) and the defaults are used.
pub(super) fn read_query<T: serde::de::DeserializeOwned + Default>(raw: Option<&str>) -> (T, Option<String>) {
    match crate::query::parse_query::<T>(raw.unwrap_or_default()) {
        Ok(q) => (q, None),
        Err(crate::error::ApiError::App(amends_app::AppError::Validation { field, .. })) => {
            (T::default(), Some(error_field(&field)))
        }
        Err(_) => (T::default(), Some("query".into())),
    }
}

/// The field an error is about, as a key suffix of `analytics-error-*`.
pub(super) fn error_field(field: &str) -> String {
    const KNOWN: &[&str] = &[
        "days",
        "channel",
        "tier",
        "agent",
        "settle_days",
        "outcome",
        "hourly_cost_cents",
        "minutes_per_case",
        "acquisition_multiple",
        "lifetime_months",
        "window_days",
        "kind",
    ];
    if KNOWN.contains(&field) {
        field.to_string()
    } else {
        "query".into()
    }
}

pub(super) fn app_error_field(e: &amends_app::AppError) -> String {
    match e {
        amends_app::AppError::Validation { field, .. } => error_field(field),
        _ => "query".into(),
    }
}

/// The filter form's choices and current values.
async fn filter_context(state: &AppState, ui: &UiUser, q: &AnalyticsQuery, days: i64) -> Result<Value, UiError> {
    let agents = if ui.user.role.can(Permission::ReadAudit) {
        state
            .store()
            .list_users()
            .await
            .map_err(amends_app::AppError::from)?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| context! { id => u.id, name => u.display_name })
            .collect()
    } else {
        Vec::new()
    };
    Ok(context! {
        days => days,
        channel => q.channel.map(Channel::as_str),
        tier => q.tier.map(Tier::as_str),
        agent => q.agent,
        channels => Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        tiers => Tier::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        agents => agents,
    })
}

fn weekdays(state: &AppState, lang: Language) -> Vec<String> {
    state
        .ui()
        .t(lang, "weekday-short")
        .split(',')
        .map(str::to_string)
        .collect()
}

fn bucket_label(at: chrono::DateTime<chrono::Utc>, tz: Tz, lang: Language) -> String {
    let local = at.with_timezone(&tz);
    match lang {
        Language::De => local.format("%d.%m.").to_string(),
        Language::En => local.format("%d %b").to_string(),
    }
}

fn series(name: String, values: impl Iterator<Item = Option<f64>>) -> Series {
    Series {
        name,
        values: values.collect(),
        stack: None,
    }
}

fn line_or_bar(x: Vec<String>, series: Vec<Series>, unit: Unit, decimals: u8) -> SeriesSpec {
    SeriesSpec {
        x,
        series,
        unit,
        currency: None,
        decimals,
    }
}

/// The dashboard's charts, each with its numbers as a table.
fn dashboard_charts(state: &AppState, d: &Dashboard, lang: Language) -> Vec<Chart> {
    let tz = state.config().timezone;
    let t = |k: &str| state.ui().t(lang, k);
    let labels: Vec<String> = d.trend.iter().map(|p| bucket_label(p.start, tz, lang)).collect();
    let trend = Spec::Line(line_or_bar(
        labels.clone(),
        vec![
            series(t("dashboard-cases"), d.trend.iter().map(|p| Some(p.created as f64))),
            series(
                t("dashboard-open-cases"),
                d.trend.iter().map(|p| Some(p.backlog as f64)),
            ),
        ],
        Unit::Number,
        0,
    ));
    let csat = Spec::Line(line_or_bar(
        labels,
        vec![series(t("dashboard-csat"), d.trend.iter().map(|p| p.csat_mean))],
        Unit::Number,
        2,
    ));
    let cells = d
        .heatmap
        .iter()
        .enumerate()
        .flat_map(|(day, hours)| hours.iter().enumerate().map(move |(h, v)| (day, h, *v as f64)))
        .collect();
    let heat = Spec::Heatmap(HeatmapSpec {
        x: weekdays(state, lang),
        y: (0..24).map(|h| format!("{h:02}")).collect(),
        cells,
        unit: Unit::Number,
        decimals: 0,
    });
    let groups = d
        .retention
        .iter()
        .map(|r| t(&format!("paradox-group-{}", r.group.replace('_', "-"))))
        .collect();
    let retention = Spec::Bar(line_or_bar(
        groups,
        vec![series(
            t("dashboard-retention"),
            d.retention.iter().map(|r| r.retained_pct),
        )],
        Unit::Percent,
        1,
    ));
    vec![
        Chart::series("chart-trend", t("dashboard-trend"), t("dashboard-day"), trend, lang),
        Chart::series("chart-csat", t("dashboard-csat-trend"), t("dashboard-day"), csat, lang),
        Chart::series("chart-heatmap", t("dashboard-heatmap"), t("dashboard-hour"), heat, lang),
        Chart::series(
            "chart-retention",
            t("dashboard-retention"),
            t("paradox-col-group"),
            retention,
            lang,
        ),
    ]
}

/// The tiles: (label key, current, previous, unit) with unit `n`, `num2`, `pct`, `h` or `money`.
/// The times in business hours are shown where some SLA policy has a calendar.
fn tiles(d: &Dashboard) -> Vec<Value> {
    let (cur, prev) = (&d.current, &d.previous);
    let f = |key: &str, c: Option<f64>, p: Option<f64>, unit: &str| {
        context! { key => key, current => c, previous => p, unit => unit }
    };
    let n = |v: u64| Some(v as f64);
    let money = |v: Option<i64>| v.map(|c| c as f64);
    let mut out = vec![
        f("dashboard-cases", n(cur.cases), n(prev.cases), "n"),
        f("dashboard-csat", cur.csat_mean, prev.csat_mean, "num2"),
        f("dashboard-csat-high", cur.csat_high_pct, prev.csat_high_pct, "pct"),
        f(
            "dashboard-first-response",
            cur.first_response_median_hours,
            prev.first_response_median_hours,
            "h",
        ),
        f(
            "dashboard-first-response-p90",
            cur.first_response_p90_hours,
            prev.first_response_p90_hours,
            "h",
        ),
        f(
            "dashboard-resolution",
            cur.resolution_median_hours,
            prev.resolution_median_hours,
            "h",
        ),
        f(
            "dashboard-resolution-p90",
            cur.resolution_p90_hours,
            prev.resolution_p90_hours,
            "h",
        ),
    ];
    if d.business_calendars {
        out.extend([
            f(
                "dashboard-first-response-business",
                cur.first_response_median_business_hours,
                prev.first_response_median_business_hours,
                "h",
            ),
            f(
                "dashboard-first-response-p90-business",
                cur.first_response_p90_business_hours,
                prev.first_response_p90_business_hours,
                "h",
            ),
            f(
                "dashboard-resolution-business",
                cur.resolution_median_business_hours,
                prev.resolution_median_business_hours,
                "h",
            ),
            f(
                "dashboard-resolution-p90-business",
                cur.resolution_p90_business_hours,
                prev.resolution_p90_business_hours,
                "h",
            ),
        ]);
    }
    out.extend([
        f(
            "dashboard-sla-first",
            cur.sla_first_response_pct,
            prev.sla_first_response_pct,
            "pct",
        ),
        f(
            "dashboard-sla-resolution",
            cur.sla_resolution_pct,
            prev.sla_resolution_pct,
            "pct",
        ),
        f(
            "dashboard-reopen-rate",
            cur.reopen_rate_pct,
            prev.reopen_rate_pct,
            "pct",
        ),
        f(
            "dashboard-recovery-rate",
            cur.recovery_rate_pct,
            prev.recovery_rate_pct,
            "pct",
        ),
        f(
            "dashboard-goodwill",
            money(Some(cur.goodwill_cents)),
            money(Some(prev.goodwill_cents)),
            "money",
        ),
        f(
            "dashboard-goodwill-per-case",
            money(cur.goodwill_per_case_cents),
            money(prev.goodwill_per_case_cents),
            "money",
        ),
        f(
            "dashboard-goodwill-per-retained",
            money(cur.goodwill_per_retained_cents),
            money(prev.goodwill_per_retained_cents),
            "money",
        ),
        f("dashboard-backlog", Some(d.backlog_now as f64), None, "n"),
        f("dashboard-incidents", Some(d.open_incidents as f64), None, "n"),
    ]);
    out
}

/// The complaint spikes of the last 24 hours (leads and admins), in words.
async fn spike_banners(state: &AppState, ui: &UiUser, lang: Language) -> Result<Vec<Value>, UiError> {
    if !ui.user.role.can(Permission::ReadAudit) {
        return Ok(Vec::new());
    }
    let i18n = state.ui().i18n();
    let alerts = amends_app::analytics::spikes::recent_alerts(state).await?;
    Ok(alerts
        .iter()
        .map(|a| {
            let key = format!("topic-{}", a.topic);
            let topic = i18n.t(lang, &key, &[]);
            let text = i18n.t(
                lang,
                "spike-banner",
                &[
                    (
                        "topic",
                        amends_i18n::FluentValue::from(if topic == key { a.topic.clone() } else { topic }),
                    ),
                    ("observed", amends_i18n::FluentValue::from(a.observed)),
                    (
                        "expected",
                        amends_i18n::FluentValue::from(amends_i18n::format::format_decimal(a.expected, 1, lang)),
                    ),
                    (
                        "q",
                        amends_i18n::FluentValue::from(amends_app::analytics::pattern_words::q_phrase(a.q_value, lang)),
                    ),
                ],
            );
            context! { topic => a.topic, text => text }
        })
        .collect())
}

/// The dashboard: the team's figures for leads and admins, one's own for agents.
pub async fn dashboard(
    State(state): State<AppState>,
    ui: UiUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let (q, mut error) = read_query::<AnalyticsQuery>(raw.as_deref());
    let scope = match q.scope(state.now(), &ui.user) {
        Ok(s) => s,
        Err(e) => {
            error = Some(app_error_field(&e));
            AnalyticsQuery::default().scope(state.now(), &ui.user)?
        }
    };
    let d = match kpis::dashboard(&state, &scope, q.settle_days).await {
        Ok(d) => d,
        Err(e) => {
            error = Some(app_error_field(&e));
            kpis::dashboard(&state, &scope, None).await?
        }
    };
    let lang = ui.lang();
    ui.page(
        &state,
        "dashboard.html",
        context! {
            nav => "dashboard",
            mine => !ui.user.role.can(Permission::ReadAudit),
            error => error,
            filter => filter_context(&state, &ui, &q, scope.days()).await?,
            d => Value::from_serialize(&d),
            tiles => tiles(&d),
            spikes => spike_banners(&state, &ui, lang).await?,
            charts => Value::from_serialize(dashboard_charts(&state, &d, lang)),
        },
    )
}

/// One table row per cell with its sentence.
fn paradox_rows(state: &AppState, lang: Language, r: &ParadoxReport) -> Vec<Value> {
    let i18n = state.ui().i18n();
    r.cells
        .iter()
        .map(|c| {
            let label = statement::label(i18n, lang, c);
            context! {
                moderator => c.moderator,
                label => label,
                cell => Value::from_serialize(c),
                diff => c.comparison.map(|cmp| statement::difference(r.outcome, &cmp, lang)),
                q => c.comparison.map(|cmp| statement::q_value(cmp.q_value, lang)),
                sentence => statement::cell(i18n, lang, r, c),
            }
        })
        .collect()
}

/// The service recovery paradox report (leads and admins).
pub async fn paradox_page(
    State(state): State<AppState>,
    ui: UiUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let (q, mut error) = read_query::<AnalyticsQuery>(raw.as_deref());
    let days = q.days.unwrap_or(180);
    let q = AnalyticsQuery { days: Some(days), ..q };
    let outcome = q.outcome.unwrap_or_default();
    let report = match q.scope(state.now(), &ui.user) {
        Ok(scope) => paradox::report(&state, &scope, outcome, q.settle_days).await,
        Err(e) => Err(e),
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            error = Some(app_error_field(&e));
            let scope = AnalyticsQuery::default().scope(state.now(), &ui.user)?;
            paradox::report(&state, &scope, outcome, None).await?
        }
    };
    let lang = ui.lang();
    let i18n = state.ui().i18n();
    let chart_cells: Vec<&paradox::Cell> = report.cells.iter().filter(|c| c.figure.value.is_some()).collect();
    let mut x = vec![state.ui().t(lang, "paradox-group-never-failed")];
    x.extend(chart_cells.iter().map(|c| statement::short_label(i18n, lang, c)));
    let mut values = vec![report.never_failed.value];
    values.extend(chart_cells.iter().map(|c| c.figure.value));
    let (unit, decimals) = match outcome {
        paradox::Outcome::Satisfaction => (Unit::Number, 2),
        paradox::Outcome::Retention => (Unit::Percent, 1),
    };
    let title = state
        .ui()
        .t(lang, &format!("paradox-outcome-{}-label", outcome_key(outcome)));
    let spec = Spec::Bar(line_or_bar(
        x,
        vec![series(title.clone(), values.into_iter())],
        unit,
        decimals,
    ));
    let chart = Chart::series(
        "chart-paradox",
        title,
        state.ui().t(lang, "paradox-col-group"),
        spec,
        lang,
    );
    ui.page(
        &state,
        "paradox.html",
        context! {
            nav => "paradox",
            error => error,
            outcome => outcome_key(outcome),
            settle_days => report.settle_days,
            min_group => amends_stats::MIN_GROUP,
            filter => filter_context(&state, &ui, &q, days).await?,
            report => Value::from_serialize(&report),
            summary => statement::summary(i18n, lang, &report),
            rows => paradox_rows(&state, lang, &report),
            paradox_chart => Value::from_serialize(&chart),
        },
    )
}

fn outcome_key(o: paradox::Outcome) -> &'static str {
    match o {
        paradox::Outcome::Satisfaction => "satisfaction",
        paradox::Outcome::Retention => "retention",
    }
}

/// The ROI calculator (leads and admins): the period's facts, the what-if
/// inputs as a form, and the returns with the formula written out.
pub async fn roi_page(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    let (q, mut error) = read_query::<RoiQuery>(raw.as_deref());
    let aq = q.analytics();
    let report = match aq.scope(state.now(), &ui.user) {
        Ok(scope) => roi::report(&state, &scope, q.what_if(), q.settle_days).await,
        Err(e) => Err(e),
    };
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            error = Some(app_error_field(&e));
            let scope = RoiQuery::default().analytics().scope(state.now(), &ui.user)?;
            roi::report(&state, &scope, roi::WhatIf::default(), None).await?
        }
    };
    let days = aq.days.unwrap_or(180);
    ui.page(
        &state,
        "roi.html",
        context! {
            nav => "roi",
            error => error,
            filter => filter_context(&state, &ui, &aq, days).await?,
            r => Value::from_serialize(&report),
            hourly_cost => report.what_if.hourly_cost_cents as f64 / 100.0,
        },
    )
}
