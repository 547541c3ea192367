/**
 * The one registry of error codes. Each code says whether a retry can help (temporary,
 * the mail world's 4xx) or not (permanent, 5xx), and carries the sentence an admin reads.
 */
export const errorCodes = {
  store_unavailable: {
    temporary: true,
    help: 'The database could not be reached or refused the write; check that it is running and reachable (database.url / DATABASE_URL).',
  },
  blob_write_failed: {
    temporary: true,
    help: 'Raw mail could not be written to the data folder; check free disk space and that dataDir is writable.',
  },
  message_too_large: {
    temporary: false,
    help: 'The message is larger than limits.messageSize; raise the limit if such mail is expected.',
  },
  header_too_large: {
    temporary: false,
    help: 'A MIME header block is larger than limits.headerSize; usually a malformed or hostile message.',
  },
  mime_too_deep: {
    temporary: false,
    help: 'MIME parts are nested deeper than limits.mimeDepth; usually a malformed or hostile message.',
  },
  too_many_parts: {
    temporary: false,
    help: 'The message has more MIME parts than limits.parts.',
  },
  too_many_attachments: {
    temporary: false,
    help: 'The message has more attachments than limits.attachments.',
  },
  attachments_too_large: {
    temporary: false,
    help: 'The attachments together are larger than limits.attachmentsTotalSize.',
  },
  unparseable: {
    temporary: false,
    help: 'The MIME structure could not be parsed; the raw message is kept for inspection.',
  },
  raw_missing: {
    temporary: false,
    help: 'The raw bytes of this message are no longer in blob storage (deleted processed mail?); it cannot be processed again.',
  },
  record_race: {
    temporary: true,
    help: 'Another copy of the same mail (sent to two monitored addresses) opened its record at the same moment; this copy is decided again and joins that record.',
  },
  lease_lost: {
    temporary: true,
    help: 'Another worker took this message over (our lease expired); the other worker finishes it.',
  },
  attempts_exhausted: {
    temporary: false,
    help: 'The message failed with temporary errors too many times (runner.maxAttempts); fix the cause and reprocess it.',
  },
  worker_crashed: {
    temporary: true,
    help: 'The worker processing this message stopped before finishing; the message is claimed again.',
  },
  mailbox_unknown: {
    temporary: false,
    help: 'The message belongs to a mailbox that is no longer in the configuration; add it back to mailboxes and reprocess.',
  },
  plugin_failed: {
    temporary: false,
    help: 'A plugin (rules.plugins) threw, timed out or answered something unknown for this message; fix the plugin and reprocess the message.',
  },
  config_invalid: {
    temporary: false,
    help: 'The configuration names something that cannot be used (a plugin module that does not load); the message says which key to fix.',
  },
  internal: {
    temporary: false,
    help: 'An unexpected error occurred while processing; the raw message is kept and can be reprocessed after a fix.',
  },
} as const satisfies Record<string, { temporary: boolean; help: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** An error that carries a registry code, so the runner can decide retry or quarantine. */
export class PostroomError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PostroomError';
    this.code = code;
  }
  get temporary(): boolean {
    return errorCodes[this.code].temporary;
  }
}

/** Coerces anything thrown into a PostroomError; unknown errors become `internal`. */
export function toPostroomError(err: unknown): PostroomError {
  if (err instanceof PostroomError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PostroomError('internal', message, { cause: err });
}

/** True for a code or error whose cause a retry may clear. */
export function isTemporary(code: ErrorCode): boolean {
  return errorCodes[code].temporary;
}
