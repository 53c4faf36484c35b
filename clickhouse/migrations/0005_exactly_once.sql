-- Exactly once from Kafka (see libs/ingest/README.md for the whole argument).
--
-- Every insert into events and dead_letters carries an insert deduplication
-- token; a retried insert with the same token is dropped by the table, and by
-- each view's target table on its own (deduplicate_blocks_in_dependent_
-- materialized_views), so a block the first attempt stored only partly is
-- completed by the retry and nothing is counted twice. On a single node that
-- needs a non-zero window (it is 0, off, by default); Replicated tables keep
-- their own replicated_deduplication_window.
ALTER TABLE events MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE rollup_15m MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE event_arrivals MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE dead_letters MODIFY SETTING non_replicated_deduplication_window = 10000;

-- Which writer flush stored the event. The event_id check skips events stored
-- by other flushes only: a retry of the same Kafka offset range must send the
-- same rows again, or the views would miss what the first attempt did not reach.
ALTER TABLE events ADD COLUMN IF NOT EXISTS ingest_batch UInt64 DEFAULT 0 CODEC(ZSTD(1));

-- dead_letters.raw holds the bytes as text when they are valid UTF-8, else
-- base64 (a Kafka message can be any bytes).
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS raw_encoding LowCardinality(String) DEFAULT 'text';

-- The Kafka consumer's insert plans: before inserting a partition's offset
-- range it records the range here, so after a crash the redelivered messages
-- are cut into exactly the same range, under the same token, whatever batch
-- boundaries the broker hands out this time. Only the newest row per
-- partition matters; older ones collapse in merges and expire.
CREATE TABLE IF NOT EXISTS kafka_insert_plans
(
    consumer_group  String,
    topic           String,
    partition       Int32,
    first_offset    Int64,
    last_offset     Int64,
    planned_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(planned_at)
ORDER BY (consumer_group, topic, partition)
TTL toDateTime(planned_at) + INTERVAL 30 DAY;
