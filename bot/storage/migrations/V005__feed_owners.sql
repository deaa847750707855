-- Reason: bounds on what feeds may ask of the poller. A failed entry waits for retry_at (its own
-- back-off, or the server's Retry-After) instead of being fetched again on every poll; poll intervals
-- set before they were bounded (a typed 1e300 made the next poll overflow) are clamped to 1 minute .. 1 day.
ALTER TABLE feed_entries ADD COLUMN retry_at REAL;  -- unix seconds: a failed entry is not fetched again before
UPDATE feeds SET interval_seconds = min(max(interval_seconds, 60), 86400)
 WHERE interval_seconds < 60 OR interval_seconds > 86400;
DROP INDEX feed_entries_retry;
CREATE INDEX feed_entries_retry ON feed_entries(feed_id, status, retry_at);
