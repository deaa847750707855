-- Reason: search moved to in-memory word indexes (bot/search_index.py), built from films, people and
-- companies; FTS5 answered typo and broad-prefix queries in 15-400 ms at 100,000 reviews and cost
-- every ingest a 48 KB index segment. The index on updated_at lets a running bot find the reviews
-- another process (festbot ingest) added or changed since it last looked, without a scan; the one on
-- recency serves "newest first" listings (autocomplete before anything is typed) without a sort of
-- every review.
DROP TABLE search_vocab;
DROP TABLE search_index;
CREATE INDEX reviews_updated ON reviews(updated_at);
CREATE INDEX reviews_recency ON reviews(COALESCE(published_at, created_at));
