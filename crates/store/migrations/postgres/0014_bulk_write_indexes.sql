-- Cheaper bulk writes (an incident fan-out writes 100,000 cases, grants and
-- affected rows at once), PostgreSQL. Keep in step with
-- ../sqlite/0014_bulk_write_indexes.sql. SQLite drops `cases_unassigned`
-- (it takes that order from cases_assignee); PostgreSQL keeps it.

-- Grants are looked up by state only for the approvals queue (pending);
-- granted and rejected ones (most of them) no longer enter an index.
DROP INDEX goodwill_grants_state;
CREATE INDEX goodwill_grants_pending ON goodwill_grants (id) WHERE state = 'pending';
