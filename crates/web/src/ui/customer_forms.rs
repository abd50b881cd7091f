//! Creating and editing customers (`/customers/new`, `/customers/{id}/edit`)
//! and the list of B2B accounts with its create form (`/accounts`), each
//! error shown next to its field. Changes go through the `service` use
//! cases, which write the audit entries.

use crate::state::AppState;
use crate::ui::UiError;
use crate::ui::forms::CsrfForm;
use crate::ui::session::UiUser;
use amends_app::AppError;
use amends_app::service::{self, CustomerInput};
use amends_domain::{AccountId, CustomerId, Language, Tier, ValidationError};
use amends_store::{Customer, CustomerPatch};
use axum::extract::{Path, State};
use axum::response::Response;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The customer form as typed (money in major units, `1234,50`; the churn
/// date as `YYYY-MM-DD`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CustomerForm {
    name: String,
    email: String,
    language: String,
    tier: String,
    clv: String,
    external_id: String,
    account_id: String,
    consent_contact: Option<String>,
    consent_survey: Option<String>,
    churned_at: String,
}

impl CustomerForm {
    fn of(c: &Customer) -> Self {
        Self {
            name: c.name.clone(),
            email: c.email.clone().unwrap_or_default(),
            language: c.language.code().into(),
            tier: c.tier.as_str().into(),
            clv: format!("{},{:02}", c.clv_cents / 100, c.clv_cents % 100),
            external_id: c.external_id.clone().unwrap_or_default(),
            account_id: c.account_id.map(|a| a.to_string()).unwrap_or_default(),
            consent_contact: c.consent_contact.then(|| "on".into()),
            consent_survey: c.consent_survey.then(|| "on".into()),
            churned_at: c
                .churned_at
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    }

    /// The fields as the `service` input, and the errors of the fields it
    /// does not check (amount, account, churn date) as catalogue keys.
    fn input(
        &self,
    ) -> (
        CustomerInput,
        Option<chrono::DateTime<chrono::Utc>>,
        BTreeMap<String, String>,
    ) {
        let mut errors = BTreeMap::new();
        let clv_cents = match parse_money(&self.clv) {
            Some(v) => Some(v),
            None => {
                errors.insert("clv".into(), "customer-err-clv".into());
                None
            }
        };
        let account_id = match self.account_id.trim() {
            "" => None,
            s => match s.parse::<Uuid>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.insert("account_id".into(), "customer-err-account".into());
                    None
                }
            },
        };
        let churned_at = match self.churned_at.trim() {
            "" => None,
            s => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
                Err(_) => {
                    errors.insert("churned_at".into(), "customer-err-churned-at".into());
                    None
                }
            },
        };
        let input = CustomerInput {
            external_id: Some(self.external_id.clone()).filter(|s| !s.trim().is_empty()),
            name: self.name.clone(),
            email: Some(self.email.clone()),
            language: Some(self.language.clone()),
            tier: Some(self.tier.clone()),
            clv_cents,
            account_id,
            consent_contact: Some(self.consent_contact.is_some()),
            consent_survey: Some(self.consent_survey.is_some()),
        };
        (input, churned_at, errors)
    }
}

/// `1234`, `1234,5`, `1.234,50` or `1234.50` in cents; `None` if not a
/// non-negative amount with at most two decimals. Empty is 0.
fn parse_money(s: &str) -> Option<i64> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return Some(0);
    }
    // The last `,` or `.` followed by one or two digits is the decimal mark;
    // other marks group thousands.
    let (whole, frac) = match s.rfind([',', '.']) {
        Some(i) if s.len() - i - 1 <= 2 => (&s[..i], &s[i + 1..]),
        _ => (s.as_str(), ""),
    };
    let whole: String = whole.chars().filter(|c| *c != '.' && *c != ',').collect();
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let units: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    units.checked_mul(100)?.checked_add(cents)
}

/// The catalogue key of a validation error of `field`.
fn error_key(field: &str) -> &'static str {
    match field {
        "name" => "customer-err-name",
        "email" => "customer-err-email",
        "language" => "customer-err-language",
        "tier" => "customer-err-tier",
        "clv_cents" | "clv" => "customer-err-clv",
        "external_id" => "customer-err-external-id",
        "account" | "account_id" => "customer-err-account",
        _ => "err-invalid",
    }
}

