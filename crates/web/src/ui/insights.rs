//! `/insights` and `/teams` (leads and admins): the insight inbox per team
//! and state, an insight with its quotes and cases, "fixed in release X"
//! and telling the reporters; the teams with their rules.

use super::UiError;
use super::session::UiUser;
use crate::state::AppState;
use crate::ui::forms::CsrfPairs;
use amends_app::AppError;
use amends_app::insights::notify::{self, NotifyOut};
use amends_app::insights::{self, FixedIn, InsightDetail, InsightOut, RuleIn, TeamIn, TeamOut, TeamPatch};
use amends_domain::insight::InsightState;
use amends_domain::{Language, Permission};
use amends_i18n::FluentValue;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use uuid::Uuid;

/// The query values of a page as `(name, value)` pairs.
fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn insight_value(state: &AppState, lang: Language, i: &InsightOut, quote: Option<String>) -> Value {
    let (kind_label, label) = insights::cause_words(state.ui().i18n(), lang, &i.cause);
    let n = |key: &str, count: i64| state.ui().i18n().t(lang, key, &[("count", FluentValue::from(count))]);
    context! {
        id => i.id, team => i.team_name.clone(), team_id => i.team_id, state => i.state.clone(),
        kind_label => kind_label, label => label, release => i.release.clone(),
        reports => i.reports, customers => i.customers, notified => i.notified,
        reports_text => n("ins-reports", i.reports), customers_text => n("ins-customers", i.customers),
        notified_text => n("ins-notified-count", i.notified),
        first_seen => i.first_seen, last_seen => i.last_seen, fixed_at => i.fixed_at,
        summary => if lang == Language::De { i.summary_de.clone() } else { i.summary_en.clone() },
        quote => quote.map(|q| amends_domain::validate::truncate(&q, 240)),
    }
}

/// `GET /insights`: the inbox, filtered by team and state.
pub async fn list(State(state): State<AppState>, ui: UiUser, RawQuery(raw): RawQuery) -> Result<Response, UiError> {
    let q = pairs(raw.as_deref());
    let team: Option<Uuid> = value(&q, "team").and_then(|v| v.parse().ok());
    let st: Option<InsightState> = value(&q, "state").and_then(|v| v.parse().ok());
    let teams = insights::list_teams(&state).await?;
    let rows = insights::list(&state, team, st, 200).await?;
    let lang = ui.lang();
    let mut items = Vec::with_capacity(rows.len());
    for i in &rows {
        let quote = state
            .store()
            .insight_reports(i.id)
            .await?
            .into_iter()
            .find_map(|r| r.quote);
        items.push(insight_value(&state, lang, i, quote));
    }
    let count = |s: &str| rows.iter().filter(|i| i.state == s).count();
    ui.page(
        &state,
        "insights.html",
        context! {
            nav => "insights",
            items => items,
            teams => teams.iter().map(|t| context! { id => t.id, name => t.name.clone() }).collect::<Vec<_>>(),
            team => team,
            state_filter => st.map(InsightState::as_str),
            states => ["open", "acknowledged", "fixed"],
            open => count("open"), acknowledged => count("acknowledged"), fixed => count("fixed"),
        },
    )
}

async fn render_detail(
    state: &AppState,
    ui: &UiUser,
    d: &InsightDetail,
    extra: Value,
    status: StatusCode,
) -> Result<Response, UiError> {
    let lang = ui.lang();
    let reports: Vec<Value> = d
        .reports
        .iter()
        .map(|r| {
            context! { source => r.source.clone(), customer => r.customer_name.clone(), customer_id => r.customer_id,
                       case_id => r.case_id, quote => r.quote.as_deref().map(|q| amends_domain::validate::truncate(q, 600)), at => r.reported_at }
        })
        .collect();
    let html = ui.render(
        state,
        "insight.html",
        context! {
            nav => "insights",
            insight => insight_value(state, lang, &d.insight, None),
            reports => reports,
            can_manage => ui.user.role.can(Permission::ManagePlaybooks),
            ..extra
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET /insights/{id}`: the insight, its quotes and cases, and what the
/// team can do with it; `?notified=…` after telling the reporters.
pub async fn show(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let q = pairs(raw.as_deref());
    let num = |k: &str| value(&q, k).and_then(|v| v.parse::<u32>().ok());
    let d = insights::get(&state, id).await?;
    let done = num("notified").map(|n| {
        context! { notified => n, already => num("already").unwrap_or(0), skipped => num("skipped").unwrap_or(0) }
    });
    render_detail(
        &state,
        &ui,
        &d,
        context! { done => done, form => context! {} },
        StatusCode::OK,
    )
    .await
}

/// `POST /insights/{id}/state`: acknowledge, or fixed in a release.
pub async fn set_state(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfPairs(ui, form): CsrfPairs,
) -> Result<Response, UiError> {
    let actor = ui.user.id;
    let result = match value(&form, "to") {
        Some("acknowledged") => insights::acknowledge(&state, id, actor).await,
        Some("fixed") => {
            let body = FixedIn {
                release: value(&form, "release").unwrap_or_default().to_string(),
                summary_de: value(&form, "summary_de").map(str::to_string),
                summary_en: value(&form, "summary_en").map(str::to_string),
            };
            insights::fixed(&state, id, &body, actor).await
        }
        _ => Err(AppError::validation("to", "acknowledged or fixed")),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/insights/{id}")).into_response()),
        Err(AppError::Validation { field, .. }) => {
            let d = insights::get(&state, id).await?;
            let form_values = context! {
                release => value(&form, "release"), summary_de => value(&form, "summary_de"),
                summary_en => value(&form, "summary_en"),
            };
            render_detail(
                &state,
                &ui,
                &d,
                context! { error => field, form => form_values },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /insights/{id}/notify`: tell the reporters; the page then says
/// how many were told.
pub async fn notify(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfPairs(ui, _): CsrfPairs,
) -> Result<Response, UiError> {
    let NotifyOut {
        notified,
        already,
        skipped,
        ..
    } = notify::notify_reporters(&state, id, ui.user.id).await?;
    Ok(Redirect::to(&format!(
        "/insights/{id}?notified={notified}&already={already}&skipped={skipped}"
    ))
    .into_response())
}

/// The rules as typed in the form: one `kind: value` a line.
fn read_rules(text: &str) -> Vec<RuleIn> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap_or((l, ""));
            RuleIn {
                kind: k.trim().to_string(),
                value: v.trim().to_string(),
            }
        })
        .collect()
}

