-- Routing of new cases (SQLite): each agent's routing profile and one row of
-- routing state (on/off and who got the last routed case, so several
-- instances share one round-robin). Keep in step with
-- ../postgres/0011_routing.sql (a test compares the schemas).
-- (0010 is the solution database's number.)

CREATE TABLE routing_profiles (
    user_id BLOB PRIMARY KEY NOT NULL REFERENCES users (id),
    -- JSON array of language codes: ["de", "en"]
    languages TEXT NOT NULL,
    -- JSON array of topic ids of the text taxonomy: ["billing", "delivery"]
    skills TEXT NOT NULL,
    -- JSON array of tiers; NULL = all tiers
    tiers TEXT,
    available BOOLEAN NOT NULL DEFAULT FALSE,
    max_open INTEGER NOT NULL CHECK (max_open > 0),
    updated_at TEXT NOT NULL
);

CREATE TABLE routing_state (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    last_user_id BLOB REFERENCES users (id),
    last_routed_at TEXT,
    updated_at TEXT NOT NULL
);

INSERT INTO routing_state (id, enabled, updated_at) VALUES (1, FALSE, '2026-01-01T00:00:00+00:00');
