//! The data-protection rights of a customer (GDPR Art. 15, 17, 20): the
//! export of everything amends holds about them, and the erasure of their
//! personal data that keeps the analytics' facts. Both are audited
//! (`customer.export`, `customer.erase`). Who may do either is in the
//! permission table of the web crate (`ExportPersonalData`,
//! `ErasePersonalData`).

use crate::App;
use crate::error::{AppError, AppResult};
use amends_domain::{CustomerId, Language, UserId};
use amends_i18n::FluentValue;
use amends_i18n::catalog::I18n;
use amends_store::{
    Account, Attachment, AuditEntry, Case, CaseEvent, Correction, Customer, ErasedCounts, Erasure, Feedback, Grant,
    Job, Survey,
};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::OnceLock;

/// An attachment with its content (base64).
#[derive(Debug, Clone, Serialize)]
pub struct ExportedAttachment {
    #[serde(flatten)]
    pub meta: Attachment,
    pub content_base64: String,
}

/// An incident that affected the customer.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedIncident {
    pub incident_id: uuid::Uuid,
    pub incident_title: String,
    pub facts: serde_json::Value,
    pub state: String,
    pub case_id: Option<uuid::Uuid>,
    pub created_at: DateTime<Utc>,
}

/// The consents a customer gave.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Consents {
    pub contact: bool,
    pub survey: bool,
}

/// Everything amends holds about one customer, as one document.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerExport {
    pub exported_at: DateTime<Utc>,
    pub customer: Customer,
    pub account: Option<Account>,
    pub consents: Consents,
    pub cases: Vec<Case>,
    /// The timelines of the cases (messages, notes, events), oldest first.
    pub events: Vec<CaseEvent>,
    pub feedback: Vec<Feedback>,
    pub corrections: Vec<Correction>,
    pub surveys: Vec<Survey>,
    pub goodwill: Vec<Grant>,
    /// Outbox rows: mail and messages to the customer.
    pub outbox: Vec<Job>,
    pub attachments: Vec<ExportedAttachment>,
    pub incidents: Vec<ExportedIncident>,
    pub audit: Vec<AuditEntry>,
    /// Their answers to "what would you consider fair?".
    pub fair_expectations: Vec<amends_store::FairExpectationRow>,
    pub tier_offers: Vec<amends_store::TierOfferRow>,
    /// Their invitation to the feature-feedback panel.
    pub panel: Option<amends_store::PanelMembership>,
    /// Their feedback and cases filed under teams' insights.
    pub insight_reports: Vec<amends_store::CustomerInsightReport>,
}

/// Exports the data of customer `id` and records the export.
pub async fn export_customer(state: &App, id: CustomerId, actor: UserId) -> AppResult<CustomerExport> {
    let d = state.store().customer_dossier(id).await?;
    let now = state.now();
    state.store().record_customer_export(id, Some(actor), now).await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(CustomerExport {
        exported_at: now,
        consents: Consents {
            contact: d.customer.consent_contact,
            survey: d.customer.consent_survey,
        },
        customer: d.customer,
        account: d.account,
        cases: d.cases,
        events: d.events,
        feedback: d.feedback,
        corrections: d.corrections,
        surveys: d.surveys,
        goodwill: d.grants,
        outbox: d.jobs,
        attachments: d
            .attachments
            .into_iter()
            .map(|a| ExportedAttachment {
                meta: a.meta,
                content_base64: b64.encode(&a.bytes),
            })
            .collect(),
        incidents: d
            .incidents
            .into_iter()
            .map(|i| ExportedIncident {
                facts: serde_json::from_str(&i.facts).unwrap_or(serde_json::Value::Null),
                incident_id: i.incident_id,
                incident_title: i.incident_title,
                state: i.state,
                case_id: i.case_id,
                created_at: i.created_at,
            })
            .collect(),
        audit: d.audit,
        fair_expectations: d.fair_expectations,
        tier_offers: d.tier_offers,
        panel: d.panel,
        insight_reports: d.insight_reports,
    })
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize)]
pub struct ErasureOutcome {
    pub customer_id: CustomerId,
    /// `true` when this call erased the data; `false` when it was erased before.
    pub erased_now: bool,
    pub erased_at: Option<DateTime<Utc>>,
    /// Rows changed by this call (all zero when `erased_now` is false).
    pub changed: ErasedCounts,
}

fn catalogue() -> AppResult<&'static I18n> {
    static I18N: OnceLock<Result<I18n, String>> = OnceLock::new();
    I18N.get_or_init(|| I18n::new().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(AppError::internal)
}

/// The short reference of a pseudonym: the last six hex digits of the id.
#[must_use]
pub fn pseudonym_ref(id: CustomerId) -> String {
    let hex = id.0.simple().to_string();
    hex[hex.len() - 6..].to_string()
}

/// The name an erased customer goes by, in `lang`.
pub fn pseudonym(id: CustomerId, lang: Language) -> AppResult<String> {
    Ok(catalogue()?.t(
        lang,
        "privacy-pseudonym",
        &[("ref", FluentValue::from(pseudonym_ref(id)))],
    ))
}

/// The text that replaces erased or expired texts, in `lang`.
pub fn placeholder(lang: Language) -> AppResult<String> {
    Ok(catalogue()?.t(lang, "privacy-text-removed", &[]))
}

/// Erases the personal data of customer `id`. `confirm` must be the
/// customer's id or their name (case and surrounding spaces aside); a
/// customer erased before is left as is (`erased_now` false).
pub async fn erase_customer(state: &App, id: CustomerId, confirm: &str, actor: UserId) -> AppResult<ErasureOutcome> {
    let c = state.store().get_customer(id).await?;
    let confirm = confirm.trim();
    if confirm.is_empty() {
        return Err(AppError::validation(
            "confirm",
            "type the customer's name or id to confirm",
        ));
    }
    if c.erased_at.is_none() && !confirms(&c, confirm) {
        return Err(AppError::validation(
            "confirm",
            "this is neither the customer's name nor their id",
        ));
    }
    let changed = state
        .store()
        .erase_customer(&Erasure {
            customer: id,
            pseudonym: pseudonym(id, c.language)?,
            placeholder: placeholder(c.language)?,
            actor: Some(actor),
            at: state.now(),
        })
        .await?;
    let after = state.store().get_customer(id).await?;
    Ok(ErasureOutcome {
        customer_id: id,
        erased_now: changed.is_some(),
        erased_at: after.erased_at,
        changed: changed.unwrap_or_default(),
    })
}

/// Whether `confirm` names customer `c` (their id or their name).
fn confirms(c: &Customer, confirm: &str) -> bool {
    confirm.eq_ignore_ascii_case(&c.id.to_string()) || confirm.to_lowercase() == c.name.trim().to_lowercase()
}
