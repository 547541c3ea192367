import { webhookStates } from '../core/outbound.ts';
import type { App } from './app.ts';
import { deliveryJson, queueFilter } from '../admin/queue-view.ts';
import { printJson, table } from './format.ts';

/** `webhooks list`: newest first; `--failed` is the dead-letter state. */
export async function listWebhooks(
  app: App,
  opts: { failed?: boolean; state?: string; limit?: string; json?: boolean },
): Promise<void> {
  const filter = queueFilter(opts, webhookStates, 'dead');
  const rows = await app.store.webhooks.list(filter);
  if (opts.json) return printJson(rows.map(deliveryJson));
  process.stdout.write(
    table(
      ['ID', 'ENDPOINT', 'STATE', 'TRIES', 'STATUS', 'MESSAGE', 'EVENT', 'LAST ERROR'],
      rows.map((d) => [
        String(d.id),
        d.endpoint,
        d.state,
        String(d.attempts),
        d.lastStatus === null ? '-' : String(d.lastStatus),
        d.messageRef === null ? '-' : String(d.messageRef),
        d.eventId,
        d.lastError ?? '',
      ]),
    ),
  );
}

/** `webhooks replay ID`: queued again from its first try, with the same event id (idempotency key). */
export async function replayWebhook(app: App, idText: string, opts: { json?: boolean }): Promise<void> {
  const id = Number(idText);
  const row = Number.isSafeInteger(id) ? await app.store.webhooks.get(id) : undefined;
  if (!row) throw new Error(`no webhook delivery with id ${idText}; see \`postroom webhooks list\``);
  if (!(await app.store.webhooks.replay(id, Date.now())))
    throw new Error(
      `webhook delivery ${id} is being delivered right now; replay it once it is delivered or dead`,
    );
  const replayed = (await app.store.webhooks.get(id)) ?? row;
  if (opts.json) return printJson(deliveryJson(replayed));
  process.stdout.write(`webhook delivery ${id} (event ${row.eventId}) queued again for ${row.endpoint}\n`);
}
