-- Every goal of a contact, not only its first (issue 16): message_funnel keeps
-- the first goal per contact and campaign, so a contact whose first goal came
-- before a send was never counted for that send, even when it reached the goal
-- again inside the window. Campaign performance now takes, per send, the first
-- goal at or after the view (ASOF JOIN) within 30 days of the send.
-- One row per goal event (a campaign's goal has message_id ''; a one-time
-- message's goal keeps its message, as in message_funnel); equal instants of
-- one contact collapse. About as many rows as goal events.
CREATE TABLE IF NOT EXISTS campaign_goals
(
    tenant_id   LowCardinality(String),
    campaign_id LowCardinality(String),
    message_id  LowCardinality(String),
    contact_no  UInt32,
    goal_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant_id, campaign_id, message_id, contact_no, goal_at)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS campaign_goals_mv TO campaign_goals AS
SELECT tenant_id, campaign_id, if(campaign_id != '', '', message_id) AS message_id, contact_no, occurred_at AS goal_at
FROM events
WHERE type = 'goal.reached' AND contact_no != 0 AND (campaign_id != '' OR message_id != '');

INSERT INTO campaign_goals
SELECT tenant_id, campaign_id, if(campaign_id != '', '', message_id), contact_no, occurred_at
FROM events
WHERE type = 'goal.reached' AND contact_no != 0 AND (campaign_id != '' OR message_id != '');

-- Send days built with the first-goal rule: older than any arrival, so readers
-- compute them from the funnel until the next job run rebuilds them.
INSERT INTO rollup_builds
SELECT tenant_id, table_name, period, time_zone, toDateTime64(0, 3, 'UTC'), now64(3)
FROM rollup_builds FINAL
WHERE table_name = 'campaign_send_daily';
