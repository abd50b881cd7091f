//! Merging duplicate customers in the UI (leads, admins): the list of
//! possible duplicates (`/customers/duplicates`), and on a customer's page
//! "Merge duplicate…" (`/customers/{id}/merge`): pick the other customer
//! with the customer search, see what will move, confirm. The merge itself
//! is `app::customer_merge`, which writes the audit entry.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::session::UiUser;
use amends_app::{AppError, customer_merge};
use amends_domain::{CustomerId, Permission};
use amends_store::CustomerFilter;
use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use uuid::Uuid;

/// The candidates shown on the duplicates page.
const PAIRS_SHOWN: usize = 200;

/// Pairs of customers that may be one person, each with a merge button.
pub async fn duplicates(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let pairs = customer_merge::candidates(&state, PAIRS_SHOWN).await?;
    ui.page(
        &state,
        "customer_duplicates.html",
        context! {
            nav => "customers",
            pairs => Value::from_serialize(&pairs),
            can_merge => ui.user.role.can(Permission::MergeCustomers),
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MergeQuery {
    /// Search text for the other customer.
    q: Option<String>,
    /// The chosen duplicate: shows the confirmation.
    duplicate_id: Option<String>,
}

/// The duplicate named by the form or query, or the field's error key.
fn duplicate_id(text: &str) -> Result<CustomerId, &'static str> {
    Uuid::parse_str(text.trim())
        .map(CustomerId)
        .map_err(|_| "merge-err-pick")
}

/// The page of a merge into customer `id`: the search for the duplicate,
/// or (with `duplicate_id`) what will move and the confirm button.
pub async fn merge_page(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<MergeQuery>,
) -> Result<Response, UiError> {
    let chosen = q.duplicate_id.as_deref().filter(|s| !s.trim().is_empty());
    match chosen.map(duplicate_id) {
        Some(Ok(dup)) => render(&state, &ui, CustomerId(id), q.q.as_deref(), Some(dup), None).await,
        Some(Err(key)) => render(&state, &ui, CustomerId(id), q.q.as_deref(), None, Some(key)).await,
        None => render(&state, &ui, CustomerId(id), q.q.as_deref(), None, None).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MergeForm {
    duplicate_id: String,
}

/// Merges, then the survivor's page with a confirmation; a refused merge
/// shows the page again with the reason in the reader's language.
pub async fn merge(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<MergeForm>,
) -> Result<Response, UiError> {
    let survivor = CustomerId(id);
    let dup = match duplicate_id(&form.duplicate_id) {
        Ok(d) => d,
        Err(key) => return render(&state, &ui, survivor, None, None, Some(key)).await,
    };
    match customer_merge::merge(&state, survivor, dup, ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to(&format!("/customers/{id}"), "flash-merged")),
        Err(AppError::Validation { .. }) => render(&state, &ui, survivor, None, None, Some("merge-err-self")).await,
        Err(AppError::Conflict { .. }) => render(&state, &ui, survivor, None, None, Some("merge-err-conflict")).await,
        Err(AppError::NotFound(_)) => render(&state, &ui, survivor, None, None, Some("merge-err-pick")).await,
        Err(e) => Err(e.into()),
    }
}

/// The merge page of survivor `id`: search results for `q` (not the
/// survivor itself), the preview of `dup` if chosen, and `error` (a
/// catalogue key) at the field.
async fn render(
    state: &AppState,
    ui: &UiUser,
    id: CustomerId,
    q: Option<&str>,
    dup: Option<CustomerId>,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let survivor = match customer_merge::customer(state, id).await {
        Ok(c) => c,
        Err(AppError::NotFound(_)) => return gone(state, id).await,
        Err(e) => return Err(e.into()),
    };
    let (preview, error) = match dup {
        Some(d) => match customer_merge::preview(state, id, d).await {
            Ok(p) => (Some(p), error),
            Err(AppError::Validation { .. }) => (None, Some("merge-err-self")),
            Err(AppError::NotFound(_)) => (None, Some("merge-err-pick")),
            Err(e) => return Err(e.into()),
        },
        None => (None, error),
    };
    let text = q.map(str::trim).filter(|s| !s.is_empty());
    let found = match text {
        Some(t) => {
            let filter = CustomerFilter {
                q: Some(t.to_string()),
                limit: 20,
                ..CustomerFilter::default()
            };
            let mut page = state.store().list_customers(&filter).await?.items;
            page.retain(|c| c.id != id && c.erased_at.is_none());
            Some(page)
        }
        None => None,
    };
    let html = ui.render(
        state,
        "customer_merge.html",
        context! {
            nav => "customers",
            customer => Value::from_serialize(&survivor),
            q => text,
            found => Value::from_serialize(&found),
            duplicate => Value::from_serialize(preview.as_ref().map(|p| &p.duplicate)),
            counts => Value::from_serialize(preview.as_ref().map(|p| p.counts)),
            error => error,
        },
    )?;
    Ok(crate::ui::form_response(html, error.is_some()))
}

/// A customer merged into another: to the survivor's page; else not found.
pub async fn gone(state: &AppState, id: CustomerId) -> Result<Response, UiError> {
    match customer_merge::survivor_of(state, id).await? {
        Some(to) => Ok(axum::response::IntoResponse::into_response(Redirect::to(&format!(
            "/customers/{to}"
        )))),
        None => Err(UiError::NotFound),
    }
}
