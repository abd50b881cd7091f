//! Goodwill in the UI: the panel in the case sidebar (assessment, grant
//! or request approval) and the approvals queue for leads.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::forms::IdButton;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::goodwill::{self as gw, GrantRequest};
use amends_domain::goodwill::{GoodwillKind, GrantState};
use amends_domain::{CaseId, Permission};
use amends_store::GrantFilter;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use uuid::Uuid;

/// What the case page shows in its goodwill panel: the assessment, the
/// catalog (by value), the grants, the month's budget and the limits of
/// the reader's role.
pub async fn case_panel(state: &AppState, case: CaseId, role: amends_domain::Role) -> Result<Value, UiError> {
    let (assessment, _) = gw::assess(state, case).await.map_err(api_to_ui)?;
    let mut catalog = state.store().list_catalog(true).await?;
    catalog.sort_by(|a, b| {
        a.value_cents
            .cmp(&b.value_cents)
            .then_with(|| a.name_de.cmp(&b.name_de))
    });
    let grants = state
        .store()
        .list_grants(&GrantFilter {
            case_id: Some(case),
            limit: 100,
            ..GrantFilter::default()
        })
        .await?;
    let budget = amends_app::goodwill::budget_for(state, state.now()).await?;
    let limit = state.store().limit_for(role).await?;
    Ok(context! {
        assessment => Value::from_serialize(&assessment),
        catalog => Value::from_serialize(&catalog),
        grants => Value::from_serialize(&grants),
        budget => Value::from_serialize(&budget),
        limit => Value::from_serialize(limit),
        kinds => GoodwillKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
    })
}

fn api_to_ui(e: AppError) -> UiError {
    e.into()
}

#[derive(Deserialize)]
pub struct GrantForm {
    /// A catalog item, or `free` for a free amount of `kind`.
    #[serde(default)]
    catalog_item_id: String,
    #[serde(default)]
    kind: String,
    /// The free amount in euros (`25`, `12,50`).
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

/// The field of the goodwill form an error belongs to, and its text.
fn grant_error(state: &AppState, ui: &UiUser, field: &str) -> (String, String) {
    let (field, key) = match field {
        "reason" => ("reason", "err-goodwill-reason"),
        "kind" => ("kind", "err-goodwill-kind"),
        "value_cents" | "amount" | "currency" => ("amount", "err-goodwill-amount"),
        _ => ("catalog_item_id", "err-goodwill-item"),
    };
    (field.into(), state.ui().i18n().t(ui.lang(), key, &[]))
}

pub async fn grant(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<GrantForm>,
) -> Result<Response, UiError> {
    let req = if form.catalog_item_id.trim() == "free" {
        let value = match parse_major("amount", &form.amount) {
            Ok(v) => v,
            Err(e) => {
                let err = grant_error(&state, &ui, &e.field);
                return crate::ui::cases::page_with_field_error(&state, &ui, id, None, Some(err)).await;
            }
        };
        GrantRequest {
            kind: Some(form.kind.trim().to_string()),
            value_cents: Some(value),
            currency: Some("EUR".into()),
            reason: form.reason,
            ..GrantRequest::default()
        }
    } else {
        GrantRequest {
            // Not an id: no such item (the error names the picker).
            catalog_item_id: Some(form.catalog_item_id.trim().parse::<Uuid>().unwrap_or_default()),
            reason: form.reason,
            ..GrantRequest::default()
        }
    };
    match gw::grant(&state, CaseId(id), req, &ui.user).await {
        Ok(g) => Ok(crate::ui::flash::to(
            &format!("/cases/{id}#goodwill"),
            if g.state == GrantState::Pending {
                "flash-goodwill-pending"
            } else {
                "flash-goodwill-granted"
            },
        )),
        Err(AppError::Validation { field, .. }) => {
            let err = grant_error(&state, &ui, &field);
            crate::ui::cases::page_with_field_error(&state, &ui, id, None, Some(err)).await
        }
        Err(e) => Err(api_to_ui(e)),
    }
}

pub async fn approvals(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    approvals_page(&state, &ui, None).await
}

async fn approvals_page(state: &AppState, ui: &UiUser, error: Option<String>) -> Result<Response, UiError> {
    if !ui.user.role.can(Permission::ApproveGoodwill) {
        return Err(UiError::Refused("error-role-approve"));
    }
    let pending = state
        .store()
        .list_grants(&GrantFilter {
            state: Some(GrantState::Pending),
            limit: 200,
            ..GrantFilter::default()
        })
        .await?;
    let budget = amends_app::goodwill::budget_for(state, state.now()).await?;
    ui.page(
        state,
        "approvals.html",
        context! { nav => "approvals", grants => Value::from_serialize(&pending), error => error, me => ui.user.id,
        budget => Value::from_serialize(&budget) },
    )
}

#[derive(Deserialize)]
pub struct DecideForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<DecideForm>,
) -> Result<Response, UiError> {
    if !ui.user.role.can(Permission::ApproveGoodwill) {
        return Err(UiError::Refused("error-role-approve"));
    }
    let approve = form.decision == "approve";
    let i18n = state.ui().i18n();
    let lang = ui.lang();
    match gw::decide_or_refuse(&state, id, approve, &form.reason, &ui.user).await {
        Ok(Ok(_)) => Ok(crate::ui::flash::to(
            "/goodwill/approvals",
            if approve { "flash-approved" } else { "flash-rejected" },
        )),
        Ok(Err(refusal)) => {
            let text = amends_i18n::reasons::refusal_text(i18n, lang, &refusal);
            approvals_page(&state, &ui, Some(text)).await
        }
        Err(AppError::Validation { .. }) => {
            approvals_page(
                &state,
                &ui,
                Some(i18n.t(lang, "goodwill-decision-reason-required", &[])),
            )
            .await
        }
        Err(AppError::Conflict { .. }) => {
            approvals_page(&state, &ui, Some(i18n.t(lang, "goodwill-decided-meanwhile", &[]))).await
        }
        Err(e) => Err(api_to_ui(e)),
    }
}

