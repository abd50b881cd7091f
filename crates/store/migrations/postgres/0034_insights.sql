-- Insight routing (PostgreSQL): teams with rules, the insights routed to them,
-- and the reporters told about a fix. Keep in step with
-- ../sqlite/0034_insights.sql (a test compares the schemas).

-- A team that can fix causes (product, logistics, billing, …).
CREATE TABLE teams (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- off, daily or weekly; the digest mail goes to the members.
    digest TEXT NOT NULL,
    -- The language of messages to the team's channel (de, en).
    language TEXT NOT NULL,
    -- A Slack/Teams-compatible incoming webhook (checked against the
    -- outbound rules when saved).
    webhook_url TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (name);

CREATE TABLE team_members (
    team_id UUID NOT NULL REFERENCES teams (id),
    user_id UUID NOT NULL REFERENCES users (id),
    PRIMARY KEY (team_id, user_id)
);

-- The rules of a team in order: a kind (topic, component, signal,
-- incident_kind, incident) and its value, checked when saved.
CREATE TABLE team_rules (
    team_id UUID NOT NULL REFERENCES teams (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (team_id, position)
);

-- One cause in a team's inbox: the team and the grouping key (e.g.
-- `topic:delivery`) make it unique, so reports of one cause at once make
-- one insight.
CREATE TABLE insights (
    id UUID PRIMARY KEY NOT NULL,
    team_id UUID NOT NULL REFERENCES teams (id),
    cause_key TEXT NOT NULL,
    -- open, acknowledged or fixed.
    state TEXT NOT NULL,
    release TEXT,
    -- What was fixed, as the reporters are told (set with the fix).
    summary_de TEXT,
    summary_en TEXT,
    acknowledged_at TIMESTAMPTZ,
    fixed_at TIMESTAMPTZ,
    fixed_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX insights_cause ON insights (team_id, cause_key);
CREATE INDEX insights_state ON insights (state, id);

-- A report of an insight: a feedback item or a resolved case, each once.
-- The quote is read from the source (so an erasure takes it along).
CREATE TABLE insight_reports (
    insight_id UUID NOT NULL REFERENCES insights (id),
    source TEXT NOT NULL,
    source_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    case_id UUID,
    reported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (insight_id, source, source_id)
);
CREATE INDEX insight_reports_customer ON insight_reports (customer_id);

-- The reporters told about a fix: one row per customer and insight.
CREATE TABLE insight_notices (
    insight_id UUID NOT NULL REFERENCES insights (id),
    customer_id UUID NOT NULL,
    case_id UUID NOT NULL,
    job_id UUID NOT NULL,
    release TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (insight_id, customer_id)
);
