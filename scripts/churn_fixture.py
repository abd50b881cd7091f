#!/usr/bin/env python3
"""Expected values for the churn model's logistic fit (amends-stats
`fit_logistic`), computed independently with scikit-learn.

Writes crates/stats/tests/churn_fixture.json, which
crates/stats/tests/churn.rs compares the Rust fit (linfa-logistic) against.
Same model: features standardised with StandardScaler (population sd), then
LogisticRegression with L2 penalty C = 1/alpha, intercept not penalised.

Regenerate (from the repository root):

    python3 -m venv /tmp/venv-churn
    /tmp/venv-churn/bin/pip install scikit-learn statsmodels
    /tmp/venv-churn/bin/python scripts/churn_fixture.py
"""

import json
import pathlib

import numpy as np
import sklearn
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(20261206)
n = 60
failures = rng.integers(0, 6, n).astype(float)
premium = rng.integers(0, 2, n).astype(float)
wait = np.round(rng.gamma(2.0, 6.0, n), 1)
z = -1.5 + 0.7 * failures - 1.2 * premium + 0.03 * wait
y = rng.random(n) < 1 / (1 + np.exp(-z))
X = np.column_stack([failures, premium, wait])

cases = []
for alpha in [1.0, 0.1]:
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    m = LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=10000).fit(Z, y)
    cases.append(
        {
            "alpha": alpha,
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "coefficients": m.coef_[0].tolist(),
            "intercept": float(m.intercept_[0]),
            "probabilities": m.predict_proba(Z)[:, 1].tolist(),
        }
    )

# Cross-check of the unpenalised direction with statsmodels (not compared:
# the Rust fit is penalised), to show the data carry the planted signs.
glm = sm.Logit(y.astype(float), sm.add_constant(X)).fit(disp=0)

out = {
    "versions": {"numpy": np.__version__, "sklearn": sklearn.__version__},
    "rows": X.tolist(),
    "labels": y.tolist(),
    "unpenalised_statsmodels": glm.params.tolist(),
    "fits": cases,
}
path = pathlib.Path(__file__).resolve().parent.parent / "crates/stats/tests/churn_fixture.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}")
