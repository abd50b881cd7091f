//! Retention: closed cases are anonymised a set number of months after
//! they were closed (off by default). The sweep runs as a daily job
//! ([`crate::jobs::Task::RetentionSweep`], one per day across all
//! instances by its dedupe key). It reuses the erasure's rules at case
//! granularity: texts become the placeholder, attachments and message
//! addresses go, figures stay. A customer whose every case is anonymised
//! and who has no feedback outside them is erased as a whole
//! ([`crate::privacy`]), since nothing of theirs is needed any more.

use crate::App;
use crate::error::AppResult;
use crate::jobs::Failure;
use crate::privacy::{placeholder, pseudonym};
use amends_domain::{CustomerId, Language, UserId, retention};
use amends_store::{Erasure, Expiry, JobEffects, RetentionSetting};
use serde::Serialize;
use std::collections::BTreeSet;

/// Cases anonymised per transaction.
const BATCH: i64 = 200;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepOutcome {
    /// Cases anonymised now.
    pub cases: usize,
    /// Customers erased because nothing but anonymised cases was left of them.
    pub customers: usize,
}

/// The retention setting.
pub async fn setting(state: &App) -> AppResult<RetentionSetting> {
    Ok(state.store().retention_setting().await?)
}

/// Sets the retention in months (`None`: off); audited.
pub async fn set(state: &App, months: Option<i64>, actor: UserId) -> AppResult<RetentionSetting> {
    let months = retention::months(months)?;
    Ok(state.store().set_retention(months, Some(actor), state.now()).await?)
}

/// Anonymises every closed case past the retention (nothing when it is off).
pub async fn sweep(state: &App) -> AppResult<SweepOutcome> {
    let mut out = SweepOutcome::default();
    let Some(months) = state.store().retention_setting().await?.months else {
        return Ok(out);
    };
    let now = state.now();
    let (de, en) = (placeholder(Language::De)?, placeholder(Language::En)?);
    let text = |l: Language| match l {
        Language::De => de.clone(),
        Language::En => en.clone(),
    };
    let mut customers = BTreeSet::new();
    loop {
        let done = state
            .store()
            .anonymise_expired_cases(&Expiry {
                closed_before: retention::closed_before(now, months),
                placeholder: &text,
                months,
                limit: BATCH,
                at: now,
            })
            .await?;
        if done.is_empty() {
            break;
        }
        out.cases += done.len();
        customers.extend(done.into_iter().map(|(_, customer)| customer));
    }
    for id in customers.into_iter().map(CustomerId) {
        if !state.store().only_anonymised_cases(id).await? {
            continue;
        }
        let c = state.store().get_customer(id).await?;
        let erasure = Erasure {
            customer: id,
            pseudonym: pseudonym(id, c.language)?,
            placeholder: placeholder(c.language)?,
            actor: None,
            at: now,
        };
        if state.store().erase_customer(&erasure).await?.is_some() {
            out.customers += 1;
        }
    }
    if out.cases > 0 {
        tracing::info!(cases = out.cases, customers = out.customers, months, "retention sweep");
    }
    Ok(out)
}

/// The daily job.
pub async fn sweep_job(state: &App) -> Result<JobEffects, Failure> {
    sweep(state).await.map_err(|e| Failure::new(e.for_operator()))?;
    Ok(JobEffects::default())
}

/// The dedupe key of the day's sweep: one job per day across all instances.
#[must_use]
pub fn day_key(now: chrono::DateTime<chrono::Utc>) -> String {
    format!("retention-sweep:{}", now.date_naive())
}
