-- When events of each type for each UTC hour last arrived. event_arrivals has
-- no type, and a campaign's send day depends on events of four types with
-- different reaches (a click at any time, a view within 7 days, a goal within
-- 30): the job and the campaign report read this to tell which send days late
-- events can have changed. Tiny: one row per tenant, type and hour.
CREATE TABLE IF NOT EXISTS type_arrivals
(
    tenant_id        LowCardinality(String),
    type             LowCardinality(String),
    hour             DateTime('UTC'),
    last_ingested_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant_id, type, hour)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS type_arrivals_mv TO type_arrivals AS
SELECT tenant_id, type, toStartOfHour(occurred_at) AS hour, max(ingested_at) AS last_ingested_at
FROM events
GROUP BY tenant_id, type, hour;

INSERT INTO type_arrivals
SELECT tenant_id, type, toStartOfHour(occurred_at) AS hour, max(ingested_at)
FROM events
GROUP BY tenant_id, type, hour;

-- Campaign performance per local send day in the tenant's home zone, built by
-- the rollup job from message_funnel: per campaign and message, the contacts
-- (dense contact_no) whose first send of the message falls on the day, and of
-- those the ones that viewed within 7 days, clicked, and reached the goal
-- within 30 days. Bitmaps, so a range's figures are exact unions of days. A
-- rebuild inserts a newer version (ReplacingMergeTree(built_at), read FINAL).
CREATE TABLE IF NOT EXISTS campaign_send_daily
(
    tenant_id   LowCardinality(String),
    time_zone   LowCardinality(String),
    day         Date,
    campaign_id LowCardinality(String),
    message_id  LowCardinality(String),
    sent        AggregateFunction(groupBitmap, UInt32),
    viewed      AggregateFunction(groupBitmap, UInt32),
    clicked     AggregateFunction(groupBitmap, UInt32),
    goal        AggregateFunction(groupBitmap, UInt32),
    built_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, time_zone, day, campaign_id, message_id);
