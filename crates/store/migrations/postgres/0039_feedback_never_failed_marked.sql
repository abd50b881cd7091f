-- New feedback is marked in the statements that insert it (PostgreSQL).
-- Keep in step with ../sqlite/0039_feedback_never_failed_marked.sql (a
-- test compares the schemas).

-- Migration 0037 marked each new feedback item whose customer never had a
-- case by a trigger per row, a probe of the customer's cases for every
-- inserted item. The statements that insert feedback now bind
-- `never_failed` themselves from the customers' `had_case`, read once per
-- chunk of items (`BulkWrites::never_failed_among`), as new cases mark
-- their customers in their own statements. Feedback moved to another
-- customer is still marked by the trigger, now on updates only.
DROP TRIGGER feedback_never_failed ON feedback;

CREATE TRIGGER feedback_never_failed_move BEFORE UPDATE OF customer_id ON feedback
    FOR EACH ROW WHEN (NEW.customer_id IS DISTINCT FROM OLD.customer_id) EXECUTE FUNCTION amends_feedback_never_failed();
