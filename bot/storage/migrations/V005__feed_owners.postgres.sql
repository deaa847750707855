-- Reason: feeds belong to whoever added them; the rules, and how existing feeds find their owner,
-- are V005__feed_owners.sqlite.sql's. PostgreSQL can drop a constraint, so nothing is rebuilt.

ALTER TABLE feeds ADD COLUMN guild_id BIGINT;  -- the server that added it; NULL = the operator's

UPDATE feeds f SET
    guild_id = (SELECT CASE WHEN count(DISTINCT s.guild_id) = 1 THEN min(s.guild_id) END
                  FROM subscriptions s
                 WHERE s.festival IS NULL
                    OR (f.festival IS NOT NULL
                        AND (lower(trim(f.festival)) = lower(s.festival)
                             OR substr(lower(trim(f.festival)), 1, length(s.festival) + 1) = lower(s.festival) || ' '))),
    interval_seconds = LEAST(GREATEST(f.interval_seconds, 60), 86400);

ALTER TABLE feeds DROP CONSTRAINT feeds_url_key;
ALTER TABLE feeds DROP CONSTRAINT feeds_interval_seconds_check;
ALTER TABLE feeds ADD CONSTRAINT feeds_interval_seconds_check
    CHECK (interval_seconds > 0 AND interval_seconds <= 86400);
CREATE UNIQUE INDEX feeds_owner_url ON feeds(COALESCE(guild_id, 0), url);

ALTER TABLE feed_entries ADD COLUMN retry_at DOUBLE PRECISION;  -- unix seconds
DROP INDEX feed_entries_retry;
CREATE INDEX feed_entries_retry ON feed_entries(feed_id, status, retry_at);
