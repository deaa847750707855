-- Reason: one film, many reviews; what and why are V006__many_reviews.sqlite.sql's. PostgreSQL alters
-- the tables in place. Films' folded titles are bot.domain.text.fold of their titles, a Python function
-- SQLite's migration calls and PostgreSQL cannot: no PostgreSQL database holds films before version 6
-- (PostgreSQL support came with it), so none are carried over, and a database that had some stops here,
-- whole, rather than keep films that no search could find.

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM films) THEN
        RAISE EXCEPTION 'V006 cannot fold the titles of existing films on PostgreSQL';
    END IF;
END
$$;

ALTER TABLE reviews
    ADD COLUMN title TEXT NOT NULL DEFAULT '',
    ADD COLUMN original_title TEXT,
    ADD COLUMN year INTEGER,
    ADD COLUMN runtime_minutes INTEGER,
    ADD COLUMN countries TEXT NOT NULL DEFAULT '[]',  -- JSON list, as written
    ADD COLUMN publication TEXT,
    ADD COLUMN rating_text TEXT,                       -- as written: ★★★★☆, B+, 4/5
    ADD COLUMN rating_score DOUBLE PRECISION,          -- out of 100
    ADD COLUMN image_url TEXT;

DROP TABLE film_countries;
ALTER TABLE films
    DROP COLUMN film_key,
    ADD COLUMN folded_title TEXT NOT NULL,
    ADD COLUMN folded_original TEXT,
    ADD COLUMN directors TEXT NOT NULL DEFAULT '[]';  -- JSON: the directors its reviews credit
CREATE INDEX films_title ON films(folded_title);
CREATE INDEX films_original ON films(folded_original);
