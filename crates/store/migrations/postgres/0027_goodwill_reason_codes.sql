-- Goodwill reasons as codes (postgres). Keep in step with
-- ../sqlite/0027_goodwill_reason_codes.sql (a test compares the schemas).

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
SET approval_details = json_build_object(
    'code', 'limit',
    'value_cents', replace(split_part(approval_reason, ' ', 1), '.', '')::bigint,
    'limit', json_build_object(
        'limit', 'per_grant',
        'max', replace(substring(approval_reason from ' per grant of ([0-9]+\.[0-9]{2})$'), '.', '')::bigint))::text
WHERE approval_reason ~ '^[0-9]+\.[0-9]{2} needs approval by a lead: above the limit per grant of [0-9]+\.[0-9]{2}$';

-- … and the grants of rules whose name (and condition) are still those
-- in the text.
UPDATE goodwill_grants g
SET reason_details = json_build_object(
    'code', 'incident_rule',
    'rule', r.name,
    'incident', substr(g.reason, length('Automatic goodwill «' || r.name || '» for incident «') + 1,
                       length(g.reason) - length('Automatic goodwill «' || r.name || '» for incident «') - 1))::text
FROM goodwill_rules r
WHERE r.id = g.rule_id
  AND substr(g.reason, 1, length('Automatic goodwill «' || r.name || '» for incident «'))
      = 'Automatic goodwill «' || r.name || '» for incident «'
  AND g.reason LIKE '%»';

UPDATE goodwill_grants g
SET reason_details = json_build_object('code', 'case_rule', 'rule', r.name, 'condition', r.condition)::text
FROM goodwill_rules r
WHERE r.id = g.rule_id AND g.reason_details IS NULL AND g.reason = r.name || ' (' || r.condition || ')';
