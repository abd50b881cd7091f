-- Customers who never had a case, and their feedback (SQLite). Keep in
-- step with ../postgres/0037_never_failed.sql (a test compares the schemas).

-- The analytics compare failed customers with those who never had a case.
-- Each customer carries whether it has had one (`had_case`) and each
-- feedback item whether its customer has had none (`never_failed`), kept
-- in the transaction of every change of a case's or a feedback item's
-- customer, so the baseline's customers and ratings are each one range of
-- a partial index instead of a probe of every customer's cases.
--
-- New cases mark their customers and unmark their feedback in the
-- statements that insert them (`BulkWrites::cases_inserted_for`: two
-- statements per chunk of cases, writing only on a customer's first case;
-- a trigger per row cost a fan-out a third of its time). The triggers
-- below handle new feedback, cases moved to another customer (merges) and
-- deleted cases.
ALTER TABLE customers ADD COLUMN had_case BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE customers SET had_case = TRUE WHERE id IN (SELECT customer_id FROM cases);

CREATE INDEX customers_never_failed ON customers (created_at, tier, churned_at) WHERE had_case = FALSE;

ALTER TABLE feedback ADD COLUMN never_failed BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE feedback SET never_failed = TRUE
    WHERE NOT EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = feedback.customer_id);

CREATE INDEX feedback_never_failed_ratings ON feedback (created_at, rating, customer_id)
    WHERE never_failed = TRUE AND rating IS NOT NULL;
CREATE INDEX feedback_never_failed_customer ON feedback (customer_id) WHERE never_failed = TRUE;

CREATE TRIGGER cases_never_failed_move AFTER UPDATE OF customer_id ON cases
BEGIN
    UPDATE customers SET had_case = TRUE WHERE id = NEW.customer_id AND had_case = FALSE;
    UPDATE customers SET had_case = EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = OLD.customer_id)
        WHERE id = OLD.customer_id;
    UPDATE feedback SET never_failed = FALSE WHERE customer_id = NEW.customer_id AND never_failed = TRUE;
    UPDATE feedback SET never_failed = TRUE WHERE customer_id = OLD.customer_id
        AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = OLD.customer_id);
END;

CREATE TRIGGER cases_never_failed_delete AFTER DELETE ON cases
BEGIN
    UPDATE customers SET had_case = EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = OLD.customer_id)
        WHERE id = OLD.customer_id;
    UPDATE feedback SET never_failed = TRUE WHERE customer_id = OLD.customer_id
        AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = OLD.customer_id);
END;

CREATE TRIGGER feedback_never_failed_insert AFTER INSERT ON feedback
    WHEN NOT EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = NEW.customer_id)
BEGIN
    UPDATE feedback SET never_failed = TRUE WHERE id = NEW.id;
END;

CREATE TRIGGER feedback_never_failed_move AFTER UPDATE OF customer_id ON feedback
BEGIN
    UPDATE feedback SET never_failed = NOT EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = NEW.customer_id)
        WHERE id = NEW.id;
END;
