//! "Fixed in release X": telling every customer who reported a fixed
//! insight, in their language, through the outbox (a mail on their newest
//! reported case's timeline). Once per customer and insight — the mail's
//! deduplication key and the notice row both say so, so clicks at once
//! queue one mail each. Customers without consent to be contacted, without
//! an address, erased, or told about a fix within the survey period as
//! many times as surveys may be sent (fatigue) are skipped.

use crate::App;
use crate::error::{AppError, AppResult};
use crate::followup::queue_customer_mail;
use amends_domain::followup::may_survey;
use amends_domain::validate::Language;
use amends_domain::{CaseId, CustomerId, UserId};
use amends_i18n::FluentValue;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// What became of the reporters of an insight.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct NotifyOut {
    /// Distinct customers who reported the insight.
    pub customers: u32,
    /// Told now.
    pub notified: u32,
    /// Told before (by an earlier or concurrent request).
    pub already: u32,
    /// Not told: no consent, no address, erased, no case, or fatigue.
    pub skipped: u32,
    /// Customers told about this fix in all.
    pub notified_total: u32,
}

/// Queues the fix notice to every reporter not told yet.
pub async fn notify_reporters(state: &App, id: Uuid, actor: UserId) -> AppResult<NotifyOut> {
    let insight = state.store().get_insight(id).await?;
    let Some(release) = insight.release.clone().filter(|_| insight.state == "fixed") else {
        return Err(AppError::Conflict {
            detail: "mark the insight fixed in a release first".into(),
            field: None,
            allowed: None,
        });
    };
    // Newest report first: a customer's newest case carries the notice.
    let mut reporters: Vec<(Uuid, Option<Uuid>)> = Vec::new();
    for r in state.store().insight_reports(id).await? {
        match reporters.iter_mut().find(|(c, _)| *c == r.customer_id) {
            Some((_, case)) if case.is_none() => *case = r.case_id,
            Some(_) => {}
            None => reporters.push((r.customer_id, r.case_id)),
        }
    }
    let told = state.store().insight_notified(id).await?;
    let cfg = state.config();
    let mut out = NotifyOut {
        customers: u32::try_from(reporters.len()).unwrap_or(u32::MAX),
        ..NotifyOut::default()
    };
    for (customer_id, case_id) in reporters {
        if told.contains(&customer_id) {
            out.already += 1;
            continue;
        }
        let customer = state.store().get_customer(CustomerId(customer_id)).await?;
        let to = customer
            .email
            .clone()
            .filter(|_| customer.consent_contact && customer.erased_at.is_none());
        let (Some(to), Some(case_id)) = (to, case_id) else {
            out.skipped += 1;
            continue;
        };
        let recent = state
            .store()
            .count_recent_insight_notices(customer.id, id, state.now() - cfg.survey_period)
            .await?;
        if !may_survey(recent, cfg.survey_max_per_period) {
            out.skipped += 1;
            continue;
        }
        let lang = customer.language;
        let i18n = state.mail_renderer().i18n();
        // The team's summary in the customer's language, else the cause in
        // their words (never the other language's summary).
        let summary = match lang {
            Language::De => insight.summary_de.clone(),
            Language::En => insight.summary_en.clone(),
        }
        .unwrap_or_else(|| super::cause_words(i18n, lang, &insight.cause_key).1);
        let args = [
            ("release", FluentValue::from(release.clone())),
            ("summary", FluentValue::from(summary)),
        ];
        let body = i18n.t(lang, "ins-mail-body", &args);
        let subject = i18n.t(lang, "ins-mail-subject", &args);
        let now = state.now();
        let mail =
            super::letter(state, lang, (to, customer.name.clone()), subject, body).map_err(AppError::internal)?;
        let dedupe = format!("insight:{id}:{customer_id}");
        let queued = queue_customer_mail(state, CaseId(case_id), actor, mail, "insight_fixed", &dedupe).await?;
        // The mail's deduplication key decides who sends it; the notice
        // row (whichever request writes it) only records it.
        state
            .store()
            .record_insight_notice(
                &amends_store::InsightNotice {
                    insight: id,
                    customer: customer.id,
                    case_id,
                    job_id: queued.job_id,
                    release: &release,
                },
                Some(actor),
                now,
            )
            .await?;
        if queued.queued {
            out.notified += 1;
        } else {
            out.already += 1;
        }
    }
    out.notified_total = u32::try_from(state.store().insight_notified(id).await?.len()).unwrap_or(u32::MAX);
    Ok(out)
}
