-- Reason: as V004__memory_search.sqlite.sql, less dropping the FTS5 tables PostgreSQL never had.
CREATE INDEX reviews_updated ON reviews(updated_at);
CREATE INDEX reviews_recency ON reviews(COALESCE(published_at, created_at));
