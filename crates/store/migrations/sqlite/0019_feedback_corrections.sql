-- Feedback corrections (sqlite). Keep in step with
-- ../postgres/0019_feedback_corrections.sql (a test compares the schemas).

-- An agent's correction of a feedback item's sentiment and topics; the
-- newest correction of an item (highest id) wins. Training data.
CREATE TABLE feedback_corrections (
    id BLOB PRIMARY KEY NOT NULL,
    feedback_id BLOB NOT NULL REFERENCES feedback (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    -- negative | neutral | positive
    sentiment TEXT NOT NULL,
    -- JSON array of topic ids.
    topics TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX feedback_corrections_feedback ON feedback_corrections (feedback_id, id);
