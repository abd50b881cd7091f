-- Incidents (PostgreSQL): operational failures affecting many customers, the
-- affected customers with their facts, and automatic goodwill rules. Keep in
-- step with ../sqlite/0008_incidents.sql (a test compares the schemas).

CREATE TABLE incidents (
    id UUID PRIMARY KEY NOT NULL,
    -- outage | delay | delivery | billing_error | defective_release | other
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    -- 1 (minor) to 4 (critical)
    severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    controllable BOOLEAN NOT NULL,
    -- open | mitigated | resolved
    status TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    component TEXT,
    release TEXT,
    summary_de TEXT NOT NULL,
    summary_en TEXT NOT NULL,
    -- manual | api | alertmanager
    source TEXT NOT NULL,
    -- Alertmanager's groupKey: repeated alerts of one group update one incident.
    alert_key TEXT,
    created_by UUID NOT NULL REFERENCES users (id),
    -- Totals, kept in the transactions that change them.
    affected_count BIGINT NOT NULL DEFAULT 0,
    processed_count BIGINT NOT NULL DEFAULT 0,
    cases_created BIGINT NOT NULL DEFAULT 0,
    cases_updated BIGINT NOT NULL DEFAULT 0,
    messages_queued BIGINT NOT NULL DEFAULT 0,
    goodwill_granted BIGINT NOT NULL DEFAULT 0,
    goodwill_cents BIGINT NOT NULL DEFAULT 0,
    -- Closing updates queued when the incident was resolved.
    closing_messages BIGINT NOT NULL DEFAULT 0,
    closing_queued_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX incidents_alert_key ON incidents (alert_key);
CREATE INDEX incidents_status ON incidents (status, id);

-- One row per (incident, customer): a retried upload adds nothing twice.
-- `pending` rows are received but not fanned out yet (the fan-out job
-- resumes them after a crash).
CREATE TABLE incident_affected (
    incident_id UUID NOT NULL REFERENCES incidents (id),
    customer_id UUID NOT NULL REFERENCES customers (id),
    -- JSON object of facts (delay_minutes, order_id, amount, …).
    facts TEXT NOT NULL,
    -- pending | done
    state TEXT NOT NULL,
    -- The customer's language when the message was queued.
    language TEXT,
    case_id UUID REFERENCES cases (id),
    case_created BOOLEAN,
    message_job_id UUID,
    grant_id UUID,
    created_at TIMESTAMPTZ NOT NULL,
    processed_at TIMESTAMPTZ,
    PRIMARY KEY (incident_id, customer_id)
);
CREATE INDEX incident_affected_pending ON incident_affected (incident_id) WHERE state = 'pending';
CREATE INDEX incident_affected_customer ON incident_affected (customer_id);

-- Automatic goodwill: the first active rule (by position) whose condition
-- matches an affected customer grants its catalog item.
CREATE TABLE goodwill_rules (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- e.g. `kind = delay and delay_minutes > 180 and tier = premium`
    condition TEXT NOT NULL,
    catalog_item_id UUID NOT NULL REFERENCES goodwill_catalog (id),
    position BIGINT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE goodwill_grants ADD COLUMN rule_id UUID;
ALTER TABLE cases ADD COLUMN incident_id UUID;
CREATE INDEX cases_incident ON cases (incident_id, id) WHERE incident_id IS NOT NULL;
