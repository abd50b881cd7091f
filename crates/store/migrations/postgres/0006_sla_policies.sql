-- SLA policies as data: targets per tier and priority, with an optional
-- business-hours calendar (JSON, validated by the domain crate; NULL = 24/7).
-- Tiers/priorities without a row use the built-in defaults.
CREATE TABLE sla_policies (
    tier TEXT NOT NULL,
    priority TEXT NOT NULL,
    first_response_minutes BIGINT NOT NULL,
    resolution_minutes BIGINT NOT NULL,
    calendar TEXT,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tier, priority)
);
