import type { Generated } from 'kysely';

/** Row shapes as the database holds them (both dialects; flags are 0/1 integers). */
export interface MessagesTable {
  id: Generated<number>;
  mailbox: string;
  source: string;
  dedupe_key: string;
  raw_sha256: string;
  raw_size: number;
  raw_purged: Generated<number>;
  message_id: string | null;
  subject: string | null;
  from_addr: string | null;
  state: Generated<string>;
  outcome: string | null;
  record_id: number | null;
  attempts: Generated<number>;
  next_attempt_at: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: number | null;
  error_code: string | null;
  error: string | null;
  trace: Generated<string>;
  received_at: number;
  finished_at: number | null;
  duplicates: Generated<number>;
  mail_class: string | null;
  loopback_candidate: Generated<number>;
  /** JSON of the SMTP envelope (remoteAddress, helo, mailFrom); null for other sources */
  envelope: string | null;
  defer_until: number | null;
  routed_mailbox: string | null;
}

export interface DeliveriesTable {
  id: Generated<number>;
  message_ref: number;
  source: string;
  origin: string | null;
  duplicate: number;
  received_at: number;
}

export interface RecordCountersTable {
  type: string;
  last: number;
}

export interface RecordsTable {
  id: Generated<number>;
  type: string;
  number: string;
  subject: string;
  requester: string;
  first_text: string;
  created_at: number;
  updated_at: number;
  message_count: Generated<number>;
  status: Generated<string>;
  assignee: string | null;
  /** JSON list */
  tags: Generated<string>;
  /** JSON object */
  fields: Generated<string>;
}

export interface RecordEntriesTable {
  id: Generated<number>;
  record_id: number;
  message_ref: number;
  kind: string;
  text: string;
  created_at: number;
}

export interface AttachmentsTable {
  message_ref: number;
  ordinal: number;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  content_id: string | null;
  inline: number;
}

export interface SentMessagesTable {
  message_id: string;
  record_id: number;
  sent_at: number;
}

export interface NoticesTable {
  id: Generated<number>;
  message_ref: number;
  kind: string;
  original_message_id: string | null;
  linked_message_ref: number | null;
  record_id: number | null;
  /** JSON of NoticeRecipient[] */
  recipients: string;
  created_at: number;
}

export interface AddressStatusTable {
  address: string;
  bouncing: number;
  bounces: number;
  last_status: string | null;
  last_reason: string | null;
  last_notice_ref: number | null;
  updated_at: number;
}

export interface WatermarksTable {
  token: string;
  record_id: number;
  created_at: number;
}

export interface MessageRecordsTable {
  message_id: string;
  record_id: number;
  message_ref: number;
}

export interface RecordWatchersTable {
  record_id: number;
  address: string;
}

export interface EngineSettingsTable {
  name: string;
  value: string;
}

export interface DocumentsTable {
  id: Generated<number>;
  project_id: string | null;
  doc_type: string;
  number: string;
  title: string;
  subtype: string | null;
  source_contact: string | null;
  responsible_party: string | null;
  route_current: number;
  route_destination: number | null;
  created_at: number;
  updated_at: number;
}

export interface DocumentRouteTable {
  document_id: number;
  row_id: string;
  seq: number;
  party: string;
  state: string;
}

export interface DocumentMessagesTable {
  message_ref: number;
  document_id: number;
  kind: string;
  /** JSON of the catalogue plan */
  catalog: string;
  catalogued: Generated<number>;
  created_at: number;
}

export interface DocumentMailsTable {
  message_id: string;
  document_id: number;
  row_id: string;
}

export interface RecordCommentsTable {
  id: Generated<number>;
  record_id: number;
  message_ref: number | null;
  text: string;
  created_at: number;
}

export interface OutboxTable {
  id: Generated<number>;
  message_ref: number | null;
  seq: number;
  record_id: number | null;
  mailbox: string;
  kind: string;
  automatic: number;
  recipient: string;
  message_id: string;
  /** JSON of OutgoingMail */
  mail: string;
  state: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  event_id: string;
  message_ref: number | null;
  endpoint: string;
  url: string;
  body: string;
  state: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** A rule's move of IMAP mail to a folder, made by the mailbox's poller (migration 0010). */
export interface ImapMovesTable {
  message_ref: number;
  mailbox: string;
  target: string;
  state: Generated<string>;
  error: string | null;
  created_at: number;
  done_at: number | null;
}

/** Raw mail kept beside its spool rows (migration 0009); larger mail is a file under blobs/. */
export interface RawInlineTable {
  sha256: string;
  size: number;
  bytes: Buffer;
}

/** SQLite: which row of the raw mail file (sqlite/raw-file.ts) holds the mail with this hash (migration 0012). */
export interface RawIndexTable {
  sha256: string;
  raw_id: number;
}

export interface SchemaMigrationsTable {
  version: number;
  applied_at: number;
}

export interface MailboxLeasesTable {
  mailbox: string;
  owner: string;
  expires_at: number;
}

export interface MailboxCheckpointsTable {
  mailbox: string;
  folder: string;
  uid_validity: number;
  last_uid: number;
}

export interface MailboxStatusTable {
  mailbox: string;
  last_poll_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  backlog: number | null;
  owner: string | null;
}

export interface Database {
  mailbox_leases: MailboxLeasesTable;
  mailbox_checkpoints: MailboxCheckpointsTable;
  mailbox_status: MailboxStatusTable;
  messages: MessagesTable;
  deliveries: DeliveriesTable;
  record_counters: RecordCountersTable;
  records: RecordsTable;
  record_entries: RecordEntriesTable;
  attachments: AttachmentsTable;
  sent_messages: SentMessagesTable;
  notices: NoticesTable;
  address_status: AddressStatusTable;
  watermarks: WatermarksTable;
  message_records: MessageRecordsTable;
  record_watchers: RecordWatchersTable;
  engine_settings: EngineSettingsTable;
  documents: DocumentsTable;
  document_route: DocumentRouteTable;
  document_messages: DocumentMessagesTable;
  document_mails: DocumentMailsTable;
  outbox: OutboxTable;
  record_comments: RecordCommentsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  schema_migrations: SchemaMigrationsTable;
  raw_inline: RawInlineTable;
  raw_index: RawIndexTable;
  imap_moves: ImapMovesTable;
  directory_parties: DirectoryPartiesTable;
  directory_addresses: DirectoryAddressesTable;
  directory_companies: DirectoryCompaniesTable;
  directory_company_domains: DirectoryCompanyDomainsTable;
  directory_projects: DirectoryProjectsTable;
  directory_project_members: DirectoryProjectMembersTable;
}

/** The directory (issue 5): users and contacts (`kind`), their addresses, companies, projects. */
export interface DirectoryPartiesTable {
  id: string;
  kind: string;
  name: string;
  company_id: string | null;
  locked_out: number;
  updated_at: number;
}

export interface DirectoryAddressesTable {
  address: string;
  party_id: string;
  ordinal: number;
  local_lower: string;
  domain: string;
}

export interface DirectoryCompaniesTable {
  id: string;
  name: string;
  primary_contact: string | null;
  updated_at: number;
}

export interface DirectoryCompanyDomainsTable {
  domain: string;
  company_id: string;
  ordinal: number;
}

export interface DirectoryProjectsTable {
  id: string;
  project_key: string;
  name: string;
  active: number;
  updated_at: number;
}

export interface DirectoryProjectMembersTable {
  project_id: string;
  party_id: string;
  active: number;
  ordinal: number;
}
