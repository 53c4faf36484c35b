-- Resolved conversations by the platform and channel of their first *message*
-- (issue 16), and counted at every resolution, distinct per period. The
-- conversations table keeps what the first message's platform and channel were
-- (argMinIf over message events); it is rebuilt from events, since its stored
-- states cannot be completed in place (a partial row would reset first_at).
-- Ingest does not run while migrations do (they run at start).
DROP VIEW IF EXISTS conversations_mv;

ALTER TABLE conversations ADD COLUMN IF NOT EXISTS message_platform AggregateFunction(argMinIf, LowCardinality(String), DateTime64(3, 'UTC'), UInt8);

ALTER TABLE conversations ADD COLUMN IF NOT EXISTS message_channel AggregateFunction(argMinIf, LowCardinality(String), DateTime64(3, 'UTC'), UInt8);

TRUNCATE TABLE conversations;

CREATE MATERIALIZED VIEW IF NOT EXISTS conversations_mv TO conversations AS
SELECT
    tenant_id,
    conversation_id,
    min(occurred_at) AS first_at,
    max(occurred_at) AS last_at,
    argMinStateIf(type, occurred_at, type IN ('conversation.message_in', 'conversation.message_out')) AS first_message,
    argMinState(platform, occurred_at) AS platform,
    argMinState(channel, occurred_at) AS channel,
    argMinState(contact_no, occurred_at) AS contact_no,
    toUInt64(countIf(type = 'conversation.message_in')) AS inbound,
    toUInt64(countIf(type = 'conversation.message_out')) AS outbound,
    maxIf(occurred_at, type = 'conversation.resolved') AS resolved_at,
    -- events.*: the bare names are the aliases above.
    argMinStateIf(events.platform, occurred_at, type IN ('conversation.message_in', 'conversation.message_out')) AS message_platform,
    argMinStateIf(events.channel, occurred_at, type IN ('conversation.message_in', 'conversation.message_out')) AS message_channel
FROM events
WHERE conversation_id != '' AND type LIKE 'conversation.%'
GROUP BY tenant_id, conversation_id;

INSERT INTO conversations
SELECT
    tenant_id,
    conversation_id,
    min(occurred_at),
    max(occurred_at),
    argMinStateIf(type, occurred_at, type IN ('conversation.message_in', 'conversation.message_out')),
    argMinState(platform, occurred_at),
    argMinState(channel, occurred_at),
    argMinState(contact_no, occurred_at),
    toUInt64(countIf(type = 'conversation.message_in')),
    toUInt64(countIf(type = 'conversation.message_out')),
    maxIf(occurred_at, type = 'conversation.resolved'),
    argMinStateIf(platform, occurred_at, type IN ('conversation.message_in', 'conversation.message_out')),
    argMinStateIf(channel, occurred_at, type IN ('conversation.message_in', 'conversation.message_out'))
FROM events
WHERE conversation_id != '' AND type LIKE 'conversation.%'
GROUP BY tenant_id, conversation_id;

-- Per day, the set of conversations resolved (distinct across days, as a range needs).
ALTER TABLE resolved_daily ADD COLUMN IF NOT EXISTS conversations AggregateFunction(uniqExact, String);

-- Days built by the old rule: older than any arrival, rebuilt by the next job run.
INSERT INTO rollup_builds
SELECT tenant_id, table_name, period, time_zone, toDateTime64(0, 3, 'UTC'), now64(3)
FROM rollup_builds FINAL
WHERE table_name = 'resolved_daily';
