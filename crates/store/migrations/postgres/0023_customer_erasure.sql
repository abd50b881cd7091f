-- Customer erasure (postgres). Keep in step with
-- ../sqlite/0023_customer_erasure.sql (a test compares the schemas).

-- Set when a customer's personal data was erased (GDPR Art. 17): the row
-- stays under a pseudonym so the case counts, ratings and goodwill sums of
-- the analytics stay as they were; a second erase finds it set and does
-- nothing.
ALTER TABLE customers ADD COLUMN erased_at TIMESTAMPTZ;

