-- Change events and pattern alerts (sqlite). Keep in step with
-- ../postgres/0016_change_events.sql (a test compares the schemas).

-- Releases, outages, price changes: the patterns report compares the
-- complaints of the days after each with the days before.
CREATE TABLE change_events (
    id BLOB PRIMARY KEY NOT NULL,
    -- release | outage | price_change | other
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    component TEXT,
    at TEXT NOT NULL,
    created_by BLOB REFERENCES users (id),
    created_at TEXT NOT NULL
);
CREATE INDEX change_events_at ON change_events (at);

-- Spikes of a topic's complaints found by the pattern sweep: one row per
-- topic and day (the unique key makes the alert and its webhook event
-- exactly-once across workers and instances).
CREATE TABLE pattern_alerts (
    id BLOB PRIMARY KEY NOT NULL,
    topic TEXT NOT NULL,
    -- The day (YYYY-MM-DD, configured time zone) the alert is for.
    day TEXT NOT NULL,
    observed BIGINT NOT NULL,
    expected REAL NOT NULL,
    p_value REAL NOT NULL,
    q_value REAL NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX pattern_alerts_topic_day ON pattern_alerts (topic, day);
CREATE INDEX pattern_alerts_created ON pattern_alerts (created_at);

-- Complaints by time: the patterns report and the sweep read feedback by
-- creation time.
CREATE INDEX feedback_created ON feedback (created_at);
