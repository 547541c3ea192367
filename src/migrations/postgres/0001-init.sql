-- Spool, records and the seams later stages fill. Times are epoch milliseconds.
CREATE TABLE messages (
  id BIGSERIAL PRIMARY KEY,
  mailbox TEXT NOT NULL,
  source TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  raw_sha256 TEXT NOT NULL,
  raw_size BIGINT NOT NULL,
  raw_purged SMALLINT NOT NULL DEFAULT 0,
  message_id TEXT,
  subject TEXT,
  from_addr TEXT,
  state TEXT NOT NULL DEFAULT 'queued',
  outcome TEXT,
  record_id BIGINT,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at BIGINT,
  error_code TEXT,
  error TEXT,
  trace TEXT NOT NULL DEFAULT '[]',
  received_at BIGINT NOT NULL,
  finished_at BIGINT,
  duplicates BIGINT NOT NULL DEFAULT 0,
  UNIQUE (mailbox, dedupe_key)
);
CREATE INDEX messages_claim ON messages (state, next_attempt_at, id);
CREATE INDEX messages_message_id ON messages (message_id);
CREATE INDEX messages_record ON messages (record_id);

-- Every intake attempt, so a duplicate delivery is visible rather than silently dropped.
CREATE TABLE deliveries (
  id BIGSERIAL PRIMARY KEY,
  message_ref BIGINT NOT NULL REFERENCES messages (id),
  source TEXT NOT NULL,
  origin TEXT,
  duplicate SMALLINT NOT NULL,
  received_at BIGINT NOT NULL
);
CREATE INDEX deliveries_message ON deliveries (message_ref);

CREATE TABLE record_counters (
  type TEXT PRIMARY KEY,
  last BIGINT NOT NULL
);

CREATE TABLE records (
  id BIGSERIAL PRIMARY KEY,
  type TEXT NOT NULL,
  number TEXT NOT NULL UNIQUE,
  subject TEXT NOT NULL,
  requester TEXT NOT NULL,
  first_text TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  message_count BIGINT NOT NULL DEFAULT 1
);

-- One entry per message on a record; the unique message_ref makes a replayed apply a no-op.
CREATE TABLE record_entries (
  id BIGSERIAL PRIMARY KEY,
  record_id BIGINT NOT NULL REFERENCES records (id),
  message_ref BIGINT NOT NULL UNIQUE REFERENCES messages (id),
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE attachments (
  message_ref BIGINT NOT NULL REFERENCES messages (id),
  ordinal BIGINT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  content_id TEXT,
  inline SMALLINT NOT NULL,
  PRIMARY KEY (message_ref, ordinal)
);

-- Mail we sent (the outbound issue fills it); replies to these attach to their record.
CREATE TABLE sent_messages (
  message_id TEXT PRIMARY KEY,
  record_id BIGINT NOT NULL REFERENCES records (id),
  sent_at BIGINT NOT NULL
);
