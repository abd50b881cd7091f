//! The inbox: one row per case with SLA urgency, filters in the URL,
//! saved views, keyset pagination and bulk actions.

use crate::dto::CaseOut;
use crate::query::CaseQuery;
use crate::query::parse_or_default;
use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfPairs;
use crate::ui::session::UiUser;
use crate::views::{COUNT_CAP, CaseView};
use amends_app::AppError;
use amends_app::cases;
use amends_domain::{CaseId, CaseState, UserId};
use amends_store::Case;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
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
    // The page's own parameters: the trail of earlier pages' cursors (for
    // "previous page") and the outcome of a bulk action.
    let mut trail: Vec<String> = Vec::new();
    let mut done: Option<(String, i64)> = None;
    let mut kept: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()).into_owned() {
        match k.as_str() {
            "trail" => trail = v.split('.').filter(|c| !c.is_empty()).map(str::to_string).collect(),
            "done" => done = Some((v, done.map_or(0, |d| d.1))),
            "n" => done = Some((done.map(|d| d.0).unwrap_or_default(), v.parse().unwrap_or(0))),
            _ => kept.push((k, v)),
        }
    }
    let query_text = encode(&kept);
    let (mut query, error) = parse_or_default::<CaseQuery>(&query_text);
    // No view and no filter chosen: the triage default, open cases due first.
    let filtered = kept.iter().any(|(k, _)| k != "cursor");
    if !filtered {
        query.view = Some(CaseView::Open.as_str().into());
    }
    let now = state.now();
    let warn = state.config().sla_warn_before;
    let (filter, error) = match query.to_filter(ui.user.id, now, warn) {
        Ok(f) => (f, error),
        Err(e) => {
            let fallback = CaseQuery {
                view: Some(CaseView::Open.as_str().into()),
                ..CaseQuery::default()
            };
            (
                fallback.to_filter(ui.user.id, now, warn).map_err(UiError::from)?,
                Some(e.to_string()),
            )
        }
    };
    let page_data = if query.is_churn_view() {
        amends_store::Page {
            items: crate::views::churn_cases(state, &ui.user, filter.limit).await?,
            next_cursor: None,
        }
    } else {
        state.store().list_cases(&filter).await?
    };
    let ids: Vec<CaseId> = page_data.items.iter().map(|c| c.id).collect();
    let sentiments: std::collections::HashMap<CaseId, String> =
        state.store().case_sentiments(&ids).await?.into_iter().collect();
    let rows: Vec<Value> = page_data
        .items
        .into_iter()
        .map(|c| {
            let sentiment = sentiments.get(&c.id).cloned();
            let r = row(c, now);
            context! { sentiment => sentiment, ..r }
        })
        .collect();
    let users = state.store().list_users().await?;
    let counts = crate::views::view_counts(state, &ui.user).await?;
    let total = match counts
        .iter()
        .find(|(v, _)| query.is_churn_view() && *v == CaseView::Churn)
    {
        Some((_, n)) => *n,
        None => state.store().count_cases(&filter, COUNT_CAP).await?,
    };
    let view = query.view.clone().unwrap_or_default();
    // Paging: the next link adds this page's cursor to the trail, the
    // previous link takes the last one off it.
    let base: Vec<(String, String)> = kept.iter().filter(|(k, _)| k != "cursor").cloned().collect();
    let this_cursor = query.cursor.clone();
    let next_link = page_data.next_cursor.map(|c| {
        let mut t = trail.clone();
        t.push(this_cursor.clone().unwrap_or_else(|| "-".into()));
        page_link(&base, Some(c), &t)
    });
    let prev_link = trail.split_last().map(|(last, rest)| {
        let cursor = (last != "-").then(|| last.clone());
        page_link(&base, cursor, rest)
    });
    let states: Vec<&str> = CaseState::ALL.iter().map(|s| s.as_str()).collect();
    let back = if query_text.is_empty() {
        "/inbox".to_string()
    } else {
        format!("/inbox?{query_text}")
    };
    ui.page(state, "inbox.html", context! {
            nav => "inbox",
            rows => rows,
            next_link => next_link,
            prev_link => prev_link,
            error => error,
            view => view,
            views => counts.iter().map(|(v, n)| context! { id => v.as_str(), count => n.min(&COUNT_CAP), more => *n > COUNT_CAP }).collect::<Vec<_>>(),
            total => total.min(COUNT_CAP),
            total_more => total > COUNT_CAP,
            done => done.map(|(what, n)| context! { what => what, n => n }),
            q => context! {
                state => query.state,
                assignee => query.assignee,
                tier => query.tier,
                sort => query.sort,
                due_before => query.due_before,
                incident_id => query.incident_id,
            },
            back => back,
            states => states,
            users => users.iter().filter(|u| u.active).map(|u| context!{ id => u.id, name => u.display_name.clone() }).collect::<Vec<_>>(),
        })
}

