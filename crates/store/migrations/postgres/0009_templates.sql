-- Reply templates (PostgreSQL): text per purpose and language with
-- `{{variable}}` placeholders (see amends_domain::template). Keep in step with
-- ../sqlite/0009_templates.sql (a test compares the schemas).

CREATE TABLE reply_templates (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- reply | apology | goodwill_offer | follow_up | incident_notice | incident_closing
    purpose TEXT NOT NULL,
    -- de | en
    language TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX reply_templates_purpose_language ON reply_templates (purpose, language);

-- Four starting templates: a reply and an apology in German and English.
INSERT INTO reply_templates (id, name, purpose, language, subject, body, active, created_at, updated_at) VALUES
    ('0194a000-0000-7000-8000-000000000101', 'Antwort (Deutsch)', 'reply', 'de', 'Ihr Anliegen {{case_reference}}: {{case_subject}}', 'Guten Tag {{customer_name}},

vielen Dank für Ihre Nachricht zu „{{case_subject}}“. Wir kümmern uns darum und melden uns, sobald wir mehr wissen.

Freundliche Grüße
{{agent_name}}', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('0194a000-0000-7000-8000-000000000102', 'Reply (English)', 'reply', 'en', 'Your request {{case_reference}}: {{case_subject}}', 'Hello {{customer_name}},

thank you for your message about "{{case_subject}}". We are on it and will get back to you as soon as we know more.

Kind regards,
{{agent_name}}', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('0194a000-0000-7000-8000-000000000103', 'Entschuldigung (Deutsch)', 'apology', 'de', 'Es tut uns leid: {{case_subject}}', 'Guten Tag {{customer_name}},

es tut uns aufrichtig leid, dass Sie Ärger mit „{{case_subject}}“ hatten. Das hätte nicht passieren dürfen. Wir haben Ihren Fall {{case_reference}} übernommen und sorgen dafür, dass er gelöst wird.

Freundliche Grüße
{{agent_name}}', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('0194a000-0000-7000-8000-000000000104', 'Apology (English)', 'apology', 'en', 'We are sorry: {{case_subject}}', 'Hello {{customer_name}},

we are truly sorry for the trouble with "{{case_subject}}". This should not have happened. We have taken on your case {{case_reference}} and will see it through until it is solved.

Kind regards,
{{agent_name}}', TRUE, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
