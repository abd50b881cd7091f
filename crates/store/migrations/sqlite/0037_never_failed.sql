-- Customers who never had a case (SQLite). Keep in step with
-- ../postgres/0037_never_failed.sql (a test compares the schemas).

-- The analytics compare failed customers with those who never had a case.
-- Each customer carries that mark, kept by the triggers below in the
-- transaction of every change of a case's customer, so the baseline reads
-- a small partial index instead of probing the cases of every customer.
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
