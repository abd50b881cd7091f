//! Customer list and customer page (profile and every case).

use crate::api::customers::parse_cursor;
use crate::state::AppState;
use crate::ui::inbox::row;
use crate::ui::session::UiUser;
use crate::ui::{UiError, page as render_page};
use amends_domain::CustomerId;
use amends_store::{CaseFilter, CustomerFilter};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    cursor: Option<String>,
}

pub async fn list(State(state): State<AppState>, ui: UiUser, Query(q): Query<ListQuery>) -> Result<Response, UiError> {
    let filter = CustomerFilter {
        q: q.q.clone(),
        cursor: parse_cursor(q.cursor.as_deref()).map_err(UiError::from)?,
        limit: 50,
        ..CustomerFilter::default()
    };
    let page_data = state.store().list_customers(&filter).await?;
    let next_link = page_data.next_cursor.map(|c| {
        let qs: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q.q.as_deref().unwrap_or_default())
            .append_pair("cursor", &c)
            .finish();
        format!("/customers?{qs}")
    });
    let html = render_page(
        &state,
        "customers.html",
        ui.lang(),
        Some(&ui),
        context! { nav => "customers", customers => Value::from_serialize(&page_data.items), q => q.q, next_link => next_link },
    )?;
    Ok(html.into_response())
}

#[derive(Deserialize)]
pub struct CustomerQuery {
    cursor: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
    Query(q): Query<CustomerQuery>,
) -> Result<Response, UiError> {
    let customer = state.store().get_customer(CustomerId(id)).await?;
    let account = match customer.account() {
        Some(a) => Some(state.store().get_account(a).await?),
        None => None,
    };
    let cases = state
        .store()
        .list_cases(&CaseFilter {
            customer_id: Some(customer.id),
            cursor: parse_cursor(q.cursor.as_deref()).map_err(UiError::from)?,
            limit: 50,
            ..CaseFilter::default()
        })
        .await?;
    let goodwill = state
        .store()
        .list_grants(&amends_store::GrantFilter {
            customer_id: Some(customer.id),
            limit: 200,
            ..amends_store::GrantFilter::default()
        })
        .await?;
    let now = state.now();
    let open = cases.items.iter().filter(|c| c.state.is_open()).count();
    let next_link = cases.next_cursor.map(|c| format!("/customers/{id}?cursor={c}"));
    let rows: Vec<Value> = cases.items.into_iter().map(|c| row(c, now)).collect();
    let html = render_page(
        &state,
        "customer.html",
        ui.lang(),
        Some(&ui),
        context! {
            nav => "customers",
            customer => Value::from_serialize(&customer),
            account => Value::from_serialize(&account),
            rows => rows,
            open_count => open,
            next_link => next_link,
            goodwill => Value::from_serialize(&goodwill),
        },
    )?;
    Ok(html.into_response())
}
