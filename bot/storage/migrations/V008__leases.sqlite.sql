-- Reason: several `festbot run` processes share one database (PostgreSQL, or one SQLite file on one
-- machine), and some work must run in one of them at a time: the delivery worker (it alone paces sends
-- under Discord's one global limit per bot), the feed poller (each feed fetched once) and the inbox
-- watcher (one folder). Each is a lease: a row naming the process holding it until `expires_at`, renewed
-- while it runs; when the holder dies its lease runs out and another process claims it (see
-- bot/storage/leases.py). Times are the database's own clock in unix milliseconds, so processes on
-- machines whose clocks disagree still agree on who holds a lease.
-- The PostgreSQL text of this migration also adds the trigger that tells other processes reviews changed.

CREATE TABLE leases (
    name        TEXT    PRIMARY KEY,   -- the work: 'delivery', 'feeds', 'inbox'
    holder      TEXT    NOT NULL,      -- the process: host, pid and a random tag
    expires_at  BIGINT  NOT NULL,      -- unix ms, database clock: free to claim from then on
    acquired_at BIGINT  NOT NULL       -- unix ms, when this holder first claimed it
);