async fn all_grants(state: &AppState, ui: &UiUser) -> Result<Vec<amends_store::Grant>, UiError> {
    if !ui.user.role.can(Permission::ApproveGoodwill) {
        return Err(UiError::Refused("error-role-approve"));
    }
    Ok(state
        .store()
        .list_grants(&GrantFilter {
            limit: 10_000,
            ..GrantFilter::default()
        })
        .await?)
}

/// The ledger of every grant: who, when, why, approved by.
pub async fn ledger(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let grants = all_grants(&state, &ui).await?;
    let budget = amends_app::goodwill::budget_for(&state, state.now()).await?;
    ui.page(
        &state,
        "ledger.html",
        context! {
            nav => "ledger",
            grants => Value::from_serialize(&grants),
            budget => Value::from_serialize(&budget),
        },
    )
}

/// The ledger as a CSV download.
pub async fn ledger_csv(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let grants = all_grants(&state, &ui).await?;
    let csv = gw::ledger_csv(&grants)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"goodwill-ledger.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

fn goodwill_admin(ui: &UiUser) -> Result<(), UiError> {
    if ui.user.role.can(Permission::ManageGoodwill) {
        Ok(())
    } else {
        Err(UiError::Refused("error-role-admin"))
    }
}

pub async fn settings(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    settings_page(&state, &ui, None, None).await
}

/// What an admin typed into the new-rule form, shown again beside its error.
#[derive(Debug, Default, serde::Serialize)]
pub struct RuleDraft {
    pub name: String,
    pub condition: String,
    pub applies_to: String,
    pub catalog_item_id: String,
}

/// The settings page with a problem of the new-rule form shown next to `field`.
pub async fn settings_with_error(
    state: &AppState,
    ui: &UiUser,
    field: &str,
    message: &str,
    draft: &RuleDraft,
) -> Result<Response, UiError> {
    settings_page(state, ui, Some((field.to_string(), message.to_string())), Some(draft)).await
}

async fn settings_page(
    state: &AppState,
    ui: &UiUser,
    error: Option<(String, String)>,
    draft: Option<&RuleDraft>,
) -> Result<Response, UiError> {
    goodwill_admin(ui)?;
    let catalog = state.store().list_catalog(false).await?;
    let rules = state.store().list_goodwill_rules(false).await?;
    let limits = state.store().list_limits().await?;
    let budget = amends_app::goodwill::budget_for(state, state.now()).await?;
    let (error_field, error) = error.unzip();
    let error = match (error_field.as_deref().and_then(settings_error_key), error) {
        (Some(key), Some(_)) => Some(state.ui().i18n().t(ui.lang(), key, &[])),
        (_, error) => error,
    };
    let failed = error.is_some();
    let html = ui.render(
        state,
        "goodwill_settings.html",
        context! {
            nav => "settings",
            catalog => Value::from_serialize(&catalog),
            rules => Value::from_serialize(&rules),
            limits => Value::from_serialize(&limits),
            budget => Value::from_serialize(&budget),
            error => error,
            error_field => error_field,
            rule => draft.map(Value::from_serialize),
        },
    )?;
    Ok(crate::ui::form_response(html, failed))
}

/// The catalogue key of an input error on the goodwill settings page, in the
/// user's language; `None` where the page shows the detail itself (a rule's
/// condition names the token it could not read).
fn settings_error_key(field: &str) -> Option<&'static str> {
    match field {
        "amount" | "value" => Some("err-goodwill-amount"),
        f if f.ends_with("-per_grant") || f.ends_with("-per_case") || f.ends_with("-per_month") => {
            Some("err-goodwill-amount")
        }
        "name_de" | "name_en" => Some("err-catalog-name"),
        "currency" => Some("err-currency"),
        "kind" => Some("err-goodwill-kind"),
        _ => None,
    }
}

