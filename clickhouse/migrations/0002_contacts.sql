-- contact_id -> dense per-tenant number. Point lookups by key: the writer
-- joins a batch against it with join_algorithm='direct', which reads only the
-- batch's keys (a MergeTree join would scan every contact).
-- key = tenant_id || '\0' || contact_id (direct joins need a one-column key).
CREATE TABLE IF NOT EXISTS contacts
(
    key           String,
    tenant_id     String,
    contact_id    String,
    contact_no    UInt32,
    first_seen_at DateTime64(3, 'UTC')
)
ENGINE = EmbeddedRocksDB
PRIMARY KEY key;

-- The last contact number handed out per tenant. Advanced before new
-- contacts are written, so a crash leaves a gap, never a reused number.
CREATE TABLE IF NOT EXISTS contact_counters
(
    tenant_id String,
    last_no   UInt32
)
ENGINE = EmbeddedRocksDB
PRIMARY KEY tenant_id;

-- Tenants and their home time zone (the zone of the daily/monthly rollups).
CREATE TABLE IF NOT EXISTS tenants
(
    tenant_id  String,
    name       String,
    time_zone  String,
    created_at DateTime64(3, 'UTC') DEFAULT now64(3),
    updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY tenant_id;
