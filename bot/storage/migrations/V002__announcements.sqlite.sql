-- Reason: announcements. A subscription says which channel wants which festival's reviews; the
-- deliveries table is the outbox: one row per (review, subscription), inserted in the same
-- transaction that first stores the review, claimed before sending and given the Discord message id
-- after. Create Message's nonce (derived from the row) closes the gap between send and record.

CREATE TABLE subscriptions (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    festival      TEXT,                 -- canonical festival name; NULL = every festival
    section       TEXT,                 -- NULL = every section
    style         TEXT NOT NULL DEFAULT 'embed' CHECK (style IN ('embed', 'compact')),
    role_id       INTEGER,              -- explicit opt-in: the one role an announcement may ping
    forum         INTEGER NOT NULL DEFAULT 0,
    paused_reason TEXT,                 -- NULL = active
    created_by    INTEGER,
    created_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX subscriptions_unique ON subscriptions(channel_id, COALESCE(festival, ''), COALESCE(section, ''));
CREATE INDEX subscriptions_guild ON subscriptions(guild_id);
CREATE INDEX subscriptions_festival ON subscriptions(festival);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    review_id       INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    channel_id      INTEGER NOT NULL,
    -- queued | sending | retrying | sent | failed | held (its subscription is paused)
    state           TEXT NOT NULL DEFAULT 'queued',
    action          TEXT NOT NULL DEFAULT 'post' CHECK (action IN ('post', 'edit')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,   -- unix seconds
    last_error      TEXT,
    message_id      INTEGER,
    thread_id       INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (review_id, subscription_id)
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX deliveries_subscription ON deliveries(subscription_id);
