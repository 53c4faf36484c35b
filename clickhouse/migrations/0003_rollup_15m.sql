-- The fine-grained rollup, kept current by a materialized view on every insert.
-- 15 minutes in UTC: every zone offset in use is a multiple of 15 minutes, so
-- each bucket falls inside exactly one local hour/day/month of any IANA zone,
-- and a report regroups buckets into its zone exactly (DST days, +05:45).
-- Unique contacts are roaring bitmaps of contact_no: exact, and mergeable
-- across buckets and dimensions (a month's uniques are not a sum of days').
CREATE TABLE IF NOT EXISTS rollup_15m
(
    tenant_id   LowCardinality(String),
    type        LowCardinality(String),
    bucket      DateTime('UTC'),
    channel     LowCardinality(String),
    platform    LowCardinality(String),
    campaign_id LowCardinality(String),
    message_id  LowCardinality(String),
    org_unit    LowCardinality(String),
    group_id    LowCardinality(String),
    agent_id    LowCardinality(String),
    events      SimpleAggregateFunction(sum, UInt64),
    value       SimpleAggregateFunction(sum, Decimal(38, 4)),
    contacts    AggregateFunction(groupBitmap, UInt32)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, type, bucket, channel, platform, campaign_id, message_id, org_unit, group_id, agent_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_15m_mv TO rollup_15m AS
SELECT
    tenant_id,
    type,
    toStartOfFifteenMinutes(occurred_at) AS bucket,
    channel,
    platform,
    campaign_id,
    message_id,
    org_unit,
    group_id,
    agent_id,
    toUInt64(count()) AS events,
    toDecimal128(sum(value), 4) AS value,
    groupBitmapStateIf(contact_no, contact_no != 0) AS contacts
FROM events
GROUP BY tenant_id, type, bucket, channel, platform, campaign_id, message_id, org_unit, group_id, agent_id;

-- When events for each UTC hour last arrived: the rollup job compares this with
-- when it built a closed day, and restates the days late events touched.
CREATE TABLE IF NOT EXISTS event_arrivals
(
    tenant_id        LowCardinality(String),
    hour             DateTime('UTC'),
    last_ingested_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    events           SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant_id, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS event_arrivals_mv TO event_arrivals AS
SELECT tenant_id, toStartOfHour(occurred_at) AS hour, max(ingested_at) AS last_ingested_at, toUInt64(count()) AS events
FROM events
GROUP BY tenant_id, hour;
