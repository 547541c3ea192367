-- Identity and threading: the SMTP envelope of each message (for SPF), watermarks of mail we
-- send, record ownership of Message-IDs (one record per mail across mailboxes), engine settings.
ALTER TABLE messages ADD COLUMN envelope TEXT;

CREATE TABLE watermarks (
  token TEXT PRIMARY KEY,
  record_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

-- The first record a Message-ID went to: a second copy (another monitored address) joins it.
CREATE TABLE message_records (
  message_id TEXT PRIMARY KEY,
  record_id INTEGER NOT NULL,
  message_ref INTEGER NOT NULL
);

-- People who may add to a record besides its requester (the requester is on the record).
CREATE TABLE record_watchers (
  record_id INTEGER NOT NULL,
  address TEXT NOT NULL,
  PRIMARY KEY (record_id, address)
);

CREATE TABLE engine_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
