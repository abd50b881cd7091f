//! Proportions: the Wilson score interval and the difference of two
//! independent proportions.

use serde::Serialize;

use crate::{Interval, normal_critical, normal_two_sided_p};

/// Wilson score interval for a proportion `successes / n`.
///
/// With `p = x/n` and `z` the two-sided normal critical value for
/// `confidence`:
///
/// `centre = (x + z²/2) / (n + z²)`,
/// `half = z / (n + z²) · sqrt(x(n-x)/n + z²/4)`,
/// interval `centre ± half`.
///
/// Unlike the Wald interval it stays inside `[0, 1]` and is usable for
/// `x = 0` and `x = n`. Matches statsmodels
/// `proportion_confint(x, n, alpha=1-confidence, method='wilson')`.
///
/// `None` if `n == 0`, `successes > n` or `confidence` is not in `(0, 1)`.
pub fn wilson(successes: u64, n: u64, confidence: f64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let z = normal_critical(confidence)?;
    let x = successes as f64;
    let nf = n as f64;
    let z2 = z * z;
    let centre = (x + z2 / 2.0) / (nf + z2);
    let half = z / (nf + z2) * (x * (nf - x) / nf + z2 / 4.0).sqrt();
    // For x = 0 the low end is exactly 0 and for x = n the high end exactly
    // 1; rounding would otherwise leave them a hair off (or outside [0, 1]).
    let low = if successes == 0 { 0.0 } else { (centre - half).max(0.0) };
    let high = if successes == n { 1.0 } else { (centre + half).min(1.0) };
    Some(Interval { low, high })
}

/// Difference of two proportions p1 - p2: Newcombe's hybrid score interval
/// (method 10, from two Wilson intervals), and the two-sided p-value of the
/// pooled two-proportion z-test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProportionDifference {
    pub diff: f64,
    pub ci: Interval,
    pub z: f64,
    pub p_value: f64,
}

/// Compares `p1 = s1/n1` with `p2 = s2/n2` (independent groups).
///
/// - `diff = p1 - p2`
/// - interval (Newcombe 1998, method 10), with `[l1, u1]` and `[l2, u2]` the
///   Wilson intervals of each proportion at the same `confidence`:
///   `low = diff - sqrt((p1-l1)² + (u2-p2)²)`,
///   `high = diff + sqrt((u1-p1)² + (p2-l2)²)`.
///   Matches statsmodels `confint_proportions_2indep(..., method='newcomb')`.
/// - pooled z-test: `p = (s1+s2)/(n1+n2)`,
///   `z = diff / sqrt(p(1-p)(1/n1 + 1/n2))`, `p_value = 2 P(Z >= |z|)`.
///   Matches statsmodels `proportions_ztest` (with its default pooled
///   variance). When both groups are all-success or all-failure the pooled
///   variance is 0 and there is no evidence of a difference: `z = 0`,
///   `p_value = 1` (statsmodels gives NaN there).
///
/// `None` if `n1` or `n2` is 0, a count exceeds its n, or `confidence` is not
/// in `(0, 1)`.
pub fn proportion_difference(s1: u64, n1: u64, s2: u64, n2: u64, confidence: f64) -> Option<ProportionDifference> {
    let w1 = wilson(s1, n1, confidence)?;
    let w2 = wilson(s2, n2, confidence)?;
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let p1 = s1 as f64 / n1f;
    let p2 = s2 as f64 / n2f;
    let diff = p1 - p2;
    let low = diff - ((p1 - w1.low).powi(2) + (w2.high - p2).powi(2)).sqrt();
    let high = diff + ((w1.high - p1).powi(2) + (p2 - w2.low).powi(2)).sqrt();

    let pooled = (s1 + s2) as f64 / (n1f + n2f);
    let var = pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f);
    let (z, p_value) = if var > 0.0 {
        let z = diff / var.sqrt();
        (z, normal_two_sided_p(z)?)
    } else {
        (0.0, 1.0)
    };
    Some(ProportionDifference {
        diff,
        ci: Interval { low, high },
        z,
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_none_cases() {
        assert_eq!(wilson(0, 0, 0.95), None);
        assert_eq!(wilson(6, 5, 0.95), None);
        assert_eq!(wilson(1, 5, 0.0), None);
        assert_eq!(wilson(1, 5, 1.0), None);
        assert_eq!(wilson(1, 5, f64::NAN), None);
    }

    #[test]
    fn wilson_zero_and_all_successes_touch_the_bounds() {
        let zero = wilson(0, 20, 0.95).expect("defined");
        assert_eq!(zero.low, 0.0);
        assert!(zero.high > 0.0 && zero.high < 0.2);
        let all = wilson(20, 20, 0.95).expect("defined");
        assert_eq!(all.high, 1.0);
        assert!(all.low > 0.8 && all.low < 1.0);
        // Symmetry: x/n and (n-x)/n mirror each other.
        assert!((zero.high - (1.0 - all.low)).abs() < 1e-12);
    }

    #[test]
    fn wilson_narrows_with_n() {
        let small = wilson(5, 10, 0.95).expect("defined");
        let large = wilson(500, 1000, 0.95).expect("defined");
        assert!(large.high - large.low < small.high - small.low);
        assert!(small.contains(0.5) && large.contains(0.5));
    }

    #[test]
    fn proportion_difference_none_cases() {
        assert_eq!(proportion_difference(0, 0, 1, 2, 0.95), None);
        assert_eq!(proportion_difference(1, 2, 0, 0, 0.95), None);
        assert_eq!(proportion_difference(3, 2, 1, 2, 0.95), None);
        assert_eq!(proportion_difference(1, 2, 3, 2, 0.95), None);
        assert_eq!(proportion_difference(1, 2, 1, 2, 1.0), None);
    }

    #[test]
    fn proportion_difference_degenerate_pooled_variance() {
        for (s1, s2) in [(0, 0), (10, 40)] {
            let n1 = if s1 == 0 { 10 } else { s1 };
            let n2 = if s2 == 0 { 40 } else { s2 };
            let got = proportion_difference(s1, n1, s2, n2, 0.95).expect("defined");
            assert_eq!(got.diff, 0.0);
            assert_eq!(got.z, 0.0);
            assert_eq!(got.p_value, 1.0);
            assert!(got.ci.low < 0.0 && got.ci.high > 0.0);
        }
    }

    #[test]
    fn proportion_difference_is_antisymmetric() {
        let ab = proportion_difference(30, 50, 20, 60, 0.95).expect("defined");
        let ba = proportion_difference(20, 60, 30, 50, 0.95).expect("defined");
        assert!((ab.diff + ba.diff).abs() < 1e-12);
        assert!((ab.z + ba.z).abs() < 1e-12);
        assert!((ab.ci.low + ba.ci.high).abs() < 1e-12);
        assert!((ab.ci.high + ba.ci.low).abs() < 1e-12);
        assert!((ab.p_value - ba.p_value).abs() < 1e-12);
    }
}
