-- Incident fan-out at scale (SQLite): the affected row is the outbox entry
-- of its notice. Keep in step with ../postgres/0012_incident_outbox.sql (a
-- test compares the schemas).

-- State of the customer's notice: NULL = none (no address or no consent),
-- queued | done | dead. `message_job_id` names the one `incident_notices`
-- job of the chunk that sends it.
ALTER TABLE incident_affected ADD COLUMN message_state TEXT;
ALTER TABLE incident_affected ADD COLUMN message_sent_at TEXT;
-- The notices a chunk job still has to send.
CREATE INDEX incident_affected_outbox ON incident_affected (message_job_id) WHERE message_state = 'queued';
