-- Mail quarantine (postgres). Keep in step with
-- ../sqlite/0024_mail_quarantine.sql (a test compares the schemas).

-- Inbound mail that could not be taken (not RFC 822, no sender, too
-- large), kept whole for an admin to release or delete. One row per
-- distinct message: `sha256` makes a retried delivery or a re-polled
-- IMAP message land once.
CREATE TABLE mail_quarantine (
    id UUID PRIMARY KEY NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    -- pipe | imap
    source TEXT NOT NULL,
    -- Why it could not be taken: no_sender | not_mail | too_large |
    -- unreadable, and the ingest error in English.
    reason_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    sender TEXT,
    subject TEXT,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    raw BYTEA NOT NULL,
    -- Set when an admin released (took) or deleted it.
    closed_at TIMESTAMPTZ,
    closed_by UUID REFERENCES users (id),
    -- released: <outcome> | deleted
    outcome TEXT
);
CREATE INDEX mail_quarantine_open ON mail_quarantine (closed_at, id);
CREATE UNIQUE INDEX mail_quarantine_sha256 ON mail_quarantine (sha256);