/// The rules as the form shows them: one `kind: value` a line.
fn rules_text(rules: &[RuleIn]) -> String {
    rules
        .iter()
        .map(|r| format!("{}: {}", r.kind, r.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The form's values of a stored team, to edit it.
fn team_form(t: &TeamOut) -> Value {
    context! {
        name => t.name.clone(), digest => t.digest.clone(), language => t.language.clone(),
        webhook_url => t.webhook_url.clone(), rules => rules_text(&t.rules),
        members => t.members.iter().map(|m| m.user_id).collect::<Vec<_>>(),
    }
}

/// The teams page; with `editing` the form changes that team.
async fn render_teams(
    state: &AppState,
    ui: &UiUser,
    form: Value,
    editing: Option<Uuid>,
    error: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let teams = insights::list_teams(state).await?;
    let users = state.store().list_users().await?;
    let html = ui.render(
        state,
        "teams.html",
        context! {
            nav => "insights",
            teams => Value::from_serialize(&teams),
            users => users.iter().filter(|u| u.active).map(|u| context! { id => u.id, name => u.display_name.clone() }).collect::<Vec<_>>(),
            can_manage => ui.user.role.can(Permission::ManagePlaybooks),
            form => form,
            editing => editing,
            error => error.as_ref().map(|(f, m)| context! { field => f.clone(), message => m.clone() }),
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET /teams`: the teams with members, digest and rules; the form to add one.
pub async fn teams(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    render_teams(&state, &ui, context! {}, None, None, StatusCode::OK).await
}

/// `GET /teams/{id}`: the teams page with the form filled to change one.
pub async fn edit_team(State(state): State<AppState>, ui: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    let team = insights::get_team(&state, id).await?;
    render_teams(&state, &ui, team_form(&team), Some(id), None, StatusCode::OK).await
}

/// `POST /teams/{id}`: saves the changed team (empty webhook field: none).
pub async fn update_team(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfPairs(ui, form): CsrfPairs,
) -> Result<Response, UiError> {
    save_team(&state, &ui, &form, Some(id)).await
}

/// `POST /teams/{id}/delete`: removes the team (its insights go with it)
/// once the box that confirms it is ticked.
pub async fn delete_team(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfPairs(ui, form): CsrfPairs,
) -> Result<Response, UiError> {
    if value(&form, "confirm") != Some("yes") {
        let team = insights::get_team(&state, id).await?;
        let message = state.ui().t(ui.lang(), "team-delete-unconfirmed");
        return render_teams(
            &state,
            &ui,
            team_form(&team),
            Some(id),
            Some(("confirm".into(), message)),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    insights::delete_team(&state, id, ui.user.id).await?;
    Ok(Redirect::to("/teams").into_response())
}

/// `POST /teams`: adds a team; a bad value shows the form again naming it.
pub async fn add_team(State(state): State<AppState>, CsrfPairs(ui, form): CsrfPairs) -> Result<Response, UiError> {
    save_team(&state, &ui, &form, None).await
}

/// Adds a team (`target` none) or changes one; a bad value shows the form
/// again naming it.
async fn save_team(
    state: &AppState,
    ui: &UiUser,
    form: &[(String, String)],
    target: Option<Uuid>,
) -> Result<Response, UiError> {
    let body = TeamIn {
        name: value(form, "name").unwrap_or_default().to_string(),
        digest: value(form, "digest").map(str::to_string),
        language: value(form, "language").map(str::to_string),
        webhook_url: value(form, "webhook_url").map(str::to_string),
        members: form
            .iter()
            .filter(|(k, _)| k == "member")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
        rules: read_rules(value(form, "rules").unwrap_or_default()),
    };
    let saved = match target {
        None => insights::create_team(state, &body, ui.user.id).await,
        Some(id) => {
            let patch = TeamPatch {
                name: Some(body.name.clone()),
                digest: body.digest.clone(),
                language: body.language.clone(),
                webhook_url: Some(body.webhook_url.clone().unwrap_or_default()),
                members: Some(body.members.clone()),
                rules: Some(body.rules.clone()),
            };
            insights::update_team(state, id, &patch, ui.user.id).await
        }
    };
    match saved {
        Ok(_) => Ok(Redirect::to("/teams").into_response()),
        Err(
            AppError::Validation { field, message }
            | AppError::Conflict {
                field: Some(field),
                detail: message,
                ..
            },
        ) => {
            let form_values = context! {
                name => body.name.clone(), digest => body.digest.clone(), language => body.language.clone(),
                webhook_url => body.webhook_url.clone(), rules => value(form, "rules"),
                members => body.members.clone(),
            };
            render_teams(
                state,
                ui,
                form_values,
                target,
                Some((field, message)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
