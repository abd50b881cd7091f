-- Analytics facts (SQLite). Keep in step with
-- ../postgres/0025_analytics_facts.sql (a test compares the schemas).

-- Each survey answer carries the facts the analytics group it by, copied
-- from its case, its customer and the goodwill granted on the case. The
-- triggers below keep them current in the transaction of every change of
-- those rows, so a report reads one index instead of joining three tables
-- per answer.
ALTER TABLE surveys ADD COLUMN fact_channel TEXT;
ALTER TABLE surveys ADD COLUMN fact_tier TEXT;
ALTER TABLE surveys ADD COLUMN fact_assignee_id BLOB;
ALTER TABLE surveys ADD COLUMN fact_severity INTEGER;
ALTER TABLE surveys ADD COLUMN fact_repeat BOOLEAN;
ALTER TABLE surveys ADD COLUMN fact_controllable BOOLEAN;
-- Whole seconds from the case's creation to its first response.
ALTER TABLE surveys ADD COLUMN fact_response_seconds BIGINT;
-- Goodwill of more than nothing was granted on the case.
ALTER TABLE surveys ADD COLUMN fact_goodwill BOOLEAN NOT NULL DEFAULT FALSE;
-- From when retention is counted: the case's resolution, else the answer.
ALTER TABLE surveys ADD COLUMN fact_anchor_at TEXT;
-- Whole seconds from the anchor to the customer's churn (none: still a customer).
ALTER TABLE surveys ADD COLUMN fact_churn_after_seconds BIGINT;

CREATE INDEX surveys_analytics ON surveys (
    answered_at, score, solved, fact_channel, fact_tier, fact_assignee_id, fact_severity, fact_repeat,
    fact_controllable, fact_response_seconds, fact_goodwill, fact_anchor_at, fact_churn_after_seconds
) WHERE state = 'answered' AND score IS NOT NULL;

-- Kept current: a survey's facts are computed when it is written; a change
-- of its case, its customer or the case's goodwill touches the survey
-- (`answered_at = answered_at`), which computes them again.
CREATE TRIGGER surveys_facts_update AFTER UPDATE OF state, score, solved, answered_at, case_id, customer_id ON surveys
BEGIN
    UPDATE surveys SET
        fact_channel = c.channel, fact_tier = c.tier, fact_assignee_id = c.assignee_id, fact_severity = c.severity,
        fact_repeat = c.repeat_failure, fact_controllable = c.controllable,
        fact_response_seconds = CAST(ROUND((julianday(c.first_responded_at) - julianday(c.created_at)) * 86400000) / 1000 AS INTEGER),
        fact_goodwill = EXISTS (SELECT 1 FROM goodwill_grants g WHERE g.case_id = c.id AND g.state = 'granted' AND g.value_cents > 0),
        fact_anchor_at = COALESCE(c.resolved_at, surveys.answered_at),
        fact_churn_after_seconds = CAST(ROUND((julianday(k.churned_at) - julianday(COALESCE(c.resolved_at, surveys.answered_at))) * 86400000) / 1000 AS INTEGER)
    FROM cases c, customers k WHERE c.id = surveys.case_id AND k.id = surveys.customer_id AND surveys.id = NEW.id;
END;

CREATE TRIGGER surveys_facts_insert AFTER INSERT ON surveys
BEGIN
    UPDATE surveys SET answered_at = answered_at WHERE id = NEW.id;
END;

CREATE TRIGGER cases_survey_facts AFTER UPDATE OF channel, tier, assignee_id, severity, repeat_failure, controllable,
    created_at, first_responded_at, resolved_at ON cases
BEGIN
    UPDATE surveys SET answered_at = answered_at WHERE case_id = NEW.id;
END;

CREATE TRIGGER customers_survey_facts AFTER UPDATE OF churned_at ON customers
BEGIN
    UPDATE surveys SET answered_at = answered_at WHERE customer_id = NEW.id;
END;

CREATE TRIGGER goodwill_survey_facts_insert AFTER INSERT ON goodwill_grants
BEGIN
    UPDATE surveys SET answered_at = answered_at WHERE case_id = NEW.case_id;
END;

CREATE TRIGGER goodwill_survey_facts_update AFTER UPDATE OF state, value_cents, case_id ON goodwill_grants
BEGIN
    UPDATE surveys SET answered_at = answered_at WHERE case_id IN (NEW.case_id, OLD.case_id);
END;

CREATE TRIGGER goodwill_survey_facts_delete AFTER DELETE ON goodwill_grants
BEGIN
    UPDATE surveys SET answered_at = answered_at WHERE case_id = OLD.case_id;
END;

-- The surveys there are.
UPDATE surveys SET answered_at = answered_at;
