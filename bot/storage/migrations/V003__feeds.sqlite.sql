-- Reason: review feeds. One row per subscribed feed with its polling state (conditional-request
-- validators, last fetch, last error, consecutive failures for back-off, next poll), and one row per
-- feed entry seen, so that restarts, a bumped GUID or date, and pages that are not reviews never cause
-- a second fetch or a repost. Entries outlive a removed feed (feed_id set NULL) so re-adding it later
-- does not announce its old reviews again.

CREATE TABLE feeds (
    id               INTEGER PRIMARY KEY,
    url              TEXT NOT NULL UNIQUE,
    festival         TEXT,                    -- "Berlinale 2024": applied to entries that name none
    interval_seconds REAL NOT NULL DEFAULT 300 CHECK (interval_seconds > 0),
    etag             TEXT,                    -- validators of the last 200, sent back as If-None-Match
    last_modified    TEXT,                    -- ... and If-Modified-Since
    added_at         TEXT NOT NULL,           -- ISO 8601, UTC, here and below
    first_fetch_at   TEXT,                    -- first successful fetch: entries older than this minus the
                                              -- age limit are stored without an announcement
    last_fetch_at    TEXT,                    -- last attempt, successful or not
    last_success_at  TEXT,
    last_status      TEXT,                    -- "200", "304" or "error"
    last_error       TEXT,                    -- why the last fetch failed (NULL after a success)
    error_count      INTEGER NOT NULL DEFAULT 0,
    next_poll_at     TEXT,
    last_entry_error TEXT                     -- the latest entry that could not be ingested, and why
);

-- status: added | updated | unchanged (stored via Store.ingest), duplicate (same page or text as an
-- entry already stored), rejected (never fetched again), failed (retried on later polls)
CREATE TABLE feed_entries (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    entry_key     TEXT NOT NULL,              -- the entry's id/guid, else its link
    url           TEXT,                       -- the entry's link
    canonical_url TEXT,                       -- <link rel="canonical"> of the page, else the link
    content_hash  TEXT,                       -- hash of the extracted text
    status        TEXT NOT NULL,
    reason        TEXT,
    review_id     INTEGER REFERENCES reviews(id) ON DELETE SET NULL,
    announce      INTEGER,                    -- what was passed to Store.ingest(announce=...)
    attempts      INTEGER NOT NULL DEFAULT 0,
    entry         TEXT,                       -- JSON: the entry fields needed to retry it
    first_seen_at TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (feed_id, entry_key)
);
CREATE INDEX feed_entries_url ON feed_entries(url);
CREATE INDEX feed_entries_canonical ON feed_entries(canonical_url);
CREATE INDEX feed_entries_hash ON feed_entries(content_hash);
CREATE INDEX feed_entries_retry ON feed_entries(feed_id, status);
