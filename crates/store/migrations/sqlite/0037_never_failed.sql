-- Customers who never had a case (SQLite). Keep in step with
-- ../postgres/0037_never_failed.sql (a test compares the schemas).

-- The analytics compare failed customers with those who never had a case.
-- Each customer carries that mark, and each feedback item a copy of its
-- customer's, kept by the triggers below in the transaction of every
-- change of a case's or a feedback item's customer: the baseline reads two
-- partial indexes instead of probing the cases of every customer.
ALTER TABLE customers ADD COLUMN had_case BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE customers SET had_case = TRUE WHERE id IN (SELECT customer_id FROM cases);

CREATE INDEX customers_never_failed ON customers (created_at, tier, churned_at) WHERE had_case = FALSE;

CREATE TRIGGER cases_had_case_insert AFTER INSERT ON cases
BEGIN
    UPDATE customers SET had_case = TRUE WHERE id = NEW.customer_id AND had_case = FALSE;
END;

CREATE TRIGGER cases_had_case_move AFTER UPDATE OF customer_id ON cases
BEGIN
    UPDATE customers SET had_case = TRUE WHERE id = NEW.customer_id AND had_case = FALSE;
    UPDATE customers SET had_case = EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = OLD.customer_id)
        WHERE id = OLD.customer_id;
END;

CREATE TRIGGER cases_had_case_delete AFTER DELETE ON cases
BEGIN
    UPDATE customers SET had_case = EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = OLD.customer_id)
        WHERE id = OLD.customer_id;
END;

-- A feedback item from a customer who never had a case.
ALTER TABLE feedback ADD COLUMN never_failed BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE feedback SET never_failed = TRUE WHERE customer_id IN (SELECT id FROM customers WHERE had_case = FALSE);

CREATE INDEX feedback_never_failed_ratings ON feedback (created_at, rating, customer_id)
    WHERE never_failed = TRUE AND rating IS NOT NULL;

CREATE TRIGGER customers_had_case_feedback AFTER UPDATE OF had_case ON customers
BEGIN
    UPDATE feedback SET never_failed = NOT NEW.had_case WHERE customer_id = NEW.id AND never_failed = NEW.had_case;
END;

CREATE TRIGGER feedback_never_failed_insert AFTER INSERT ON feedback
    WHEN (SELECT had_case FROM customers WHERE id = NEW.customer_id) = FALSE
BEGIN
    UPDATE feedback SET never_failed = TRUE WHERE id = NEW.id;
END;

CREATE TRIGGER feedback_never_failed_move AFTER UPDATE OF customer_id ON feedback
BEGIN
    UPDATE feedback SET never_failed = COALESCE((SELECT NOT had_case FROM customers WHERE id = NEW.customer_id), FALSE)
        WHERE id = NEW.id;
END;
