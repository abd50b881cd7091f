-- Retention (sqlite). Keep in step with ../postgres/0028_retention.sql
-- (a test compares the schemas).

-- The admin's retention setting: closed cases are anonymised this many
-- months after they were closed; NULL = off (the default).
CREATE TABLE privacy_settings (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    retention_months INTEGER CHECK (retention_months IS NULL OR retention_months BETWEEN 1 AND 240),
    updated_at TEXT NOT NULL
);

INSERT INTO privacy_settings (id, retention_months, updated_at) VALUES (1, NULL, '2026-01-01T00:00:00+00:00');

-- Set when the retention sweep anonymised the case's texts; the sweep
-- takes only cases where it is NULL, so it changes each case once.
ALTER TABLE cases ADD COLUMN anonymised_at TEXT;

CREATE INDEX cases_retention ON cases (closed_at) WHERE state = 'closed' AND anonymised_at IS NULL;
