-- Reason: one film, many reviews. A second review of a film used to find the first by the film's key
-- (folded title | year | first director) and overwrite it. Now a film is matched tolerantly (the same
-- folded title or original title, directors overlapping or unknown, years equal or unknown: THR and
-- the Guardian give no year), which no unique key can express, so films lose film_key and gain their
-- folded titles (indexed, for finding the candidates) and their directors. Each review keeps the
-- film's facts as its own text gave them (title, original title, year, runtime, countries), so one
-- outlet's spelling never overwrites another's and a review reads back exactly as it was parsed; the
-- film row holds the facts shown for the film as a whole. Reviews gain the outlet, the rating (as
-- written, and out of 100) and the page's lead image. Every existing review is kept, on its film.
--
-- films is rebuilt (SQLite cannot drop a UNIQUE constraint), so this runs with foreign keys off;
-- bot/storage/sqlite.py checks them before it commits. fold() is bot.domain.text.fold, registered on
-- the migrating connection so the folded columns match what the store writes.

ALTER TABLE reviews ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE reviews ADD COLUMN original_title TEXT;
ALTER TABLE reviews ADD COLUMN year INTEGER;
ALTER TABLE reviews ADD COLUMN runtime_minutes INTEGER;
ALTER TABLE reviews ADD COLUMN countries TEXT NOT NULL DEFAULT '[]';  -- JSON list, as written
ALTER TABLE reviews ADD COLUMN publication TEXT;
ALTER TABLE reviews ADD COLUMN rating_text TEXT;                      -- as written: ★★★★☆, B+, 4/5
ALTER TABLE reviews ADD COLUMN rating_score REAL;                     -- out of 100
ALTER TABLE reviews ADD COLUMN image_url TEXT;

UPDATE reviews SET
    (title, original_title, year, runtime_minutes) =
        (SELECT f.title, f.original_title, f.year, f.runtime_minutes FROM films f WHERE f.id = reviews.film_id),
    countries = (SELECT json_group_array(name) FROM
        (SELECT name FROM film_countries WHERE film_id = reviews.film_id ORDER BY position));

CREATE TABLE films_v6 (
    -- AUTOINCREMENT: a film id in a posted menu or autocomplete value never comes to name another film
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT NOT NULL,
    original_title  TEXT,
    year            INTEGER,
    runtime_minutes INTEGER,
    folded_title    TEXT NOT NULL,
    folded_original TEXT,
    directors       TEXT NOT NULL DEFAULT '[]'  -- JSON: the directors its reviews credit, first review first
);

INSERT INTO films_v6(id, title, original_title, year, runtime_minutes, folded_title, folded_original, directors)
SELECT f.id, f.title, f.original_title, f.year, f.runtime_minutes, fold(f.title), fold(f.original_title),
    (SELECT json_group_array(name) FROM
        (SELECT p.name FROM reviews r JOIN credits c ON c.review_id = r.id JOIN people p ON p.id = c.person_id
         WHERE r.film_id = f.id AND c.kind = 'director' GROUP BY p.id ORDER BY min(r.id), min(c.position)))
FROM films f WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.film_id = f.id);

DROP TABLE film_countries;
DROP TABLE films;
ALTER TABLE films_v6 RENAME TO films;
CREATE INDEX films_title ON films(folded_title);
CREATE INDEX films_original ON films(folded_original);
