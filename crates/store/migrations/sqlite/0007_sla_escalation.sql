-- SLA warnings and breaches: which due date was already warned about /
-- escalated (a moved due date warns again), and the index the sweep uses.
ALTER TABLE cases ADD COLUMN sla_warned_for TEXT;
ALTER TABLE cases ADD COLUMN sla_breached_for TEXT;
CREATE INDEX cases_open_first_due ON cases (open, first_response_due_at, id);
