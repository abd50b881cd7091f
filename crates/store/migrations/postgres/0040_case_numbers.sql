-- The dashboard counts its cases from whole numbers (PostgreSQL). Keep in
-- step with ../sqlite/0040_case_numbers.sql (a test compares the schemas).

-- SQLite keeps each case's creation slot and clock durations as generated
-- columns in `cases_analytics`, because taking its text timestamps apart
-- in SQL costs more than reading the rows. PostgreSQL computes the same
-- numbers from its binary timestamps in the query
-- (`Dialect::case_number`), so nothing changes here.
SELECT 1;
