-- Goodwill (SQLite): catalog, empowerment limits per role, monthly
-- budgets and grants. Keep in step with ../postgres/0005_goodwill.sql (a test
-- compares the schemas). Money is in minor units (cents) with a currency.

CREATE TABLE goodwill_catalog (
    id BLOB PRIMARY KEY NOT NULL,
    -- voucher | discount | refund | upgrade | waived_fee | sla_credit | gift | handwritten_note
    kind TEXT NOT NULL,
    name_de TEXT NOT NULL,
    name_en TEXT NOT NULL,
    value_cents BIGINT NOT NULL CHECK (value_cents >= 0),
    currency TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- What a role may grant without approval; NULL means unlimited.
CREATE TABLE goodwill_limits (
    role TEXT PRIMARY KEY NOT NULL,
    per_grant_cents BIGINT,
    per_case_cents BIGINT,
    per_month_cents BIGINT,
    updated_at TEXT NOT NULL
);

-- The goodwill budget of a month (`YYYY-MM`); spend is computed live from the grants.
CREATE TABLE goodwill_budgets (
    month TEXT PRIMARY KEY NOT NULL,
    amount_cents BIGINT NOT NULL CHECK (amount_cents >= 0),
    currency TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE goodwill_grants (
    id BLOB PRIMARY KEY NOT NULL,
    case_id BLOB NOT NULL REFERENCES cases (id),
    customer_id BLOB NOT NULL REFERENCES customers (id),
    catalog_item_id BLOB REFERENCES goodwill_catalog (id),
    kind TEXT NOT NULL,
    value_cents BIGINT NOT NULL CHECK (value_cents >= 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- granted | pending | rejected
    state TEXT NOT NULL,
    -- Why it needed approval (the limit it broke), if it did.
    approval_reason TEXT,
    requested_by BLOB NOT NULL REFERENCES users (id),
    decided_by BLOB REFERENCES users (id),
    decision_reason TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT,
    -- When it counted against limits and budget (state granted).
    granted_at TEXT
);
CREATE INDEX goodwill_grants_case ON goodwill_grants (case_id, id);
CREATE INDEX goodwill_grants_customer ON goodwill_grants (customer_id, id);
CREATE INDEX goodwill_grants_state ON goodwill_grants (state, id);
CREATE INDEX goodwill_grants_granted ON goodwill_grants (granted_at);

-- A default catalog and limits (agent 50/100/1,000 EUR; lead 500/1,000/10,000; admin unlimited).
INSERT INTO goodwill_catalog (id, kind, name_de, name_en, value_cents, currency, active, created_at, updated_at) VALUES
    (X'0194a000000070008000000000000001', 'voucher', 'Gutschein 10 €', 'Voucher EUR 10', 1000, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    (X'0194a000000070008000000000000002', 'voucher', 'Gutschein 25 €', 'Voucher EUR 25', 2500, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    (X'0194a000000070008000000000000003', 'voucher', 'Gutschein 100 €', 'Voucher EUR 100', 10000, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    (X'0194a000000070008000000000000004', 'discount', 'Rabatt 15 € auf die nächste Bestellung', 'EUR 15 off the next order', 1500, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    (X'0194a000000070008000000000000005', 'refund', 'Teilerstattung 20 €', 'Partial refund EUR 20', 2000, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    (X'0194a000000070008000000000000006', 'upgrade', 'Kostenloses Upgrade', 'Free upgrade', 3000, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    (X'0194a000000070008000000000000007', 'waived_fee', 'Versandkosten erlassen', 'Shipping fee waived', 495, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    (X'0194a000000070008000000000000008', 'sla_credit', 'SLA-Gutschrift 50 €', 'SLA credit EUR 50', 5000, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    (X'0194a000000070008000000000000009', 'gift', 'Kleines Geschenk', 'Small gift', 1500, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
    (X'0194a000000070008000000000000010', 'handwritten_note', 'Handgeschriebene Karte', 'Handwritten note', 300, 'EUR', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');

INSERT INTO goodwill_limits (role, per_grant_cents, per_case_cents, per_month_cents, updated_at) VALUES
    ('agent', 5000, 10000, 100000, '2026-01-01T00:00:00+00:00'),
    ('lead', 50000, 100000, 1000000, '2026-01-01T00:00:00+00:00'),
    ('admin', NULL, NULL, NULL, '2026-01-01T00:00:00+00:00');
