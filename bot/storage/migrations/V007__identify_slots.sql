-- Reason: several `festbot run` processes, each with its own range of shards, start their gateway
-- sessions together, and Discord allows one IDENTIFY per 5 seconds per rate-limit bucket
-- (shard_id % max_concurrency) across all of them. The processes share this database, so each
-- bucket's next free moment lives here and a process claims it in a write transaction (see
-- bot/storage/identify_slots.py). Times are whole unix milliseconds in a BIGINT: REAL is a 4-byte
-- float on PostgreSQL, too coarse for a clock reading (it rounds today's time to about two minutes).
-- Portable SQL: this file also runs on PostgreSQL.

CREATE TABLE identify_slots (
    bucket  INTEGER PRIMARY KEY,        -- shard_id % max_concurrency
    next_at BIGINT  NOT NULL            -- unix ms: no IDENTIFY of this bucket before then
);
