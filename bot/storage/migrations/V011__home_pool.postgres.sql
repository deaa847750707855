-- Reason: follow mode spreads festivals over several home channels (issue 16, item 4); as the SQLite
-- file, with BIGINT snowflakes and text in the "C" collation.
--
-- Discord publishes at most 10 messages per announcement channel per hour. FESTBOT_HOME_CHANNELS may
-- list several channels without a festival name: a pool. home_pool is that pool as the processes last
-- saw it (every process reads it when it queues a review); home_assignments gives each festival ('' for
-- reviews without one) the pool channel that carries it, chosen once, when the festival first needs one,
-- and kept: its followers follow that channel. A review of a festival goes to that one pool channel, so a
-- server following every pool channel gets it once.

CREATE TABLE home_pool (
    channel_id BIGINT PRIMARY KEY,
    added_at   TEXT COLLATE "C" NOT NULL
);

CREATE TABLE home_assignments (
    festival    TEXT COLLATE "C" PRIMARY KEY,
    channel_id  BIGINT NOT NULL,
    assigned_at TEXT COLLATE "C" NOT NULL
);

-- A pool channel's load (reviews queued for it in the past day) and a home channel's publishes in the past
-- hour are read by channel: an index, instead of a scan of every delivery.
CREATE INDEX deliveries_channel ON deliveries(channel_id, created_at);
