//! The monthly goodwill budget over a fan-out's automatic grants: the
//! chunk's transaction takes the ledger lock (`Dialect::lock_goodwill_ledger`)
//! like a manual grant, reads the month's spend and holds back, as pending
//! approval, every grant that would take the spend above the budget. So
//! automatic and manual grants take turns on one ledger and the budget is
//! never overspent, on both backends and across instances.

use super::plan_rows::FanOutPlan;
use crate::goodwill::{Ledger, month_of};
use crate::{EventKind, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use uuid::Uuid;

crate::backend_trait! {
    /// The budget step of a fan-out chunk.
    pub(super) trait FanOutBudget {
        /// Marks the grants of `p` beyond the month's budget as pending (with
        /// the reason) and their timeline entries likewise. Takes the ledger
        /// lock (`lock`) first when `p` grants anything; nothing else
        /// without a budget for the month.
        async fn hold_over_budget(&mut self, lock: Option<&'static str>, p: &mut FanOutPlan, now: DateTime<Utc>) -> Result<(), StoreError> {
            if p.grants.is_empty() {
                return Ok(());
            }
            if let Some(lock) = lock {
                sqlx::query(lock).execute(&mut *self).await?;
            }
            let (from, to, _) = month_of(now);
            let Some(mut budget) = self.month_budget(from, to).await? else {
                return Ok(());
            };
            let mut held = HashSet::new();
            for g in &mut p.grants {
                match budget.exceeded(g.value_cents) {
                    None => budget.spent_cents = budget.spent_cents.saturating_add(g.value_cents),
                    Some(breach) => {
                        let why = amends_domain::goodwill_reason::ApprovalReason::budget(g.value_cents, breach);
                        g.pending_reason = Some(why.to_string());
                        g.pending_details = serde_json::to_string(&why).ok();
                        held.insert(g.id);
                    }
                }
            }
            if !held.is_empty() {
                mark_pending_events(p, &held);
            }
            Ok(())
        }
    }
}

/// The goodwill entries of held grants say "pending", not "granted".
fn mark_pending_events(p: &mut FanOutPlan, held: &HashSet<Uuid>) {
    for e in p.events.iter_mut().filter(|e| e.kind == EventKind::Goodwill) {
        let Some(mut data) = e
            .data
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        else {
            continue;
        };
        let grant = data["grant_id"].as_str().and_then(|g| Uuid::parse_str(g).ok());
        if grant.is_some_and(|g| held.contains(&g)) {
            data["state"] = serde_json::Value::from("pending");
            e.data = Some(data.to_string());
        }
    }
}
