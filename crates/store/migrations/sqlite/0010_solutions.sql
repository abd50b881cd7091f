-- Solution database (SQLite): knowledge articles with versions, links to
-- cases, the search index and the help center's theme. Keep in step with
-- ../postgres/0010_solutions.sql (a test compares the schemas; the search
-- index `solutions_fts` differs by design: FTS5 here, tsvector there).

CREATE TABLE solutions (
    id BLOB PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    -- Markdown
    body TEXT NOT NULL,
    -- de | en
    language TEXT NOT NULL,
    -- JSON array of lowercase tags
    tags TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    created_by BLOB REFERENCES users (id),
    updated_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX solutions_language ON solutions (language, public, id);

-- Every saved state of an article (version 1 is the first).
CREATE TABLE solution_versions (
    solution_id BLOB NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    language TEXT NOT NULL,
    tags TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    edited_by BLOB REFERENCES users (id),
    edited_at TEXT NOT NULL,
    PRIMARY KEY (solution_id, version)
);

-- An article used on a case (one link per pair).
CREATE TABLE case_solutions (
    case_id BLOB NOT NULL REFERENCES cases (id),
    solution_id BLOB NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    linked_by BLOB REFERENCES users (id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (case_id, solution_id)
);
CREATE INDEX case_solutions_solution ON case_solutions (solution_id, case_id);

-- Terms known to the index per language, for typo correction ("did you mean").
CREATE TABLE search_vocabulary (
    language TEXT NOT NULL,
    term TEXT NOT NULL,
    docs BIGINT NOT NULL,
    PRIMARY KEY (language, term)
);

-- The search index: stemmed, folded terms from amends_text::search, written
-- in the transaction of each change (never stale). Columns weigh
-- title > tags > body > compound parts in bm25(); `meta` holds the filter
-- tokens `xlangde`/`xlangen` and `xpublic`/`xinternal`, so language and
-- visibility are filtered inside the index, not by reading each match.
CREATE VIRTUAL TABLE solutions_fts USING fts5 (
    solution_id UNINDEXED,
    title,
    tags,
    body,
    parts,
    meta,
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE help_center (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    title_de TEXT NOT NULL,
    title_en TEXT NOT NULL,
    logo_url TEXT NOT NULL,
    primary_color TEXT NOT NULL,
    background_color TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO help_center (id, title_de, title_en, logo_url, primary_color, background_color, updated_at)
VALUES (1, 'Hilfe-Center', 'Help center', '', '#1f5f8b', '#f6f7f9', '2026-01-01T00:00:00+00:00');
