import type { PluginMessage, PluginVerdict } from '../../plugins/plugin-api.ts';
import type { DecideContext, Draft, Stage } from '../context.ts';
import { alterMessage } from './rule-actions.ts';
import type { RouteDraft } from './route-draft.ts';

// A plugin that never answers would hold the message's lease forever; past this it is a failure.
const PLUGIN_TIMEOUT_MS = 10_000;

function pluginMessage(ctx: DecideContext, draft: Draft, route: RouteDraft): PluginMessage {
  const s = route.subject;
  const identity = s.identity;
  return {
    id: ctx.message.id,
    mailbox: s.mailbox,
    messageId: draft.parsed?.messageId ?? null,
    subject: s.subject,
    from: s.from,
    to: s.to,
    cc: s.cc,
    headers: s.headers,
    text: s.text,
    html: draft.parsed?.html ?? null,
    replyText: s.replyText,
    attachments: s.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size, sha256: a.sha256 })),
    class: s.class,
    category: s.category,
    sender: {
      kind: identity?.party?.kind ?? (identity?.guest ? 'guest' : 'unknown'),
      id: identity?.party?.id ?? null,
      trust: identity?.trust ?? 'unknown',
    },
    tags: [...s.tags],
    receivedAt: ctx.message.receivedAt,
  };
}

async function withTimeout(work: Promise<PluginVerdict>, name: string): Promise<PluginVerdict> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`plugin ${name} did not answer within ${PLUGIN_TIMEOUT_MS / 1000} s`)), PLUGIN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Mercury's daemons: each plugin sees the message and answers continue, alter, kill, defer or
 * stop. A plugin that throws quarantines this message with the plugin's name; the worker and
 * the other messages go on.
 */
export const pluginStage: Stage = {
  name: 'plugins',
  async run(ctx, draft) {
    const route = draft.route;
    if (!route || route.ended || !ctx.plugins || ctx.plugins.length === 0) return { kind: 'continue' };
    for (const plugin of ctx.plugins) {
      let verdict: PluginVerdict;
      try {
        verdict = await withTimeout(
          Promise.resolve().then(() => plugin.run(pluginMessage(ctx, draft, route), { options: plugin.options, now: ctx.now() })),
          plugin.name,
        );
      } catch (err) {
        return { kind: 'quarantine', code: 'plugin_failed', reason: `plugin ${plugin.name} failed: ${(err as Error)?.message ?? String(err)}` };
      }
      const action = (verdict as { action?: unknown } | null)?.action;
      const why = (verdict as { reason?: string }).reason ?? `plugin ${plugin.name} answered ${String(action)}`;
      route.fired.push({ phase: 'plugins', rule: plugin.name, actions: [] });
      draft.trace.push({ stage: 'plugins', looked: `plugin ${plugin.name}`, concluded: String(action), why });
      if (action === 'continue') continue;
      if (action === 'alter') {
        const v = verdict as Extract<PluginVerdict, { action: 'alter' }>;
        alterMessage(ctx, draft, route, { subject: v.subject ?? null, text: v.text ?? null, headers: v.headers ?? {} }, false);
        for (const tag of v.tags ?? []) {
          if (!route.edits.tags.includes(tag)) route.edits.tags.push(tag);
          if (!route.subject.tags.includes(tag)) route.subject.tags.push(tag);
        }
        continue;
      }
      if (action === 'kill') {
        route.ended = { state: 'skipped', why: `killed by plugin ${plugin.name}${(verdict as { reason?: string }).reason ? `: ${(verdict as { reason?: string }).reason}` : ''}` };
        break;
      }
      if (action === 'defer') {
        const until = (verdict as Extract<PluginVerdict, { action: 'defer' }>).until;
        const at = until instanceof Date ? until.getTime() : Number(until);
        if (!Number.isFinite(at))
          return { kind: 'quarantine', code: 'plugin_failed', reason: `plugin ${plugin.name} answered defer without a valid until` };
        // A job back from its timer is not held again by the same plugin answer.
        if (ctx.message.deferUntil === null && at > ctx.now()) {
          route.ended = { state: 'deferred', until: at, why: `held by plugin ${plugin.name} until ${new Date(at).toISOString()}` };
          break;
        }
        continue;
      }
      if (action === 'stop') break;
      return { kind: 'quarantine', code: 'plugin_failed', reason: `plugin ${plugin.name} answered ${JSON.stringify(verdict)}; expected continue, alter, kill, defer or stop` };
    }
    return { kind: 'continue' };
  },
};
