-- Customers who never had a case (PostgreSQL). Keep in step with
-- ../sqlite/0037_never_failed.sql (a test compares the schemas).

-- The analytics compare failed customers with those who never had a case.
-- Each customer carries that mark, kept by the trigger below in the
-- transaction of every change of a case's customer, so the baseline reads
-- a small partial index instead of probing the cases of every customer.
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
