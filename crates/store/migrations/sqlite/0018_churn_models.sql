-- Churn models (sqlite). Keep in step with
-- ../postgres/0018_churn_models.sql (a test compares the schemas).

-- Each training of the churn model: a new version; the newest trained one
-- is active (one at a time).
CREATE TABLE churn_models (
    version BIGINT PRIMARY KEY NOT NULL,
    trained_at TEXT NOT NULL,
    -- JSON: feature names, scaling (mean, sd), coefficients, intercept, alpha.
    model TEXT NOT NULL,
    n_train BIGINT NOT NULL,
    n_test BIGINT NOT NULL,
    -- Held-out AUC; none when the held-out split lacks one of the classes.
    auc REAL,
    -- JSON array of the held-out calibration bins.
    calibration TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX churn_models_active ON churn_models (active, version);
