-- Screening: each message's class, the loopback-candidate flag, notices and bouncing addresses.
ALTER TABLE messages ADD COLUMN mail_class TEXT;
ALTER TABLE messages ADD COLUMN loopback_candidate INTEGER NOT NULL DEFAULT 0;

-- The loopback rate window counts a sender's recent mail in one mailbox.
CREATE INDEX messages_sender_window ON messages (mailbox, from_addr, received_at);

-- Bounces, delivery notices, read receipts and complaints, linked to the mail they concern.
CREATE TABLE notices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_ref INTEGER NOT NULL UNIQUE REFERENCES messages (id),
  kind TEXT NOT NULL,
  original_message_id TEXT,
  linked_message_ref INTEGER,
  record_id INTEGER,
  recipients TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX notices_original ON notices (original_message_id);

-- Addresses a hard bounce marked as bouncing (outbound will not write to them).
CREATE TABLE address_status (
  address TEXT PRIMARY KEY,
  bouncing INTEGER NOT NULL DEFAULT 0,
  bounces INTEGER NOT NULL DEFAULT 0,
  last_status TEXT,
  last_reason TEXT,
  last_notice_ref INTEGER,
  updated_at INTEGER NOT NULL
);
