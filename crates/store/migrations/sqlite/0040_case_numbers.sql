-- The dashboard counts its cases from whole numbers (SQLite). Keep in
-- step with ../postgres/0040_case_numbers.sql (a test compares the schemas).

-- Counting a period's cases by creation slot and clock durations took
-- every case's text timestamps apart in SQL, which cost more than reading
-- the rows. These generated columns hold the numbers
-- (`Dialect::case_number`; the expressions are `Dialect::epoch_seconds`
-- and `Dialect::whole_seconds`, a unit test keeps them equal), computed
-- when a case is written and stored in `cases_analytics`, so that the
-- dashboard reads them from the index. PostgreSQL computes them from its
-- binary timestamps at no such cost, and has no such columns.
ALTER TABLE cases ADD COLUMN created_slot INTEGER
    GENERATED ALWAYS AS (CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) / 900) VIRTUAL;
ALTER TABLE cases ADD COLUMN first_response_s INTEGER
    GENERATED ALWAYS AS (((CAST(strftime('%s', substr(first_responded_at, 1, 19)) AS INTEGER) - CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER)) + CASE WHEN (CAST(strftime('%s', substr(first_responded_at, 1, 19)) AS INTEGER) - CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER)) > 0 AND (CASE WHEN substr(first_responded_at, 20, 1) = '.' THEN substr(substr(first_responded_at, 21, length(first_responded_at) - 26) || '000000000', 1, 9) ELSE '000000000' END) < (CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(substr(created_at, 21, length(created_at) - 26) || '000000000', 1, 9) ELSE '000000000' END) THEN -1 WHEN (CAST(strftime('%s', substr(first_responded_at, 1, 19)) AS INTEGER) - CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER)) < 0 AND (CASE WHEN substr(first_responded_at, 20, 1) = '.' THEN substr(substr(first_responded_at, 21, length(first_responded_at) - 26) || '000000000', 1, 9) ELSE '000000000' END) > (CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(substr(created_at, 21, length(created_at) - 26) || '000000000', 1, 9) ELSE '000000000' END) THEN 1 ELSE 0 END)) VIRTUAL;
ALTER TABLE cases ADD COLUMN resolution_s INTEGER
    GENERATED ALWAYS AS (((CAST(strftime('%s', substr(resolved_at, 1, 19)) AS INTEGER) - CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER)) + CASE WHEN (CAST(strftime('%s', substr(resolved_at, 1, 19)) AS INTEGER) - CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER)) > 0 AND (CASE WHEN substr(resolved_at, 20, 1) = '.' THEN substr(substr(resolved_at, 21, length(resolved_at) - 26) || '000000000', 1, 9) ELSE '000000000' END) < (CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(substr(created_at, 21, length(created_at) - 26) || '000000000', 1, 9) ELSE '000000000' END) THEN -1 WHEN (CAST(strftime('%s', substr(resolved_at, 1, 19)) AS INTEGER) - CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER)) < 0 AND (CASE WHEN substr(resolved_at, 20, 1) = '.' THEN substr(substr(resolved_at, 21, length(resolved_at) - 26) || '000000000', 1, 9) ELSE '000000000' END) > (CASE WHEN substr(created_at, 20, 1) = '.' THEN substr(substr(created_at, 21, length(created_at) - 26) || '000000000', 1, 9) ELSE '000000000' END) THEN 1 ELSE 0 END)) VIRTUAL;

DROP INDEX cases_analytics;
CREATE INDEX cases_analytics ON cases (
    created_at, first_responded_at, resolved_at, first_response_due_at, resolution_due_at,
    channel, tier, assignee_id, priority, open, customer_id,
    created_slot, first_response_s, resolution_s
);
