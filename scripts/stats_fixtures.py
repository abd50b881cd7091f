#!/usr/bin/env python3
"""Expected values for crates/stats (amends-stats), computed independently.

Writes crates/stats/tests/fixtures.json, which crates/stats/tests/fixtures.rs
compares the Rust implementation against. The reference implementations are
SciPy, statsmodels, NumPy and scikit-learn -- not a port of the Rust code.

Regenerate (from the repository root):

    python3 -m venv /tmp/scipy-venv
    /tmp/scipy-venv/bin/pip install scipy numpy statsmodels scikit-learn
    /tmp/scipy-venv/bin/python scripts/stats_fixtures.py

The random inputs come from a fixed seed, so re-running gives the same file
unless a reference library changes its answers (the versions used are written
into the file).
"""

import json
import pathlib

import numpy as np
import scipy
import scipy.stats as st
import sklearn
import statsmodels
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/stats/tests/fixtures.json"
rng = np.random.default_rng(20261206)


def floats(xs):
    return [float(x) for x in xs]


def summary(xs):
    xs = np.asarray(xs, dtype=float)
    n = len(xs)
    return {
        "n": n,
        "mean": float(xs.mean()) if n else 0.0,
        "sd": float(xs.std(ddof=1)) if n >= 2 else 0.0,
    }


# --- Summary and Welch -------------------------------------------------------
welch_inputs = [
    # (a, b, confidence)
    (rng.normal(4.1, 0.8, 12), rng.normal(3.6, 0.9, 15), 0.95),
    (rng.normal(10, 1, 5), rng.normal(12, 6, 40), 0.95),  # very unequal variances
    (rng.normal(0, 1, 2), rng.normal(0.5, 1, 3), 0.95),  # tiny samples, df ~ 1-3
    (rng.normal(3.9, 1.1, 800), rng.normal(3.85, 1.0, 1200), 0.95),  # large n
    (rng.normal(3.9, 1.1, 800), rng.normal(3.85, 1.0, 1200), 0.99),
    (rng.normal(50, 20, 30), rng.normal(40, 2, 30), 0.90),
    ([1.0, 2.0, 3.0, 4.0, 5.0], [5.0, 5.0, 5.0, 5.0], 0.95),  # b has zero variance
    ([4.0, 5.0, 5.0, 3.0, 4.0, 5.0, 2.0], [1.0, 2.0, 1.0, 3.0, 1.0], 0.8),  # ratings
    (rng.exponential(2.0, 60), rng.exponential(3.0, 25), 0.95),
    (rng.normal(0, 1e-3, 20), rng.normal(1e-3, 1e-3, 20), 0.95),  # small scale
    (rng.normal(1e6, 10, 10), rng.normal(1e6 + 5, 10, 10), 0.95),  # large offset
    ([2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0], 0.95),  # both variances 0 -> None
    ([1.0], [1.0, 2.0, 3.0], 0.95),  # n < 2 -> None
]
welch_cases = []
for a, b, conf in welch_inputs:
    a, b = floats(a), floats(b)
    sa, sb = summary(a), summary(b)
    expected = None
    if sa["n"] >= 2 and sb["n"] >= 2 and (sa["sd"] > 0 or sb["sd"] > 0):
        res = st.ttest_ind(a, b, equal_var=False)
        ci = res.confidence_interval(confidence_level=conf)
        expected = {
            "diff": float(np.mean(a) - np.mean(b)),
            "ci": {"low": float(ci.low), "high": float(ci.high)},
            "t": float(res.statistic),
            "df": float(res.df),
            "p_value": float(res.pvalue),
        }
    welch_cases.append(
        {"a": a, "b": b, "confidence": conf, "summary_a": sa, "summary_b": sb, "expected": expected}
    )

