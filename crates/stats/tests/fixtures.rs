//! Compares amends-stats with expected values computed independently by
//! SciPy, statsmodels, NumPy and scikit-learn (`scripts/stats_fixtures.py`,
//! which writes `fixtures.json`; see its header to regenerate).
//!
//! Tolerances: values pass within 1e-6 absolute or 1e-6 relative; p-values
//! within 1e-8 absolute or 1e-6 relative. Every case is checked and all
//! mismatches are reported together.

use amends_stats::{
    Interval, MeanDifference, Summary, benjamini_hochberg, binomial_two_sided_p, median, poisson_upper_p,
    proportion_difference, quantile, roc_auc, try_benjamini_hochberg, welch, wilson,
};
use serde::Deserialize;

const FIXTURES: &str = include_str!("fixtures.json");

#[derive(Deserialize)]
struct Fixtures {
    welch: Vec<WelchCase>,
    wilson: Vec<WilsonCase>,
    proportion_difference: Vec<ProportionCase>,
    poisson_upper_p: Vec<PoissonCase>,
    binomial_two_sided_p: Vec<BinomialCase>,
    benjamini_hochberg: Vec<BhCase>,
    quantile: Vec<QuantileCase>,
    median: Vec<MedianCase>,
    roc_auc: Vec<RocCase>,
}

#[derive(Deserialize)]
struct SummaryJson {
    n: u64,
    mean: f64,
    sd: f64,
}

#[derive(Deserialize)]
struct IntervalJson {
    low: f64,
    high: f64,
}

#[derive(Deserialize)]
struct MeanDiffJson {
    diff: f64,
    ci: IntervalJson,
    t: f64,
    df: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct WelchCase {
    a: Vec<f64>,
    b: Vec<f64>,
    confidence: f64,
    summary_a: SummaryJson,
    summary_b: SummaryJson,
    expected: Option<MeanDiffJson>,
}

#[derive(Deserialize)]
struct WilsonCase {
    successes: u64,
    n: u64,
    confidence: f64,
    expected: IntervalJson,
}

#[derive(Deserialize)]
struct PropDiffJson {
    diff: f64,
    ci: IntervalJson,
    z: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct ProportionCase {
    s1: u64,
    n1: u64,
    s2: u64,
    n2: u64,
    confidence: f64,
    expected: PropDiffJson,
}

#[derive(Deserialize)]
struct PoissonCase {
    observed: u64,
    expected_count: f64,
    expected: f64,
}

#[derive(Deserialize)]
struct BinomialCase {
    k: u64,
    n: u64,
    p: f64,
    expected: f64,
}

#[derive(Deserialize)]
struct BhCase {
    p_values: Vec<f64>,
    expected: Vec<f64>,
}

#[derive(Deserialize)]
struct QuantileCase {
    values: Vec<f64>,
    q: f64,
    expected: f64,
}

#[derive(Deserialize)]
struct MedianCase {
    values: Vec<f64>,
    expected: f64,
}

#[derive(Deserialize)]
struct RocCase {
    scores: Vec<f64>,
    labels: Vec<bool>,
    expected: f64,
}

fn fixtures() -> Fixtures {
    serde_json::from_str(FIXTURES).expect("fixtures.json parses")
}

/// Collects mismatches so one run reports every failing case.
#[derive(Default)]
struct Check {
    failures: Vec<String>,
    compared: usize,
}

impl Check {
    fn within(&mut self, what: String, got: f64, want: f64, abs: f64, rel: f64) {
        self.compared += 1;
        let err = (got - want).abs();
        let ok = got == want || err <= abs || err <= rel * want.abs();
        if !ok {
            self.failures
                .push(format!("{what}: got {got:e}, want {want:e} (|err| {err:e})"));
        }
    }

    /// Values: 1e-6 absolute or 1e-6 relative.
    fn value(&mut self, what: String, got: f64, want: f64) {
        self.within(what, got, want, 1e-6, 1e-6);
    }

    /// p-values: 1e-8 absolute or 1e-6 relative.
    fn p(&mut self, what: String, got: f64, want: f64) {
        self.within(what, got, want, 1e-8, 1e-6);
    }

    fn interval(&mut self, what: &str, got: Interval, want: &IntervalJson) {
        self.value(format!("{what} ci.low"), got.low, want.low);
        self.value(format!("{what} ci.high"), got.high, want.high);
    }

    fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    fn finish(self, name: &str, min_compared: usize) {
        assert!(
            self.failures.is_empty(),
            "{name}: {} mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(
            self.compared >= min_compared,
            "{name}: only {} comparisons (fixtures missing?)",
            self.compared
        );
    }
}

#[test]
fn summary_matches_numpy() {
    let mut check = Check::default();
    for (i, case) in fixtures().welch.iter().enumerate() {
        for (side, values, want) in [("a", &case.a, &case.summary_a), ("b", &case.b, &case.summary_b)] {
            let got = Summary::of(values);
            if got.n != want.n {
                check.fail(format!("welch[{i}].{side} n: got {}, want {}", got.n, want.n));
            }
            check.value(format!("welch[{i}].{side} mean"), got.mean, want.mean);
            check.value(format!("welch[{i}].{side} sd"), got.sd, want.sd);
        }
    }
    check.finish("Summary::of", 40);
}

#[test]
fn welch_matches_scipy_ttest_ind() {
    let mut check = Check::default();
    for (i, case) in fixtures().welch.iter().enumerate() {
        let got: Option<MeanDifference> = welch(&Summary::of(&case.a), &Summary::of(&case.b), case.confidence);
        let what = format!("welch[{i}]");
        match (got, &case.expected) {
            (None, None) => check.compared += 1,
            (Some(got), Some(want)) => {
                check.value(format!("{what} diff"), got.diff, want.diff);
                check.interval(&what, got.ci, &want.ci);
                check.value(format!("{what} t"), got.t, want.t);
                check.value(format!("{what} df"), got.df, want.df);
                check.p(format!("{what} p"), got.p_value, want.p_value);
            }
            (got, want) => check.fail(format!(
                "{what}: got {got:?}, want {}",
                if want.is_some() { "Some" } else { "None" }
            )),
        }
    }
    check.finish("welch", 60);
}

#[test]
fn wilson_matches_statsmodels() {
    let mut check = Check::default();
    for case in fixtures().wilson {
        let what = format!("wilson({}, {}, {})", case.successes, case.n, case.confidence);
        match wilson(case.successes, case.n, case.confidence) {
            Some(got) => check.interval(&what, got, &case.expected),
            None => check.fail(format!("{what}: None")),
        }
    }
    check.finish("wilson", 20);
}

#[test]
fn proportion_difference_matches_statsmodels() {
    let mut check = Check::default();
    for c in fixtures().proportion_difference {
        let what = format!(
            "proportion_difference({}/{} vs {}/{}, {})",
            c.s1, c.n1, c.s2, c.n2, c.confidence
        );
        match proportion_difference(c.s1, c.n1, c.s2, c.n2, c.confidence) {
            Some(got) => {
                check.value(format!("{what} diff"), got.diff, c.expected.diff);
                check.interval(&what, got.ci, &c.expected.ci);
                check.value(format!("{what} z"), got.z, c.expected.z);
                check.p(format!("{what} p"), got.p_value, c.expected.p_value);
            }
            None => check.fail(format!("{what}: None")),
        }
    }
    check.finish("proportion_difference", 50);
}

#[test]
fn poisson_upper_p_matches_scipy() {
    let mut check = Check::default();
    for c in fixtures().poisson_upper_p {
        let what = format!("poisson_upper_p({}, {})", c.observed, c.expected_count);
        match poisson_upper_p(c.observed, c.expected_count) {
            Some(got) => check.p(what, got, c.expected),
            None => check.fail(format!("{what}: None")),
        }
    }
    check.finish("poisson_upper_p", 10);
}

#[test]
fn binomial_two_sided_p_matches_scipy_binomtest() {
    let mut check = Check::default();
    for c in fixtures().binomial_two_sided_p {
        let what = format!("binomial_two_sided_p({}, {}, {})", c.k, c.n, c.p);
        match binomial_two_sided_p(c.k, c.n, c.p) {
            Some(got) => check.p(what, got, c.expected),
            None => check.fail(format!("{what}: None")),
        }
    }
    check.finish("binomial_two_sided_p", 10);
}

#[test]
fn benjamini_hochberg_matches_scipy() {
    let mut check = Check::default();
    for (i, c) in fixtures().benjamini_hochberg.iter().enumerate() {
        let got = benjamini_hochberg(&c.p_values);
        let checked = try_benjamini_hochberg(&c.p_values);
        if checked.as_ref() != Some(&got) {
            check.fail(format!("bh[{i}]: try_benjamini_hochberg differs"));
        }
        if got.len() != c.expected.len() {
            check.fail(format!("bh[{i}]: {} values, want {}", got.len(), c.expected.len()));
            continue;
        }
        for (j, (g, w)) in got.iter().zip(&c.expected).enumerate() {
            check.p(format!("bh[{i}][{j}]"), *g, *w);
        }
    }
    check.finish("benjamini_hochberg", 300);
}

#[test]
fn quantile_and_median_match_numpy() {
    let mut check = Check::default();
    let f = fixtures();
    for (i, c) in f.quantile.iter().enumerate() {
        let what = format!("quantile[{i}] (n {}, q {})", c.values.len(), c.q);
        match quantile(&c.values, c.q) {
            Some(got) => check.value(what, got, c.expected),
            None => check.fail(format!("{what}: None")),
        }
    }
    for (i, c) in f.median.iter().enumerate() {
        let what = format!("median[{i}] (n {})", c.values.len());
        match median(&c.values) {
            Some(got) => check.value(what, got, c.expected),
            None => check.fail(format!("{what}: None")),
        }
    }
    check.finish("quantile", 15);
}

#[test]
fn roc_auc_matches_sklearn() {
    let mut check = Check::default();
    for (i, c) in fixtures().roc_auc.iter().enumerate() {
        let what = format!("roc_auc[{i}] (n {})", c.scores.len());
        match roc_auc(&c.scores, &c.labels) {
            Some(got) => check.value(what, got, c.expected),
            None => check.fail(format!("{what}: None")),
        }
    }
    check.finish("roc_auc", 10);
}
