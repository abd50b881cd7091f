//! Area under the ROC curve.

/// Area under the ROC curve (ties count 1/2), as
/// `sklearn.metrics.roc_auc_score(labels, scores)`.
///
/// The probability that a randomly chosen positive scores higher than a
/// randomly chosen negative, ties counting one half — the Mann–Whitney U
/// statistic over `n₊ · n₋`. Computed from mid-ranks in O(n log n):
/// `AUC = (Σ ranks of positives - n₊(n₊+1)/2) / (n₊ n₋)`.
///
/// `None` if the lengths differ, either class is absent (the AUC is not
/// defined; scikit-learn raises), or a score is NaN.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));

    // Sum of the (1-based, mid-) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let score = scores[order[start]];
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == score {
            end += 1;
        }
        // Ranks start+1 ..= end+1 share their mean.
        let mid_rank = (start + end) as f64 / 2.0 + 1.0;
        let tied_positives = order[start..=end].iter().filter(|&&i| labels[i]).count();
        rank_sum += mid_rank * tied_positives as f64;
        start = end + 1;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_cases() {
        assert_eq!(roc_auc(&[], &[]), None);
        assert_eq!(roc_auc(&[0.1, 0.2], &[true]), None);
        assert_eq!(roc_auc(&[0.1, 0.2], &[true, true]), None);
        assert_eq!(roc_auc(&[0.1, 0.2], &[false, false]), None);
        assert_eq!(roc_auc(&[0.1, f64::NAN], &[true, false]), None);
    }

    #[test]
    fn perfect_inverted_and_tied() {
        assert_eq!(roc_auc(&[0.1, 0.9], &[false, true]), Some(1.0));
        assert_eq!(roc_auc(&[0.1, 0.9], &[true, false]), Some(0.0));
        assert_eq!(roc_auc(&[0.5, 0.5, 0.5], &[true, false, false]), Some(0.5));
        // pos {0.8, 0.4}, neg {0.4, 0.1}: pairs 1, 1, ½, 1 → 3.5/4.
        assert_eq!(roc_auc(&[0.8, 0.4, 0.4, 0.1], &[true, true, false, false]), Some(0.875));
    }
}
