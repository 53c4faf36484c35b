-- The event store: one row per accepted event.
-- Sort key: every query names a tenant and usually a few types over a time
-- range, so (tenant_id, type, occurred_at) reads only those ranges. Monthly
-- partitions keep part counts low and let old months be dropped whole.
CREATE TABLE IF NOT EXISTS events
(
    event_id        UUID,
    tenant_id       LowCardinality(String),
    occurred_at     DateTime64(3, 'UTC'),
    type            LowCardinality(String),
    contact_id      String,
    -- Dense per-tenant number for contact_id (see contacts): bitmaps of these
    -- make exact unique counts cheap and mergeable. 0 = no contact.
    contact_no      UInt32,
    campaign_id     LowCardinality(String),
    message_id      LowCardinality(String),
    channel         LowCardinality(String),
    platform        LowCardinality(String),
    org_unit        LowCardinality(String),
    group_id        LowCardinality(String),
    conversation_id String,
    agent_id        LowCardinality(String),
    value           Decimal(18, 4),
    properties      Map(LowCardinality(String), String),
    source          LowCardinality(String),
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX idx_campaign campaign_id TYPE set(256) GRANULARITY 4,
    INDEX idx_contact contact_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (tenant_id, type, occurred_at);

-- The writer's staging block: only the keys of a validated block land here,
-- so the engine can say which events are already stored and which contacts
-- are new before the block is inserted into events. Null engine: this is
-- only the column list; each writer creates a Memory table of this shape.
CREATE TABLE IF NOT EXISTS events_staging_template
(
    seq         UInt32,
    tenant_id   String,
    event_id    UUID,
    occurred_at DateTime64(3, 'UTC'),
    contact_id  String
)
ENGINE = Null;

-- Anything that could not be stored as an event, with what it was and why.
CREATE TABLE IF NOT EXISTS dead_letters
(
    received_at DateTime64(3, 'UTC') DEFAULT now64(3),
    source      LowCardinality(String),
    tenant_id   String,
    event_id    String,
    field       String,
    reason      String,
    -- The original bytes as received (a whole event, a line, or a body).
    raw         String,
    topic       String,
    partition   Int32 DEFAULT -1,
    offset      Int64 DEFAULT -1
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (received_at, source);
