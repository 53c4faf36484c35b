-- One row per conversation, kept by a view: what the account-usage and
-- contacts-and-sales reports need to know about a conversation as a whole
-- (how it started, whether an agent answered, when it was resolved, when it
-- was last active), which no per-bucket rollup can say.
-- Platform and channel are those of the conversation's first event.
CREATE TABLE IF NOT EXISTS conversations
(
    tenant_id       LowCardinality(String),
    conversation_id String,
    first_at        SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_at         SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    -- Direction of the first message: conversation.message_in or .message_out.
    first_message   AggregateFunction(argMinIf, LowCardinality(String), DateTime64(3, 'UTC'), UInt8),
    platform        AggregateFunction(argMin, LowCardinality(String), DateTime64(3, 'UTC')),
    channel         AggregateFunction(argMin, LowCardinality(String), DateTime64(3, 'UTC')),
    contact_no      AggregateFunction(argMin, UInt32, DateTime64(3, 'UTC')),
    inbound         SimpleAggregateFunction(sum, UInt64),
    outbound        SimpleAggregateFunction(sum, UInt64),
    -- Latest resolution; 1970 when never resolved.
    resolved_at     SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant_id, conversation_id)
SETTINGS non_replicated_deduplication_window = 10000;

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
    maxIf(occurred_at, type = 'conversation.resolved') AS resolved_at
FROM events
WHERE conversation_id != '' AND type LIKE 'conversation.%'
GROUP BY tenant_id, conversation_id;

-- Conversations already stored when this view was created.
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
    maxIf(occurred_at, type = 'conversation.resolved')
FROM events
WHERE conversation_id != '' AND type LIKE 'conversation.%'
GROUP BY tenant_id, conversation_id;
