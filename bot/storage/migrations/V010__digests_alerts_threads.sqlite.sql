-- Reason: digests, health alerts and discussion threads (issue 17, items 3-5).
--
-- A subscription may be a daily digest (digest_hour 0-23 in an IANA time zone) instead of one post per
-- review; it may open a discussion thread under each post in a text channel (thread); and it remembers
-- the channel where it was set up (setup_channel_id), where a notice goes when it is paused. The style
-- CHECK of V002 cannot change without rebuilding the table (and SQLite would cascade the rebuild's drop
-- into deliveries), so a digest keeps a valid style and digest_hour says it is one.
--
-- notices is the outbox of what the bot says about announcing rather than reviews: health alerts and
-- digest posts. dedupe_key makes each exactly once (a digest is keyed by its subscription and local
-- date); it is claimed before sending and given the message id after, and a nonce derived from its id
-- closes the gap between send and record, as for deliveries. digest_items are the reviews each digest
-- subscription matched, decided when the review is stored (with the same rules as posts, so a server's
-- own feed stays its own). open_problems holds what is broken now, one row per subscription or feed:
-- a notice when the row appears, one when it goes, none in between.

ALTER TABLE subscriptions ADD COLUMN digest_hour INTEGER CHECK (digest_hour BETWEEN 0 AND 23);
ALTER TABLE subscriptions ADD COLUMN timezone TEXT;
ALTER TABLE subscriptions ADD COLUMN thread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN setup_channel_id INTEGER;

ALTER TABLE feeds ADD COLUMN setup_channel_id INTEGER;
ALTER TABLE feeds ADD COLUMN failing_since TEXT;

CREATE TABLE digest_items (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    review_id       INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    queued_at       REAL NOT NULL,          -- unix seconds
    PRIMARY KEY (subscription_id, review_id)
);
CREATE INDEX digest_items_time ON digest_items(subscription_id, queued_at);

CREATE TABLE notices (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    channel_id      INTEGER,                -- NULL: nowhere to post it
    kind            TEXT NOT NULL CHECK (kind IN ('alert', 'digest')),
    dedupe_key      TEXT NOT NULL UNIQUE,
    subscription_id INTEGER REFERENCES subscriptions(id) ON DELETE CASCADE,
    body            TEXT NOT NULL,          -- an alert's text; a digest's JSON (date, review ids)
    window_end      REAL,                   -- digests: unix seconds, the end of the day it covers
    -- queued | sending | retrying | sent | failed | empty (a digest with nothing to say)
    state           TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error      TEXT,
    message_id      INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX notices_due ON notices(state, next_attempt_at);
CREATE INDEX notices_digests ON notices(subscription_id, window_end);

CREATE TABLE open_problems (
    kind       TEXT NOT NULL CHECK (kind IN ('subscription', 'feed')),
    subject_id INTEGER NOT NULL,
    guild_id   INTEGER NOT NULL,
    opened_at  TEXT NOT NULL,
    PRIMARY KEY (kind, subject_id)
);

CREATE TABLE alert_channels (
    guild_id   INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL
);