/// `/inbox` with the filters `base`, the page's `cursor` and the trail of
/// the cursors of the pages before it ("-" is the first page).
fn page_link(base: &[(String, String)], cursor: Option<String>, trail: &[String]) -> String {
    let mut pairs = base.to_vec();
    if let Some(c) = cursor {
        pairs.push(("cursor".into(), c));
    }
    if !trail.is_empty() {
        pairs.push(("trail".into(), trail.join(".")));
    }
    let qs = encode(&pairs);
    if qs.is_empty() {
        "/inbox".into()
    } else {
        format!("/inbox?{qs}")
    }
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

pub async fn page(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    page_handler(&state, &ui, raw).await
}

/// Bulk actions from the inbox: assign selected cases or move them to a
/// state. Without `confirmed=1` (the browser's script adds it once the
/// user said yes) the answer is a page that names the cases and asks
/// first, so the confirmation works without JavaScript too. Cases that
/// cannot move are skipped and counted.
pub async fn bulk(State(state): State<AppState>, CsrfPairs(ui, pairs): CsrfPairs) -> Result<Response, UiError> {
    let mut ids = Vec::new();
    let mut action = String::new();
    let mut assignee = String::new();
    let mut to = String::new();
    let mut back = String::from("/inbox");
    let mut confirmed = false;
    for (k, v) in pairs {
        match k.as_str() {
            "ids" => ids.push(v.parse::<uuid::Uuid>().map_err(|_| bad_request(&state, &ui))?),
            "action" => action = v,
            "assignee" => assignee = v,
            "to" => to = v,
            "confirmed" => confirmed = v == "1",
            "back" => {
                if let Some(path) = crate::ui::session::same_site_path(&v).filter(|p| p.starts_with("/inbox")) {
                    back = path;
                }
            }
            _ => {}
        }
    }
    if ids.len() > 200 {
        return Err(UiError::Invalid(state.ui().i18n().t(
            ui.lang(),
            "inbox-bulk-too-many",
            &[],
        )));
    }
    let target = match (action.as_str(), assignee.as_str()) {
        ("assign", "" | "none") => None,
        ("assign", "me") => Some(ui.user.id),
        ("assign", id) => Some(UserId(id.parse().map_err(|_| bad_request(&state, &ui))?)),
        _ => None,
    };
    if !confirmed && !ids.is_empty() {
        let form = BulkForm {
            ids: &ids,
            action: &action,
            assignee: &assignee,
            to: &to,
            back: &back,
        };
        return confirm_page(&state, &ui, &form, target).await;
    }
    match action.as_str() {
        "assign" => {
            for id in &ids {
                cases::assign(&state, CaseId(*id), target, ui.user.id).await?;
            }
            let what = if target == Some(ui.user.id) {
                "assigned-me"
            } else {
                "assigned"
            };
            Ok(Redirect::to(&with_outcome(&back, what, ids.len())).into_response())
        }
        "transition" => {
            let mut moved = 0;
            for id in ids {
                // A case that may not make this move keeps its state.
                match cases::transition(&state, CaseId(id), &to, None, ui.user.id).await {
                    Ok(_) => moved += 1,
                    Err(AppError::Conflict { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(Redirect::to(&with_outcome(&back, "moved", moved)).into_response())
        }
        _ => Err(bad_request(&state, &ui)),
    }
}

fn bad_request(state: &AppState, ui: &UiUser) -> UiError {
    UiError::Invalid(state.ui().i18n().t(ui.lang(), "inbox-bulk-invalid", &[]))
}

/// A bulk action as posted, to post again once confirmed.
struct BulkForm<'a> {
    ids: &'a [uuid::Uuid],
    action: &'a str,
    assignee: &'a str,
    to: &'a str,
    back: &'a str,
}

/// The page that asks before a bulk action: what will happen to which cases.
async fn confirm_page(
    state: &AppState,
    ui: &UiUser,
    form: &BulkForm<'_>,
    target: Option<UserId>,
) -> Result<Response, UiError> {
    let mut cases = Vec::with_capacity(form.ids.len());
    for id in form.ids {
        let c = state.store().get_case(CaseId(*id)).await?;
        cases.push(
            context! { id => c.id, reference => c.id.short(), subject => c.subject.clone(),
            customer => c.customer_name.clone(), state => c.state.as_str() },
        );
    }
    let assignee_name = match target {
        Some(u) => Some(state.store().get_user(u).await?.display_name),
        None => None,
    };
    ui.page(
        state,
        "inbox_confirm.html",
        context! { nav => "inbox", cases => cases, ids => form.ids, action => form.action, assignee => form.assignee,
        assignee_name => assignee_name, to => form.to, back => form.back },
    )
}

/// The inbox address `back` with the outcome of a bulk action for the
/// page's confirmation (`done`, `n`).
fn with_outcome(back: &str, what: &str, n: usize) -> String {
    let sep = if back.contains('?') { '&' } else { '?' };
    format!("{back}{sep}done={what}&n={n}")
}
