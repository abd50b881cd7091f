-- Analytics at scale (PostgreSQL). Keep in step with
-- ../sqlite/0033_analytics_indexes.sql (a test compares the schemas).

-- The dashboard reads the cases created in a period: every column it
-- counts or filters by is in the index, so the period is one narrow range
-- of it instead of the cases' wide rows (subject, description).
CREATE INDEX cases_analytics ON cases (
    created_at, first_responded_at, resolved_at, first_response_due_at, resolution_due_at,
    channel, tier, assignee_id, priority, open, customer_id
);

-- The trend's backlog counts when cases left it (resolved, else closed,
-- else their last change): a range of this expression, not a scan of every
-- closed case.
CREATE INDEX cases_backlog_exits ON cases ((COALESCE(resolved_at, closed_at, updated_at)), channel, tier, assignee_id)
    WHERE open = FALSE;

-- Goodwill granted in a period, counted from the index alone.
CREATE INDEX goodwill_grants_analytics ON goodwill_grants (granted_at, state, case_id, customer_id, value_cents);
