-- Automatic goodwill rules that apply to cases being opened, not only to
-- incident fan-outs (see amends_domain::incident::RuleScope). Keep in step
-- with the other backend's 0013 (a test compares the schemas).

-- incident | case
ALTER TABLE goodwill_rules ADD COLUMN applies_to TEXT NOT NULL DEFAULT 'incident';
-- Who saved the rule last: the requester of the grants it makes on cases.
ALTER TABLE goodwill_rules ADD COLUMN updated_by UUID REFERENCES users (id);
-- Which rule made a grant on a case (once per rule and case).
CREATE INDEX goodwill_grants_rule_case ON goodwill_grants (rule_id, case_id);
