//! Multiple testing: Benjamini–Hochberg false discovery rate control.

/// Benjamini–Hochberg adjusted p-values (q-values), same order as input, as
/// `scipy.stats.false_discovery_control(ps, method='bh')`.
///
/// With the m p-values sorted ascending as `p₍₁₎ <= … <= p₍ₘ₎`:
/// `q₍ᵢ₎ = min over j >= i of (m · p₍ⱼ₎ / j)`, capped at 1, then put back in
/// input order. Reject the hypotheses with `q <= α` to control the false
/// discovery rate at `α` (for independent or positively dependent tests).
///
/// Values outside `[0, 1]` are clamped into it and NaN counts as 1 (no
/// evidence), so one bad input cannot make another test look significant;
/// use [`try_benjamini_hochberg`] to reject such input instead. Empty input
/// gives an empty vector.
pub fn benjamini_hochberg(p_values: &[f64]) -> Vec<f64> {
    let clean: Vec<f64> = p_values
        .iter()
        .map(|&p| if p.is_nan() { 1.0 } else { p.clamp(0.0, 1.0) })
        .collect();
    adjust(&clean)
}

/// [`benjamini_hochberg`], but `None` if any p-value is NaN or outside
/// `[0, 1]` (SciPy raises there).
pub fn try_benjamini_hochberg(p_values: &[f64]) -> Option<Vec<f64>> {
    if p_values.iter().all(|p| (0.0..=1.0).contains(p)) {
        Some(adjust(p_values))
    } else {
        None
    }
}

/// The step-up adjustment on p-values already known to be in `[0, 1]`.
fn adjust(ps: &[f64]) -> Vec<f64> {
    let m = ps.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| ps[a].total_cmp(&ps[b]));
    let mut q = vec![0.0; m];
    let mut running = f64::INFINITY;
    for (rank0, &idx) in order.iter().enumerate().rev() {
        let rank = (rank0 + 1) as f64;
        running = running.min(ps[idx] * (m as f64 / rank));
        q[idx] = running.min(1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_single() {
        assert!(benjamini_hochberg(&[]).is_empty());
        assert_eq!(benjamini_hochberg(&[0.03]), vec![0.03]);
    }

    #[test]
    fn by_hand_keeps_input_order() {
        // sorted 0.01, 0.02, 0.03, 0.5 → 0.04, 0.04, 0.04, 0.5
        let got = benjamini_hochberg(&[0.5, 0.03, 0.01, 0.02]);
        let want = [0.5, 0.04, 0.04, 0.04];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
    }

    #[test]
    fn never_above_one_and_never_below_input() {
        let ps = [0.9, 0.95, 0.99, 0.2, 0.0];
        let got = benjamini_hochberg(&ps);
        for (p, q) in ps.iter().zip(&got) {
            assert!(*q <= 1.0 && q >= p, "{p} -> {q}");
        }
    }

    #[test]
    fn bad_input() {
        assert_eq!(try_benjamini_hochberg(&[0.1, f64::NAN]), None);
        assert_eq!(try_benjamini_hochberg(&[0.1, 1.5]), None);
        assert_eq!(try_benjamini_hochberg(&[-0.1, 0.5]), None);
        assert_eq!(try_benjamini_hochberg(&[0.5, 0.01]), Some(vec![0.5, 0.02]));
        // NaN counts as 1; out-of-range values are clamped.
        assert_eq!(benjamini_hochberg(&[f64::NAN, 0.01]), vec![1.0, 0.02]);
        assert_eq!(benjamini_hochberg(&[-3.0, 7.0]), vec![0.0, 1.0]);
    }
}
