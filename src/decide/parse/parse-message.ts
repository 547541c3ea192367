import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  MailParser,
  type AddressObject,
  type AttachmentStream,
  type HeaderValue,
  type MessageText,
} from 'mailparser';
import { PostroomError } from '../../core/errors.ts';
import { messageIdList, normalizeMessageId } from '../../core/message-id.ts';
import type { Address, AttachmentMeta, ParsedMessage, ReportPart } from '../../core/plan.ts';
import type { BlobStore } from '../../store/blob-store.ts';
import type { ParseLimits } from '../context.ts';
import { BodyCharsets } from './body-charsets.ts';
import { textFromHtml } from './html-text.ts';
import { readHead, replaceHead } from './raw-head.ts';
import { repairHeaders, type HeaderLine } from './repair-headers.ts';
import { repairStructure, repairWindow } from './repair-structure.ts';
import { safeFilename } from './safe-filename.ts';

/** A MIME node as mailsplit hands it to mailparser; only what the limits need. */
interface SplitNode {
  type: string;
  contentType?: string | false;
  parentNode?: SplitNode | false;
  getHeaders?: () => Buffer;
}
type ChunkHandler = (data: SplitNode, done: (err?: Error) => void) => void;

/**
 * Parses a raw message from blob storage with mailparser's streaming API: attachments go
 * straight to blob storage and are never held in memory. Limits throw a permanent
 * PostroomError with the reason.
 */
export async function parseMessage(
  blobs: BlobStore,
  rawSha256: string,
  limits: ParseLimits,
): Promise<ParsedMessage> {
  const first = await parseOnce(blobs, rawSha256, limits, null);
  if (!first.broken) return first.message;
  // Rare, so paid only here: read the start again, repair it, and parse once more.
  const head = await readHead(blobs.open(rawSha256), repairWindow);
  const repair = repairStructure(head);
  if (!repair) return first.message;
  const second = await parseOnce(blobs, rawSha256, limits, { skip: head.length, head: repair.head });
  second.message.warnings.unshift(...repair.fixes.map((f) => `MIME structure repaired: ${f}`));
  return second.message;
}

interface ParseOutcome {
  message: ParsedMessage;
  /** the body came out empty, or a part's Content-Type could not be read: worth a repair */
  broken: boolean;
}

