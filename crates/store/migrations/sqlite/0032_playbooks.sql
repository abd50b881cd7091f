-- Playbooks (SQLite): recovery prepared per failure type. Keep in step with
-- ../postgres/0032_playbooks.sql (a test compares the schemas).

-- A playbook; what it says lives in its versions (an edit adds a version,
-- `version` names the current one). Inactive playbooks are not picked for
-- cases any more; cases that started one keep it.
CREATE TABLE playbooks (
    id BLOB PRIMARY KEY NOT NULL,
    -- Ties between equally specific matches go to the lowest position.
    position BIGINT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE playbook_versions (
    playbook_id BLOB NOT NULL REFERENCES playbooks (id),
    version INTEGER NOT NULL,
    name_de TEXT NOT NULL,
    name_en TEXT NOT NULL,
    owner_team TEXT NOT NULL,
    -- The failure type: a topic id and/or an incident kind (NULL: any) and a severity range.
    topic TEXT,
    incident_kind TEXT,
    severity_min INTEGER NOT NULL,
    severity_max INTEGER NOT NULL,
    edited_by BLOB REFERENCES users (id),
    edited_at TEXT NOT NULL,
    PRIMARY KEY (playbook_id, version)
);

-- The ordered steps of a version, numbered from 1.
CREATE TABLE playbook_steps (
    playbook_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    step INTEGER NOT NULL,
    title_de TEXT NOT NULL,
    title_en TEXT NOT NULL,
    -- JSON array of checklist items.
    checklist TEXT NOT NULL,
    -- The reply template and the goodwill catalog item to use (not enforced:
    -- a deleted template leaves the step without one).
    template_id BLOB,
    goodwill_item_id BLOB,
    -- Due this many minutes after the case was opened.
    due_minutes INTEGER NOT NULL,
    PRIMARY KEY (playbook_id, version, step),
    FOREIGN KEY (playbook_id, version) REFERENCES playbook_versions (playbook_id, version)
);

-- The playbook version a case works through, from its first checked step.
CREATE TABLE case_playbooks (
    case_id BLOB PRIMARY KEY NOT NULL REFERENCES cases (id),
    playbook_id BLOB NOT NULL,
    version INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    FOREIGN KEY (playbook_id, version) REFERENCES playbook_versions (playbook_id, version)
);
CREATE INDEX case_playbooks_playbook ON case_playbooks (playbook_id, version);

-- The steps checked off on a case: one row per step, so checking twice is one.
CREATE TABLE case_playbook_steps (
    case_id BLOB NOT NULL REFERENCES case_playbooks (case_id),
    step INTEGER NOT NULL,
    done_by BLOB REFERENCES users (id),
    done_at TEXT NOT NULL,
    PRIMARY KEY (case_id, step)
);
