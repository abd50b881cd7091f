-- Follow-up (PostgreSQL): durable jobs, surveys, webhooks, secrets. Keep in step
-- with ../sqlite/0003_followup.sql (a test compares the schemas).

-- The durable job queue (outbox): written in the same transaction as the
-- change that caused it; claimed by workers with a lease.
CREATE TABLE jobs (
    id UUID PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- Unique when set: enqueueing the same thing twice is a no-op.
    dedupe_key TEXT,
    case_id UUID,
    -- queued | running | done | dead
    state TEXT NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    last_error TEXT,
    locked_by TEXT,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_case ON jobs (case_id, id);

-- CSAT surveys: one per resolved case (unless survey fatigue says no).
CREATE TABLE surveys (
    id UUID PRIMARY KEY NOT NULL,
    case_id UUID NOT NULL REFERENCES cases (id),
    customer_id UUID NOT NULL REFERENCES customers (id),
    language TEXT NOT NULL,
    -- scheduled | sent | answered | skipped
    state TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ NOT NULL,
    answered_at TIMESTAMPTZ,
    score INTEGER,
    comment TEXT,
    solved BOOLEAN,
    negative BOOLEAN
);
CREATE INDEX surveys_customer ON surveys (customer_id, created_at);
CREATE INDEX surveys_case ON surveys (case_id, id);

-- Set when a follow-up actually happened (survey answered or check-in
-- sent) after the last resolution; `followed_up` needs it.
ALTER TABLE cases ADD COLUMN follow_up_at TIMESTAMPTZ;
-- A negative survey answer asks a lead to look at the case.
ALTER TABLE cases ADD COLUMN lead_attention BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE webhooks (
    id UUID PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    -- Comma-separated event names, e.g. `case.created,survey.answered`.
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_deliveries (
    id UUID PRIMARY KEY NOT NULL,
    webhook_id UUID NOT NULL REFERENCES webhooks (id),
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- pending | delivered | failed
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

-- Server-wide secrets (e.g. the survey link key), made once and shared by
-- every instance.
CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