fn opt_cents(field: &str, s: &str) -> Result<Option<i64>, amends_domain::ValidationError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let v = crate::ui::goodwill::parse_major(field, t)?;
    amends_domain::goodwill::parse_value_cents(field, v).map(Some)
}

/// `12,50` or `12.50` (major units) → 1250 cents.
pub fn parse_major(field: &str, s: &str) -> Result<i64, amends_domain::ValidationError> {
    // With a comma (German), `.` separates thousands; without one, `.` is the decimal point.
    let norm = if s.contains(',') {
        s.trim().replace(['.', ' '], "").replace(',', ".")
    } else {
        s.trim().replace(' ', "")
    };
    let v: f64 = norm.parse().map_err(|_| {
        amends_domain::ValidationError::new(field, format!("{field} must be an amount such as 25 or 12,50"))
    })?;
    if !v.is_finite() || v.abs() > 1e10 {
        return Err(amends_domain::ValidationError::new(
            field,
            format!("{field} is out of range"),
        ));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok((v * 100.0).round() as i64)
}

#[derive(Deserialize)]
pub struct CatalogForm {
    kind: String,
    name_de: String,
    name_en: String,
    value: String,
    #[serde(default)]
    currency: String,
}

pub async fn catalog_create(
    State(state): State<AppState>,
    CsrfForm(ui, f): CsrfForm<CatalogForm>,
) -> Result<Response, UiError> {
    let value = match parse_major("value", &f.value) {
        Ok(v) => v,
        Err(e) => return settings_page(&state, &ui, Some((e.field, e.message)), None).await,
    };
    let input = amends_app::goodwill::CatalogIn {
        kind: f.kind,
        name_de: f.name_de,
        name_en: f.name_en,
        value_cents: value,
        currency: if f.currency.trim().is_empty() {
            "EUR".into()
        } else {
            f.currency
        },
        active: true,
    };
    match amends_app::goodwill::create_catalog_item(&state, &input, ui.user.id).await {
        Ok(_) => Ok(crate::ui::flash::to("/settings/goodwill", "flash-saved")),
        Err(AppError::Validation { field, message }) => {
            let field = if field == "value_cents" { "value".into() } else { field };
            settings_page(&state, &ui, Some((field, message)), None).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn catalog_toggle(IdButton { state, id, ui }: IdButton) -> Result<Response, UiError> {
    amends_app::goodwill::toggle_catalog_item(&state, id, ui.user.id).await?;
    Ok(crate::ui::flash::to("/settings/goodwill", "flash-saved"))
}

#[derive(Deserialize)]
pub struct LimitForm {
    role: String,
    #[serde(default)]
    per_grant: String,
    #[serde(default)]
    per_case: String,
    #[serde(default)]
    per_month: String,
}

pub async fn limit_set(
    State(state): State<AppState>,
    CsrfForm(ui, f): CsrfForm<LimitForm>,
) -> Result<Response, UiError> {
    let role: amends_domain::Role = f
        .role
        .parse()
        .map_err(|e: amends_domain::ValidationError| UiError::BadRequest(e.message))?;
    let parsed = (|| {
        Ok::<_, amends_domain::ValidationError>(amends_domain::goodwill::EmpowermentLimit {
            per_grant_cents: opt_cents(&format!("{role}-per_grant"), &f.per_grant)?,
            per_case_cents: opt_cents(&format!("{role}-per_case"), &f.per_case)?,
            per_month_cents: opt_cents(&format!("{role}-per_month"), &f.per_month)?,
        })
    })();
    match parsed {
        Ok(limit) => {
            amends_app::goodwill::set_limits(&state, &[(role, limit)], ui.user.id).await?;
            Ok(crate::ui::flash::to("/settings/goodwill", "flash-saved"))
        }
        Err(e) => settings_page(&state, &ui, Some((e.field, e.message)), None).await,
    }
}

#[derive(Deserialize)]
pub struct BudgetForm {
    amount: String,
}

pub async fn budget_set(
    State(state): State<AppState>,
    CsrfForm(ui, f): CsrfForm<BudgetForm>,
) -> Result<Response, UiError> {
    let amount = parse_major("amount", &f.amount).and_then(|v| amends_domain::goodwill::parse_value_cents("amount", v));
    match amount {
        Ok(a) => {
            amends_app::goodwill::set_budget(&state, state.now(), a, "EUR", ui.user.id).await?;
            Ok(crate::ui::flash::to("/settings/goodwill", "flash-saved"))
        }
        Err(e) => settings_page(&state, &ui, Some((e.field, e.message)), None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_major;

    #[test]
    fn amounts_in_german_and_english() {
        assert_eq!(parse_major("v", "25"), Ok(2500));
        assert_eq!(parse_major("v", "12,50"), Ok(1250));
        assert_eq!(parse_major("v", "1.234,5"), Ok(123_450));
        assert_eq!(parse_major("v", "12.5"), Ok(1250));
        assert!(parse_major("v", "zwölf").is_err());
        assert_eq!(parse_major("v", "-3"), Ok(-300));
    }
}
