//! The feature-feedback panel: the segment of recovered customers with a
//! filter, CSV export and invitations (`/panel`), and the customer's join
//! link (`/panel/join/{token}`, no login).

use crate::state::AppState;
use crate::ui::forms::CsrfPairs;
use crate::ui::session::UiUser;
use crate::ui::{UiError, page as render_page};
use amends_app::panel::{self, InvitationsIn};
use amends_domain::Language;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct PanelQuery {
    #[serde(default)]
    language: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    not_invited: String,
}

impl PanelQuery {
    fn filter(&self) -> Result<amends_store::PanelFilter, amends_app::AppError> {
        panel::filter(Some(&self.language), Some(&self.tier), !self.not_invited.is_empty())
    }
}

async fn render(state: &AppState, ui: &UiUser, q: &PanelQuery, result: Option<Value>) -> Result<Response, UiError> {
    let (f, bad) = match q.filter() {
        Ok(f) => (f, false),
        Err(_) => (amends_store::PanelFilter::default(), true),
    };
    let out = panel::segment(state, &f).await?;
    let html = ui.render(
        state,
        "panel.html",
        context! { nav => "customers", panel => Value::from_serialize(&out), language => q.language.clone(), tier => q.tier.clone(),
        not_invited => !q.not_invited.is_empty(), tiers => amends_domain::Tier::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        filter_error => bad, result => result },
    )?;
    let status = if bad {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, html).into_response())
}

/// `GET /panel`.
pub async fn page(State(state): State<AppState>, ui: UiUser, Query(q): Query<PanelQuery>) -> Result<Response, UiError> {
    render(&state, &ui, &q, None).await
}

/// `GET /panel/export.csv`: the filtered segment.
pub async fn export(
    State(state): State<AppState>,
    _ui: UiUser,
    Query(q): Query<PanelQuery>,
) -> Result<Response, UiError> {
    let f = q.filter().map_err(|e| UiError::BadRequest(e.to_string()))?;
    let out = panel::segment(&state, &f).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"panel.csv\""),
        ],
        panel::csv(&out),
    )
        .into_response())
}

/// `POST /panel/invitations`: the ticked customers (`customer_id` repeated).
pub async fn invite(State(state): State<AppState>, CsrfPairs(ui, pairs): CsrfPairs) -> Result<Response, UiError> {
    let ids: Vec<Uuid> = pairs
        .iter()
        .filter(|(k, _)| k == "customer_id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let q = PanelQuery::default();
    if ids.is_empty() {
        return render(&state, &ui, &q, Some(context! { none => true })).await;
    }
    let out = panel::invite(&state, &InvitationsIn { customer_ids: ids }, ui.user.id).await?;
    render(
        &state,
        &ui,
        &q,
        Some(context! { invited => out.invited.len(), skipped => Value::from_serialize(&out.skipped) }),
    )
    .await
}

/// `GET /panel/join/{token}`: records the membership.
pub async fn join(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, UiError> {
    let Some(customer) = panel::verify(&state, &token) else {
        let html = render_page(&state, "panel_join.html", Language::De, None, context! { ok => false })?;
        return Ok((StatusCode::NOT_FOUND, html).into_response());
    };
    let c = state.store().get_customer(customer).await?;
    let joined = panel::join(&state, customer).await?;
    let invited = joined || state.store().panel_joined(customer).await?;
    let status = if invited { StatusCode::OK } else { StatusCode::NOT_FOUND };
    let html = render_page(&state, "panel_join.html", c.language, None, context! { ok => invited })?;
    Ok((status, html).into_response())
}
