-- Project documents (seed 004): a document per project, doc type and number, with its route
-- (sequences of parties) and what each mail added to it.
CREATE TABLE documents (
  id BIGSERIAL PRIMARY KEY,
  project_id TEXT,
  doc_type TEXT NOT NULL,
  number TEXT NOT NULL,
  title TEXT NOT NULL,
  subtype TEXT,
  source_contact TEXT,
  responsible_party TEXT,
  route_current INTEGER NOT NULL DEFAULT 1,
  route_destination INTEGER,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX documents_number ON documents (project_id, doc_type, number);

CREATE TABLE document_route (
  document_id BIGINT NOT NULL,
  row_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  party TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (document_id, row_id)
);

-- Each mail's part in a document: created it or attached to it, and what was catalogued.
CREATE TABLE document_messages (
  message_ref BIGINT PRIMARY KEY,
  document_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  catalog TEXT NOT NULL,
  -- 1 once the catalogue files are on disk; the runner finishes the rest at start
  catalogued INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE INDEX document_messages_document ON document_messages (document_id);
CREATE INDEX document_messages_pending ON document_messages (catalogued);
