//! Statistics for the analytics features of amends (service-recovery
//! paradox, patterns and spikes, and later the churn model).
//!
//! Pure functions, no I/O. Every function that can be handed input it cannot
//! answer for (empty samples, `successes > n`, a confidence outside `(0, 1)`,
//! NaN) returns `None` instead of panicking or returning NaN.
//!
//! The expected values in `tests/fixtures.json` are computed independently
//! with SciPy, statsmodels, NumPy and scikit-learn by
//! `scripts/stats_fixtures.py`.

mod counts;
mod logistic;
mod means;
mod multiple;
mod proportions;
mod quantile;
mod roc;

pub use counts::{binomial_two_sided_p, poisson_upper_p};
pub use logistic::{CalibrationBin, LogisticModel, calibration, fit_logistic};
pub use means::{MeanDifference, Summary, mean_interval, welch};
pub use multiple::{benjamini_hochberg, try_benjamini_hochberg};
pub use proportions::{ProportionDifference, proportion_difference, wilson};
pub use quantile::{median, quantile};
pub use roc::roc_auc;

use serde::Serialize;

/// Below this n a group is reported as too small to tell.
///
/// The normal approximations behind [`welch`] and [`proportion_difference`]
/// are still computed for smaller groups, but the analytics pages show
/// "too small to tell" rather than a verdict.
pub const MIN_GROUP: u64 = 30;

/// Whether a group of `n` is large enough to report on (`n >= MIN_GROUP`).
pub fn enough(n: u64) -> bool {
    n >= MIN_GROUP
}

/// A closed interval `[low, high]`, e.g. a confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Whether `x` lies in `[low, high]`.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// The two-sided critical value `z` with `P(|Z| <= z) = confidence` for a
/// standard normal `Z`; `None` unless `0 < confidence < 1`.
pub(crate) fn normal_critical(confidence: f64) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    if !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let normal = Normal::new(0.0, 1.0).ok()?;
    Some(normal.inverse_cdf(1.0 - (1.0 - confidence) / 2.0))
}

/// Two-sided p-value `2 P(Z >= |z|)` for a standard normal `Z`.
pub(crate) fn normal_two_sided_p(z: f64) -> Option<f64> {
    use statrs::distribution::{ContinuousCDF, Normal};
    let normal = Normal::new(0.0, 1.0).ok()?;
    Some((2.0 * normal.sf(z.abs())).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enough_is_min_group_inclusive() {
        assert!(!enough(0));
        assert!(!enough(MIN_GROUP - 1));
        assert!(enough(MIN_GROUP));
        assert!(enough(MIN_GROUP + 1));
    }

    #[test]
    fn normal_critical_rejects_bad_confidence() {
        for c in [0.0, 1.0, -0.5, 1.5, f64::NAN, f64::INFINITY] {
            assert_eq!(normal_critical(c), None, "{c}");
        }
        let z = normal_critical(0.95).expect("valid");
        assert!((z - 1.959_963_984_540_054).abs() < 1e-9, "{z}");
    }

    #[test]
    fn interval_contains_is_closed() {
        let i = Interval { low: 1.0, high: 2.0 };
        assert!(i.contains(1.0) && i.contains(2.0) && i.contains(1.5));
        assert!(!i.contains(0.999) && !i.contains(2.001) && !i.contains(f64::NAN));
    }
}
