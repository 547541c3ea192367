// Written out by `postroom init`. Every value equals the built-in default, so an untouched copy
// behaves exactly like running without a config file (a unit test holds this true).

/** Commented example postroom.config.yaml listing every setting with its default. */
export const configTemplate: string = `# Postroom configuration.
# Every setting below shows its default; delete any you do not change.
# Any text value may use \${VAR} (or \${VAR:-fallback}) to read an environment variable.
# Sizes: a number of bytes, or 512KB / 50MB / 1GB (1KB = 1024 bytes).
# Durations: a number (in the unit the setting names), or 500ms / 30s / 5m / 1h / 1d.

# Folder for the embedded database and stored raw messages.
# A relative path is taken relative to this file's folder.
# Environment override: POSTROOM_DATA_DIR.
dataDir: ./data

database:
  # "" (the default) uses the embedded SQLite database at <dataDir>/postroom.db (raw mail in
  # postroom.raw.db beside it: back up both).
  # postgres://… or postgresql://… connects to PostgreSQL; sqlite:PATH uses a SQLite file elsewhere.
  # Environment override: DATABASE_URL.
  url: ""
  # url: postgres://postroom:\${PGPASSWORD}@127.0.0.1:5432/postroom

log:
  # One of fatal, error, warn, info, debug, trace, silent. Default info.
  # Environment override: POSTROOM_LOG_LEVEL.
  level: info

# Built-in SMTP listener that receives mail for the mailboxes below.
smtp:
  # Set to false to run without the listener (e.g. when mail arrives another way). Default true.
  enabled: true
  # Interface to listen on; 0.0.0.0 accepts connections from other machines. Default 127.0.0.1.
  host: 127.0.0.1
  # TCP port, 1-65535. Default 2525. Environment override: POSTROOM_SMTP_PORT.
  port: 2525
  # Largest message accepted over SMTP; larger ones are refused. Default 50MB.
  maxMessageSize: 50MB
  # Name announced in the SMTP greeting. Default Postroom.
  banner: Postroom

# The HTTP face: REST API (/api/v1, OpenAPI at /api/v1/openapi.json), Prometheus /metrics and
# /health. Off by default. The API answers only requests with "Authorization: Bearer <token>".
http:
  # Environment override: POSTROOM_HTTP_ENABLED.
  enabled: false
  # Interface to listen on. Default 127.0.0.1. Put a TLS proxy in front before exposing it.
  host: 127.0.0.1
  # TCP port. Default 8025. Environment override: POSTROOM_HTTP_PORT.
  port: 8025
  # At least 16 characters; "" leaves /api off (/health and /metrics still answer).
  # Environment override: POSTROOM_HTTP_TOKEN.
  token: ""
  # Largest mail POST /api/v1/mail accepts. Default 50MB.
  maxUploadSize: 50MB

# Background processing of received messages.
runner:
  # Worker loops processing messages, 1-64. Default 2.
  workers: 2
  # Messages each worker handles at the same time, 1-256. Default 4.
  concurrency: 4
  # How long a worker may hold a message before another may take it over (seconds). Default 60.
  leaseSeconds: 60
  # How often idle workers look for new work (milliseconds). Default 500ms.
  pollInterval: 500ms
  # Attempts per message before it is set aside as failed. Default 5.
  maxAttempts: 5
  # Wait before retrying a failed message: grows from base up to max (seconds). Defaults 5s and 10m.
  backoff:
    base: 5s
    max: 10m

# Safety limits that protect parsing from oversized or deeply nested mail; a message beyond them is not processed normally.
limits:
  # Largest raw message processed. Default 300MB.
  messageSize: 300MB
  # Largest header block of any single MIME part. Default 1MB.
  headerSize: 1MB
  # Deepest nesting of MIME parts. Default 20.
  mimeDepth: 20
  # Most MIME parts in one message. Default 500.
  parts: 500
  # Most attachments in one message. Default 100.
  attachments: 100
  # Largest combined size of one message's attachments. Default 250MB.
  attachmentsTotalSize: 250MB

# Kinds of record created from mail. Each record gets a number: prefix plus a zero-padded counter
# with the given digits (3-12), e.g. CASE0000042. Prefix: capital letter first, then up to 15
# capitals, digits, _ or -. start: the first number (ServiceNow style INC0010001: start 10001).
# Default: a single CASE type.
recordTypes:
  CASE:
    prefix: CASE
    digits: 7
    start: 1
  # INC:
  #   prefix: INC
  #   digits: 7
  #   start: 10001

# Driver profiles (Siebel): shared settings that mailboxes name with \`profile:\`; a mailbox's
# own settings win. Any mailbox key below except address and profile may be set here.
profiles: {}
#  pop-default: { connector: pop3, pollingInterval: 60s, batchSize: 50, afterProcessing: delete }

# Subject prefixes that mark a forward or a reply (compared without case; "Re[2]:" and
# "[EXT] Re:" count too). Forward is checked before reply; the defaults cover English and
# the common localized ones.
prefixes:
  forward: ["fw:", "fwd:", "wg:", "tr:", "rv:", "i:", "vs:", "vl:", "doorst:", "fs:", "enc:", "pd:", "rif:", "пересл:", "转发:", "轉寄:", "fw：", "转发："]
  reply: ["re:", "aw:", "r:", "sv:", "antw:", "réf:", "ref:", "odp:", "vá:", "ynt:", "atb:", "res:", "отв:", "ответ:", "回复:", "答复:", "回覆:", "re：", "回复：", "accepted:", "tentative:", "declined:"]

# Project documents (seed 004), for mailboxes with projectDocuments: true. A subject such as
# "GC003 Field Report: 9/18/2012" creates a Field Report in project GC-003; "Re: GC003 Field
# Report # 0146 Photos" adds to document 0146. inbound: Yes (may create), Smart (may only add to
# a named document), No (ignored). Without a recognised doc type, Correspondence (subtype EM)
# is assumed. catalog: per file extension, 0 skip, 1 catalogue, 2 catalogue and link; the mail
# itself (eml) only when catalogFolder is set.
projects:
  docTypes:
    - name: Correspondence
      inbound: "Yes"
      requiresProject: false
      active: true
      subtypes: [EM]
      catalog: {}
      firstNumber: 1
      digits: 4
    # - { name: Field Report, shortId: FR, inbound: "Yes", catalog: { pdf: 1, dwg: 2, exe: 0 } }
  catalogFolder: ""

# How sender addresses match the directory (postroom directory import): the domain never
# minds case; the local part does not either unless set to sensitive; "+" makes
# bob+invoices@example.com match bob@example.com ("" turns that off).
directory:
  localPartCase: insensitive
  subaddressSeparator: "+"

# Message-IDs of mail Postroom sends are signed, so a reply's In-Reply-To can be trusted.
signing:
  # HMAC key; "" (default) generates one at first start and keeps it in the database.
  secret: ""
  # Domain part of our Message-IDs. Default postroom.localhost.
  domain: postroom.localhost

# Outgoing mail (answers, forwards, notices) waits in the outbox until the mailbox's outbound
# server takes it; a failed try is retried after base, doubling up to max, attempts times in
# all, then the mail is "failed" with the server's answer (postroom outbox list --failed).
outbox:
  attempts: 8
  base: 30s
  max: 1h

# How long raw mail is kept once its message is final. Past that, the raw bytes (and the spool
# folder copy) are deleted; the message row, its trace and its record stay. Checked at start
# and every sweepInterval; \`postroom messages purge\` runs it at once. forever = keep.
retention:
  # processed, skipped, loopback and rejected mail, e.g. 90d
  rawMail: forever
  # failed (quarantined) mail: what you reprocess after a fix
  failedMail: forever
  sweepInterval: 1h

# Signed webhooks: endpoints a mailbox (mailboxes[].webhooks) or a rule (do: [{ webhook: crm }])
# posts to. schedule: the delay before each try; the default is 10 tries over about 10.7 hours,
# then the delivery is a dead letter (postroom webhooks list --failed; postroom webhooks replay ID).
webhooks:
  endpoints: {}
  # endpoints:
  #   crm: { url: https://crm.example.com/postroom, secret: \${CRM_WEBHOOK_SECRET}, inlineAttachmentsUpTo: 256KB }
  schedule: [0s, 30s, 2m, 10m, 30m, 1h, 2h, 2h, 2h, 3h]

# Loop limits: at most this many automatic answers per sender and per record within the
# window. Machine mail (auto-replies, bounces, lists, our own) never gets one at all.
loopLimits:
  window: 1h
  perSender: 3
  perRecord: 5

# Rules, in Mercury's fixed order: plugins, preFilter policies, contentControl sets, filters,
# postFilter policies; then ServiceNow's inboundActions (type new|reply|forward, order,
# stopProcessing). No inbound actions: new mail opens a record, replies join theirs.
# include: [rules/support.yaml] adds the phases of other files. Try a change safely with
# \`postroom rules test --rules FILE\`. Example:
#   filters:
#     - name: spam
#       when: { any: [{ subject: { contains: "[SPAM]" } }, { header: { name: X-Spam-Flag, equals: "YES" } }] }
#       do: [{ delete: true }]
#   inboundActions:
#     - { name: create-incident, type: new, order: 100, do: [{ createRecord: {} }, { reply: { template: "We opened {{ record.number }}." } }] }
#     - { name: comment, type: reply, order: 100 }
rules:
  plugins: []
  preFilter: []
  contentControl: []
  filters: []
  postFilter: []
  inboundActions: []

# Monitored addresses: mail to each creates or updates records of its recordType.
# At least one is required; each address may appear once (case does not matter).
# Default: support@localhost creating CASE records.
mailboxes:
  - address: support@localhost
    # Must name one of the recordTypes above. Default CASE.
    recordType: CASE
    # Delete the raw .eml once the records hold what matters (like Siebel's
    # "Delete Processed Messages"). Default false keeps the original message.
    deleteProcessed: false
    # How mail reaches this mailbox: smtp (the listener above or \`postroom ingest\`),
    # pop3 or imap (Postroom fetches it from server:). Default smtp.
    connector: smtp
    # For pop3/imap:
    # server: { host: imap.example.com, port: 993, tls: true, user: support, password: \${SUPPORT_PW} }
    #   tls: true (implicit TLS), starttls, or false; rejectUnauthorized: false only for a self-signed test server
    #   XOAUTH2: auth: { user: support@example.com, accessToken: { command: "./get-token.sh" } }
    # IMAP folder to fetch from. Default INBOX.
    folder: INBOX
    # IMAP: wait for new mail with IDLE; polling is the fallback. Default true.
    idle: true
    # After the message is safely stored: delete, keep, flag-seen (IMAP), or { move: Processed } (IMAP).
    afterProcessing: delete
    # How often to poll the server. Default 60s.
    pollingInterval: 60s
    # Most messages fetched in one session. Default 50.
    batchSize: 50
    # Loop protection: a sender (or sender+subject, loopbackKey) sending more than
    # loopbackMaxMessages within loopbackDetectionInterval is held in state loopback
    # (spool/loopback). 0 turns it off. With processIfLoopbackDetected: true such mail
    # is processed anyway, flagged as a loopback candidate. Mail imported with
    # \`postroom ingest\` from files, a Maildir or an mbox is not counted as a storm.
    # Defaults 10m, 40, sender, false.
    loopbackDetectionInterval: 10m
    loopbackMaxMessages: 40
    loopbackKey: sender
    processIfLoopbackDetected: false
    # The same mail to two monitored addresses: merge (one record, default) or separate.
    fanOut: merge
    # Who may open records by mail (seed 004): accept-all (default), reject-all,
    # known-contacts (senders in the directory), or known-contacts-or-company (also anyone
    # at a domain whose company has exactly one primary contact). Others end in state rejected.
    whitelist: accept-all
    # Unknown senders from these domains become directory users on their first mail (seed 001).
    autoCreateUsersFrom: []
    # Is the sender who the From says? verify checks DKIM, SPF and DMARC here; trust-header
    # reads only the Authentication-Results of the MTAs named in trustedAuthservIds; off skips it.
    # A sender whose From fails DMARC is "unverified": never treated as the directory entry it
    # claims to be, and limited to the actions in unverifiedMay (create, update, reopen, close).
    # Seed 004: general mail creates and updates project documents instead of records.
    projectDocuments: false
    # Answers leave through this mailbox's own SMTP server (seed 002):
    # outbound: { host: smtp.example.com, port: 587, tls: starttls, auth: { user: support, password: \${SMTP_PW} } }
    # IMAP: a copy of each answer is appended here; "" keeps it in spool/sent instead.
    sentFolder: Sent
    # Webhook endpoints (webhooks.endpoints) told of every mail this mailbox settles.
    webhooks: []
    # A reply to a resolved record opens it again (the built-in reply action).
    reopenResolved: true
    # A forward opens a record for its original sender (original-sender) or the forwarder.
    forwardCredit: original-sender
    trust:
      mode: verify
      trustedAuthservIds: []
      # IPs or CIDRs of your own relays: the client IP for SPF is the first hop outside them.
      trustedRelays: []
      unverifiedMay: [create]
  # - address: billing@example.com
  #   recordType: TICKET
`;