/// The form field of a validation error's field.
fn form_field(field: &str) -> &str {
    match field {
        "clv_cents" => "clv",
        "account" => "account_id",
        f => f,
    }
}

fn add_errors(errors: &mut BTreeMap<String, String>, list: Vec<ValidationError>) {
    for e in list {
        errors
            .entry(form_field(&e.field).to_string())
            .or_insert_with(|| error_key(&e.field).to_string());
    }
}

/// A failed save as field errors, or the error of the page.
fn save_error(e: AppError) -> Result<BTreeMap<String, String>, UiError> {
    let mut errors = BTreeMap::new();
    match e {
        AppError::Conflict { field, .. } => {
            let field = field.unwrap_or_default();
            let key = if field == "email" {
                "customer-err-email-taken"
            } else {
                "customer-err-external-id-taken"
            };
            errors.insert(
                if field == "email" { "email" } else { "external_id" }.to_string(),
                key.to_string(),
            );
        }
        AppError::Validation { field, .. } => {
            errors.insert(form_field(&field).to_string(), error_key(&field).to_string());
        }
        AppError::NotFound(what) if what == "account" => {
            errors.insert("account_id".into(), "customer-err-account".into());
        }
        other => return Err(other.into()),
    }
    Ok(errors)
}

async fn render_form(
    state: &AppState,
    ui: &UiUser,
    customer: Option<&Customer>,
    form: &CustomerForm,
    errors: &BTreeMap<String, String>,
) -> Result<Response, UiError> {
    let accounts = state.store().list_accounts(1000).await?;
    let html = ui.render(
        state,
        "customer_form.html",
        context! {
            nav => "customers",
            customer => Value::from_serialize(customer),
            form => Value::from_serialize(form),
            errors => Value::from_serialize(errors),
            accounts => Value::from_serialize(&accounts),
            languages => Language::ALL.iter().map(|l| l.code()).collect::<Vec<_>>(),
            tiers => [Tier::Standard, Tier::Premium, Tier::Enterprise].iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        },
    )?;
    Ok(crate::ui::form_response(html, !errors.is_empty()))
}

pub async fn new_page(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    let form = CustomerForm {
        language: ui.lang().code().into(),
        tier: Tier::Standard.as_str().into(),
        consent_contact: Some("on".into()),
        consent_survey: Some("on".into()),
        ..CustomerForm::default()
    };
    render_form(&state, &ui, None, &form, &BTreeMap::new()).await
}

pub async fn create(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<CustomerForm>,
) -> Result<Response, UiError> {
    let (input, _, mut errors) = form.input();
    if let Err(list) = input.validate(&state) {
        add_errors(&mut errors, list);
    }
    if errors.is_empty() {
        match service::create_customer(&state, &input, Some(ui.user.id)).await {
            Ok(c) => return Ok(crate::ui::flash::to(&format!("/customers/{}", c.id), "flash-saved")),
            Err(e) => errors = save_error(e)?,
        }
    }
    render_form(&state, &ui, None, &form, &errors).await
}

