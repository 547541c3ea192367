import { Readable } from 'node:stream';
import type { MessageRow, TraceStep } from '../core/message.ts';
import type { Address, Plan } from '../core/plan.ts';
import type { Categorization, Category, LoopDetails, MailClass, Notice, Screening } from '../core/screening.ts';
import { decide } from '../pipeline.ts';
import { MemoryBlobStore } from '../store/blobs/memory-blobs.ts';
import type { AddressSettings } from '../domain/directory/types.ts';
import type { DirectoryReader } from '../store/directory.ts';
import type { StoreReader } from '../store/store.ts';
import { outcomeOf } from './route/plan-outcome.ts';
import type { RuleSet } from '../core/rules.ts';
import type { LoadedPlugin } from '../plugins/load-plugins.ts';
import type {
  DecideContext,
  LoopLimits,
  MailboxSettings,
  ParseLimits,
  Prefixes,
  ProjectsSettings,
  RecordTypeSettings,
  SigningSettings,
} from './context.ts';

/** One file as `postroom decide --json` prints it. Field names are a contract: add, never rename. */
export interface DecideReport {
  file: string;
  subject: string;
  from: Address | null;
  to: Address[];
  cc: Address[];
  date: string | null;
  messageId: string | null;
  text: string;
  html: string | null;
  attachments: {
    filename: string;
    contentType: string;
    size: number;
    sha256: string;
    contentId: string | null;
    inline: boolean;
  }[];
  class: MailClass;
  category: Category;
  notice: Notice | null;
  replyText: string;
  removedText: string;
  forwarded: Categorization['forwarded'];
  autoReply: Screening['autoReply'];
  loop: LoopDetails | null;
  list: boolean;
  listDetails: Screening['list'];
  suppressAutoAnswer: boolean;
  state: Plan['state'];
  outcome: Plan['outcome'];
  error: Plan['error'];
  warnings: string[];
  trace: TraceStep[];
  /** the record it would create ("new INC") or join (its number); null for none */
  record: string | null;
  /** rules that would fire ("filter: spam"), then mail it would send */
  actions: string[];
}

export interface DecideRawOptions {
  file?: string;
  store: StoreReader;
  directory?: DirectoryReader;
  addressSettings?: AddressSettings;
  projects?: ProjectsSettings;
  mailbox: MailboxSettings;
  recordTypes: Readonly<Record<string, RecordTypeSettings>>;
  prefixes: Prefixes;
  signing: SigningSettings;
  limits: ParseLimits;
  now?: () => number;
  rules?: RuleSet;
  plugins?: readonly LoadedPlugin[];
  mailboxes?: readonly MailboxSettings[];
  loopLimits?: LoopLimits;
}

/**
 * Runs decide on raw bytes with blobs held in memory: nothing is written anywhere. The store is
 * only read (an empty one is fine), so this is what `postroom decide` and the eval use to show
 * how the engine would treat a mail.
 */
export async function decideRaw(raw: Buffer, options: DecideRawOptions): Promise<DecideReport> {
  const blobs = new MemoryBlobStore();
  const blob = await blobs.put(Readable.from([raw]));
  const now = options.now ?? Date.now;
  const message: MessageRow = {
    id: 0,
    mailbox: options.mailbox.address,
    source: 'file',
    dedupeKey: `decide:${blob.sha256}`,
    rawSha256: blob.sha256,
    rawSize: blob.size,
    rawPurged: false,
    messageId: null,
    subject: null,
    from: null,
    state: 'processing',
    outcome: null,
    recordId: null,
    attempts: 1,
    nextAttemptAt: 0,
    leaseOwner: null,
    leaseExpiresAt: null,
    errorCode: null,
    error: null,
    receivedAt: now(),
    finishedAt: null,
    duplicates: 0,
    mailClass: null,
    loopbackCandidate: false,
    envelope: null,
    deferUntil: null,
    routedMailbox: null,
  };
  const ctx: DecideContext = {
    message,
    mailbox: options.mailbox,
    recordTypes: options.recordTypes,
    prefixes: options.prefixes,
    signing: options.signing,
    limits: options.limits,
    store: options.store,
    ...(options.directory ? { directory: options.directory } : {}),
    ...(options.addressSettings ? { addressSettings: options.addressSettings } : {}),
    ...(options.projects ? { projects: options.projects } : {}),
    blobs,
    now,
    ...(options.rules ? { rules: options.rules } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
    ...(options.mailboxes ? { mailboxes: options.mailboxes } : {}),
    ...(options.loopLimits ? { loopLimits: options.loopLimits } : {}),
  };
  const plan = await decide(ctx);
  const outcome = await outcomeOf(options.store, plan);
  const p = plan.parsed;
  const s = plan.screening;
  const c = plan.categorization;
  return {
    file: options.file ?? '',
    subject: p?.subject ?? '',
    from: p?.from ?? null,
    to: p?.to ?? [],
    cc: p?.cc ?? [],
    date: p?.date == null ? null : new Date(p.date).toISOString(),
    messageId: p?.messageId ?? null,
    text: p?.text ?? '',
    html: p?.html ?? null,
    attachments: (p?.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      sha256: a.sha256,
      contentId: a.contentId,
      inline: a.inline,
    })),
    class: s?.class ?? 'general',
    category: c?.category ?? 'new',
    notice: s?.notice ?? null,
    replyText: c?.replyText ?? p?.text ?? '',
    removedText: c?.removedText ?? '',
    forwarded: c?.forwarded ?? null,
    autoReply: s?.autoReply ?? null,
    loop: s?.loop ?? null,
    list: s?.list != null,
    listDetails: s?.list ?? null,
    suppressAutoAnswer: s?.suppressAutoAnswer ?? false,
    state: plan.state,
    outcome: plan.outcome,
    error: plan.error,
    warnings: p?.warnings ?? [],
    trace: plan.trace,
    record: outcome.record,
    actions: outcome.actions,
  };
}
