//! Does recovery pay? The cost of recovery (goodwill granted plus handling
//! time × an hourly cost) set against the revenue it keeps: customers whose
//! failure was recovered stay more often than those whose failure was not,
//! and each customer kept keeps their lifetime value and saves winning a
//! new one. Filled from the period's data; the rest are what-if inputs.

use super::paradox;
use super::{Scope, settle_days};
use crate::App;
use crate::error::{AppError, AppResult};
use amends_stats::Interval;
use chrono::Duration;
use futures_util::TryFutureExt;
use serde::{Deserialize, Serialize};

/// What the user may change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WhatIf {
    /// Cost of one hour of an agent, in cents.
    pub hourly_cost_cents: i64,
    /// Handling time per case, in minutes.
    pub minutes_per_case: i64,
    /// Winning a new customer costs this many times keeping one (research: 5–25).
    pub acquisition_multiple: f64,
    /// Months over which a customer's lifetime value is earned (for the payback).
    pub lifetime_months: i64,
}

impl Default for WhatIf {
    fn default() -> Self {
        Self {
            hourly_cost_cents: 4500,
            minutes_per_case: 30,
            acquisition_multiple: 5.0,
            lifetime_months: 36,
        }
    }
}

impl WhatIf {
    /// Checks each input's range; the error names the field.
    pub fn validate(&self) -> AppResult<()> {
        let check = |ok: bool, field: &str, msg: &str| {
            if ok {
                Ok(())
            } else {
                Err(AppError::validation(field, msg))
            }
        };
        check(
            (0..=1_000_000).contains(&self.hourly_cost_cents),
            "hourly_cost_cents",
            "hourly_cost_cents must be 0 to 1000000 (10,000.00 per hour)",
        )?;
        check(
            (0..=10_000).contains(&self.minutes_per_case),
            "minutes_per_case",
            "minutes_per_case must be 0 to 10000",
        )?;
        check(
            (1.0..=100.0).contains(&self.acquisition_multiple),
            "acquisition_multiple",
            "acquisition_multiple must be 1 to 100 (research: 5 to 25)",
        )?;
        check(
            (1..=240).contains(&self.lifetime_months),
            "lifetime_months",
            "lifetime_months must be 1 to 240",
        )
    }
}

/// The facts of the period the calculation starts from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Facts {
    pub cases: u64,
    pub failed_customers: u64,
    /// Mean lifetime value of the failed customers, in cents.
    pub clv_mean_cents: f64,
    /// Share of answered surveys that say recovered (0–1).
    pub recovered_share: f64,
    /// Retained recovered minus retained not recovered (0–1, may be negative).
    pub retention_uplift: Option<f64>,
    /// 95 % interval of the uplift (Newcombe).
    #[schema(value_type = Option<Object>)]
    pub retention_uplift_ci: Option<Interval>,
    pub goodwill_cents: i64,
}

/// The result, each money figure in cents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Returns {
    /// Goodwill + handling.
    pub cost_cents: f64,
    pub handling_cents: f64,
    /// Customers who stay because their failure was recovered.
    pub customers_kept: f64,
    pub revenue_kept_cents: f64,
    /// What winning the kept customers anew would have cost.
    pub acquisition_saved_cents: f64,
    /// (revenue kept + acquisition saved − cost) ÷ cost.
    pub roi: Option<f64>,
    /// Months of the kept customers' revenue that pay the cost back.
    pub payback_months: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RoiReport {
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    pub settle_days: i64,
    pub what_if: WhatIf,
    pub facts: Facts,
    /// With the measured uplift; none while there are too few answers.
    pub returns: Option<Returns>,
    /// With the low and high end of the uplift's interval.
    pub returns_low: Option<Returns>,
    pub returns_high: Option<Returns>,
}

/// The returns for one retention uplift. Pure.
#[must_use]
pub fn returns(facts: &Facts, w: &WhatIf, uplift: f64) -> Returns {
    let handling = facts.cases as f64 * w.minutes_per_case as f64 / 60.0 * w.hourly_cost_cents as f64;
    let cost = facts.goodwill_cents as f64 + handling;
    let recovered = facts.failed_customers as f64 * facts.recovered_share;
    let kept = recovered * uplift;
    let revenue = kept * facts.clv_mean_cents;
    let per_recovered = if recovered > 0.0 { cost / recovered } else { 0.0 };
    let acquisition = kept * w.acquisition_multiple * per_recovered;
    let monthly = revenue / w.lifetime_months as f64;
    Returns {
        cost_cents: cost,
        handling_cents: handling,
        customers_kept: kept,
        revenue_kept_cents: revenue,
        acquisition_saved_cents: acquisition,
        roi: (cost > 0.0).then(|| (revenue + acquisition - cost) / cost),
        payback_months: (monthly > 0.0).then(|| cost / monthly),
    }
}

