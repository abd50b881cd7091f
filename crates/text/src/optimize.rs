//! Multinomial logistic regression fitted by L-BFGS on sparse rows:
//! minimises  sum_i cross_entropy_i + ||W||^2 / (2 C)  (bias unregularised),
//! the same objective as scikit-learn's `LogisticRegression(C=…)`.
//! Deterministic: no randomness at all.

/// Sparse rows in CSR form over `n_features` columns.
pub(crate) struct SparseRows {
    pub(crate) offsets: Vec<usize>,
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f32>,
    pub(crate) n_features: usize,
}

impl SparseRows {
    pub(crate) fn len(&self) -> usize {
        self.offsets.len() - 1
    }
    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (s, e) = (self.offsets[i], self.offsets[i + 1]);
        (&self.indices[s..e], &self.values[s..e])
    }
}

pub(crate) const K: usize = 3;

/// Parameters: W (n_features × K, row-major) followed by K biases.
pub(crate) struct Fitted {
    pub(crate) params: Vec<f64>,
    pub(crate) iterations: usize,
    pub(crate) objective: f64,
}

fn objective(x: &SparseRows, y: &[usize], c: f64, params: &[f64], grad: &mut [f64]) -> f64 {
    let nf = x.n_features;
    let (w, b) = params.split_at(nf * K);
    grad.iter_mut().for_each(|g| *g = 0.0);
    let mut f = 0.0;
    for i in 0..x.len() {
        let (idx, val) = x.row(i);
        let mut z = [b[0], b[1], b[2]];
        for (&j, &v) in idx.iter().zip(val) {
            let j = j as usize * K;
            let v = f64::from(v);
            z[0] += w[j] * v;
            z[1] += w[j + 1] * v;
            z[2] += w[j + 2] * v;
        }
        let m = z[0].max(z[1]).max(z[2]);
        let e = [(z[0] - m).exp(), (z[1] - m).exp(), (z[2] - m).exp()];
        let s = e[0] + e[1] + e[2];
        f += m + s.ln() - z[y[i]];
        let mut d = [e[0] / s, e[1] / s, e[2] / s];
        d[y[i]] -= 1.0;
        let (gw, gb) = grad.split_at_mut(nf * K);
        for (&j, &v) in idx.iter().zip(val) {
            let j = j as usize * K;
            let v = f64::from(v);
            gw[j] += d[0] * v;
            gw[j + 1] += d[1] * v;
            gw[j + 2] += d[2] * v;
        }
        gb[0] += d[0];
        gb[1] += d[1];
        gb[2] += d[2];
    }
    let inv_c = 1.0 / c;
    let mut reg = 0.0;
    for (g, &wv) in grad[..nf * K].iter_mut().zip(w) {
        reg += wv * wv;
        *g += wv * inv_c;
    }
    f + 0.5 * inv_c * reg
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Fit by L-BFGS (memory 10) with backtracking Armijo line search.
pub(crate) fn fit(x: &SparseRows, y: &[usize], c: f64, max_iter: usize, tol: f64) -> Fitted {
    let n = x.n_features * K + K;
    let mut p = vec![0.0; n];
    let mut g = vec![0.0; n];
    let mut f = objective(x, y, c, &p, &mut g);
    let m = 10;
    let mut hist: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::with_capacity(m);
    let mut d = vec![0.0; n];
    let mut p_new = vec![0.0; n];
    let mut g_new = vec![0.0; n];
    let mut alpha = vec![0.0; m];
    let mut iterations = 0;
    for it in 0..max_iter {
        iterations = it + 1;
        // Two-loop recursion: d = -H g.
        d.copy_from_slice(&g);
        for (k, (s, yv, rho)) in hist.iter().enumerate().rev() {
            alpha[k] = rho * dot(s, &d);
            d.iter_mut().zip(yv).for_each(|(di, yi)| *di -= alpha[k] * yi);
        }
        if let Some((s, yv, _)) = hist.last() {
            let gamma = dot(s, yv) / dot(yv, yv);
            d.iter_mut().for_each(|di| *di *= gamma);
        }
        for (k, (s, yv, rho)) in hist.iter().enumerate() {
            let beta = rho * dot(yv, &d);
            d.iter_mut().zip(s).for_each(|(di, si)| *di += (alpha[k] - beta) * si);
        }
        d.iter_mut().for_each(|di| *di = -*di);
        let mut gd = dot(&g, &d);
        if gd >= 0.0 {
            hist.clear();
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
            gd = dot(&g, &d);
        }
        let mut step = if hist.is_empty() {
            1.0 / dot(&g, &g).sqrt().max(1e-12)
        } else {
            1.0
        };
        let mut f_new = f;
        let mut accepted = false;
        for _ in 0..40 {
            p_new
                .iter_mut()
                .zip(&p)
                .zip(&d)
                .for_each(|((pn, pi), di)| *pn = pi + step * di);
            f_new = objective(x, y, c, &p_new, &mut g_new);
            if f_new <= f + 1e-4 * step * gd {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
        let s: Vec<f64> = p_new.iter().zip(&p).map(|(a, b)| a - b).collect();
        let yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &yv);
        if sy > 1e-12 {
            if hist.len() == m {
                hist.remove(0);
            }
            hist.push((s, yv, 1.0 / sy));
        }
        std::mem::swap(&mut p, &mut p_new);
        std::mem::swap(&mut g, &mut g_new);
        let df = f - f_new;
        f = f_new;
        let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if gmax < tol || df.abs() <= 1e-10 * f.abs().max(1.0) {
            break;
        }
    }
    Fitted {
        params: p,
        iterations,
        objective: f,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_three_classes() {
        // Feature j fires for class j.
        let mut rows = SparseRows {
            offsets: vec![0],
            indices: vec![],
            values: vec![],
            n_features: 3,
        };
        let mut y = vec![];
        for i in 0..30 {
            rows.indices.push((i % 3) as u32);
            rows.values.push(1.0);
            rows.offsets.push(rows.indices.len());
            y.push(i % 3);
        }
        let fit = fit(&rows, &y, 10.0, 100, 1e-6);
        for j in 0..3 {
            let w = &fit.params[j * K..j * K + K];
            let best = (0..K).max_by(|&a, &b| w[a].total_cmp(&w[b])).unwrap_or(99);
            assert_eq!(best, j);
        }
    }
}
