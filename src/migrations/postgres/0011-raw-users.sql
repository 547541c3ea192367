-- Finding the other messages that share a raw mail (purging a processed one, sweeping raw mail
-- that no row names) looked at every message; by its hash it is one index lookup.
CREATE INDEX messages_raw_sha256 ON messages (raw_sha256);
