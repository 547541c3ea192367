-- Connectors: one poller per mailbox (a lease), IMAP checkpoints, and what status shows.
CREATE TABLE mailbox_leases (
  mailbox TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE mailbox_checkpoints (
  mailbox TEXT NOT NULL,
  folder TEXT NOT NULL,
  uid_validity INTEGER NOT NULL,
  last_uid INTEGER NOT NULL,
  PRIMARY KEY (mailbox, folder)
);

CREATE TABLE mailbox_status (
  mailbox TEXT PRIMARY KEY,
  last_poll_at INTEGER,
  last_success_at INTEGER,
  last_error TEXT,
  backlog INTEGER,
  owner TEXT
);
