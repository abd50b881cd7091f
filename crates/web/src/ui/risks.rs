//! `/risks`: the risk register (leads and admins) — the failure-prone
//! areas ranked by failure rate × cost, each with the playbook its
//! failures would get, or flagged with a link that starts one.

use super::UiError;
use super::analytics::read_query;
use super::session::UiUser;
use crate::state::AppState;
use amends_app::analytics::pattern_words;
use amends_app::analytics::risks::{self, Period, RiskArea, RiskRegister, Trend};
use amends_domain::Language;
use amends_domain::risk::AreaKind;
use amends_i18n::FluentValue;
use amends_i18n::format::{format_decimal, format_money, format_percent};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use minijinja::{Value, context};
use serde::Deserialize;

/// The page's filter as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RisksPageQuery {
    /// The last N days (1–366, default 90).
    days: Option<i64>,
    /// Only areas of this kind.
    kind: Option<AreaKind>,
}

fn pct(v: f64, lang: Language) -> String {
    format_percent(100.0 * v, 1, lang)
}

fn money(cents: f64, lang: Language) -> String {
    format_money(cents.round() as i64, lang)
}

/// The area's name in the reader's language.
fn label(state: &AppState, lang: Language, a: &RiskArea) -> String {
    match a.kind {
        AreaKind::Topic => pattern_words::topic(state.ui().i18n(), lang, &a.area),
        AreaKind::IncidentKind => state.ui().t(lang, &format!("incident-kind-{}", a.area)),
        AreaKind::Component | AreaKind::Release => a.area.clone(),
    }
}

/// The form that starts a playbook for the area: for its topic, else its
/// incident kind (one of them makes the playbook cover the area).
fn new_playbook_link(a: &RiskArea) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    match (&a.topic, a.incident_kind) {
        (Some(t), _) => q.append_pair("topic", t),
        (None, Some(k)) => q.append_pair("incident_kind", k.as_str()),
        (None, None) => return "/playbooks/new".into(),
    };
    format!("/playbooks/new?{}", q.finish())
}

fn trend_key(t: Trend) -> &'static str {
    match t {
        Trend::Rising => "rising",
        Trend::Falling => "falling",
        Trend::Steady => "steady",
        Trend::TooFew => "too_few",
    }
}

/// One table row, every figure formatted for the reader.
fn row(state: &AppState, lang: Language, rank: usize, a: &RiskArea) -> Value {
    let t = |k: &str| state.ui().t(lang, k);
    let rate = a.rate.map(|r| pct(r, lang));
    let ci = a
        .rate_ci
        .map(|c| format!("{} – {}", pct(c.low, lang), pct(c.high, lang)));
    let change = a.rate_change.map(|d| {
        let points = signed_points(100.0 * d, lang);
        state
            .ui()
            .i18n()
            .t(lang, "risks-change", &[("points", FluentValue::from(points))])
    });
    let n = |v: u64| FluentValue::from(format_decimal(v as f64, 0, lang));
    let tr = |key: &str, args: &[(&str, FluentValue<'_>)]| state.ui().i18n().t(lang, key, args);
    context! {
        rank => rank,
        failures_of => tr("risks-failures-of", &[("failures", n(a.failures)), ("items", n(a.items))]),
        cases_text => (a.cases > 0).then(|| tr("risks-cases", &[("count", FluentValue::from(a.cases)), ("shown", n(a.cases))])),
        churned_text => tr("risks-churned", &[("count", FluentValue::from(a.churned_customers)), ("money", FluentValue::from(format_money(a.churned_cents, lang)))]),
        kind => a.kind.as_str(),
        kind_label => t(&format!("risks-kind-{}", a.kind.as_str())),
        area => a.area.clone(),
        label => label(state, lang, a),
        items => a.items,
        failures => a.failures,
        cases => a.cases,
        rate => rate,
        rate_ci => ci,
        judged => a.judged,
        cost => format_money(a.cost_cents, lang),
        goodwill => format_money(a.goodwill_cents, lang),
        has_goodwill => a.goodwill_cents > 0,
        churned => format_money(a.churned_cents, lang),
        churned_customers => a.churned_customers,
        score => a.score_cents.map(|s| money(s, lang)),
        trend => trend_key(a.trend),
        change => change,
        previous_rate => a.previous.rate.map(|r| pct(r, lang)),
        playbook => a.playbook.as_ref().map(|p| context! {
            id => p.id,
            name => if lang == Language::De { p.name_de.clone() } else { p.name_en.clone() },
        }),
        new_playbook => new_playbook_link(a),
    }
}

/// A signed number of percentage points (`+4,2`, `−1,0`).
fn signed_points(points: f64, lang: Language) -> String {
    let n = format_decimal(points.abs(), 1, lang);
    if points > 0.0 {
        format!("+{n}")
    } else if points < 0.0 {
        format!("−{n}")
    } else {
        n
    }
}

async fn report(state: &AppState, q: &RisksPageQuery) -> amends_app::AppResult<RiskRegister> {
    let period = Period::last_days(state.now(), q.days)?;
    risks::register(state, period, q.kind).await
}

/// `GET /risks`: the register of the last `days` days, of one kind of area or all.
pub async fn page(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    let (mut q, mut error) = read_query::<RisksPageQuery>(raw.as_deref());
    let register = match report(&state, &q).await {
        Ok(r) => r,
        Err(amends_app::AppError::Validation { field, .. }) => {
            error = Some(super::analytics::error_field(&field));
            q = RisksPageQuery::default();
            report(&state, &q).await?
        }
        Err(e) => return Err(e.into()),
    };
    let lang = ui.lang();
    let rows: Vec<Value> = register
        .areas
        .iter()
        .enumerate()
        .map(|(i, a)| row(&state, lang, i + 1, a))
        .collect();
    ui.page(
        &state,
        "risks.html",
        context! {
            nav => "risks",
            error => error,
            days => q.days.unwrap_or(risks::DEFAULT_DAYS),
            kind => q.kind.map(AreaKind::as_str),
            kinds => AreaKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            from => register.from,
            to => register.to,
            previous_from => register.previous_from,
            without_playbook => register.without_playbook,
            rows => rows,
            min_group => amends_stats::MIN_GROUP,
            churn_days => amends_app::analytics::churn::HORIZON_DAYS,
            can_manage => ui.user.role.can(amends_domain::Permission::ManagePlaybooks),
        },
    )
}