pub async fn edit_page(State(state): State<AppState>, ui: UiUser, Path(id): Path<Uuid>) -> Result<Response, UiError> {
    let c = state.store().get_customer(CustomerId(id)).await?;
    render_form(&state, &ui, Some(&c), &CustomerForm::of(&c), &BTreeMap::new()).await
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, mut form): CsrfForm<CustomerForm>,
) -> Result<Response, UiError> {
    let current = state.store().get_customer(CustomerId(id)).await?;
    // The external id is not edited here.
    form.external_id = current.external_id.clone().unwrap_or_default();
    let (mut input, churned_at, mut errors) = form.input();
    input.external_id = None;
    let valid = match input.validate(&state) {
        Ok(v) => Some(v),
        Err(list) => {
            add_errors(&mut errors, list);
            None
        }
    };
    if let (Some(v), true) = (valid, errors.is_empty()) {
        let patch = CustomerPatch {
            name: Some(v.name),
            email: Some(v.email),
            language: Some(v.language),
            tier: Some(v.tier),
            clv_cents: Some(v.clv_cents),
            account_id: Some(v.account_id),
            consent_contact: Some(v.consent_contact),
            consent_survey: Some(v.consent_survey),
            // An unchanged day keeps the stored time.
            churned_at: Some(match (churned_at, current.churned_at) {
                (Some(new), Some(old)) if new.date_naive() == old.date_naive() => Some(old),
                (new, _) => new,
            }),
        };
        match service::update_customer(&state, current.id, &patch, ui.user.id).await {
            Ok(c) => return Ok(crate::ui::flash::to(&format!("/customers/{}", c.id), "flash-saved")),
            Err(e) => errors = save_error(e)?,
        }
    }
    render_form(&state, &ui, Some(&current), &form, &errors).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AccountForm {
    name: String,
}

async fn render_accounts(state: &AppState, ui: &UiUser, name: &str, error: Option<&str>) -> Result<Response, UiError> {
    let accounts = state.store().list_accounts(1000).await?;
    let html = ui.render(
        state,
        "accounts.html",
        context! { nav => "customers", accounts => Value::from_serialize(&accounts), name => name, error => error },
    )?;
    Ok(crate::ui::form_response(html, error.is_some()))
}

pub async fn accounts(State(state): State<AppState>, ui: UiUser) -> Result<Response, UiError> {
    render_accounts(&state, &ui, "", None).await
}

pub async fn create_account(
    State(state): State<AppState>,
    CsrfForm(ui, form): CsrfForm<AccountForm>,
) -> Result<Response, UiError> {
    match service::create_account(&state, &form.name, ui.user.id).await {
        Ok(a) => Ok(crate::ui::flash::to(&format!("/accounts/{}", a.id), "flash-saved")),
        Err(e) => render_accounts(&state, &ui, &form.name, Some(account_error(e)?)).await,
    }
}

/// A refused account name as the catalogue key shown at the field.
fn account_error(e: AppError) -> Result<&'static str, UiError> {
    match e {
        AppError::Validation { .. } => Ok("account-err-name"),
        AppError::Conflict { .. } => Ok("account-err-name-taken"),
        e => Err(e.into()),
    }
}

/// The rename form of account `account`, with `error` (a catalogue key) at the name.
async fn render_account_form(
    state: &AppState,
    ui: &UiUser,
    account: &amends_store::Account,
    name: &str,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let html = ui.render(
        state,
        "account_form.html",
        context! { nav => "customers", account => Value::from_serialize(account), name => name, error => error },
    )?;
    Ok(crate::ui::form_response(html, error.is_some()))
}

pub async fn edit_account_page(
    State(state): State<AppState>,
    ui: UiUser,
    Path(id): Path<Uuid>,
) -> Result<Response, UiError> {
    let a = state.store().get_account(AccountId(id)).await?;
    render_account_form(&state, &ui, &a, &a.name, None).await
}

pub async fn update_account(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CsrfForm(ui, form): CsrfForm<AccountForm>,
) -> Result<Response, UiError> {
    let current = state.store().get_account(AccountId(id)).await?;
    match service::rename_account(&state, current.id, &form.name, ui.user.id).await {
        Ok(a) => Ok(crate::ui::flash::to(&format!("/accounts/{}", a.id), "flash-saved")),
        Err(e) => render_account_form(&state, &ui, &current, &form.name, Some(account_error(e)?)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_money;

    #[test]
    fn money_in_either_notation() {
        assert_eq!(parse_money(""), Some(0));
        assert_eq!(parse_money("1234"), Some(123_400));
        assert_eq!(parse_money("1234,5"), Some(123_450));
        assert_eq!(parse_money("1.234,50"), Some(123_450));
        assert_eq!(parse_money("1,234.50"), Some(123_450));
        assert_eq!(parse_money("12.345"), Some(1_234_500));
        assert_eq!(parse_money("-5"), None);
        assert_eq!(parse_money("abc"), None);
        assert_eq!(parse_money(","), None);
        assert_eq!(parse_money("99999999999999999999"), None);
    }
}
