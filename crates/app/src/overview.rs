//! Customer 360 and the B2B account view, shared by the API
//! (`/customers/{id}/overview`, `/accounts/{id}/overview`) and the UI
//! (`/customers/{id}`, `/accounts/{id}`).

use crate::App;
use crate::error::AppResult;
use amends_domain::customer::{SentimentMonth, SentimentTrend, sentiment_by_month, sentiment_trend};
use amends_domain::{AccountId, CustomerId};
use amends_store::{Account, AccountCustomer, Case, Customer, CustomerFacts, CustomerSurvey};

/// Prior failures are the customer's cases within this window (as in the
/// case assessment).
pub const FAILURE_WINDOW_DAYS: i64 = crate::goodwill::PRIOR_FAILURE_WINDOW_DAYS;
/// The chart uses the newest this many feedback items.
pub const SENTIMENT_SAMPLES: usize = 1_000;
/// Surveys listed on the customer page.
pub const SURVEYS_SHOWN: usize = 100;
/// Open cases listed on the account page.
pub const ACCOUNT_OPEN_CASES: usize = 200;

/// Everything the customer page shows besides the case and feedback lists.
#[derive(Debug, Clone)]
pub struct CustomerOverview {
    pub customer: Customer,
    pub account: Option<Account>,
    pub facts: CustomerFacts,
    pub sentiment: Vec<SentimentMonth>,
    pub trend: SentimentTrend,
    pub surveys: Vec<CustomerSurvey>,
}

pub async fn customer_overview(state: &App, id: CustomerId) -> AppResult<CustomerOverview> {
    let store = state.store();
    let customer = store.get_customer(id).await?;
    let account = match customer.account() {
        Some(a) => Some(store.get_account(a).await?),
        None => None,
    };
    let since = state.now() - chrono::Duration::days(FAILURE_WINDOW_DAYS);
    let facts = store.customer_facts(id, since).await?;
    let samples = store.customer_sentiment(id, SENTIMENT_SAMPLES).await?;
    let sentiment = sentiment_by_month(&samples);
    let trend = sentiment_trend(&sentiment);
    let surveys = store.customer_surveys(id, SURVEYS_SHOWN).await?;
    Ok(CustomerOverview {
        customer,
        account,
        facts,
        sentiment,
        trend,
        surveys,
    })
}

/// Sums over an account's customers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AccountTotals {
    pub customers: i64,
    pub open_cases: i64,
    pub total_cases: i64,
    /// Granted goodwill of all its customers.
    pub goodwill_cents: i64,
    /// Sum of the customers' lifetime values.
    pub clv_cents: i64,
}

/// The account page: its customers and their open cases.
#[derive(Debug, Clone)]
pub struct AccountOverview {
    pub account: Account,
    pub customers: Vec<AccountCustomer>,
    pub open_cases: Vec<Case>,
    pub totals: AccountTotals,
}

pub async fn account_overview(state: &App, id: AccountId) -> AppResult<AccountOverview> {
    let store = state.store();
    let account = store.get_account(id).await?;
    let customers = store.account_customers(id).await?;
    let open_cases = store.account_open_cases(id, ACCOUNT_OPEN_CASES).await?;
    let totals = customers.iter().fold(
        AccountTotals {
            customers: i64::try_from(customers.len()).unwrap_or(i64::MAX),
            ..AccountTotals::default()
        },
        |mut t, c| {
            t.open_cases += c.open_cases;
            t.total_cases += c.total_cases;
            t.goodwill_cents = t.goodwill_cents.saturating_add(c.goodwill_cents);
            t.clv_cents = t.clv_cents.saturating_add(c.clv_cents);
            t
        },
    );
    Ok(AccountOverview {
        account,
        customers,
        open_cases,
        totals,
    })
}
