//! Sample summaries and Welch's two-sample t-test.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::Interval;

/// n, mean and sample standard deviation (n-1) of a sample.
///
/// `sd = sqrt(Σ (xᵢ - mean)² / (n - 1))`. For `n = 0` mean and sd are `0.0`;
/// for `n = 1` sd is `0.0`. A NaN or infinite value makes mean and sd NaN:
/// callers pass measured, finite values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
}

impl Summary {
    /// Summarises `values` (two passes: mean, then squared deviations).
    pub fn of(values: &[f64]) -> Summary {
        let n = values.len();
        if n == 0 {
            return Summary {
                n: 0,
                mean: 0.0,
                sd: 0.0,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = if n < 2 {
            0.0
        } else {
            let ss: f64 = values.iter().map(|x| (x - mean) * (x - mean)).sum();
            (ss / (n - 1) as f64).sqrt()
        };
        Summary { n: n as u64, mean, sd }
    }

    /// Summarises a sample given as (value, how often it occurs) pairs,
    /// e.g. counts of each rating: the same two passes as [`Summary::of`]
    /// on the sample written out.
    pub fn of_counts(counts: &[(f64, u64)]) -> Summary {
        let n: u64 = counts.iter().map(|(_, c)| c).sum();
        if n == 0 {
            return Summary {
                n: 0,
                mean: 0.0,
                sd: 0.0,
            };
        }
        let mean = counts.iter().map(|(x, c)| x * *c as f64).sum::<f64>() / n as f64;
        let sd = if n < 2 {
            0.0
        } else {
            let ss: f64 = counts.iter().map(|(x, c)| *c as f64 * (x - mean) * (x - mean)).sum();
            (ss / (n - 1) as f64).sqrt()
        };
        Summary { n, mean, sd }
    }

    /// The sample variance `sd²`.
    pub fn variance(&self) -> f64 {
        self.sd * self.sd
    }
}

/// The confidence interval of a mean: `mean ± t_{n-1, 1-(1-confidence)/2} · sd/√n`,
/// as `scipy.stats.t.interval(confidence, n-1, loc=mean, scale=sem)`.
/// `None` if n < 2, the summary is not finite, or `confidence` is not in `(0, 1)`.
pub fn mean_interval(s: &Summary, confidence: f64) -> Option<Interval> {
    if !(s.n >= 2 && confidence > 0.0 && confidence < 1.0 && s.mean.is_finite() && s.sd.is_finite()) {
        return None;
    }
    let t = StudentsT::new(0.0, 1.0, (s.n - 1) as f64).ok()?;
    let half = t.inverse_cdf(1.0 - (1.0 - confidence) / 2.0) * s.sd / (s.n as f64).sqrt();
    Some(Interval {
        low: s.mean - half,
        high: s.mean + half,
    })
}

/// Welch's two-sample t-test of a - b: difference, its confidence interval
/// (Welch–Satterthwaite df), t, df, two-sided p.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanDifference {
    pub diff: f64,
    pub ci: Interval,
    pub t: f64,
    pub df: f64,
    pub p_value: f64,
}

/// Welch's t-test of `mean(a) - mean(b)` (unequal variances).
///
/// With `vₐ = sdₐ²/nₐ` and `v_b = sd_b²/n_b`:
///
/// - `diff = meanₐ - mean_b`, `se = sqrt(vₐ + v_b)`, `t = diff / se`
/// - `df = (vₐ + v_b)² / (vₐ²/(nₐ-1) + v_b²/(n_b-1))` (Welch–Satterthwaite)
/// - `p = 2 P(T_df >= |t|)`
/// - `ci = diff ± t_{df, 1-(1-confidence)/2} · se`
///
/// Matches `scipy.stats.ttest_ind(a, b, equal_var=False)` and its
/// `confidence_interval(confidence)`.
///
/// `None` if either n < 2, both variances are 0 (no spread: t undefined),
/// a summary is not finite or has a negative sd, or `confidence` is not in
/// `(0, 1)`.
pub fn welch(a: &Summary, b: &Summary, confidence: f64) -> Option<MeanDifference> {
    if a.n < 2 || b.n < 2 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let finite = |s: &Summary| s.mean.is_finite() && s.sd.is_finite() && s.sd >= 0.0;
    if !finite(a) || !finite(b) {
        return None;
    }
    let va = a.variance() / a.n as f64;
    let vb = b.variance() / b.n as f64;
    let var = va + vb;
    if var <= 0.0 {
        return None;
    }
    let se = var.sqrt();
    let diff = a.mean - b.mean;
    let t = diff / se;
    let df = var * var / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let p_value = (2.0 * dist.sf(t.abs())).min(1.0);
    let crit = dist.inverse_cdf(1.0 - (1.0 - confidence) / 2.0);
    Some(MeanDifference {
        diff,
        ci: Interval {
            low: diff - crit * se,
            high: diff + crit * se,
        },
        t,
        df,
        p_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64, mean: f64, sd: f64) -> Summary {
        Summary { n, mean, sd }
    }

    #[test]
    fn counts_summarise_like_the_sample_written_out() {
        let sample = [1.0, 2.0, 2.0, 5.0, 5.0, 5.0, 4.0];
        let by_counts = Summary::of_counts(&[(1.0, 1), (2.0, 2), (5.0, 3), (4.0, 1), (3.0, 0)]);
        let direct = Summary::of(&sample);
        assert_eq!(by_counts.n, 7);
        assert!((by_counts.mean - direct.mean).abs() < 1e-12);
        assert!((by_counts.sd - direct.sd).abs() < 1e-12);
        assert_eq!(Summary::of_counts(&[]), s(0, 0.0, 0.0));
        assert_eq!(Summary::of_counts(&[(4.5, 1)]), s(1, 4.5, 0.0));
    }

    #[test]
    fn summary_of_empty_and_single() {
        assert_eq!(Summary::of(&[]), s(0, 0.0, 0.0));
        assert_eq!(Summary::of(&[4.5]), s(1, 4.5, 0.0));
    }

    #[test]
    fn summary_uses_n_minus_one() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ(x-mean)² = 32, sample var 32/7.
        let got = Summary::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(got.n, 8);
        assert!((got.mean - 5.0).abs() < 1e-12);
        assert!((got.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12, "{}", got.sd);
    }

    #[test]
    fn welch_none_cases() {
        let ok = s(10, 1.0, 1.0);
        assert_eq!(welch(&s(1, 1.0, 0.0), &ok, 0.95), None);
        assert_eq!(welch(&ok, &s(1, 1.0, 0.0), 0.95), None);
        assert_eq!(welch(&s(0, 0.0, 0.0), &ok, 0.95), None);
        assert_eq!(welch(&s(5, 1.0, 0.0), &s(7, 2.0, 0.0), 0.95), None);
        assert_eq!(welch(&ok, &s(10, f64::NAN, 1.0), 0.95), None);
        assert_eq!(welch(&ok, &s(10, 1.0, -1.0), 0.95), None);
        for c in [0.0, 1.0, f64::NAN, -0.1, 2.0] {
            assert_eq!(welch(&ok, &ok, c), None, "confidence {c}");
        }
    }

    #[test]
    fn welch_one_zero_variance_is_fine() {
        let got = welch(&s(5, 3.0, 0.0), &s(5, 1.0, 2.0), 0.95).expect("defined");
        // se = sqrt(4/5); df = (4/5)² / ((4/5)²/4) = 4.
        assert!((got.df - 4.0).abs() < 1e-12, "{}", got.df);
        assert!((got.t - 2.0 / (0.8f64).sqrt()).abs() < 1e-12);
        assert!(got.ci.low < got.diff && got.diff < got.ci.high);
    }

    #[test]
    fn welch_equal_means_p_is_one() {
        let got = welch(&s(20, 3.0, 1.0), &s(30, 3.0, 2.0), 0.9).expect("defined");
        assert_eq!(got.t, 0.0);
        assert!((got.p_value - 1.0).abs() < 1e-12);
        assert!((got.ci.low + got.ci.high).abs() < 1e-12);
    }

    #[test]
    fn welch_is_antisymmetric() {
        let a = s(12, 5.0, 1.5);
        let b = s(40, 4.2, 0.7);
        let ab = welch(&a, &b, 0.95).expect("defined");
        let ba = welch(&b, &a, 0.95).expect("defined");
        assert!((ab.t + ba.t).abs() < 1e-12);
        assert!((ab.p_value - ba.p_value).abs() < 1e-12);
        assert!((ab.ci.low + ba.ci.high).abs() < 1e-12);
    }
}

#[cfg(test)]
mod interval_tests {
    use super::*;

    #[test]
    fn mean_interval_matches_scipy() {
        // scipy.stats.t.interval(0.95, n-1, loc=mean, scale=sem(a))
        let i = mean_interval(&Summary::of(&[1.0, 2.0, 3.0, 4.0, 5.0]), 0.95).expect("interval");
        assert!((i.low - 1.036_756_838_522_442_8).abs() < 1e-9 && (i.high - 4.963_243_161_477_557).abs() < 1e-9);
        let v = [4.0, 5.0, 5.0, 3.0, 4.0, 5.0, 2.0, 5.0, 4.0, 4.0, 5.0, 3.0];
        let i = mean_interval(&Summary::of(&v), 0.95).expect("interval");
        assert!((i.low - 3.450_374_924_862_006_6).abs() < 1e-9 && (i.high - 4.716_291_741_804_659_5).abs() < 1e-9);
        assert_eq!(mean_interval(&Summary::of(&[3.0]), 0.95), None);
        assert_eq!(mean_interval(&Summary::of(&[3.0, 4.0]), 1.0), None);
    }
}
