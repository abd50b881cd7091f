-- Self-service answers (SQLite). Keep in step with
-- ../postgres/0035_self_service.sql (a test compares the schemas).

-- What widget visitors did with suggested articles: one row per widget
-- session, article and event (suggested, clicked, sent_anyway,
-- resolved_without_sending); a repeated post changes nothing.
CREATE TABLE deflection_events (
    id BLOB PRIMARY KEY NOT NULL,
    site_id BLOB NOT NULL REFERENCES widget_sites (id) ON DELETE CASCADE,
    session TEXT NOT NULL,
    article_id BLOB NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    language TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE UNIQUE INDEX deflection_events_once ON deflection_events (session, article_id, event);
CREATE INDEX deflection_events_at ON deflection_events (at);

-- Automatic answers to inbound mail, per customer language.
CREATE TABLE auto_answer_settings (
    language TEXT PRIMARY KEY NOT NULL,
    enabled BOOLEAN NOT NULL,
    -- The least match score (0–1) of the best public article.
    threshold REAL NOT NULL,
    updated_by BLOB REFERENCES users (id),
    updated_at TEXT NOT NULL
);
