-- Mail we send for a document's route row (seed 004): a reply to it answers that row.
CREATE TABLE document_mails (
  message_id TEXT PRIMARY KEY,
  document_id INTEGER NOT NULL,
  row_id TEXT NOT NULL
);
