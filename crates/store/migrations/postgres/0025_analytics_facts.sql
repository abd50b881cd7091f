-- Analytics facts (PostgreSQL). Keep in step with
-- ../sqlite/0025_analytics_facts.sql (a test compares the schemas).

-- Each survey answer carries the facts the analytics group it by, copied
-- from its case, its customer and the goodwill granted on the case. The
-- trigger below keeps them current in the transaction of every change of
-- those rows, so a report reads one index instead of joining three tables
-- per answer.
ALTER TABLE surveys
    ADD COLUMN fact_channel TEXT,
    ADD COLUMN fact_tier TEXT,
    ADD COLUMN fact_assignee_id UUID,
    ADD COLUMN fact_severity INTEGER,
    ADD COLUMN fact_repeat BOOLEAN,
    ADD COLUMN fact_controllable BOOLEAN,
    -- Whole seconds from the case's creation to its first response.
    ADD COLUMN fact_response_seconds BIGINT,
    -- Goodwill of more than nothing was granted on the case.
    ADD COLUMN fact_goodwill BOOLEAN NOT NULL DEFAULT FALSE,
    -- From when retention is counted: the case's resolution, else the answer.
    ADD COLUMN fact_anchor_at TIMESTAMPTZ,
    -- Whole seconds from the anchor to the customer's churn (none: still a customer).
    ADD COLUMN fact_churn_after_seconds BIGINT;

CREATE INDEX surveys_analytics ON surveys (
    answered_at, score, solved, fact_channel, fact_tier, fact_assignee_id, fact_severity, fact_repeat,
    fact_controllable, fact_response_seconds, fact_goodwill, fact_anchor_at, fact_churn_after_seconds
) WHERE state = 'answered' AND score IS NOT NULL;

-- Recomputes the survey facts of the surveys whose `key_column` is `key`.
CREATE FUNCTION amends_survey_facts(key_column TEXT, key UUID) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'UPDATE surveys s SET
            fact_channel = c.channel, fact_tier = c.tier, fact_assignee_id = c.assignee_id,
            fact_severity = c.severity, fact_repeat = c.repeat_failure, fact_controllable = c.controllable,
            fact_response_seconds = CAST(TRUNC(EXTRACT(EPOCH FROM (c.first_responded_at - c.created_at))) AS BIGINT),
            fact_goodwill = EXISTS (SELECT 1 FROM goodwill_grants g
                                    WHERE g.case_id = c.id AND g.state = ''granted'' AND g.value_cents > 0),
            fact_anchor_at = COALESCE(c.resolved_at, s.answered_at),
            fact_churn_after_seconds = CAST(TRUNC(EXTRACT(EPOCH FROM
                (k.churned_at - COALESCE(c.resolved_at, s.answered_at)))) AS BIGINT)
         FROM cases c, customers k
         WHERE c.id = s.case_id AND k.id = s.customer_id AND s.%I = $1', key_column)
    USING key;
END $$;

-- Kept current: by the survey itself, its case, its customer, the case's goodwill.
CREATE FUNCTION amends_survey_facts_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'surveys' THEN
        PERFORM amends_survey_facts('id', NEW.id);
    ELSIF TG_TABLE_NAME = 'cases' THEN
        PERFORM amends_survey_facts('case_id', NEW.id);
    ELSIF TG_TABLE_NAME = 'customers' THEN
        PERFORM amends_survey_facts('customer_id', NEW.id);
    ELSE
        IF TG_OP <> 'INSERT' THEN
            PERFORM amends_survey_facts('case_id', OLD.case_id);
        END IF;
        IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.case_id IS DISTINCT FROM OLD.case_id) THEN
            PERFORM amends_survey_facts('case_id', NEW.case_id);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER surveys_facts AFTER INSERT OR UPDATE OF state, score, solved, answered_at, case_id, customer_id
    ON surveys FOR EACH ROW EXECUTE FUNCTION amends_survey_facts_trigger();
CREATE TRIGGER cases_survey_facts AFTER UPDATE OF channel, tier, assignee_id, severity, repeat_failure, controllable,
    created_at, first_responded_at, resolved_at ON cases FOR EACH ROW EXECUTE FUNCTION amends_survey_facts_trigger();
CREATE TRIGGER customers_survey_facts AFTER UPDATE OF churned_at
    ON customers FOR EACH ROW EXECUTE FUNCTION amends_survey_facts_trigger();
CREATE TRIGGER goodwill_survey_facts AFTER INSERT OR DELETE OR UPDATE OF state, value_cents, case_id
    ON goodwill_grants FOR EACH ROW EXECUTE FUNCTION amends_survey_facts_trigger();

UPDATE surveys s SET
    fact_channel = c.channel, fact_tier = c.tier, fact_assignee_id = c.assignee_id,
    fact_severity = c.severity, fact_repeat = c.repeat_failure, fact_controllable = c.controllable,
    fact_response_seconds = CAST(TRUNC(EXTRACT(EPOCH FROM (c.first_responded_at - c.created_at))) AS BIGINT),
    fact_goodwill = EXISTS (SELECT 1 FROM goodwill_grants g WHERE g.case_id = c.id AND g.state = 'granted' AND g.value_cents > 0),
    fact_anchor_at = COALESCE(c.resolved_at, s.answered_at),
    fact_churn_after_seconds = CAST(TRUNC(EXTRACT(EPOCH FROM (k.churned_at - COALESCE(c.resolved_at, s.answered_at)))) AS BIGINT)
FROM cases c, customers k WHERE c.id = s.case_id AND k.id = s.customer_id;