# --- Wilson -------------------------------------------------------------------
wilson_inputs = [
    (0, 1, 0.95), (1, 1, 0.95), (0, 20, 0.95), (20, 20, 0.95), (1, 20, 0.95),
    (7, 12, 0.95), (7, 12, 0.80), (7, 12, 0.99), (19, 20, 0.95),
    (480, 1000, 0.95), (3, 100000, 0.95), (99990, 100000, 0.999), (15, 31, 0.5),
]
wilson_cases = []
for x, n, conf in wilson_inputs:
    low, high = proportion_confint(x, n, alpha=1 - conf, method="wilson")
    wilson_cases.append(
        {"successes": x, "n": n, "confidence": conf, "expected": {"low": float(low), "high": float(high)}}
    )

# --- Difference of two proportions ------------------------------------------
pd_inputs = [
    (30, 50, 20, 60, 0.95), (0, 10, 3, 10, 0.95), (10, 10, 7, 10, 0.95),
    (0, 25, 25, 25, 0.95), (1, 40, 0, 45, 0.95), (45, 60, 44, 60, 0.95),
    (412, 1000, 380, 1000, 0.95), (412, 1000, 380, 1000, 0.99),
    (5, 7, 2, 9, 0.9), (3000, 10000, 2950, 9800, 0.95), (18, 31, 9, 33, 0.8),
    (1, 2, 1, 3, 0.95),
]
pd_cases = []
for s1, n1, s2, n2, conf in pd_inputs:
    low, high = confint_proportions_2indep(s1, n1, s2, n2, method="newcomb", compare="diff", alpha=1 - conf)
    z, p = proportions_ztest([s1, s2], [n1, n2])
    pd_cases.append(
        {
            "s1": s1, "n1": n1, "s2": s2, "n2": n2, "confidence": conf,
            "expected": {
                "diff": s1 / n1 - s2 / n2,
                "ci": {"low": float(low), "high": float(high)},
                "z": float(z),
                "p_value": float(p),
            },
        }
    )

# --- Poisson upper tail ---------------------------------------------------------
poisson_inputs = [
    (0, 3.0), (1, 0.05), (1, 2.0), (3, 2.5), (5, 2.5), (12, 4.0), (30, 4.0),
    (100, 80.0), (1100, 1000.0), (950, 1000.0), (2, 17.3), (8, 0.3), (60, 12.5),
]
poisson_cases = [
    {"observed": k, "expected_count": mu, "expected": float(st.poisson.sf(k - 1, mu))}
    for k, mu in poisson_inputs
]

# --- Two-sided binomial ------------------------------------------------------
binom_inputs = [
    (2, 10, 0.5), (8, 10, 0.5), (5, 10, 0.5), (0, 1, 0.5), (1, 1, 0.3),
    (0, 20, 0.1), (7, 20, 0.1), (1, 20, 0.1), (3, 40, 0.25), (18, 40, 0.25),
    (0, 500, 0.001), (3, 500, 0.001), (999, 1000, 0.995), (4900, 10000, 0.5),
    (682, 925, 0.75), (13, 31, 0.62),
    # Ties at the mode, (n-k)p = (k+1)(1-p): pmf(k) = pmf(k+1) only up to
    # rounding, which SciPy's relative tolerance of 1e-7 absorbs.
    (0, 3, 0.25), (1, 3, 0.25), (2, 9, 0.3), (3, 9, 0.3), (3, 19, 0.2), (4, 19, 0.2),
]
binom_cases = [
    {"k": k, "n": n, "p": p, "expected": float(st.binomtest(k, n, p).pvalue)}
    for k, n, p in binom_inputs
]

# --- Benjamini-Hochberg --------------------------------------------------------
bh_inputs = [
    [0.03],
    [0.01, 0.04, 0.03, 0.005],
    [0.5, 0.5, 0.5, 0.01],  # ties
    [0.0, 1.0, 0.2, 0.0],  # exact 0 and 1
    [0.9, 0.95, 0.99],  # all large: capped at 1
    floats(rng.uniform(0, 1, 50)),  # nulls only
    floats(np.concatenate([rng.uniform(0, 0.002, 10), rng.uniform(0, 1, 90)])),  # signal + noise
    floats(rng.beta(0.3, 4.0, 200)),
    [1e-10, 1e-8, 1e-6, 0.04, 0.049, 0.051, 0.2],
    [0.02] * 7,
]
bh_cases = [
    {"p_values": ps, "expected": floats(st.false_discovery_control(ps, method="bh"))} for ps in bh_inputs
]

