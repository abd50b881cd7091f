-- What the customer considers fair; tier upgrade offers; the feature panel
-- (PostgreSQL). Keep in step with ../sqlite/0036_fair_and_tier.sql (a test
-- compares the schemas).

-- Every answer to "what would you consider fair?" on a case, given on the
-- public page (`source` customer) or typed by an agent (`source` agent).
-- The newest row of a case counts; the older ones are its history.
CREATE TABLE fair_expectations (
    id UUID PRIMARY KEY NOT NULL,
    case_id UUID NOT NULL REFERENCES cases (id),
    -- apology | replacement | refund | voucher | other
    choice TEXT NOT NULL,
    -- What the customer named, in cents of EUR (NULL: no amount given).
    amount_cents BIGINT,
    note TEXT,
    source TEXT NOT NULL,
    author_id UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX fair_expectations_case ON fair_expectations (case_id, id);

-- The admin's rule for tier upgrade offers (one row).
CREATE TABLE tier_offer_settings (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    enabled BOOLEAN NOT NULL,
    -- JSON object: tier → the tier it is offered, e.g. {"standard":"premium"}.
    upgrades TEXT NOT NULL,
    -- Offered when the customer had at least this many cases in `window_days`.
    min_failures INTEGER NOT NULL CHECK (min_failures BETWEEN 1 AND 100),
    window_days INTEGER NOT NULL CHECK (window_days BETWEEN 1 AND 730),
    -- No second offer to a customer within this many days.
    cooldown_days INTEGER NOT NULL CHECK (cooldown_days BETWEEN 1 AND 3650),
    updated_at TIMESTAMPTZ NOT NULL
);
INSERT INTO tier_offer_settings (id, enabled, upgrades, min_failures, window_days, cooldown_days, updated_at)
VALUES (1, TRUE, '{"standard":"premium"}', 2, 90, 180, '2026-01-01T00:00:00Z');

-- An offer of a higher tier: offered → opened → accepted | declined;
-- converted once the customer's tier changed to `to_tier`.
CREATE TABLE tier_offers (
    id UUID PRIMARY KEY NOT NULL,
    customer_id UUID NOT NULL REFERENCES customers (id),
    -- The recovered case whose survey answer made the moment.
    case_id UUID REFERENCES cases (id),
    from_tier TEXT NOT NULL,
    to_tier TEXT NOT NULL,
    state TEXT NOT NULL,
    language TEXT NOT NULL,
    offered_at TIMESTAMPTZ NOT NULL,
    opened_at TIMESTAMPTZ,
    decided_at TIMESTAMPTZ,
    converted_at TIMESTAMPTZ
);
CREATE INDEX tier_offers_customer ON tier_offers (customer_id, offered_at);

-- Recovered customers invited to the feature-feedback panel; `joined_at`
-- is set when they accept.
CREATE TABLE panel_members (
    customer_id UUID PRIMARY KEY NOT NULL REFERENCES customers (id),
    invited_at TIMESTAMPTZ NOT NULL,
    invited_by UUID REFERENCES users (id),
    joined_at TIMESTAMPTZ
);
