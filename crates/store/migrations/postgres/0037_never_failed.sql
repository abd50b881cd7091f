-- Customers who never had a case (PostgreSQL). Keep in step with
-- ../sqlite/0037_never_failed.sql (a test compares the schemas).

-- The analytics compare failed customers with those who never had a case.
-- Each customer carries that mark, and each feedback item a copy of its
-- customer's, kept by the triggers below in the transaction of every
-- change of a case's or a feedback item's customer: the baseline reads two
-- partial indexes instead of probing the cases of every customer.
ALTER TABLE customers ADD COLUMN had_case BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE customers SET had_case = TRUE WHERE id IN (SELECT customer_id FROM cases);

CREATE INDEX customers_never_failed ON customers (created_at, tier, churned_at) WHERE had_case = FALSE;

-- New cases mark their customers once per statement (a fan-out inserts
-- thousands of cases in one); a case moved to another customer or deleted
-- marks or clears its customers row by row.
CREATE FUNCTION amends_had_case_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE customers SET had_case = TRUE
        WHERE id IN (SELECT customer_id FROM new_cases) AND had_case = FALSE;
    RETURN NULL;
END $$;

CREATE FUNCTION amends_had_case_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        UPDATE customers SET had_case = TRUE WHERE id = NEW.customer_id AND had_case = FALSE;
    END IF;
    UPDATE customers SET had_case = EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = OLD.customer_id)
        WHERE id = OLD.customer_id;
    RETURN NULL;
END $$;

CREATE TRIGGER cases_had_case_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION amends_had_case_inserted();
CREATE TRIGGER cases_had_case_move AFTER UPDATE OF customer_id ON cases
    FOR EACH ROW WHEN (NEW.customer_id IS DISTINCT FROM OLD.customer_id) EXECUTE FUNCTION amends_had_case_changed();
CREATE TRIGGER cases_had_case_delete AFTER DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION amends_had_case_changed();

-- A feedback item from a customer who never had a case.
ALTER TABLE feedback ADD COLUMN never_failed BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE feedback SET never_failed = TRUE WHERE customer_id IN (SELECT id FROM customers WHERE had_case = FALSE);

CREATE INDEX feedback_never_failed_ratings ON feedback (created_at, rating, customer_id)
    WHERE never_failed = TRUE AND rating IS NOT NULL;

CREATE FUNCTION amends_customer_had_case_feedback() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feedback SET never_failed = NOT NEW.had_case WHERE customer_id = NEW.id AND never_failed = NEW.had_case;
    RETURN NULL;
END $$;

CREATE TRIGGER customers_had_case_feedback AFTER UPDATE OF had_case ON customers
    FOR EACH ROW WHEN (NEW.had_case IS DISTINCT FROM OLD.had_case) EXECUTE FUNCTION amends_customer_had_case_feedback();

CREATE FUNCTION amends_feedback_never_failed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.never_failed := COALESCE((SELECT NOT had_case FROM customers WHERE id = NEW.customer_id), FALSE);
    RETURN NEW;
END $$;

CREATE TRIGGER feedback_never_failed BEFORE INSERT OR UPDATE OF customer_id ON feedback
    FOR EACH ROW EXECUTE FUNCTION amends_feedback_never_failed();
