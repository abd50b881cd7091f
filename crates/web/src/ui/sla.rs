//! Settings → SLA policies (admins): targets and business hours per tier and priority.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::chart::{Chart, Series, SeriesSpec, Spec, Unit};
use crate::ui::forms::CsrfPairs;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::sla::{effective_policies, set_policy};
use amends_domain::calendar::CalendarSpec;
use amends_domain::{Priority, Tier};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Serialize)]
pub struct PolicyForm {
    tier: String,
    priority: String,
    first_response_minutes: String,
    resolution_minutes: String,
    mode: String,
    timezone: String,
    from: String,
    to: String,
    days: Vec<String>,
    holidays: String,
}

async fn render(
    state: &AppState,
    ui: &UiUser,
    form: &PolicyForm,
    errors: &BTreeMap<String, String>,
    saved: bool,
) -> Result<axum::response::Html<String>, UiError> {
    let policies = effective_policies(state).await?;
    ui.render(
        state,
        "sla.html",
        context! {
            nav => "settings",
            policies => Value::from_serialize(&policies),
            form => Value::from_serialize(form),
            errors => errors,
            saved => saved,
            tiers => Tier::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            priorities => Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            weekdays => ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        },
    )
}

fn default_form(state: &AppState) -> PolicyForm {
    PolicyForm {
        tier: "standard".into(),
        priority: "normal".into(),
        first_response_minutes: "480".into(),
        resolution_minutes: "4320".into(),
        mode: "always".into(),
        timezone: state.config().timezone.name().to_string(),
        from: "09:00".into(),
        to: "17:00".into(),
        days: ["mon", "tue", "wed", "thu", "fri"].map(String::from).to_vec(),
        holidays: String::new(),
    }
}

pub async fn page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    Ok(render(&state, &ui, &default_form(&state), &BTreeMap::new(), false)
        .await?
        .into_response())
}

fn error_key(field: &str) -> &'static str {
    match field {
        "first_response_minutes" => "err-sla-first-response",
        "resolution_minutes" => "err-sla-resolution",
        "calendar.timezone" => "err-sla-timezone",
        "calendar.week" | "hours" => "err-sla-hours",
        "holidays" => "err-sla-holidays",
        _ => "err-invalid",
    }
}

pub async fn save(State(state): State<AppState>, CsrfPairs(ui, pairs): CsrfPairs) -> Result<Response, UiError> {
    let mut form = PolicyForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "tier" => form.tier = v,
            "priority" => form.priority = v,
            "first_response_minutes" => form.first_response_minutes = v,
            "resolution_minutes" => form.resolution_minutes = v,
            "mode" => form.mode = v,
            "timezone" => form.timezone = v,
            "from" => form.from = v,
            "to" => form.to = v,
            "days" => form.days.push(v),
            "holidays" => form.holidays = v,
            _ => {}
        }
    }
    let mut errors = BTreeMap::new();
    let tier: Tier = form
        .tier
        .parse()
        .map_err(|e: amends_domain::ValidationError| UiError::BadRequest(e.message))?;
    let priority: Priority = form
        .priority
        .parse()
        .map_err(|e: amends_domain::ValidationError| UiError::BadRequest(e.message))?;
    let minutes = |field: &str, v: &str, errors: &mut BTreeMap<String, String>| {
        v.trim().parse::<i64>().map_err(|_| {
            errors.insert(field.into(), error_key(field).into());
        })
    };
    let first = minutes("first_response_minutes", &form.first_response_minutes, &mut errors);
    let resolution = minutes("resolution_minutes", &form.resolution_minutes, &mut errors);
    let mut holidays = Vec::new();
    for line in form.holidays.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match chrono::NaiveDate::parse_from_str(line, "%Y-%m-%d") {
            Ok(d) => holidays.push(d),
            Err(_) => {
                errors.insert("holidays".into(), error_key("holidays").into());
            }
        }
    }
    let calendar = (form.mode == "business").then(|| CalendarSpec {
        timezone: form.timezone.trim().to_string(),
        week: form
            .days
            .iter()
            .map(|d| (d.clone(), vec![[form.from.clone(), form.to.clone()]]))
            .collect(),
        holidays,
    });
    if let (Ok(first), Ok(resolution), true) = (first, resolution, errors.is_empty()) {
        match set_policy(&state, tier, priority, first, resolution, calendar, ui.user.id).await {
            Ok(_) => {
                let html = render(&state, &ui, &form, &errors, true).await?;
                return Ok(html.into_response());
            }
            Err(AppError::Validation { field, .. }) => {
                errors.insert(field.clone(), error_key(&field).into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let html = render(&state, &ui, &form, &errors, false).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

#[cfg(test)]
mod tests {
    use super::error_key;
    use amends_i18n::catalog::{DE_FTL, EN_FTL, I18n};

    #[test]
    fn every_sla_form_error_has_a_translation() {
        let (de, en) = (I18n::keys(DE_FTL), I18n::keys(EN_FTL));
        for f in [
            "first_response_minutes",
            "resolution_minutes",
            "calendar.timezone",
            "calendar.week",
            "holidays",
            "x",
        ] {
            let k = error_key(f).to_string();
            assert!(de.contains(&k) && en.contains(&k), "missing {k}");
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ReportQuery {
    days: Option<i64>,
}

/// SLA attainment for leads: the last 7, 30 or 90 days.
pub async fn report(
    State(state): State<AppState>,
    ui: UiUser,
    axum::extract::Query(q): axum::extract::Query<ReportQuery>,
) -> Result<Response, UiError> {
    let days = q.days.unwrap_or(30).clamp(1, 3650);
    let to = state.now();
    let report = amends_app::sla::report(&state, to - chrono::Duration::days(days), to).await?;
    ui.page(
        &state,
        "sla_report.html",
        context! {
            nav => "reports",
            chart => Value::from_serialize(attainment_chart(&state, ui.lang(), &report)),
            report => Value::from_serialize(&report),
            days => days,
        },
    )
}

/// First-response and resolution attainment per policy as a bar chart.
fn attainment_chart(state: &AppState, lang: amends_domain::Language, report: &amends_app::sla::SlaReport) -> Chart {
    let t = |key: &str| state.ui().t(lang, key);
    let rows = &report.by_policy;
    let spec = Spec::Bar(SeriesSpec {
        x: rows.iter().map(|r| r.label.clone()).collect(),
        series: vec![
            Series {
                name: t("sla-first-response"),
                values: rows.iter().map(|r| r.first_response_pct).collect(),
                stack: None,
            },
            Series {
                name: t("sla-resolution"),
                values: rows.iter().map(|r| r.resolution_pct).collect(),
                stack: None,
            },
        ],
        unit: Unit::Percent,
        currency: None,
        decimals: 1,
    });
    Chart::series(
        "sla-by-policy-chart",
        t("sla-report-chart"),
        t("sla-report-policy"),
        spec,
        lang,
    )
}
