//! The inbox: one row per case with SLA urgency, filters in the URL,
//! saved views, keyset pagination and bulk actions.

use crate::dto::CaseOut;
use crate::query::CaseQuery;
use crate::query::{next_page_link, parse_or_default};
use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfPairs;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::cases;
use amends_domain::{CaseId, CaseState, UserId};
use amends_store::Case;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use minijinja::{Value, context};

/// A case as the inbox shows it.
pub fn row(c: Case, now: chrono::DateTime<chrono::Utc>) -> Value {
    let clv = c.customer_clv_cents;
    let high_value = c.tier.is_high_value();
    let out = CaseOut::new(c, now);
    context! { clv_cents => clv, high_value => high_value, ..Value::from_serialize(&out) }
}

pub async fn page_handler(state: &AppState, ui: &UiUser, raw: Option<String>) -> Result<Response, UiError> {
    let raw = raw.unwrap_or_default();
    let (query, error) = parse_or_default::<CaseQuery>(&raw);
    let (filter, error) = match query.to_filter(ui.user.id) {
        Ok(f) => (f, error),
        Err(e) => (
            CaseQuery::default().to_filter(ui.user.id).map_err(UiError::from)?,
            Some(e.to_string()),
        ),
    };
    let page_data = state.store().list_cases(&filter).await?;
    let now = state.now();
    let rows: Vec<Value> = page_data.items.into_iter().map(|c| row(c, now)).collect();
    let users = state.store().list_users().await?;
    let counts = state.store().count_cases_by_state().await?;
    let open: i64 = counts.iter().filter(|(s, _)| s.is_open()).map(|(_, n)| n).sum();
    // The link to the next page keeps every filter and replaces the cursor.
    let next_link = page_data.next_cursor.map(|c| next_page_link("/inbox", &raw, c));
    let states: Vec<&str> = CaseState::ALL.iter().map(|s| s.as_str()).collect();
    let soon = (now + chrono::Duration::hours(4)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    ui.page(state, "inbox.html", context! {
            nav => "inbox",
            rows => rows,
            next_link => next_link,
            error => error,
            q => context! {
                state => query.state,
                assignee => query.assignee,
                tier => query.tier,
                sort => query.sort,
                due_before => query.due_before,
                incident_id => query.incident_id,
            },
            raw_query => raw,
            states => states,
            users => users.iter().filter(|u| u.active).map(|u| context!{ id => u.id, name => u.display_name.clone() }).collect::<Vec<_>>(),
            open_count => open,
            soon => soon,
        })
}

pub async fn page(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    page_handler(&state, &ui, raw).await
}

/// Bulk actions from the inbox: assign selected cases or move them to a state.
/// Cases that cannot move are skipped and counted.
pub async fn bulk(State(state): State<AppState>, CsrfPairs(ui, pairs): CsrfPairs) -> Result<Response, UiError> {
    let mut ids = Vec::new();
    let mut action = String::new();
    let mut assignee = String::new();
    let mut to = String::new();
    let mut back = String::from("/inbox");
    for (k, v) in pairs {
        match k.as_str() {
            "ids" => ids.push(
                v.parse::<uuid::Uuid>()
                    .map_err(|_| UiError::BadRequest("bad case id".into()))?,
            ),
            "action" => action = v,
            "assignee" => assignee = v,
            "to" => to = v,
            "back" => {
                if let Some(path) = crate::ui::session::same_site_path(&v).filter(|p| p.starts_with("/inbox")) {
                    back = path;
                }
            }
            _ => {}
        }
    }
    if ids.len() > 200 {
        return Err(UiError::BadRequest("select at most 200 cases at once".into()));
    }
    match action.as_str() {
        "assign" => {
            let target = match assignee.as_str() {
                "" | "none" => None,
                "me" => Some(ui.user.id),
                id => Some(UserId(
                    id.parse().map_err(|_| UiError::BadRequest("bad user id".into()))?,
                )),
            };
            for id in ids {
                cases::assign(&state, CaseId(id), target, ui.user.id).await?;
            }
        }
        "transition" => {
            for id in ids {
                // A case that may not make this move keeps its state.
                match cases::transition(&state, CaseId(id), &to, None, ui.user.id).await {
                    Ok(_) | Err(AppError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        _ => return Err(UiError::BadRequest("choose an action".into())),
    }
    Ok(crate::ui::flash::to(&back, "flash-saved"))
}
