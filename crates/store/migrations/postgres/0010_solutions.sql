-- Solution database (PostgreSQL): knowledge articles with versions, links to
-- cases, the search index and the help center's theme. Keep in step with
-- ../sqlite/0010_solutions.sql (a test compares the schemas; the search
-- index `solutions_fts` differs by design: tsvector here, FTS5 there).

CREATE TABLE solutions (
    id UUID PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    language TEXT NOT NULL,
    tags TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    created_by UUID REFERENCES users (id),
    updated_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX solutions_language ON solutions (language, public, id);

CREATE TABLE solution_versions (
    solution_id UUID NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    language TEXT NOT NULL,
    tags TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    edited_by UUID REFERENCES users (id),
    edited_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (solution_id, version)
);

CREATE TABLE case_solutions (
    case_id UUID NOT NULL REFERENCES cases (id),
    solution_id UUID NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    linked_by UUID REFERENCES users (id),
    linked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, solution_id)
);
CREATE INDEX case_solutions_solution ON case_solutions (solution_id, case_id);

CREATE TABLE search_vocabulary (
    language TEXT NOT NULL,
    term TEXT NOT NULL,
    docs BIGINT NOT NULL,
    PRIMARY KEY (language, term)
);

-- The search index: the same terms as SQLite's FTS5 table, weighted
-- A title, B tags, C body, D compound parts and the filter tokens
-- (`xlangde`/`xlangen`, `xpublic`/`xinternal`), with the 'simple'
-- configuration (the terms are already stemmed and folded).
CREATE TABLE solutions_fts (
    solution_id UUID PRIMARY KEY NOT NULL REFERENCES solutions (id) ON DELETE CASCADE,
    document TSVECTOR NOT NULL
);
CREATE INDEX solutions_fts_document ON solutions_fts USING GIN (document);

CREATE TABLE help_center (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    title_de TEXT NOT NULL,
    title_en TEXT NOT NULL,
    logo_url TEXT NOT NULL,
    primary_color TEXT NOT NULL,
    background_color TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
INSERT INTO help_center (id, title_de, title_en, logo_url, primary_color, background_color, updated_at)
VALUES (1, 'Hilfe-Center', 'Help center', '', '#1f5f8b', '#f6f7f9', '2026-01-01T00:00:00Z');
