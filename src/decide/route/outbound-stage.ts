import type { Stage } from '../context.ts';
import type { PlannedMail } from './route-draft.ts';

/**
 * Loop limits, the last word on mail the rules want sent: no automatic answer to machine mail
 * (auto-replies, bounces, notices, lists, our own mail), to an address known to bounce, or
 * beyond `loopLimits` answers per sender and per record within the window. Two systems that
 * answer each other stop here even when the other side strips every header that would have
 * told us it is a machine.
 */
export const outboundStage: Stage = {
  name: 'outbound',
  async run(ctx, draft) {
    const route = draft.route;
    if (!route || route.outgoing.length === 0) return { kind: 'continue' };
    const screening = draft.screening;
    const limits = ctx.loopLimits ?? { window: 3600, perSender: 3, perRecord: 5 };
    // Bounded on both sides, so `rules test` on stored mail (now = its arrival) counts what was there then.
    const before = ctx.now();
    const since = before - limits.window * 1000;
    const recordId = draft.record?.kind === 'attach' ? draft.record.recordId : null;
    const kept: PlannedMail[] = [];
    let planned = 0;
    for (const mail of route.outgoing) {
      const held = (why: string): void => {
        draft.trace.push({ stage: 'outbound', looked: `${mail.kind} to ${mail.to.join(', ')} (rule ${mail.rule})`, concluded: 'held back', why });
      };
      if (route.subject.loopback || screening?.loop) {
        held('the mail is our own coming back (loopback): nothing is sent in answer to it');
        continue;
      }
      if (!mail.automatic) {
        kept.push(mail);
        continue;
      }
      const recipient = mail.to[0] ?? '';
      if (recipient === '') {
        held('the mail has no sender address to answer');
        continue;
      }
      if (screening && (screening.suppressAutoAnswer || screening.class !== 'general')) {
        held(`no automatic answer to ${screening.class === 'general' ? 'mail that asks for none' : `a ${screening.class}`} (RFC 3834)`);
        continue;
      }
      if ((await ctx.store.getAddressStatus(recipient))?.bouncing) {
        held(`${recipient} is marked as bouncing`);
        continue;
      }
      const toSender = (await ctx.store.countAutoAnswers({ recipient, since, before })) + planned;
      if (toSender >= limits.perSender) {
        held(`loop limit: ${toSender} automatic answers to ${recipient} within ${limits.window} s (loopLimits.perSender ${limits.perSender})`);
        continue;
      }
      if (recordId !== null) {
        const onRecord = (await ctx.store.countAutoAnswers({ recordId, since, before })) + planned;
        if (onRecord >= limits.perRecord) {
          held(`loop limit: ${onRecord} automatic answers on this record within ${limits.window} s (loopLimits.perRecord ${limits.perRecord})`);
          continue;
        }
      }
      planned++;
      kept.push(mail);
    }
    route.outgoing = kept;
    return { kind: 'continue' };
  },
};
