-- Scheduled reports (libs/schedule).
--
-- schedules: one row per change; the latest row wins (deleted = 1 hides it).
CREATE TABLE IF NOT EXISTS schedules
(
    schedule_id  String,
    tenant_id    String,
    name         String,
    report       String,
    params       String,
    range        LowCardinality(String),
    cron         String,
    time_zone    String,
    format       LowCardinality(String),
    targets      String,
    owner_email  String,
    enabled      Bool,
    deleted      Bool,
    created_at   DateTime64(3, 'UTC'),
    updated_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY schedule_id;

-- One row per state change of a run (running, delivered, failed); the latest
-- row wins. A cron run's id is the schedule id and the tick it is for, so
-- every process names the same run the same way.
CREATE TABLE IF NOT EXISTS schedule_runs
(
    run_id        String,
    schedule_id   String,
    tenant_id     String,
    scheduled_for DateTime64(3, 'UTC'),
    trigger       LowCardinality(String),
    status        LowCardinality(String),
    range_from    String,
    range_to      String,
    started_at    DateTime64(3, 'UTC'),
    finished_at   Nullable(DateTime64(3, 'UTC')),
    rows          UInt64,
    bytes         UInt64,
    sha256        String,
    file_name     String,
    targets       String,
    error         String,
    runner        String,
    -- 1 for the first try; a run whose process died is tried again as attempt 2, 3, ...
    attempt       UInt16 DEFAULT 1,
    updated_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (schedule_id, run_id);

-- Who runs a run: every process that wants a run inserts a claim, waits, and
-- reads the claims back; the earliest (by the engine's clock, so insert order)
-- runs it and the others leave it. Two processes never send the same run.
-- run_id here is the run's id and its attempt ('<run>#2'): a run abandoned by a
-- dead process is claimed afresh for its next attempt.
CREATE TABLE IF NOT EXISTS schedule_claims
(
    run_id     String,
    runner     String,
    claimed_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
ORDER BY (run_id, claimed_at)
TTL toDateTime(claimed_at) + INTERVAL 90 DAY;