# --- Quantiles -------------------------------------------------------------------
quantile_inputs = [
    ([5.0], 0.3),
    ([3.0, 1.0], 0.5),
    ([3.0, 1.0], 0.25),
    ([4.0, 1.0, 3.0, 2.0], 0.5),
    ([10.0, 0.0, 20.0, 30.0, 40.0], 0.9),
    ([1.0, 1.0, 1.0, 2.0, 2.0, 9.0], 0.75),  # ties
    ([-3.5, 2.25, 0.0, -1.0], 0.1),
    (floats(rng.normal(60, 25, 101)), 0.5),
    (floats(rng.normal(60, 25, 101)), 0.95),
    (floats(rng.exponential(3.0, 1000)), 0.99),
    (floats(rng.exponential(3.0, 1000)), 0.0),
    (floats(rng.exponential(3.0, 1000)), 1.0),
    ([0.1, 0.7, 0.3], 1.0 / 3.0),
]
quantile_cases = [
    {"values": v, "q": q, "expected": float(np.quantile(v, q))} for v, q in quantile_inputs
]
median_cases = [
    {"values": v, "expected": float(np.median(v))}
    for v in [[5.0], [3.0, 1.0], [4.0, 1.0, 3.0, 2.0], [7.0, -2.0, 7.0], floats(rng.normal(0, 1, 64))]
]

# --- ROC AUC -------------------------------------------------------------------------
roc_inputs = [
    ([0.1, 0.9], [False, True]),
    ([0.1, 0.9], [True, False]),
    ([0.5, 0.5, 0.5, 0.5], [True, False, True, False]),  # all tied
    ([0.8, 0.4, 0.4, 0.1], [True, True, False, False]),
    ([0.1, 0.4, 0.35, 0.8], [False, False, True, True]),
    ([1.0, 1.0, 0.0, 0.0, 1.0, 0.0], [True, False, False, True, True, False]),  # binary scores
    ([3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 0.5], [True, True, False, True, False, True, False]),
]
# Larger, with heavy ties (scores rounded to one decimal).
for n, shift in [(200, 0.5), (1000, 0.2), (57, 1.5)]:
    labels = rng.uniform(0, 1, n) < 0.3
    scores = np.round(rng.normal(0, 1, n) + shift * labels, 1)
    roc_inputs.append((floats(scores), [bool(x) for x in labels]))
roc_cases = [
    {"scores": s, "labels": l, "expected": float(roc_auc_score(l, s))} for s, l in roc_inputs
]

fixtures = {
    "generated_by": "scripts/stats_fixtures.py",
    "versions": {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
        "scikit-learn": sklearn.__version__,
    },
    "welch": welch_cases,
    "wilson": wilson_cases,
    "proportion_difference": pd_cases,
    "poisson_upper_p": poisson_cases,
    "binomial_two_sided_p": binom_cases,
    "benjamini_hochberg": bh_cases,
    "quantile": quantile_cases,
    "median": median_cases,
    "roc_auc": roc_cases,
}
# One case per line: readable diffs without a line per number.
lines = ["{"]
items = list(fixtures.items())
for i, (key, value) in enumerate(items):
    end = "," if i + 1 < len(items) else ""
    if isinstance(value, list):
        lines.append(f" {json.dumps(key)}: [")
        lines.extend(
            "  " + json.dumps(case, allow_nan=False) + ("," if j + 1 < len(value) else "")
            for j, case in enumerate(value)
        )
        lines.append(" ]" + end)
    else:
        lines.append(f" {json.dumps(key)}: {json.dumps(value, allow_nan=False)}{end}")
lines.append("}")
OUT.write_text("\n".join(lines) + "\n")
print(f"wrote {OUT}")
