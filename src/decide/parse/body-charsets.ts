import { Transform, type TransformCallback } from 'node:stream';
import type { IconvConstructor, MailParser } from 'mailparser';
import { PostroomError } from '../../core/errors.ts';
import { decodeText } from './charset.ts';

/** The fields of a mailsplit node that routing reads and writes. */
interface CharsetNode {
  type: string;
  contentType?: string | false;
  charset?: string | false;
  partNr?: (number | string)[] | false;
}
type ChunkHandler = (data: CharsetNode, done: (err?: Error) => void) => void;

const tagPrefix = 'x-postroom-part-';
const maxWarnings = 20;

/**
 * Routes the charset decoding of every text body through decodeText().
 *
 * mailparser decodes a body only when its label is not ASCII/UTF-8 (bytes labelled us-ascii,
 * or not labelled, are read as UTF-8 as they are, so Latin-1 or Shift_JIS bytes there become
 * U+FFFD), and decodes UTF-7 and unknown labels as UTF-8. Its documented `Iconv` option lets us
 * supply the decoder; each leaf node's charset is replaced by a tag naming the part before
 * mailparser reads it, so that every text body reaches that decoder with its original label.
 */
export class BodyCharsets {
  readonly Iconv: IconvConstructor;
  private readonly parts = new Map<string, { label: string | null; where: string }>();
  private count = 0;

  constructor(warnings: string[]) {
    const parts = this.parts;
    const warn = (sentence: string): void => {
      if (warnings.length < maxWarnings) warnings.push(sentence);
    };
    class PartDecoder extends Transform {
      private readonly chunks: Buffer[] = [];
      private readonly part: { label: string | null; where: string };
      constructor(tag: string) {
        super();
        this.part = parts.get(tag) ?? { label: tag, where: 'a text part' };
      }
      override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
        this.chunks.push(chunk);
        done();
      }
      override _flush(done: TransformCallback): void {
        // decoded as a whole: detection needs all of it, and mailparser holds the text anyway
        const out = decodeText(Buffer.concat(this.chunks), this.part.label, this.part.where);
        if (out.warning) warn(out.warning);
        this.push(Buffer.from(out.text, 'utf8'));
        done();
      }
    }
    this.Iconv = PartDecoder as unknown as IconvConstructor;
  }

  /** Wraps mailparser's per-node hook (internal; parse-message.ts already relies on it for limits). */
  attach(parser: MailParser): void {
    const target = parser as unknown as { processChunk?: ChunkHandler };
    const original = target.processChunk;
    if (typeof original !== 'function')
      throw new PostroomError('internal', 'mailparser no longer exposes processChunk');
    target.processChunk = (data, done) => {
      if (data.type === 'node' && !/^multipart\//i.test(data.contentType || '')) {
        this.count += 1;
        const tag = `${tagPrefix}${this.count}`;
        const nr = Array.isArray(data.partNr)
          ? data.partNr.filter((n) => typeof n === 'number').join('.')
          : '';
        this.parts.set(tag, { label: data.charset || null, where: `part ${nr || '1'}` });
        data.charset = tag;
      }
      original.call(parser, data, done);
    };
  }
}
