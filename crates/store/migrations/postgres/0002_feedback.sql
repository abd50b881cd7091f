-- Detection (issue 4), PostgreSQL. Keep in step with ../sqlite/0002_feedback.sql.

CREATE TABLE detection_rules (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- Rules are tried in ascending position; the first that matches fires.
    position INTEGER NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    -- JSON object of conditions (see amends_domain::detection::Conditions).
    conditions TEXT NOT NULL,
    action TEXT NOT NULL,
    priority TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX detection_rules_position ON detection_rules (position, id);

CREATE TABLE feedback (
    id UUID PRIMARY KEY NOT NULL,
    customer_id UUID NOT NULL REFERENCES customers (id),
    case_id UUID REFERENCES cases (id),
    channel TEXT NOT NULL,
    rating INTEGER,
    text TEXT NOT NULL,
    language TEXT NOT NULL,
    sentiment TEXT NOT NULL,
    sentiment_score DOUBLE PRECISION NOT NULL,
    -- JSON arrays of topic ids and signal names.
    topics TEXT NOT NULL,
    signals TEXT NOT NULL,
    -- The rule that fired (kept by name: rules may be deleted later) and why.
    rule_id UUID,
    rule_name TEXT,
    rule_reasons TEXT,
    -- JSON object with channel-specific facts (page URL, survey id, file name, …).
    source TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_customer ON feedback (customer_id, id);
CREATE INDEX feedback_channel ON feedback (channel, id);
CREATE INDEX feedback_sentiment ON feedback (sentiment, id);
CREATE INDEX feedback_rating ON feedback (rating, id);
CREATE INDEX feedback_language ON feedback (language, id);
CREATE INDEX feedback_case ON feedback (case_id);

-- One row per topic of a feedback item: the topic filter's index.
CREATE TABLE feedback_topics (
    topic TEXT NOT NULL,
    feedback_id UUID NOT NULL REFERENCES feedback (id),
    PRIMARY KEY (topic, feedback_id)
);

-- The default rules: any legal threat, negative sentiment with churn intent, rating ≤ 2.
INSERT INTO detection_rules (id, name, position, enabled, conditions, action, priority, created_at, updated_at) VALUES
 ('01900000-0000-7000-8000-000000000001', 'Legal threat', 10, TRUE, '{"signal":"legal_threat"}', 'open_case', 'urgent', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
 ('01900000-0000-7000-8000-000000000002', 'Negative with churn intent', 20, TRUE, '{"sentiment":"negative","signal":"churn_intent"}', 'open_case', 'high', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
 ('01900000-0000-7000-8000-000000000003', 'Low rating', 30, TRUE, '{"rating_max":2}', 'attach_or_open', 'normal', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');
