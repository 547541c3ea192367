import { PostroomError } from '../../core/errors.ts';
import type { Stage } from '../context.ts';
import { parseMessage } from './parse-message.ts';

/** Stage 1: MIME → headers, text, HTML, attachments in blob storage; limits enforced. */
export const parseStage: Stage = {
  name: 'parse',
  async run(ctx, draft) {
    const { message } = ctx;
    if (message.rawPurged)
      return { kind: 'quarantine', code: 'raw_missing', reason: 'raw bytes were deleted after processing' };
    try {
      draft.parsed = await parseMessage(ctx.blobs, message.rawSha256, ctx.limits);
    } catch (err) {
      if (err instanceof PostroomError && !err.temporary) {
        draft.trace.push({
          stage: 'parse',
          looked: `${message.rawSize} raw bytes`,
          concluded: 'quarantine',
          why: err.message,
        });
        return { kind: 'quarantine', code: err.code, reason: err.message };
      }
      throw err;
    }
    const p = draft.parsed;
    draft.trace.push({
      stage: 'parse',
      looked: `${message.rawSize} raw bytes`,
      concluded: `subject "${p.subject}", from ${p.from?.address ?? '(none)'}, ${p.text.length} chars of text, ${p.attachments.length} attachment(s)`,
      why: p.html !== null ? 'text and HTML bodies found' : 'text body found',
    });
    return { kind: 'continue' };
  },
};
