-- Merged customers (PostgreSQL). Keep in step with
-- ../sqlite/0029_customer_merges.sql (a test compares the schemas).

-- When a duplicate customer is merged into another (the survivor), all its
-- rows move to the survivor and the duplicate's row is deleted; this table
-- remembers where it went, so that an old link or API call naming the
-- duplicate's id can name the survivor. A survivor merged on later takes
-- its duplicates along (always one step to the customer that exists).
CREATE TABLE customer_merges (
    duplicate_id UUID PRIMARY KEY NOT NULL,
    survivor_id UUID NOT NULL REFERENCES customers (id),
    merged_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX customer_merges_survivor ON customer_merges (survivor_id);

-- Possible duplicates: customers of the same name (without case).
CREATE INDEX customers_name_key ON customers (lower(name), id);
