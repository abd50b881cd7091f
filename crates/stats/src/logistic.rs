//! L2-regularised logistic regression on standardised features (fitted by
//! `linfa-logistic`), and the calibration table of its predictions.
//!
//! The fit minimises
//! `Σᵢ log(1 + exp(-yᵢ (b + zᵢ·w))) + α/2 · ‖w‖²` with `yᵢ ∈ {-1, +1}` and
//! `zᵢ` the standardised features (`(x - mean) / sd`, population sd; a
//! constant feature keeps sd 1). The intercept `b` is not penalised. This is
//! scikit-learn's `LogisticRegression(C = 1/α)` after `StandardScaler()`.

use serde::{Deserialize, Serialize};

use crate::{Interval, wilson};

/// A fitted model: how to standardise a feature row, and the coefficients
/// on the standardised scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// Mean of each feature in the training rows.
    pub mean: Vec<f64>,
    /// Population standard deviation of each feature (1 when constant).
    pub scale: Vec<f64>,
    /// Coefficient per standardised feature (log-odds per standard deviation).
    pub coefficients: Vec<f64>,
    pub intercept: f64,
    /// The L2 penalty the model was fitted with.
    pub alpha: f64,
}

impl LogisticModel {
    /// The predicted probability of the positive class for one raw row;
    /// `None` if its length does not match the model.
    #[must_use]
    pub fn predict(&self, row: &[f64]) -> Option<f64> {
        if row.len() != self.coefficients.len() {
            return None;
        }
        let z: f64 = self.intercept
            + row
                .iter()
                .zip(&self.mean)
                .zip(&self.scale)
                .zip(&self.coefficients)
                .map(|(((x, m), s), w)| (x - m) / s * w)
                .sum::<f64>();
        Some(1.0 / (1.0 + (-z).exp()))
    }

    /// The odds ratio of one more unit of raw feature `i`: `exp(wᵢ / sdᵢ)`.
    #[must_use]
    pub fn odds_ratio_per_unit(&self, i: usize) -> Option<f64> {
        Some((self.coefficients.get(i)? / self.scale.get(i)?).exp())
    }
}

/// Fits the model to `rows` (raw features, all of one length) and `labels`
/// with L2 penalty `alpha` (≥ 0). Deterministic: L-BFGS from all-zero
/// coefficients.
///
/// `None` if there are no rows, lengths differ, a value is not finite,
/// only one class is present, or the solver fails.
#[must_use]
pub fn fit_logistic(rows: &[Vec<f64>], labels: &[bool], alpha: f64) -> Option<LogisticModel> {
    use linfa::prelude::*;
    use linfa_logistic::LogisticRegression;
    use ndarray::{Array1, Array2};

    let n = rows.len();
    let k = rows.first()?.len();
    if n != labels.len() || k == 0 || alpha.is_nan() || alpha < 0.0 {
        return None;
    }
    if rows.iter().any(|r| r.len() != k || r.iter().any(|v| !v.is_finite())) {
        return None;
    }
    if labels.iter().all(|&l| l) || labels.iter().all(|&l| !l) {
        return None;
    }
    let nf = n as f64;
    let mean: Vec<f64> = (0..k).map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / nf).collect();
    let scale: Vec<f64> = (0..k)
        .map(|j| {
            let var = rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / nf;
            if var > 1e-24 { var.sqrt() } else { 1.0 }
        })
        .collect();
    let x = Array2::from_shape_fn((n, k), |(i, j)| (rows[i][j] - mean[j]) / scale[j]);
    let y: Array1<bool> = labels.iter().copied().collect();
    let fitted = LogisticRegression::default()
        .alpha(alpha)
        .with_intercept(true)
        .max_iterations(1000)
        .gradient_tolerance(1e-9)
        .fit(&Dataset::new(x, y))
        .ok()?;
    // linfa's "positive" class is the more frequent one: turn the model
    // around when that is `false`, so it predicts P(true).
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let coefficients: Vec<f64> = fitted.params().iter().map(|w| sign * w).collect();
    let intercept = sign * fitted.intercept();
    if coefficients.iter().any(|w| !w.is_finite()) || !intercept.is_finite() {
        return None;
    }
    Some(LogisticModel {
        mean,
        scale,
        coefficients,
        intercept,
        alpha,
    })
}