async function parseOnce(
  blobs: BlobStore,
  rawSha256: string,
  limits: ParseLimits,
  repaired: { skip: number; head: Buffer } | null,
): Promise<ParseOutcome> {
  const reports: ReportPart[] = [];
  const warnings: string[] = [];
  const bodyCharsets = new BodyCharsets(warnings);
  const parser = new MailParser({
    maxHeadSize: limits.headerSize,
    maxChildNodes: limits.parts,
    skipImageLinks: true,
    skipTextLinks: true,
    skipTextToHtml: true,
    // a DSN's machine part is read by screening from `reports`, not mixed into the body text
    keepDeliveryStatus: true,
    Iconv: bodyCharsets.Iconv,
  });
  const seen = { malformedType: false };
  enforceStructureLimits(parser, limits, reports, seen);
  bodyCharsets.attach(parser);

  let headers = new Map<string, HeaderValue>();
  parser.on('headers', (h) => {
    headers = h;
  });
  let headerLines: HeaderLine[] = [];
  parser.on('headerLines', (lines: HeaderLine[]) => {
    headerLines = lines;
  });
  const attachments: AttachmentMeta[] = [];
  let attachmentBytes = 0;
  let text = '';
  let html: string | null = null;

  const collector = new Transform({
    objectMode: true,
    transform(data: AttachmentStream | MessageText, _enc, done) {
      if (data.type === 'text') {
        text = data.text ?? '';
        html = typeof data.html === 'string' ? data.html : null;
        if (data.textConversionError)
          warnings.push(`the HTML body could not be turned into text: ${data.textConversionError.message}`);
        done();
        return;
      }
      const ordinal = attachments.length + 1;
      if (ordinal > limits.attachments) {
        done(
          new PostroomError(
            'too_many_attachments',
            `more than ${limits.attachments} attachments (limits.attachments)`,
          ),
        );
        return;
      }
      const contentType = (data.contentType || 'application/octet-stream').toLowerCase();
      const report = reportTypes.has(contentType) ? { contentType, chunks: [] as Buffer[], size: 0 } : null;
      const meter = new Transform({
        transform(chunk: Buffer, _e, next) {
          attachmentBytes += chunk.length;
          if (report && report.size < reportCap) {
            report.chunks.push(chunk);
            report.size += chunk.length;
          }
          if (attachmentBytes > limits.attachmentsTotalSize) {
            next(
              new PostroomError(
                'attachments_too_large',
                `attachments exceed ${limits.attachmentsTotalSize} bytes in total (limits.attachmentsTotalSize)`,
              ),
            );
            return;
          }
          next(null, chunk);
        },
      });
      blobs
        .put(data.content.pipe(meter))
        .then((blob) => {
          if (report)
            reports.push({
              contentType,
              text: Buffer.concat(report.chunks).subarray(0, reportCap).toString('utf8'),
            });
          attachments.push({
            ordinal,
            filename: safeFilename(data.filename ?? nameFromContentId(data.contentId), ordinal, contentType),
            contentType,
            size: blob.size,
            sha256: blob.sha256,
            contentId: normalizeMessageId(data.contentId ?? data.cid ?? null),
            inline: data.contentDisposition === 'inline' || data.related === true,
          });
          data.release?.();
          done();
        })
        .catch((err: unknown) => {
          data.release?.();
          done(err instanceof Error ? err : new Error(String(err)));
        });
    },
  });

  try {
    if (repaired)
      await pipeline(blobs.open(rawSha256), replaceHead(repaired.skip, repaired.head), parser, collector);
    else await pipeline(blobs.open(rawSha256), parser, collector);
  } catch (err) {
    throw classifyParseError(err);
  }
  repairHeaders(headers, headerLines, warnings);
  // (assigned in the collector above; TypeScript cannot see that through the callback)
  const htmlBody = html as string | null;
  if (text.trim() === '' && htmlBody !== null && htmlBody.trim() !== '') {
    const converted = textFromHtml(htmlBody);
    text = converted.text;
    if (converted.warning) warnings.push(converted.warning);
  }

  const cidMap: Record<string, number> = {};
  for (const a of attachments) if (a.contentId) cidMap[a.contentId] = a.ordinal;
  const empty = text.trim() === '' && htmlBody === null && attachments.length === 0 && reports.length === 0;
  const message: ParsedMessage = {
    messageId: normalizeMessageId(headerText(headers.get('message-id'))[0]),
    inReplyTo: messageIdList(headerText(headers.get('in-reply-to'))),
    references: messageIdList(headerText(headers.get('references'))),
    subject: headerText(headers.get('subject'))[0] ?? '',
    from: firstAddress(headers.get('from')),
    to: addresses(headers.get('to')),
    cc: addresses(headers.get('cc')),
    date: dateOf(headers.get('date')),
    headers: headerRecord(headers, headerLines),
    text,
    html,
    attachments,
    cidMap,
    reports,
    warnings,
  };
  return { message, broken: empty || seen.malformedType };
}

/**
 * Machine-readable report parts that screening reads (DSN, MDN, ARF, the returned headers).
 * They are small by standard; the cap keeps a hostile one from growing memory.
 */
const reportTypes = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'message/disposition-notification',
  'message/global-disposition-notification',
  'message/feedback-report',
  'text/rfc822-headers',
  'message/rfc822-headers',
  'message/global-headers',
  'message/rfc822',
  'message/global',
]);
const reportCap = 64 * 1024;

/**
 * mailparser has no MIME depth limit and reports part overflow only as a generic error, so we
 * wrap its (internal) per-node hook. If a mailparser upgrade removes the hook we fail loudly
 * here rather than silently lose the limit; the hostile-input test pins this.
 */
