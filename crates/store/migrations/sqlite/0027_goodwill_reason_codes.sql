-- Goodwill reasons as codes (sqlite). Keep in step with
-- ../postgres/0027_goodwill_reason_codes.sql (a test compares the schemas).

-- Why a grant waits for approval (`approval_details`) and why a rule
-- granted it (`reason_details`), as JSON: a code and its parameters, which
-- pages, mails and the API render in the reader's language. The English
-- texts in `approval_reason` and `reason` stay for older readers.
ALTER TABLE goodwill_grants ADD COLUMN approval_details TEXT;
ALTER TABLE goodwill_grants ADD COLUMN reason_details TEXT;

-- Older rows, where the English text says it all: a breach of the limit
-- per grant ("900.00 needs approval by a lead: above the limit per grant
-- of 50.00") …
UPDATE goodwill_grants
SET approval_details = json_object(
    'code', 'limit',
    'value_cents', CAST(REPLACE(substr(approval_reason, 1, instr(approval_reason, ' ') - 1), '.', '') AS INTEGER),
    'limit', json_object(
        'limit', 'per_grant',
        'max', CAST(REPLACE(substr(approval_reason, instr(approval_reason, ' per grant of ') + 14), '.', '') AS INTEGER)))
WHERE approval_reason LIKE '% needs approval by a lead: above the limit per grant of %'
  AND approval_reason NOT LIKE '%;%';

-- … and the grants of rules whose name (and condition) are still those
-- in the text.
UPDATE goodwill_grants
SET reason_details = (
    SELECT json_object(
        'code', 'incident_rule',
        'rule', r.name,
        'incident', substr(goodwill_grants.reason, length('Automatic goodwill «' || r.name || '» for incident «') + 1,
                           length(goodwill_grants.reason) - length('Automatic goodwill «' || r.name || '» for incident «') - 1))
    FROM goodwill_rules r
    WHERE r.id = goodwill_grants.rule_id
      AND substr(goodwill_grants.reason, 1, length('Automatic goodwill «' || r.name || '» for incident «'))
          = 'Automatic goodwill «' || r.name || '» for incident «'
      AND goodwill_grants.reason LIKE '%»')
WHERE rule_id IS NOT NULL;

UPDATE goodwill_grants
SET reason_details = (
    SELECT json_object('code', 'case_rule', 'rule', r.name, 'condition', r.condition)
    FROM goodwill_rules r
    WHERE r.id = goodwill_grants.rule_id AND goodwill_grants.reason = r.name || ' (' || r.condition || ')')
WHERE rule_id IS NOT NULL AND reason_details IS NULL;
