//! `/analytics/churn`: the churn model's card (held-out AUC in words, the
//! calibration chart with its table, the top risk drivers) and the open
//! cases ranked by churn risk × customer value — the "churn risk" inbox
//! view. Agents see their own cases; admins may queue a training.

use super::analytics::read_query;
use super::chart::{Chart, Series, SeriesSpec, Spec, Unit};
use super::forms::CsrfPairs;
use super::session::UiUser;
use super::{UiError, page};
use crate::query::ChurnQuery;
use crate::state::AppState;
use amends_app::analytics::churn::{self, ChurnReport, ModelCard};
use amends_app::analytics::churn_words;
use amends_domain::{Language, Permission};
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};

/// How many drivers the model card names.
const TOP_DRIVERS: usize = 5;

/// Predicted risk against the observed share who left, per decile.
fn calibration_chart(state: &AppState, lang: Language, m: &ModelCard) -> Chart {
    let t = |k: &str| state.ui().t(lang, k);
    let spec = SeriesSpec {
        x: (1..=m.calibration.len()).map(|i| i.to_string()).collect(),
        series: vec![
            Series {
                name: t("churn-calibration-predicted"),
                values: m.calibration.iter().map(|b| Some(100.0 * b.mean_predicted)).collect(),
                stack: None,
            },
            Series {
                name: t("churn-calibration-observed"),
                values: m.calibration.iter().map(|b| Some(100.0 * b.observed)).collect(),
                stack: None,
            },
        ],
        unit: Unit::Percent,
        currency: None,
        decimals: 1,
    };
    Chart::series(
        "churn-calibration",
        t("churn-calibration"),
        t("churn-decile"),
        Spec::Bar(spec),
        lang,
    )
}

async fn render(state: &AppState, ui: &UiUser, raw: Option<&str>, queued: bool) -> Result<Response, UiError> {
    let (q, mut error) = read_query::<ChurnQuery>(raw);
    let own = (!ui.user.role.can(Permission::ReadAudit)).then_some(ui.user.id.0);
    let report = match churn::report(state, own, q.limit).await {
        Ok(r) => r,
        Err(amends_app::AppError::Validation { .. }) => {
            error = Some("limit".into());
            churn::report(state, own, None).await?
        }
        Err(e) => return Err(e.into()),
    };
    let lang = ui.lang();
    let i18n = state.ui().i18n();
    let ChurnReport { model, cases } = &report;
    let card = model.as_ref().map(|m| {
        let drivers: Vec<Value> = m
            .drivers
            .iter()
            .take(TOP_DRIVERS)
            .map(|d| {
                context! {
                    feature => churn_words::feature(i18n, lang, d.feature),
                    sentence => churn_words::driver(i18n, lang, d),
                    coefficient => d.coefficient,
                }
            })
            .collect();
        context! {
            model => Value::from_serialize(m),
            auc_sentence => churn_words::auc(i18n, lang, m),
            chart => Value::from_serialize(calibration_chart(state, lang, m)),
            drivers => drivers,
        }
    });
    let html = page(
        state,
        "churn.html",
        lang,
        Some(ui),
        context! {
            nav => "churn",
            error => error,
            card => card,
            cases => Value::from_serialize(cases),
            can_train => ui.user.role.can(Permission::ManageIntegrations),
            queued => queued,
            horizon_days => churn::HORIZON_DAYS,
            min_rows => churn::MIN_ROWS,
        },
    )?;
    Ok(html.into_response())
}

/// The churn page.
pub async fn churn_page(
    State(state): State<AppState>,
    ui: UiUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    render(&state, &ui, raw.as_deref(), false).await
}

/// Queues a training and shows the page with a notice (admins).
pub async fn train(State(state): State<AppState>, CsrfPairs(ui, _): CsrfPairs) -> Result<Response, UiError> {
    churn::schedule(&state, None).await?;
    render(&state, &ui, None, true).await
}
