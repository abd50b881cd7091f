//! The churn model's logistic fit (linfa-logistic behind
//! `amends_stats::fit_logistic`) against scikit-learn on a fixed dataset
//! (`scripts/churn_fixture.py`, which writes `churn_fixture.json`; see its
//! header to regenerate): same standardisation, same L2 penalty.

use amends_stats::fit_logistic;
use serde::Deserialize;

const FIXTURE: &str = include_str!("churn_fixture.json");

#[derive(Deserialize)]
struct Fixture {
    rows: Vec<Vec<f64>>,
    labels: Vec<bool>,
    fits: Vec<Fit>,
}

#[derive(Deserialize)]
struct Fit {
    alpha: f64,
    mean: Vec<f64>,
    scale: Vec<f64>,
    coefficients: Vec<f64>,
    intercept: f64,
    probabilities: Vec<f64>,
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn logistic_fit_matches_scikit_learn() {
    let f: Fixture = serde_json::from_str(FIXTURE).expect("fixture parses");
    assert!(!f.fits.is_empty());
    for fit in &f.fits {
        let m = fit_logistic(&f.rows, &f.labels, fit.alpha).expect("fits");
        for (a, b) in m.mean.iter().zip(&fit.mean).chain(m.scale.iter().zip(&fit.scale)) {
            assert!(close(*a, *b, 1e-9), "alpha {}: scaling {a} vs {b}", fit.alpha);
        }
        for (a, b) in m.coefficients.iter().zip(&fit.coefficients) {
            assert!(close(*a, *b, 1e-4), "alpha {}: coefficient {a} vs {b}", fit.alpha);
        }
        assert!(
            close(m.intercept, fit.intercept, 1e-4),
            "alpha {}: intercept {} vs {}",
            fit.alpha,
            m.intercept,
            fit.intercept
        );
        for (row, p) in f.rows.iter().zip(&fit.probabilities) {
            let got = m.predict(row).expect("same width");
            assert!(close(got, *p, 1e-4), "alpha {}: probability {got} vs {p}", fit.alpha);
        }
    }
}
