-- Connectors: one poller per mailbox (a lease), IMAP checkpoints, and what status shows.
CREATE TABLE mailbox_leases (
  mailbox TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);

CREATE TABLE mailbox_checkpoints (
  mailbox TEXT NOT NULL,
  folder TEXT NOT NULL,
  uid_validity BIGINT NOT NULL,
  last_uid BIGINT NOT NULL,
  PRIMARY KEY (mailbox, folder)
);

CREATE TABLE mailbox_status (
  mailbox TEXT PRIMARY KEY,
  last_poll_at BIGINT,
  last_success_at BIGINT,
  last_error TEXT,
  backlog BIGINT,
  owner TEXT
);
