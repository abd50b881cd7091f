-- One customer per email address, PostgreSQL. Keep in step with
-- ../sqlite/0015_customer_email_unique.sql (a test compares the schemas).
--
-- Feedback sent at once from a new address could create the customer
-- several times. Addresses now compare without case (`lower(email)`), and
-- a unique index on that makes find-or-create an upsert. Customers that
-- share an address already are merged into the oldest of them (the
-- smallest id): cases, feedback, surveys, goodwill grants and incident rows
-- move to it (where it and a duplicate were both affected by one incident,
-- the older row stays; the other's case and grant move all the same). The
-- kept customer keeps its own fields, takes the external id of its oldest
-- duplicate when it has none, and keeps a consent only if every merged
-- row gave it. The duplicates are then deleted.

UPDATE customers SET email = NULL WHERE trim(email) = '';
UPDATE customers SET email = trim(email) WHERE email <> trim(email);

CREATE TEMPORARY TABLE customer_merge AS
SELECT c.id AS dup, g.keep AS keep, c.external_id AS ext
FROM customers c
JOIN (SELECT lower(email) AS address, (array_agg(id ORDER BY id))[1] AS keep FROM customers
      WHERE email IS NOT NULL GROUP BY lower(email) HAVING COUNT(*) > 1) g
  ON lower(c.email) = g.address
WHERE c.id <> g.keep;

UPDATE cases SET customer_id = (SELECT m.keep FROM customer_merge m WHERE m.dup = cases.customer_id)
WHERE customer_id IN (SELECT dup FROM customer_merge);
UPDATE feedback SET customer_id = (SELECT m.keep FROM customer_merge m WHERE m.dup = feedback.customer_id)
WHERE customer_id IN (SELECT dup FROM customer_merge);
UPDATE surveys SET customer_id = (SELECT m.keep FROM customer_merge m WHERE m.dup = surveys.customer_id)
WHERE customer_id IN (SELECT dup FROM customer_merge);
UPDATE goodwill_grants SET customer_id = (SELECT m.keep FROM customer_merge m WHERE m.dup = goodwill_grants.customer_id)
WHERE customer_id IN (SELECT dup FROM customer_merge);

-- One row per (incident, customer): of the rows that would share a key,
-- the one of the smaller customer id (the kept customer's, if any) stays.
DELETE FROM incident_affected
WHERE customer_id IN (SELECT dup FROM customer_merge)
  AND EXISTS (
    SELECT 1 FROM incident_affected b
    WHERE b.incident_id = incident_affected.incident_id
      AND b.customer_id < incident_affected.customer_id
      AND COALESCE((SELECT m.keep FROM customer_merge m WHERE m.dup = b.customer_id), b.customer_id)
        = (SELECT m.keep FROM customer_merge m WHERE m.dup = incident_affected.customer_id));
UPDATE incident_affected SET customer_id = (SELECT m.keep FROM customer_merge m WHERE m.dup = incident_affected.customer_id)
WHERE customer_id IN (SELECT dup FROM customer_merge);

UPDATE customers SET consent_contact = FALSE
WHERE id IN (SELECT m.keep FROM customer_merge m JOIN customers d ON d.id = m.dup WHERE d.consent_contact = FALSE);
UPDATE customers SET consent_survey = FALSE
WHERE id IN (SELECT m.keep FROM customer_merge m JOIN customers d ON d.id = m.dup WHERE d.consent_survey = FALSE);
UPDATE customers SET external_id = NULL WHERE id IN (SELECT dup FROM customer_merge);
UPDATE customers SET external_id = (SELECT m.ext FROM customer_merge m WHERE m.keep = customers.id
                                     AND m.ext IS NOT NULL ORDER BY m.dup LIMIT 1)
WHERE external_id IS NULL AND id IN (SELECT keep FROM customer_merge WHERE ext IS NOT NULL);

DELETE FROM customers WHERE id IN (SELECT dup FROM customer_merge);
DROP TABLE customer_merge;

DROP INDEX customers_email;
CREATE UNIQUE INDEX customers_email ON customers (lower(email));
