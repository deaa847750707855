-- Reason: feeds belong to whoever added them. A feed added in a Discord server is that server's
-- (guild_id): only its subscriptions are told of the reviews it brings, and only its managers see or
-- remove it; a feed added by the operator (`festbot feeds add`) has guild_id NULL and is announced to
-- every subscription, as all feeds were before. Two servers may read the same URL, so a URL is unique
-- per owner only. Poll intervals are bounded to a day (a typed 1e300 made the next poll overflow) and
-- existing ones are clamped to 1 minute .. 1 day. A failed entry waits for retry_at (its own back-off,
-- or the server's Retry-After) instead of being fetched again on every poll.
--
-- Existing feeds go to the one server whose subscriptions use them: a subscription to `all`
-- festivals uses every feed; one to a festival uses a feed whose festival is that festival, alone
-- or followed by a word ("Berlinale 2024" for Berlinale; aliases are not resolved here). When no
-- server or several do, the feed goes to the operator: it keeps announcing to every subscription,
-- exactly as before, so no server loses announcements it was getting, and no single server can
-- remove a feed that others rely on. Only the unambiguous case becomes a server's own.
--
-- SQLite cannot drop the old UNIQUE(url), so both tables are rebuilt. Foreign keys are on during
-- migrations, and dropping `feeds` sets the feed_id of every entry pointing at it to NULL; so the
-- entries are first copied into a new table that points at the new feeds, the old tables go after,
-- and the renames come last (renaming feeds_v5 rewrites the new entries' reference to `feeds`).

CREATE TABLE feeds_v5 (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER,                 -- the server that added it; NULL = the operator's
    url              TEXT NOT NULL,
    festival         TEXT,                    -- "Berlinale 2024": applied to entries that name none
    interval_seconds REAL NOT NULL DEFAULT 300 CHECK (interval_seconds > 0 AND interval_seconds <= 86400),
    etag             TEXT,
    last_modified    TEXT,
    added_at         TEXT NOT NULL,
    first_fetch_at   TEXT,
    last_fetch_at    TEXT,
    last_success_at  TEXT,
    last_status      TEXT,
    last_error       TEXT,
    error_count      INTEGER NOT NULL DEFAULT 0,
    next_poll_at     TEXT,
    last_entry_error TEXT
);

INSERT INTO feeds_v5(id, guild_id, url, festival, interval_seconds, etag, last_modified, added_at, first_fetch_at,
                     last_fetch_at, last_success_at, last_status, last_error, error_count, next_poll_at,
                     last_entry_error)
SELECT f.id,
       (SELECT CASE WHEN count(DISTINCT s.guild_id) = 1 THEN min(s.guild_id) END
          FROM subscriptions s
         WHERE s.festival IS NULL
            OR (f.festival IS NOT NULL
                AND (lower(trim(f.festival)) = lower(s.festival)
                     OR substr(lower(trim(f.festival)), 1, length(s.festival) + 1) = lower(s.festival) || ' '))),
       f.url, f.festival, min(max(f.interval_seconds, 60), 86400), f.etag, f.last_modified, f.added_at,
       f.first_fetch_at, f.last_fetch_at, f.last_success_at, f.last_status, f.last_error, f.error_count,
       f.next_poll_at, f.last_entry_error
  FROM feeds f;

CREATE TABLE feed_entries_v5 (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER REFERENCES feeds_v5(id) ON DELETE SET NULL,
    entry_key     TEXT NOT NULL,
    url           TEXT,
    canonical_url TEXT,
    content_hash  TEXT,
    status        TEXT NOT NULL,
    reason        TEXT,
    review_id     INTEGER REFERENCES reviews(id) ON DELETE SET NULL,
    announce      INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    entry         TEXT,
    first_seen_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    retry_at      REAL,                       -- unix seconds: a failed entry is not fetched again before
    UNIQUE (feed_id, entry_key)
);

INSERT INTO feed_entries_v5(id, feed_id, entry_key, url, canonical_url, content_hash, status, reason, review_id,
                            announce, attempts, entry, first_seen_at, updated_at)
SELECT id, feed_id, entry_key, url, canonical_url, content_hash, status, reason, review_id, announce, attempts,
       entry, first_seen_at, updated_at
  FROM feed_entries;

DROP TABLE feed_entries;
DROP TABLE feeds;
ALTER TABLE feeds_v5 RENAME TO feeds;
ALTER TABLE feed_entries_v5 RENAME TO feed_entries;

CREATE UNIQUE INDEX feeds_owner_url ON feeds(COALESCE(guild_id, 0), url);
CREATE INDEX feed_entries_url ON feed_entries(url);
CREATE INDEX feed_entries_canonical ON feed_entries(canonical_url);
CREATE INDEX feed_entries_hash ON feed_entries(content_hash);
CREATE INDEX feed_entries_retry ON feed_entries(feed_id, status, retry_at);
