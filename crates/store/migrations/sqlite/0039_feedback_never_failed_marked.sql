-- New feedback is marked in the statements that insert it (SQLite). Keep
-- in step with ../postgres/0039_feedback_never_failed_marked.sql (a test
-- compares the schemas).

-- Migration 0037 marked each new feedback item whose customer never had a
-- case by a trigger per row, a probe of the customer's cases for every
-- inserted item. The statements that insert feedback now bind
-- `never_failed` themselves from the customers' `had_case`, read once per
-- chunk of items (`BulkWrites::never_failed_among`), as new cases mark
-- their customers in their own statements. Feedback moved to another
-- customer is still marked by `feedback_never_failed_move`.
DROP TRIGGER feedback_never_failed_insert;
