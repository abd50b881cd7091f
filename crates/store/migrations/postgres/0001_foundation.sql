-- Foundation schema (PostgreSQL). Keep in step with ../sqlite/0001_foundation.sql:
-- same tables, same columns, same indexes (a test compares them).
-- Ids are UUIDv7 (uuid here, 16-byte BLOB in SQLite); times are TIMESTAMPTZ here, RFC 3339 text in SQLite.

CREATE TABLE accounts (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX accounts_name ON accounts (name);

CREATE TABLE customers (
    id UUID PRIMARY KEY NOT NULL,
    external_id TEXT,
    account_id UUID REFERENCES accounts (id),
    name TEXT NOT NULL,
    email TEXT,
    language TEXT NOT NULL,
    tier TEXT NOT NULL,
    clv_cents BIGINT NOT NULL DEFAULT 0,
    consent_contact BOOLEAN NOT NULL DEFAULT TRUE,
    consent_survey BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    churned_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX customers_external_id ON customers (external_id);
CREATE INDEX customers_email ON customers (email);
CREATE INDEX customers_account ON customers (account_id, id);

CREATE TABLE users (
    id UUID PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    language TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id UUID NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE cases (
    id UUID PRIMARY KEY NOT NULL,
    customer_id UUID NOT NULL REFERENCES customers (id),
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    channel TEXT NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL,
    -- TRUE unless resolved, followed_up or closed: the inbox's most used filter.
    open BOOLEAN NOT NULL DEFAULT TRUE,
    priority TEXT NOT NULL,
    tier TEXT NOT NULL,
    assignee_id UUID REFERENCES users (id),
    first_response_due_at TIMESTAMPTZ NOT NULL,
    resolution_due_at TIMESTAMPTZ NOT NULL,
    first_responded_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    -- Set while waiting on the customer: the SLA clocks stand still.
    sla_paused_at TIMESTAMPTZ,
    severity INTEGER,
    repeat_failure BOOLEAN,
    controllable BOOLEAN,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX cases_state ON cases (state, id);
CREATE INDEX cases_assignee ON cases (assignee_id, open, id);
-- "Unassigned" views: PostgreSQL cannot take the order from an index after `IS NULL`.
CREATE INDEX cases_unassigned ON cases (open, id) WHERE assignee_id IS NULL;
CREATE INDEX cases_customer ON cases (customer_id, id);
CREATE INDEX cases_open ON cases (open, id);
CREATE INDEX cases_open_due ON cases (open, resolution_due_at, id);
CREATE INDEX cases_tier ON cases (tier, open, id);

CREATE TABLE case_events (
    id UUID PRIMARY KEY NOT NULL,
    case_id UUID NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    author_id UUID REFERENCES users (id),
    body TEXT,
    data TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE audit_log (
    id UUID PRIMARY KEY NOT NULL,
    actor_id UUID REFERENCES users (id),
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);
