-- Tenants, API keys and the ad hoc SQL log (libs/auth, libs/sql).
--
-- tenants (0002) already holds id, name and home time zone; it is reused as
-- the tenant register. POST /v1/tenants inserts a newer row (latest wins).
--
-- api_keys: one row per state change of a key (created, revoked); the latest
-- row wins. Only a salted HMAC-SHA256 of the key is stored: the key itself is
-- shown once, at creation. `prefix` (th_xxxxxxxx) is the visible part that
-- names a key in lists, logs and audit trails. tenant_id is '' for a key of
-- every tenant (admin).
CREATE TABLE IF NOT EXISTS api_keys
(
    prefix      String,
    salt        String,
    hash        String,
    role        LowCardinality(String),
    tenant_id   String,
    name        String,
    created_by  String,
    created_at  DateTime64(3, 'UTC'),
    expires_at  Nullable(DateTime64(3, 'UTC')),
    revoked_at  Nullable(DateTime64(3, 'UTC')),
    updated_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY prefix;

-- Every ad hoc query: who (tenant, key), what, how long, how many rows, and
-- how it ended (ok, refused, error, limit, timeout, busy). Read per tenant,
-- newest first. 180-day TTL.
CREATE TABLE IF NOT EXISTS sql_query_log
(
    at          DateTime64(3, 'UTC') DEFAULT now64(3),
    tenant_id   String,
    key_prefix  String,
    key_name    String,
    sql         String,
    format      LowCardinality(String),
    outcome     LowCardinality(String),
    error_code  String,
    error       String,
    duration_ms Float64,
    rows        UInt64,
    client_address String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant_id, at)
TTL toDateTime(at) + INTERVAL 180 DAY;

-- Refused export starts and downloads are audited too (issue 6): outcome is
-- 'ok' for what happened, 'refused' for what a key was not allowed to do.
ALTER TABLE export_audit ADD COLUMN IF NOT EXISTS outcome LowCardinality(String) DEFAULT 'ok';
