// Fills a migrated SQLite store with a large history fast: raw SQL through better-sqlite3 on the
// store's own file, one transaction per 50,000 rows. Going through the store API would take an
// hour for a million messages, and the benchmark is about reading them, not writing them.
import { createHash } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { formatRecordNumber } from '../../src/domain/records/record-number.ts';
import { signedMessageId } from '../../src/domain/records/signed-message-id.ts';
import { seededRandom } from '../support/seeded-random.ts';

export interface FillOptions {
  file: string;
  messages: number;
  records: number;
  mailbox: string;
  signing: { secret: string; domain: string };
  /** distinct From addresses of the stored mail */
  senders?: number;
  days?: number;
  now: number;
}

/** What the mails to decide may name: a known thing of record r (1-based) is at index r − 1. */
export interface Filled {
  /** requester of each record */
  requesters: string[];
  numbers: string[];
  /** the signed Message-ID of the mail we sent for each record */
  sentIds: string[];
  /** the watermark token of that mail */
  tokens: string[];
  /** Message-IDs of stored messages: `storedId(n)` for n in 1..messages */
  storedId: (n: number) => string;
  /** the record of stored message n */
  recordOf: (n: number) => number;
}

const batch = 50_000;
export const caseType = { prefix: 'CASE', digits: 7 } as const;
const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const senderAddress = (k: number): string => `user${k}@customer${k % 97}.example`;
export const storedMessageId = (n: number): string => `m${n}@bench.example`;

/** The records, their mail, what we sent for them and the watermarks; a deterministic history. */
export function describeHistory(options: Omit<FillOptions, 'file' | 'now'>): Filled {
  const senders = options.senders ?? 50_000;
  const rand = seededRandom(5);
  const requesters: string[] = [];
  const numbers: string[] = [];
  const sentIds: string[] = [];
  const tokens: string[] = [];
  for (let r = 1; r <= options.records; r++) {
    requesters.push(senderAddress((r - 1) % senders));
    const number = formatRecordNumber(caseType, r);
    numbers.push(number);
    sentIds.push(signedMessageId(number, options.signing.secret, options.signing.domain));
    let token = '';
    for (let i = 0; i < 20; i++) token += alphabet[Math.floor(rand() * alphabet.length)];
    tokens.push(token);
  }
  return {
    requesters,
    numbers,
    sentIds,
    tokens,
    storedId: storedMessageId,
    recordOf: (n) => ((n - 1) % options.records) + 1,
  };
}

/** Writes the history into the store's file; returns how long it took. */
export function fillStore(options: FillOptions, history: Filled): { seconds: number } {
  const started = performance.now();
  const senders = options.senders ?? 50_000;
  const span = (options.days ?? 30) * 86_400_000;
  const db = new SQLite(options.file);
  try {
    // A fill that dies half-way is thrown away, so nothing needs to reach the disk in order.
    db.pragma('synchronous = OFF');
    const inBatches = (total: number, insert: (i: number) => void): void => {
      for (let start = 1; start <= total; start += batch) {
        const end = Math.min(total, start + batch - 1);
        db.transaction(() => {
          for (let i = start; i <= end; i++) insert(i);
        })();
      }
    };

    const record = db.prepare(
      `INSERT INTO records (id, type, number, subject, requester, first_text, created_at, updated_at, message_count)
       VALUES (?, 'CASE', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const perRecord = Math.max(1, Math.round(options.messages / options.records));
    inBatches(options.records, (r) => {
      const at = options.now - span + Math.floor((span * r) / options.records);
      record.run(r, history.numbers[r - 1], `Request ${r}`, history.requesters[r - 1], `Text of request ${r}`, at, at, perRecord);
    });
    db.prepare(`INSERT OR REPLACE INTO record_counters (type, last) VALUES ('CASE', ?)`).run(options.records);

    const message = db.prepare(
      `INSERT INTO messages (id, mailbox, source, dedupe_key, raw_sha256, raw_size, message_id, subject, from_addr,
         state, outcome, record_id, attempts, received_at, finished_at, mail_class)
       VALUES (?, ?, 'smtp', ?, ?, ?, ?, ?, ?, 'processed', ?, ?, 1, ?, ?, 'general')`,
    );
    inBatches(options.messages, (n) => {
      const r = history.recordOf(n);
      const first = n <= options.records;
      // Half the mail on a record comes from its requester, the rest from anyone.
      const from = first || n % 2 === 0 ? history.requesters[r - 1] : senderAddress((n * 7919) % senders);
      const sha = createHash('sha256').update(`m${n}`).digest('hex');
      const at = options.now - span + Math.floor((span * n) / options.messages);
      message.run(
        n, options.mailbox, `sha256:${sha}`, sha, 2000 + (n % 5000), history.storedId(n),
        first ? `Request ${r}` : `Re: [${history.numbers[r - 1]}] Request ${r}`, from,
        first ? 'created' : 'attached', r, at, at + 50,
      );
    });

    // apply claims the Message-ID of the mail that opened each record (fan-out dedupe).
    const claim = db.prepare(`INSERT INTO message_records (message_id, record_id, message_ref) VALUES (?, ?, ?)`);
    inBatches(Math.min(options.records, options.messages), (n) => claim.run(history.storedId(n), history.recordOf(n), n));

    const sent = db.prepare(`INSERT INTO sent_messages (message_id, record_id, sent_at) VALUES (?, ?, ?)`);
    const watermark = db.prepare(`INSERT INTO watermarks (token, record_id, created_at) VALUES (?, ?, ?)`);
    inBatches(options.records, (r) => {
      const at = options.now - span + Math.floor((span * r) / options.records) + 60_000;
      sent.run(history.sentIds[r - 1], r, at);
      watermark.run(history.tokens[r - 1], r, at);
    });
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  return { seconds: (performance.now() - started) / 1000 };
}
