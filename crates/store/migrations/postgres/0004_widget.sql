-- Feedback widget (PostgreSQL): sites that embed /widget.js with a public key.
-- Keep in step with ../sqlite/0004_widget.sql (a test compares the schemas).

CREATE TABLE widget_sites (
    id UUID PRIMARY KEY NOT NULL,
    -- The public key a site puts in data-site-key (not a secret).
    site_key TEXT NOT NULL,
    name TEXT NOT NULL,
    -- JSON array of origins, e.g. ["https://shop.example"].
    allowed_origins TEXT NOT NULL,
    -- de | en: the language of the widget's texts.
    language TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    -- Micro-survey: a question per language; none = no survey.
    survey_question_de TEXT,
    survey_question_en TEXT,
    -- exit_intent | after_seconds
    survey_trigger TEXT,
    survey_after_seconds INTEGER,
    -- At most once per visitor per this many days.
    survey_period_days INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX widget_sites_key ON widget_sites (site_key);

-- Attachments of inbound mail (email in): listed on the case timeline.
CREATE TABLE mail_attachments (
    id UUID PRIMARY KEY NOT NULL,
    case_id UUID,
    feedback_id UUID,
    message_id TEXT,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX mail_attachments_case ON mail_attachments (case_id, id);
