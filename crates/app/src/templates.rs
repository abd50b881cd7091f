//! Reply templates: the values a case fills in (customer, case, incident,
//! agent, goodwill) and the rendering of a template with them; saving and
//! deleting templates.

use crate::App;
use crate::error::AppResult;
use amends_domain::goodwill::GrantState;
use amends_domain::template::render;
use amends_domain::template::{TemplateDraft, TemplateValues};
use amends_domain::{IncidentId, Language, UserId};
use amends_store::{Case, GrantFilter, ReplyTemplate, Store, StoreError};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Creates a template (`id` `None`) or replaces template `id`.
pub async fn save(app: &App, id: Option<Uuid>, draft: &TemplateDraft, actor: UserId) -> AppResult<ReplyTemplate> {
    Ok(app.store().save_template(id, draft, Some(actor), app.now()).await?)
}

/// Deletes template `id`.
pub async fn delete(app: &App, id: Uuid, actor: UserId) -> AppResult<()> {
    Ok(app.store().delete_template(id, Some(actor), app.now()).await?)
}

/// A rendered template.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    pub subject: String,
    pub body: String,
}

/// The values a template gets for `case`, replied to by `agent_name`:
/// the customer, the case, its incident (title, and the customer's
/// `delay_minutes` fact from the affected upload) and the newest goodwill
/// granted on it (the catalog item's name in the customer's language, or
/// the amount).
pub async fn values_for_case(
    store: &Store,
    base_url: &str,
    case: &Case,
    agent_name: &str,
) -> Result<TemplateValues, StoreError> {
    let (mut incident_title, mut delay_minutes) = (None, None);
    if let Some(id) = case.incident_id {
        incident_title = Some(store.get_incident(IncidentId(id)).await?.title);
        match store.get_affected(IncidentId(id), case.customer_id.0).await {
            Ok(row) => {
                let facts: serde_json::Value = serde_json::from_str(&row.facts).unwrap_or_default();
                delay_minutes = facts.get("delay_minutes").map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
            }
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let lang = case.customer_language;
    let grants = store
        .list_grants(&GrantFilter {
            case_id: Some(case.id),
            state: Some(GrantState::Granted),
            limit: 1,
            ..GrantFilter::default()
        })
        .await?;
    let goodwill = match grants.first() {
        None => None,
        Some(g) => {
            let item = match g.catalog_item_id {
                Some(item) => match store.get_catalog_item(item).await {
                    Ok(c) => Some(if lang == Language::De { c.name_de } else { c.name_en }),
                    Err(StoreError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            Some(item.unwrap_or_else(|| money(g.value_cents, &g.currency, lang)))
        }
    };
    let linked = store.case_solutions(case.id).await?;
    let solution = linked.last();
    Ok(TemplateValues {
        solution_title: solution.map(|s| s.title.clone()),
        solution_url: solution
            .filter(|s| s.public)
            .map(|s| format!("{}/help/articles/{}", base_url.trim_end_matches('/'), s.id)),
        customer_name: Some(case.customer_name.clone()),
        case_reference: Some(format!("#{}", case.id.short())),
        case_subject: Some(case.subject.clone()),
        agent_name: Some(agent_name.to_string()),
        incident_title,
        delay_minutes,
        goodwill,
        // Made by the caller, which holds the key that signs the link.
        fair_url: None,
    })
}

/// An amount for a customer: euros as the UI writes them, other currencies with their code.
fn money(cents: i64, currency: &str, lang: Language) -> String {
    if currency == "EUR" {
        amends_i18n::format::format_money(cents, lang)
    } else {
        format!("{}.{:02} {currency}", cents / 100, (cents % 100).abs())
    }
}

/// Renders subject and body of `t` with `values`.
#[must_use]
pub fn render_template(t: &ReplyTemplate, values: &TemplateValues) -> PreviewOut {
    PreviewOut {
        subject: render(&t.subject, values),
        body: render(&t.body, values),
    }
}
