import type { Stage } from '../context.ts';

const firstTextLimit = 10_000;

/** Until rules exist: a message that attaches to nothing opens a record of the mailbox's type. */
export const defaultRecordStage: Stage = {
  name: 'route',
  async run(ctx, draft) {
    const parsed = draft.parsed;
    if (!parsed || draft.record) return { kind: 'continue' };
    const type = ctx.mailbox.recordType;
    draft.record = {
      kind: 'create',
      type,
      subject: parsed.subject,
      requester: parsed.from?.address ?? ctx.message.from ?? '',
      firstText: parsed.text.trim().slice(0, firstTextLimit),
    };
    draft.outcome = 'created';
    draft.trace.push({
      stage: 'route',
      looked: `mailbox ${ctx.mailbox.address}`,
      concluded: `create a ${type} record`,
      why: 'not a reply to a known record; the mailbox default record type applies',
    });
    return { kind: 'continue' };
  },
};
