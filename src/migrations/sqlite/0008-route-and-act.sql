-- Route and act: what rules may set on a record, jobs held by a rule's timer, diverted mail,
-- the outbox (mail we answer with) and the webhook queue. Both queues are written in the apply
-- transaction and drained afterwards, so an effect exists exactly when its message committed.
ALTER TABLE records ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
ALTER TABLE records ADD COLUMN assignee TEXT;
ALTER TABLE records ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE records ADD COLUMN fields TEXT NOT NULL DEFAULT '{}';

-- A job a rule deferred: once this time has passed the defer phase lets it through.
ALTER TABLE messages ADD COLUMN defer_until INTEGER;
-- The mailbox a filter rule diverted the message to (its rules and record type applied).
ALTER TABLE messages ADD COLUMN routed_mailbox TEXT;

-- Comments rules add to a record (the mail's own entry stays one per message in record_entries).
CREATE TABLE record_comments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  record_id INTEGER NOT NULL,
  message_ref INTEGER,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX record_comments_record ON record_comments (record_id);

CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_ref INTEGER,
  seq INTEGER NOT NULL,
  record_id INTEGER,
  mailbox TEXT NOT NULL,
  kind TEXT NOT NULL,
  automatic INTEGER NOT NULL,
  recipient TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  mail TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER,
  UNIQUE (message_ref, seq)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
CREATE INDEX outbox_record ON outbox (record_id, created_at);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  message_ref INTEGER,
  endpoint TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX webhook_due ON webhook_deliveries (state, next_attempt_at);
