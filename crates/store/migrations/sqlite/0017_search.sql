-- The case search (SQLite). Keep in step with ../postgres/0017_search.sql
-- (the search index differs by design: an FTS5 table fed by triggers
-- here, GIN expression indexes there).
--
-- `cases_fts` holds, per case, one row with its short reference (the last
-- 8 hex digits of the id), subject and description, and one row per
-- timeline event with a text (messages, notes). Triggers write it beside
-- every insert, so the index is never stale and no writer has to know it.
-- A changed subject or description adds a row; the earlier wording keeps
-- finding the case. Words are folded (case, diacritics) but not stemmed:
-- searches match word prefixes.

CREATE VIRTUAL TABLE cases_fts USING fts5 (
    case_id UNINDEXED,
    text,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO cases_fts (case_id, text)
SELECT id, lower(substr(hex(id), 25, 8)) || ' ' || subject || ' ' || description FROM cases;
INSERT INTO cases_fts (case_id, text)
SELECT case_id, body FROM case_events WHERE body IS NOT NULL AND body <> '';

CREATE TRIGGER cases_fts_case AFTER INSERT ON cases BEGIN
    INSERT INTO cases_fts (case_id, text)
    VALUES (new.id, lower(substr(hex(new.id), 25, 8)) || ' ' || new.subject || ' ' || new.description);
END;

CREATE TRIGGER cases_fts_case_text AFTER UPDATE OF subject, description ON cases
WHEN old.subject <> new.subject OR old.description <> new.description BEGIN
    INSERT INTO cases_fts (case_id, text) VALUES (new.id, new.subject || ' ' || new.description);
END;

CREATE TRIGGER cases_fts_event AFTER INSERT ON case_events
WHEN new.body IS NOT NULL AND new.body <> '' BEGIN
    INSERT INTO cases_fts (case_id, text) VALUES (new.case_id, new.body);
END;
