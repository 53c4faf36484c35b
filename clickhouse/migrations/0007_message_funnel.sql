-- One row per contact and message (and per contact and campaign, message_id
-- '', for a campaign's goal; a one-time message's goal stays on its message), kept by a view: when the message was first sent to the contact, first
-- viewed, first clicked, and when the contact first reached the campaign's
-- goal. Campaign performance measures windows between these instants (a view
-- counts within 7 days of the send, a goal within 30), which per-bucket counts
-- cannot answer; this table is about as many rows as sends, not as events.
-- NULL = never happened (min ignores NULLs when parts merge).
CREATE TABLE IF NOT EXISTS message_funnel
(
    tenant_id   LowCardinality(String),
    campaign_id LowCardinality(String),
    message_id  LowCardinality(String),
    contact_no  UInt32,
    contact_id  SimpleAggregateFunction(any, String),
    sent_at     SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    viewed_at   SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    clicked_at  SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    goal_at     SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
ORDER BY (tenant_id, campaign_id, message_id, contact_no)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS message_funnel_mv TO message_funnel AS
SELECT
    tenant_id,
    campaign_id,
    if(type = 'goal.reached' AND campaign_id != '', '', message_id) AS message_id,
    contact_no,
    any(contact_id) AS contact_id,
    minIf(toNullable(occurred_at), type = 'message.sent') AS sent_at,
    minIf(toNullable(occurred_at), type = 'message.viewed') AS viewed_at,
    minIf(toNullable(occurred_at), type = 'message.clicked') AS clicked_at,
    minIf(toNullable(occurred_at), type = 'goal.reached') AS goal_at
FROM events
WHERE contact_no != 0 AND (campaign_id != '' OR message_id != '')
  AND type IN ('message.sent', 'message.viewed', 'message.clicked', 'goal.reached')
GROUP BY tenant_id, campaign_id, message_id, contact_no;

INSERT INTO message_funnel
SELECT
    tenant_id,
    campaign_id,
    if(type = 'goal.reached' AND campaign_id != '', '', message_id) AS message_id,
    contact_no,
    any(contact_id),
    minIf(toNullable(occurred_at), type = 'message.sent'),
    minIf(toNullable(occurred_at), type = 'message.viewed'),
    minIf(toNullable(occurred_at), type = 'message.clicked'),
    minIf(toNullable(occurred_at), type = 'goal.reached')
FROM events
WHERE contact_no != 0 AND (campaign_id != '' OR message_id != '')
  AND type IN ('message.sent', 'message.viewed', 'message.clicked', 'goal.reached')
GROUP BY tenant_id, campaign_id, message_id, contact_no;
