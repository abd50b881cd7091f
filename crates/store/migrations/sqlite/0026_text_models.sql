-- Text models (sqlite). Keep in step with
-- ../postgres/0026_text_models.sql (a test compares the schemas).

-- Each training of a company sentiment model (from corrections, labelled
-- CSV rows and the weak labels of rated feedback) is a new version. At most
-- one is active; with none active the analyser uses the shipped model.
CREATE TABLE text_models (
    version BIGINT PRIMARY KEY NOT NULL,
    -- The model file (amends_text::TrainedModel::to_bytes).
    model BLOB NOT NULL,
    trained_at TEXT NOT NULL,
    -- None when trained by `amends text train --save`.
    trained_by BLOB REFERENCES users (id),
    -- Rows trained on, and of them corrections, CSV rows and weak labels.
    n_train BIGINT NOT NULL,
    n_corrections BIGINT NOT NULL,
    n_csv BIGINT NOT NULL,
    n_weak BIGINT NOT NULL,
    -- Held-out corrections the two models were tested on.
    n_held_out BIGINT NOT NULL,
    -- Accuracy on the held-out corrections; none without any.
    shipped_accuracy REAL,
    new_accuracy REAL,
    -- JSON array: per class, held-out count and recall of both models.
    per_class TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX text_models_active ON text_models (active, version);
