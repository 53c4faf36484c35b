-- Export jobs and their audit trail (libs/exports).
--
-- export_jobs: one row per state change of a job (queued, running, done,
-- failed, expired); the latest row wins. Files live under DATA_DIR/exports;
-- the row says where, how big, its SHA-256 and when it expires. Progress
-- while running is kept in memory by the process that runs the job and
-- written here at the end.
CREATE TABLE IF NOT EXISTS export_jobs
(
    export_id      String,
    tenant_id      String,
    report         String,
    params         String,
    format         LowCardinality(String),
    encrypted      Bool,
    reason         String,
    status         LowCardinality(String),
    rows           UInt64,
    bytes          UInt64,
    sha256         String,
    file_name      String,
    error          String,
    requested_by   String,
    client_address String,
    created_at     DateTime64(3, 'UTC'),
    finished_at    Nullable(DateTime64(3, 'UTC')),
    expires_at     Nullable(DateTime64(3, 'UTC')),
    updated_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY export_id;

-- Every export started and every file downloaded: who, when, what, why, and
-- what left (row count, file hash). Append-only.
CREATE TABLE IF NOT EXISTS export_audit
(
    at             DateTime64(3, 'UTC') DEFAULT now64(3),
    action         LowCardinality(String),
    export_id      String,
    tenant_id      String,
    report         String,
    params         String,
    format         LowCardinality(String),
    encrypted      Bool,
    reason         String,
    rows           UInt64,
    sha256         String,
    actor          String,
    client_address String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant_id, at);
