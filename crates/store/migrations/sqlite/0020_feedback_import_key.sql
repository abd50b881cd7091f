-- Import keys of feedback (sqlite). Keep in step with
-- ../postgres/0020_feedback_import_key.sql (a test compares the schemas).

-- The key of an imported item: 16 bytes of SHA-256 over the CSV row (its
-- column names and values) or over the explicit external_id the row or
-- the API item gives. Unique, so that running an import again, or two
-- imports of one file at once, stores each row once. NULL for feedback that
-- came in another way (widget, mail, a single API call).
ALTER TABLE feedback ADD COLUMN import_key BLOB;
CREATE UNIQUE INDEX feedback_import_key ON feedback (import_key);
