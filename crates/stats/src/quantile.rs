//! Quantiles with linear interpolation (NumPy's default method).

/// Quantile with linear interpolation between order statistics, as
/// `numpy.quantile(values, q)` (default `method='linear'`, R type 7).
///
/// With the n values sorted ascending as `x₀ <= … <= xₙ₋₁`,
/// `h = (n - 1) q`, `i = ⌊h⌋`, `g = h - i`:
/// the quantile is `xᵢ + g (xᵢ₊₁ - xᵢ)` (and `xₙ₋₁` for `q = 1`).
/// Input need not be sorted; it is copied, not modified.
///
/// `None` for empty input, for `q` outside `[0, 1]` or NaN, and if any value
/// is NaN (NaN has no place in the order).
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=1.0).contains(&q) || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = sorted.len() - 1;
    let h = last as f64 * q;
    let i = (h.floor() as usize).min(last);
    let g = h - i as f64;
    let a = *sorted.get(i)?;
    let b = *sorted.get((i + 1).min(last))?;
    Some(lerp(a, b, g))
}

/// The median: [`quantile`] at 0.5 (mean of the two middle values for even n).
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// NumPy's `_lerp`: `a + (b - a) t`, computed from the nearer end for
/// `t >= 0.5` so that `t = 1` gives exactly `b`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if a == b {
        return a;
    }
    let diff = b - a;
    if t >= 0.5 { b - diff * (1.0 - t) } else { a + diff * t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_cases() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(median(&[]), None);
        assert_eq!(quantile(&[1.0, 2.0], -0.1), None);
        assert_eq!(quantile(&[1.0, 2.0], 1.1), None);
        assert_eq!(quantile(&[1.0, 2.0], f64::NAN), None);
        assert_eq!(quantile(&[1.0, f64::NAN], 0.5), None);
    }

    #[test]
    fn by_hand() {
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        let v = [10.0, 0.0, 20.0, 30.0, 40.0];
        assert_eq!(quantile(&v, 0.0), Some(0.0));
        assert_eq!(quantile(&v, 1.0), Some(40.0));
        assert_eq!(quantile(&v, 0.1), Some(4.0));
        assert_eq!(quantile(&v, 0.75), Some(30.0));
    }

    #[test]
    fn does_not_reorder_input() {
        let v = [3.0, 1.0, 2.0];
        let _ = median(&v);
        assert_eq!(v, [3.0, 1.0, 2.0]);
    }
}
