//! Exact tests on counts: the Poisson upper tail (spike detection) and the
//! two-sided binomial test.

use statrs::distribution::{Binomial, Discrete, DiscreteCDF};
use statrs::function::gamma::checked_gamma_lr;

/// Exact one-sided Poisson test: `P(X >= observed)` for
/// `X ~ Poisson(expected)` (spike detection).
///
/// For `observed >= 1` this is the regularised lower incomplete gamma
/// function `P(observed, expected)`; for `observed = 0` it is 1. With
/// `expected = 0` all mass is at 0, so the p-value is 1 for `observed = 0`
/// and 0 otherwise. Matches `scipy.stats.poisson.sf(observed - 1, expected)`.
///
/// `None` if `expected` is negative, NaN or infinite.
pub fn poisson_upper_p(observed: u64, expected: f64) -> Option<f64> {
    if !(expected.is_finite() && expected >= 0.0) {
        return None;
    }
    if observed == 0 {
        return Some(1.0);
    }
    if expected == 0.0 {
        return Some(0.0);
    }
    // The arguments are in the function's domain (a >= 1, 0 < x < inf), so
    // the error case is unreachable; it still maps to None, not a panic.
    let p = checked_gamma_lr(observed as f64, expected).ok()?;
    Some(p.clamp(0.0, 1.0))
}

/// Exact two-sided binomial test as `scipy.stats.binomtest(k, n, p).pvalue`.
///
/// The p-value is the total probability of the outcomes no more likely than
/// the observed one: `Σ P(X = i)` over all `i` with
/// `P(X = i) <= P(X = k) · (1 + 1e-7)`, `X ~ Binomial(n, p)`. As in SciPy,
/// the tail on the far side of the mode is found by binary search and summed
/// with the CDF / survival function, and the result is capped at 1.
///
/// `None` if `n == 0`, `k > n`, `n > i64::MAX` (the search uses signed
/// indices), or `p` is not in `[0, 1]`.
pub fn binomial_two_sided_p(k: u64, n: u64, p: f64) -> Option<f64> {
    if n == 0 || k > n || n > i64::MAX as u64 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    // Degenerate distributions: all mass on 0 (p = 0) or on n (p = 1).
    if p == 0.0 {
        return Some(if k == 0 { 1.0 } else { 0.0 });
    }
    if p == 1.0 {
        return Some(if k == n { 1.0 } else { 0.0 });
    }
    let dist = Binomial::new(p, n).ok()?;
    let pmf = |i: i64| -> f64 { if i < 0 || i as u64 > n { 0.0 } else { dist.pmf(i as u64) } };
    // CDF at a possibly negative point, survival function likewise.
    let cdf = |i: i64| -> f64 { if i < 0 { 0.0 } else { dist.cdf(i as u64) } };
    let sf = |i: i64| -> f64 { if i < 0 { 1.0 } else { dist.sf(i as u64) } };

    let n_i = n as i64;
    let k_i = k as i64;
    let mean = p * n as f64;
    let d = pmf(k_i);
    let rerr = 1.0 + 1e-7;
    let kf = k as f64;
    let pval = if kf == mean {
        1.0
    } else if kf < mean {
        // Upper side of the mode: pmf decreasing, so -pmf ascending.
        let ix = binary_search(|x| -pmf(x), -d * rerr, mean.ceil() as i64, n_i);
        let y = n_i - ix + i64::from(d * rerr == pmf(ix));
        cdf(k_i) + sf(n_i - y)
    } else {
        // Lower side of the mode: pmf ascending.
        let ix = binary_search(pmf, d * rerr, 0, mean.floor() as i64);
        let y = ix + 1;
        cdf(y - 1) + sf(k_i - 1)
    };
    Some(pval.clamp(0.0, 1.0))
}

/// SciPy's `_binary_search_for_binom_tst`: for `a` ascending on `[lo, hi]`,
/// the index `i` with `a(i) <= d < a(i + 1)` (may be `lo - 1`).
fn binary_search(a: impl Fn(i64) -> f64, d: f64, mut lo: i64, mut hi: i64) -> i64 {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let midval = a(mid);
        if midval < d {
            lo = mid + 1;
        } else if midval > d {
            hi = mid - 1;
        } else {
            return mid;
        }
    }
    if a(lo) <= d { lo } else { lo - 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_none_and_edges() {
        assert_eq!(poisson_upper_p(3, -1.0), None);
        assert_eq!(poisson_upper_p(3, f64::NAN), None);
        assert_eq!(poisson_upper_p(3, f64::INFINITY), None);
        assert_eq!(poisson_upper_p(0, 4.0), Some(1.0));
        assert_eq!(poisson_upper_p(0, 0.0), Some(1.0));
        assert_eq!(poisson_upper_p(1, 0.0), Some(0.0));
        // P(X >= 1) = 1 - e^-λ.
        let got = poisson_upper_p(1, 2.0).expect("defined");
        assert!((got - (1.0 - (-2.0f64).exp())).abs() < 1e-14, "{got}");
    }

    #[test]
    fn poisson_is_decreasing_in_observed() {
        let mut last = 1.0;
        for k in 0..30 {
            let p = poisson_upper_p(k, 7.5).expect("defined");
            assert!(p <= last, "{k}: {p} > {last}");
            last = p;
        }
    }

    #[test]
    fn binomial_none_and_edges() {
        assert_eq!(binomial_two_sided_p(0, 0, 0.5), None);
        assert_eq!(binomial_two_sided_p(6, 5, 0.5), None);
        assert_eq!(binomial_two_sided_p(2, 5, -0.1), None);
        assert_eq!(binomial_two_sided_p(2, 5, 1.1), None);
        assert_eq!(binomial_two_sided_p(2, 5, f64::NAN), None);
        assert_eq!(binomial_two_sided_p(1, u64::MAX, 0.5), None);
        assert_eq!(binomial_two_sided_p(0, 5, 0.0), Some(1.0));
        assert_eq!(binomial_two_sided_p(1, 5, 0.0), Some(0.0));
        assert_eq!(binomial_two_sided_p(5, 5, 1.0), Some(1.0));
        assert_eq!(binomial_two_sided_p(4, 5, 1.0), Some(0.0));
        assert_eq!(binomial_two_sided_p(5, 10, 0.5), Some(1.0));
    }

    #[test]
    fn binomial_symmetric_case_by_hand() {
        // n = 10, p = 1/2, k = 2: P(X <= 2) + P(X >= 8) = 2 · 56/1024.
        let got = binomial_two_sided_p(2, 10, 0.5).expect("defined");
        assert!((got - 112.0 / 1024.0).abs() < 1e-12, "{got}");
        let mirrored = binomial_two_sided_p(8, 10, 0.5).expect("defined");
        assert!((got - mirrored).abs() < 1e-12);
    }
}
