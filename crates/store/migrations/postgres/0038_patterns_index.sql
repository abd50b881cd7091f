-- The patterns report's feedback and the backlog's exits (PostgreSQL). Keep in step with
-- ../sqlite/0038_patterns_index.sql (a test compares the schemas).

-- The report reads every feedback item of its period and the one before
-- (when, on which channel, whether negative, on which case, about what):
-- every column it reads is in this index, so the period is one narrow
-- range of it instead of the items' wide rows with their text.
CREATE INDEX feedback_patterns ON feedback (created_at, channel, sentiment, case_id, component, customer_id, topics);

-- It leads with the time, as the index it replaces did.
DROP INDEX feedback_created;

-- Each item's case gives the agent and the incident (for its component):
-- looked up in this index alone, not in the cases' wide rows.
CREATE INDEX cases_refs ON cases (id, assignee_id, incident_id);

-- The dashboard's backlog exits: PostgreSQL answers from an expression
-- index alone only when it also holds the columns of the expression.
DROP INDEX cases_backlog_exits;
CREATE INDEX cases_backlog_exits ON cases ((COALESCE(resolved_at, closed_at, updated_at)), channel, tier, assignee_id)
    INCLUDE (resolved_at, closed_at, updated_at) WHERE open = FALSE;
