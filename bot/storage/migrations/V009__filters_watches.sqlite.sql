-- Reason: filters on subscriptions and personal watchlists (issue 17).
-- A subscription's filters beyond festival and section (words, countries, people, sales companies,
-- publications, minimum rating) are one JSON object: bot.domain.criteria.Criteria, read and written
-- whole, matched in Python when a review is stored ('{}' = no filter, so existing rows are unchanged).
-- A watch is one thing a member follows; match_key (kind:first folded word) is what a stored review's
-- words are looked up by, so a review meets only the watches that can match it, not all of them.
-- watch_deliveries is the direct-message outbox, one row per (review, member): a member gets a review
-- once however many of their watches match it. watchers holds a member's DM channel and the notice
-- still to tell them in the server (their DMs are closed). /watch clear deletes a member's rows in all three.

ALTER TABLE subscriptions ADD COLUMN filters TEXT NOT NULL DEFAULT '{}';

CREATE TABLE watches (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER,               -- where it was set up
    kind          TEXT NOT NULL CHECK (kind IN ('person', 'company', 'festival', 'country', 'word')),
    value         TEXT NOT NULL,         -- as typed
    folded        TEXT NOT NULL,
    match_key     TEXT NOT NULL,         -- kind:first folded word
    paused_reason TEXT,                  -- NULL = active
    created_at    TEXT NOT NULL,
    UNIQUE (user_id, kind, folded)
);
CREATE INDEX watches_key ON watches(match_key);

CREATE TABLE watchers (
    user_id         INTEGER PRIMARY KEY,
    dm_channel_id   INTEGER,
    notice          TEXT,                -- to tell once, ephemeral, at the member's next command
    notice_guild_id INTEGER
);

CREATE TABLE watch_deliveries (
    id              INTEGER PRIMARY KEY,
    review_id       INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    reason          TEXT NOT NULL,       -- which watch matched, in words
    state           TEXT NOT NULL DEFAULT 'queued',  -- queued | sending | retrying | sent | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error      TEXT,
    message_id      INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (review_id, user_id)
);
CREATE INDEX watch_deliveries_due ON watch_deliveries(state, next_attempt_at);
CREATE INDEX watch_deliveries_user ON watch_deliveries(user_id);
