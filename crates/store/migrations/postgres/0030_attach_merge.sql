-- Attaching feedback to related cases; split and merge (postgres). Keep in
-- step with ../sqlite/0030_attach_merge.sql (a test compares the schemas).

-- The admin's window: feedback joins an open case by a shared topic only
-- within this many days after the case's last customer message
-- (0 = never by topic; a case reference always attaches).
CREATE TABLE detection_settings (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    attach_window_days INTEGER NOT NULL CHECK (attach_window_days BETWEEN 0 AND 365),
    updated_at TIMESTAMPTZ NOT NULL
);

INSERT INTO detection_settings (id, attach_window_days, updated_at) VALUES (1, 14, '2026-01-01T00:00:00Z');

-- Set when the case was merged into another one (and closed).
ALTER TABLE cases ADD COLUMN merged_into UUID REFERENCES cases (id);