function enforceStructureLimits(
  parser: MailParser,
  limits: ParseLimits,
  reports: ReportPart[],
  seen: { malformedType: boolean },
): void {
  const target = parser as unknown as { processChunk?: ChunkHandler };
  const original = target.processChunk;
  if (typeof original !== 'function')
    throw new PostroomError('internal', 'mailparser no longer exposes processChunk');
  let nodes = 0;
  target.processChunk = (data, done) => {
    if (data.type === 'node') {
      nodes += 1;
      // "text/plain charset=x": parameters lost their ';', so the part turns into an attachment
      if (typeof data.contentType === 'string' && /\s/.test(data.contentType.trim())) seen.malformedType = true;
      // mailparser opens an inline message/rfc822 and merges its text; its header block
      // (the returned mail's Message-ID, To, Subject) is kept here for bounce screening.
      const parent = data.parentNode;
      if (parent && parent.contentType === 'message/rfc822' && data.getHeaders && reports.length < 16)
        reports.push({
          contentType: 'text/rfc822-headers',
          text: data.getHeaders().subarray(0, reportCap).toString('utf8'),
        });
      if (nodes > limits.parts)
        return done(
          new PostroomError('too_many_parts', `more than ${limits.parts} MIME parts (limits.parts)`),
        );
      let depth = 0;
      for (let node = data.parentNode; node; node = node.parentNode) depth += 1;
      if (depth > limits.mimeDepth) {
        return done(
          new PostroomError(
            'mime_too_deep',
            `MIME nesting deeper than ${limits.mimeDepth} levels (limits.mimeDepth)`,
          ),
        );
      }
    }
    original.call(parser, data, done);
  };
}

function classifyParseError(err: unknown): PostroomError {
  if (err instanceof PostroomError) return err;
  const e = err as { code?: string; message?: string };
  // mailsplit raises EMAXLEN for both of its limits; the message tells them apart.
  if (/child nodes/i.test(e.message ?? ''))
    return new PostroomError('too_many_parts', 'too many MIME parts (limits.parts)', { cause: err });
  if (e.code === 'EMAXLEN')
    return new PostroomError('header_too_large', 'a MIME header block exceeds limits.headerSize', {
      cause: err,
    });
  if (e.code === 'ENOENT')
    return new PostroomError('raw_missing', 'the raw message is missing from blob storage', { cause: err });
  return new PostroomError('unparseable', `MIME parse failed: ${e.message ?? String(err)}`, { cause: err });
}

function headerText(value: HeaderValue | undefined): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => headerText(v as HeaderValue));
  if (typeof value === 'string') return [value];
  if (value instanceof Date) return [Number.isNaN(value.getTime()) ? '' : value.toISOString()];
  if (typeof value === 'object' && 'text' in value && typeof value.text === 'string') return [value.text];
  if (typeof value === 'object' && 'value' in value && typeof value.value === 'string') return [value.value];
  // a structured value we cannot name (never '[object Object]'); headerRecord falls back to the raw line
  return typeof value === 'number' || typeof value === 'boolean' ? [String(value)] : [];
}

/**
 * Header name → decoded values. mailparser folds all List-* headers into one `list` object, so
 * those (and any header it returns in a shape we cannot read) come from the raw header lines,
 * unfolded but otherwise exact, each under its own name.
 */
function headerRecord(headers: Map<string, HeaderValue>, lines: HeaderLine[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const rawKeys = new Set(lines.map((l) => l.key));
  for (const [name, value] of headers) {
    if (name === 'list' && !rawKeys.has('list')) continue;
    const text = headerText(value);
    if (text.length > 0) out[name] = text;
  }
  for (const key of rawKeys) {
    if (out[key] !== undefined && out[key].length > 0) continue;
    out[key] = lines
      .filter((l) => l.key === key)
      .map((l) => l.line.slice(l.line.indexOf(':') + 1).replace(/\r?\n(?=[ \t])/g, '').trim());
  }
  return out;
}

/**
 * Outlook and Exchange give an unnamed inline image a Content-ID whose local part is its file
 * name (<image001.jpg@01CDB132.D8A510F0>); that name beats "attachment-1.jpeg".
 */
function nameFromContentId(contentId: string | undefined): string | undefined {
  const local = /^<?([^@<>]+)@/.exec(contentId?.trim() ?? '')?.[1];
  return local && /^[\w\-. ]+\.[a-z0-9]{2,5}$/i.test(local) ? local : undefined;
}

function addresses(value: HeaderValue | undefined): Address[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  const out: Address[] = [];
  const visit = (entries: AddressObject['value']): void => {
    for (const entry of entries) {
      if (entry.group) visit(entry.group);
      else if (entry.address) out.push({ address: entry.address.toLowerCase(), name: entry.name ?? '' });
    }
  };
  for (const item of list)
    if (typeof item === 'object' && item !== null && 'value' in item && Array.isArray(item.value))
      visit(item.value);
  return out;
}

function firstAddress(value: HeaderValue | undefined): Address | null {
  return addresses(value)[0] ?? null;
}

function dateOf(value: HeaderValue | undefined): number | null {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.getTime() : null;
}
