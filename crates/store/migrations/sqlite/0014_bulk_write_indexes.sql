-- Cheaper bulk writes (an incident fan-out writes 100,000 cases, grants and
-- affected rows at once), SQLite. Keep in step with
-- ../postgres/0014_bulk_write_indexes.sql (a test compares the schemas; it
-- knows that `cases_unassigned` exists on PostgreSQL only).

-- "Unassigned, open, newest first": SQLite reads it from cases_assignee
-- (`assignee_id IS NULL` is an equality there, so the index gives the order;
-- the plan test `inbox_queries_use_indexes` checks it). Only PostgreSQL
-- cannot take the order after `IS NULL` and needs the partial index.
DROP INDEX cases_unassigned;

-- Grants are looked up by state only for the approvals queue (pending);
-- granted and rejected ones (most of them) no longer enter an index.
DROP INDEX goodwill_grants_state;
CREATE INDEX goodwill_grants_pending ON goodwill_grants (id) WHERE state = 'pending';