/// One bin of a calibration table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub n: u64,
    /// Mean predicted probability in the bin.
    pub mean_predicted: f64,
    /// Positives in the bin.
    pub positives: u64,
    /// positives ÷ n.
    pub observed: f64,
    /// 95 % Wilson interval of `observed`.
    pub ci: Interval,
}

/// The calibration table: the rows sorted by predicted probability and cut
/// into `bins` groups of (nearly) equal size (the first `n mod bins` groups
/// one larger), each with its mean prediction and observed rate. Fewer
/// groups when there are fewer rows than `bins`. Empty for no rows or
/// mismatched lengths.
#[must_use]
pub fn calibration(predicted: &[f64], labels: &[bool], bins: usize) -> Vec<CalibrationBin> {
    if predicted.len() != labels.len() || predicted.is_empty() || bins == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..predicted.len()).collect();
    order.sort_by(|&a, &b| predicted[a].total_cmp(&predicted[b]).then(a.cmp(&b)));
    let n = order.len();
    let bins = bins.min(n);
    let (size, extra) = (n / bins, n % bins);
    let mut out = Vec::with_capacity(bins);
    let mut start = 0;
    for b in 0..bins {
        let len = size + usize::from(b < extra);
        let members = &order[start..start + len];
        start += len;
        let positives = members.iter().filter(|&&i| labels[i]).count() as u64;
        let count = len as u64;
        out.push(CalibrationBin {
            n: count,
            mean_predicted: members.iter().map(|&i| predicted[i]).sum::<f64>() / len as f64,
            positives,
            observed: positives as f64 / len as f64,
            ci: wilson(positives, count, 0.95).unwrap_or(Interval { low: 0.0, high: 1.0 }),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_it_cannot_fit() {
        assert_eq!(fit_logistic(&[], &[], 1.0), None);
        assert_eq!(fit_logistic(&[vec![1.0], vec![2.0]], &[true, true], 1.0), None);
        assert_eq!(fit_logistic(&[vec![1.0], vec![f64::NAN]], &[true, false], 1.0), None);
        assert_eq!(fit_logistic(&[vec![1.0], vec![2.0, 3.0]], &[true, false], 1.0), None);
    }

    #[test]
    fn learns_the_direction_whichever_class_is_larger() {
        // Positives at high x, whether they are the minority or the majority.
        for positives in [2, 8] {
            let rows: Vec<Vec<f64>> = (0..10).map(|i| vec![f64::from(i)]).collect();
            let labels: Vec<bool> = (0..10).map(|i| i >= 10 - positives).collect();
            let m = fit_logistic(&rows, &labels, 0.1).expect("fits");
            assert!(m.coefficients[0] > 0.0, "{m:?}");
            assert!(m.predict(&[9.0]).expect("width") > m.predict(&[0.0]).expect("width"));
            assert!(m.odds_ratio_per_unit(0).expect("feature") > 1.0);
        }
    }

    #[test]
    fn calibration_bins_cover_every_row() {
        let p: Vec<f64> = (0..23).map(|i| f64::from(i) / 23.0).collect();
        let l: Vec<bool> = (0..23).map(|i| i % 3 == 0).collect();
        let t = calibration(&p, &l, 10);
        assert_eq!(t.len(), 10);
        assert_eq!(t.iter().map(|b| b.n).sum::<u64>(), 23);
        assert_eq!(t[0].n, 3);
        assert_eq!(t[9].n, 2);
        assert_eq!(t.iter().map(|b| b.positives).sum::<u64>(), 8);
        assert_eq!(calibration(&p[..3], &l[..3], 10).len(), 3);
        assert!(calibration(&[], &[], 10).is_empty());
    }
}
