-- A rule's "move to a folder" for mail fetched by IMAP: written in the apply transaction,
-- carried out by the mailbox's poller (UID MOVE) at its next poll. One per message, so a
-- reprocess queues nothing twice.
CREATE TABLE imap_moves (
  message_ref INTEGER PRIMARY KEY,
  mailbox TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  error TEXT,
  created_at INTEGER NOT NULL,
  done_at INTEGER
);
CREATE INDEX imap_moves_pending ON imap_moves (mailbox, state);
