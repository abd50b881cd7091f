-- The case search (PostgreSQL). Keep in step with ../sqlite/0017_search.sql
-- (the search index differs by design: GIN expression indexes here, an
-- FTS5 table fed by triggers there).
--
-- A case is found by its short reference (the last 8 hex digits of the
-- id), its subject and description, and the text of its timeline events
-- (messages, notes), with the 'simple' configuration: words are folded to
-- lower case but not stemmed; searches match word prefixes. The
-- expressions must stay equal to those in `dialect::case_search`.

CREATE INDEX cases_fts_text ON cases USING GIN (
    to_tsvector('simple', right(replace(id::text, '-', ''), 8) || ' ' || subject || ' ' || description)
);
CREATE INDEX case_events_fts_body ON case_events USING GIN (to_tsvector('simple', body))
WHERE body IS NOT NULL AND body <> '';
