-- Reason: follow mode spreads festivals over several home channels (issue 16, item 4); as the SQLite
-- file, with BIGINT snowflakes and text in the "C" collation.
--
-- Discord publishes at most 10 messages per announcement channel per hour. FESTBOT_HOME_CHANNELS may
-- list several channels without a festival name: a pool. home_pool is that pool as the processes last
-- saw it (every process reads it when it queues a review); home_assignments gives each festival ('' for
-- reviews without one) the pool channel that carries it, chosen once, when the festival first needs one,
-- and kept: its followers follow that channel. A review of a festival goes to that one pool channel, so a
-- server following every pool channel gets it once.
--
-- home_follows records each follow the bot set up (a server's channel, the home channel it follows, and
-- the festival asked for: '' for every festival). A festival is only given a pool channel that every
-- server following all festivals follows, so a channel added to the pool later carries nothing until the
-- bot has extended those follows to it: nothing is lost while it does.

CREATE TABLE home_pool (
    channel_id BIGINT PRIMARY KEY,
    added_at   TEXT COLLATE "C" NOT NULL
);

CREATE TABLE home_assignments (
    festival    TEXT COLLATE "C" PRIMARY KEY,
    channel_id  BIGINT NOT NULL,
    assigned_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE home_follows (
    channel_id      BIGINT NOT NULL,   -- the server's channel that follows
    home_channel_id BIGINT NOT NULL,
    guild_id        BIGINT NOT NULL,
    festival        TEXT COLLATE "C" NOT NULL,   -- '' for every festival
    created_at      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (channel_id, home_channel_id, festival)
);

-- A pool channel's load (reviews queued for it in the past day) and a home channel's publishes in the past
-- hour are read by channel: an index, instead of a scan of every delivery.
CREATE INDEX deliveries_channel ON deliveries(channel_id, created_at);
