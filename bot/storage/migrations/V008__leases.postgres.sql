-- Reason: what and why of the leases table are V008__leases.sqlite.sql's; the table is the same text.
-- PostgreSQL also tells every process when reviews change, so their in-memory search indexes catch up
-- at once instead of asking the database every second: a statement-level trigger on reviews sends a
-- NOTIFY on a channel named after the schema ('festbot_' || md5(schema)), so two festbot databases in
-- one PostgreSQL database (one schema each) never hear each other. Notifications are delivered at commit
-- and only then, and identical ones in one transaction are folded into one.

CREATE TABLE leases (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL,
    acquired_at BIGINT  NOT NULL
);

CREATE FUNCTION festbot_reviews_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('festbot_' || md5(TG_TABLE_SCHEMA), 'reviews');
    RETURN NULL;
END
$$;

CREATE TRIGGER reviews_changed AFTER INSERT OR UPDATE OR DELETE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION festbot_reviews_changed();
