-- Daily and monthly summaries in each tenant's home zone, built by the rollup
-- job from rollup_15m for closed periods only. A rebuild (late events, or two
-- processes at once) inserts a newer version of the same rows:
-- ReplacingMergeTree keeps the latest, and readers use FINAL.
CREATE TABLE IF NOT EXISTS rollup_daily
(
    tenant_id   LowCardinality(String),
    time_zone   LowCardinality(String),
    type        LowCardinality(String),
    day         Date,
    channel     LowCardinality(String),
    platform    LowCardinality(String),
    campaign_id LowCardinality(String),
    message_id  LowCardinality(String),
    org_unit    LowCardinality(String),
    group_id    LowCardinality(String),
    agent_id    LowCardinality(String),
    events      UInt64,
    value       Decimal(38, 4),
    contacts    AggregateFunction(groupBitmap, UInt32),
    built_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, time_zone, type, day, channel, platform, campaign_id, message_id, org_unit, group_id, agent_id);

CREATE TABLE IF NOT EXISTS rollup_monthly
(
    tenant_id   LowCardinality(String),
    time_zone   LowCardinality(String),
    type        LowCardinality(String),
    month       Date,
    channel     LowCardinality(String),
    platform    LowCardinality(String),
    campaign_id LowCardinality(String),
    message_id  LowCardinality(String),
    org_unit    LowCardinality(String),
    group_id    LowCardinality(String),
    agent_id    LowCardinality(String),
    events      UInt64,
    value       Decimal(38, 4),
    contacts    AggregateFunction(groupBitmap, UInt32),
    built_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
PARTITION BY toYear(month)
ORDER BY (tenant_id, time_zone, type, month, channel, platform, campaign_id, message_id, org_unit, group_id, agent_id);

-- One row per built period: when, in which zone, and the latest arrival it
-- included. A period whose hours saw arrivals after that is rebuilt.
CREATE TABLE IF NOT EXISTS rollup_builds
(
    tenant_id         String,
    table_name        LowCardinality(String),
    period            Date,
    time_zone         String,
    source_arrival_at DateTime64(3, 'UTC'),
    built_at          DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
ORDER BY (tenant_id, table_name, period);

-- Per tenant and summary table: the instant up to which it is complete.
CREATE TABLE IF NOT EXISTS rollup_watermarks
(
    tenant_id      String,
    table_name     LowCardinality(String),
    time_zone      String,
    complete_until DateTime64(3, 'UTC'),
    updated_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (tenant_id, table_name);