/// The calculation for a period.
pub async fn report(app: &App, scope: &Scope, w: WhatIf, settle: Option<i64>) -> AppResult<RoiReport> {
    w.validate()?;
    let settle_days = settle_days(settle)?;
    let store = app.store();
    // Independent reads: at once, each on a connection of the pool.
    let (units, (customers, clv_sum), cases, goodwill) = tokio::try_join!(
        paradox::units(app, scope, Duration::days(settle_days)),
        store
            .failed_customers(scope.from, scope.to, &scope.filter)
            .map_err(AppError::from),
        store
            .count_cases_created(scope.from, scope.to, &scope.filter)
            .map_err(AppError::from),
        store
            .goodwill_totals(scope.from, scope.to, &scope.filter)
            .map_err(AppError::from),
    )?;
    let recovered = paradox::answers(units.iter().filter(|u| u.recovered));
    let cases = u64::try_from(cases).unwrap_or(0);
    // Retained of those whose settle time is over, per group.
    let retained = |recovered: bool| {
        let group = || units.iter().filter(move |u| u.recovered == recovered);
        (
            paradox::answers(group().filter(|u| u.retained == Some(true))),
            paradox::answers(group().filter(|u| u.retained.is_some())),
        )
    };
    let ((kr, nr), (kn, nn)) = (retained(true), retained(false));
    let difference = (amends_stats::enough(nr) && amends_stats::enough(nn))
        .then(|| amends_stats::proportion_difference(kr, nr, kn, nn, paradox::CONFIDENCE))
        .flatten();
    let (uplift, ci) = (difference.map(|d| d.diff), difference.map(|d| d.ci));
    let facts = Facts {
        cases,
        failed_customers: u64::try_from(customers).unwrap_or(0),
        clv_mean_cents: if customers > 0 {
            clv_sum as f64 / customers as f64
        } else {
            0.0
        },
        recovered_share: match paradox::answers(&units) {
            0 => 0.0,
            all => recovered as f64 / all as f64,
        },
        retention_uplift: uplift,
        retention_uplift_ci: ci,
        goodwill_cents: goodwill.cents,
    };
    Ok(RoiReport {
        from: scope.from,
        to: scope.to,
        settle_days,
        what_if: w,
        facts,
        returns: uplift.map(|u| returns(&facts, &w, u)),
        returns_low: ci.map(|c| returns(&facts, &w, c.low)),
        returns_high: ci.map(|c| returns(&facts, &w, c.high)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_follow_the_formula() {
        let facts = Facts {
            cases: 100,
            failed_customers: 80,
            clv_mean_cents: 50_000.0,
            recovered_share: 0.75,
            retention_uplift: Some(0.2),
            retention_uplift_ci: None,
            goodwill_cents: 150_000,
        };
        let w = WhatIf::default();
        let r = returns(&facts, &w, 0.2);
        // 100 cases × 0.5 h × 45 € = 2,250 €; + 1,500 € goodwill.
        assert!((r.handling_cents - 225_000.0).abs() < 1e-9);
        assert!((r.cost_cents - 375_000.0).abs() < 1e-9);
        // 80 × 0.75 = 60 recovered; × 0.2 = 12 kept; × 500 € = 6,000 €.
        assert!((r.customers_kept - 12.0).abs() < 1e-9);
        assert!((r.revenue_kept_cents - 600_000.0).abs() < 1e-9);
        // Cost per recovered customer 62.50 €; × 5 × 12 = 3,750 €.
        assert!((r.acquisition_saved_cents - 375_000.0).abs() < 1e-9);
        // (6,000 + 3,750 − 3,750) / 3,750 = 1.6
        assert!((r.roi.unwrap_or_default() - 1.6).abs() < 1e-12);
        // 6,000 € over 36 months = 166.67 €/month; 3,750 € / 166.67 = 22.5 months.
        assert!((r.payback_months.unwrap_or_default() - 22.5).abs() < 1e-9);
        let none = returns(&facts, &w, 0.0);
        assert_eq!(none.payback_months, None);
        assert!(
            (none.roi.unwrap_or_default() + 1.0).abs() < 1e-12,
            "nothing kept: all cost lost"
        );
    }

    #[test]
    fn what_if_inputs_are_checked() {
        let bad = WhatIf {
            acquisition_multiple: 0.5,
            ..WhatIf::default()
        };
        assert!(matches!(bad.validate(), Err(AppError::Validation { field, .. }) if field == "acquisition_multiple"));
        assert!(WhatIf::default().validate().is_ok());
    }
}
