import type { Finding, Screening } from '../../core/screening.ts';
import type { Stage } from '../context.ts';
import { detectAutoReply, detectChallenge, detectList } from './auto-reply.ts';
import { checkRate, findOwnMail } from './loop.ts';
import { readNotice } from './notice/read-notice.ts';

/**
 * Stage 2: what kind of mail this is. Our own mail coming back and senders over the loopback
 * limit stop here (state loopback); bounces, receipts, complaints, challenges and auto-replies
 * are classed so that later stages never open a record or answer them.
 */
export const screenStage: Stage = {
  name: 'screen',
  async run(ctx, draft) {
    const parsed = draft.parsed;
    if (!parsed) return { kind: 'continue' };

    const own = await findOwnMail(ctx, parsed);
    if (own) {
      draft.screening = screening({ class: 'loopback', evidence: [own.evidence] }, { loop: own });
      draft.trace.push({ stage: 'screen', looked: 'loop signature', concluded: 'loopback', why: own.evidence });
      return { kind: 'stop', state: 'loopback', why: 'our own outgoing mail came back' };
    }

    const notice = readNotice(parsed);
    const finding: Finding = notice ??
      detectChallenge(parsed) ??
      detectAutoReply(parsed) ?? { class: 'general', evidence: [] };
    const list = detectList(parsed);
    const rate = await checkRate(ctx, parsed);
    draft.screening = screening(finding, {
      notice: notice?.notice ?? null,
      autoReply: finding.class === 'auto_reply' ? { evidence: finding.evidence } : null,
      loop: rate,
      list,
    });
    draft.trace.push({
      stage: 'screen',
      looked: 'headers, report parts, subject, text',
      concluded: finding.class + (list ? ' (mailing list)' : ''),
      why:
        [...finding.evidence, ...(list?.evidence ?? [])].join('; ') ||
        'no sign of machine-generated mail',
    });

    if (rate) {
      draft.trace.push({
        stage: 'screen',
        looked: 'loopback rate window',
        concluded: rate.processed ? 'loopback candidate, processed' : 'loopback',
        why: rate.evidence,
      });
      if (!rate.processed) {
        draft.screening.class = 'loopback';
        return { kind: 'stop', state: 'loopback', why: 'sender is over the loopback limit' };
      }
    }
    return { kind: 'continue' };
  },
};

function screening(finding: Finding, parts: Partial<Screening>): Screening {
  const machine = finding.class !== 'general';
  return {
    class: finding.class,
    evidence: finding.evidence,
    notice: parts.notice ?? null,
    autoReply: parts.autoReply ?? null,
    loop: parts.loop ?? null,
    list: parts.list ?? null,
    // Machine mail, list mail and loop candidates never get an automatic answer from us.
    suppressAutoAnswer: machine || parts.list != null || parts.loop != null,
  };
}
