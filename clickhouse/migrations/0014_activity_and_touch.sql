-- Contact-level summaries per local day and month in the tenant's home zone,
-- built by the rollup job in the same build as rollup_daily / rollup_monthly
-- (and recorded with them in rollup_builds), so a period current for those is
-- current for these.
--
-- activity_*: per platform and channel, the sets of contacts the usage and
-- cohort reports need, a few rows per day instead of rollup_daily's row per
-- type and dimension set: seen (any event), active (an event other than
-- message.sent/delivered/bounced), registered (user.registered), helped (a
-- conversation message in or out), signed_in (user.login) and the sign-ins,
-- the agents who answered, all events, and proactive messages (message.sent
-- on chat or social).
CREATE TABLE IF NOT EXISTS activity_daily
(
    tenant_id  LowCardinality(String),
    time_zone  LowCardinality(String),
    day        Date,
    platform   LowCardinality(String),
    channel    LowCardinality(String),
    events     UInt64,
    proactive  UInt64,
    seen       AggregateFunction(groupBitmap, UInt32),
    active     AggregateFunction(groupBitmap, UInt32),
    registered AggregateFunction(groupBitmap, UInt32),
    helped     AggregateFunction(groupBitmap, UInt32),
    signed_in  AggregateFunction(groupBitmap, UInt32),
    sign_ins   UInt64,
    agents     AggregateFunction(uniqExact, String),
    built_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, time_zone, day, platform, channel);

CREATE TABLE IF NOT EXISTS activity_monthly
(
    tenant_id  LowCardinality(String),
    time_zone  LowCardinality(String),
    month      Date,
    platform   LowCardinality(String),
    channel    LowCardinality(String),
    events     UInt64,
    proactive  UInt64,
    seen       AggregateFunction(groupBitmap, UInt32),
    active     AggregateFunction(groupBitmap, UInt32),
    registered AggregateFunction(groupBitmap, UInt32),
    helped     AggregateFunction(groupBitmap, UInt32),
    signed_in  AggregateFunction(groupBitmap, UInt32),
    sign_ins   UInt64,
    agents     AggregateFunction(uniqExact, String),
    built_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
PARTITION BY toYear(month)
ORDER BY (tenant_id, time_zone, month, platform, channel);

-- touch_*: per contact, the notifications (message.delivered) received in the
-- period, per channel (parallel arrays: channels[i] with its counts on iOS,
-- Android and every other platform). The customer-touch histogram needs each
-- contact's count over the range, which no set holds; one row per contact and
-- month is ~8× fewer rows than the deliveries themselves.
CREATE TABLE IF NOT EXISTS touch_daily
(
    tenant_id  LowCardinality(String),
    time_zone  LowCardinality(String),
    day        Date,
    contact_no UInt32,
    channels   Array(LowCardinality(String)),
    ios        Array(UInt32),
    android    Array(UInt32),
    other      Array(UInt32),
    built_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, time_zone, day, contact_no);

CREATE TABLE IF NOT EXISTS touch_monthly
(
    tenant_id  LowCardinality(String),
    time_zone  LowCardinality(String),
    month      Date,
    contact_no UInt32,
    channels   Array(LowCardinality(String)),
    ios        Array(UInt32),
    android    Array(UInt32),
    other      Array(UInt32),
    built_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(built_at)
PARTITION BY toYear(month)
ORDER BY (tenant_id, time_zone, month, contact_no);

-- Days and months built before these tables existed have no rows in them:
-- mark those builds as older than any arrival, so readers go back to the
-- 15-minute rollup for them and the next job run rebuilds them with these.
INSERT INTO rollup_builds
SELECT tenant_id, table_name, period, time_zone, toDateTime64(0, 3, 'UTC'), now64(3)
FROM rollup_builds FINAL
WHERE table_name IN ('rollup_daily', 'rollup_monthly');
