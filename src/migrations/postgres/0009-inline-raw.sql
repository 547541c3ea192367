-- Raw mail small enough to live beside its spool row. Committed in the same transaction as the
-- rows that name it, a whole batch of fetched mail costs one fsync instead of one per file, and
-- every node on the database can read it. Keyed by content like the blob files; larger mail
-- stays under blobs/.
CREATE TABLE raw_inline (
  sha256 TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  bytes BYTEA NOT NULL
);
