-- Reason: first schema. Films, reviews, people, companies, credits and sales contacts are normalised so
-- /person and /sales company: are plain indexed joins; the FTS5 table indexes accent-folded titles,
-- people and companies for search, and its vocabulary feeds typo correction.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE films (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    original_title  TEXT,
    year            INTEGER,
    runtime_minutes INTEGER,
    -- folded title + year + first director: how a second review of the same film finds it
    film_key        TEXT NOT NULL UNIQUE
);

CREATE TABLE film_countries (
    film_id  INTEGER NOT NULL REFERENCES films(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    PRIMARY KEY (film_id, position)
);

CREATE TABLE reviews (
    id             INTEGER PRIMARY KEY,
    film_id        INTEGER NOT NULL REFERENCES films(id),
    -- where the review came from (file path or URL); an edited file updates the same row
    source         TEXT UNIQUE,
    url            TEXT UNIQUE,
    content_hash   TEXT NOT NULL,
    headline       TEXT,
    pull_quote     TEXT,
    image_credit   TEXT,
    body           TEXT NOT NULL,          -- JSON list of paragraphs
    festival       TEXT,
    section        TEXT,
    festival_year  INTEGER,
    published_at   TEXT,                   -- ISO 8601, UTC
    reviewer       TEXT,
    summary        TEXT,                   -- JSON Summary, filled at ingest time
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX reviews_film ON reviews(film_id);
CREATE INDEX reviews_festival ON reviews(festival, festival_year, section);

CREATE TABLE people (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE,
    folded TEXT NOT NULL
);
CREATE INDEX people_folded ON people(folded);

CREATE TABLE companies (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE,
    folded TEXT NOT NULL
);
CREATE INDEX companies_folded ON companies(folded);

-- kind: director | screenwriter | cast | credit; label is the credit line's snake_case label
CREATE TABLE credits (
    review_id  INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    label      TEXT NOT NULL,
    position   INTEGER NOT NULL,
    person_id  INTEGER REFERENCES people(id),
    company_id INTEGER REFERENCES companies(id),
    PRIMARY KEY (review_id, kind, label, position),
    CHECK ((person_id IS NULL) != (company_id IS NULL))
);
CREATE INDEX credits_person ON credits(person_id);
CREATE INDEX credits_company ON credits(company_id);

CREATE TABLE sales_contacts (
    review_id  INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    emails     TEXT NOT NULL,  -- JSON lists, as written
    phones     TEXT NOT NULL,
    urls       TEXT NOT NULL,
    PRIMARY KEY (review_id, position)
);
CREATE INDEX sales_company ON sales_contacts(company_id);

-- rowid = reviews.id; columns hold fold()ed text so accents and case never matter
CREATE VIRTUAL TABLE search_index USING fts5(
    title, people, companies,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '2 3'
);
CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_index, 'col');
