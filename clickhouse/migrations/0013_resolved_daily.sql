-- Account usage's resolved conversations per local day of the latest
-- resolution in the tenant's home zone, by the platform and channel of the
-- conversation's first event: counted by the rollup job from conversations
-- (first message inbound, at least one outbound). A conversation counts on one
-- day only, so days add up exactly. Rows of one build carry its built_at, as
-- recorded in rollup_builds; readers take those (FINAL, built_at >= the build).
CREATE TABLE IF NOT EXISTS resolved_daily
(
    tenant_id LowCardinality(String),
    time_zone LowCardinality(String),
    day       Date,
    platform  LowCardinality(String),
    channel   LowCardinality(String),
    resolved  UInt64,
    built_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, time_zone, day, platform, channel);
