-- SQLite only: where each raw mail lives in the raw file (postroom.raw.db, see open-sqlite.ts).
-- The raw file is append-only by id, with no index of its own: a random-key index in its 64 KiB
-- pages made every batch rewrite hundreds of them. The hash lookup lives here, in small pages,
-- committed with the spool rows that name the mail.
CREATE TABLE raw_index (
  sha256 TEXT PRIMARY KEY,
  raw_id INTEGER NOT NULL
);
CREATE INDEX raw_index_raw_id ON raw_index (raw_id);
