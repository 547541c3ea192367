import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Liquid } from 'liquidjs';
import { directoryListing } from '../admin/directory-view.ts';
import { checkHealth } from '../admin/health-check.ts';
import { deliveryJson, outboxJson } from '../admin/queue-view.ts';
import { parseMessageQuery, parseState } from '../admin/message-filter.ts';
import { messageDetail, messageList } from '../admin/message-view.ts';
import { recordDetail, recordJson } from '../admin/record-view.ts';
import { requeueMessages } from '../admin/requeue-messages.ts';
import { statusReport } from '../admin/status-report.ts';
import { messageStates } from '../core/message.ts';
import type { ApiContext } from '../api/api-context.ts';
import { isSession, isToken, SESSION_COOKIE, sessionValue } from './ui-session.ts';

const views = new URL('./views/', import.meta.url).pathname;
const PAGE_SIZE = 100;

// No script runs in these pages: mail is shown as text, and nothing it carries can execute.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

/** Sentences for ?done=…, so a link can never make the page say something of its own. */
const DONE: Record<string, (n: number) => string> = {
  requeued: (n) => `${n} message(s) queued again; the workers process them now.`,
  'not-queued': () => 'Not queued: the message is being processed now, or its raw mail was deleted.',
  replayed: () => 'The delivery is queued again from its first try, with the same event id.',
  'not-replayed': () => 'Not replayed: the delivery is unknown or being delivered right now.',
};

/**
 * The web admin UI at /ui, served by the same HTTP face: dashboard, messages with their trace and
 * raw view, the quarantine with reprocess, records, the directory, the outbox and webhook
 * deliveries (replay). Server-rendered pages with no script; signing in takes http.token and sets
 * an HttpOnly, SameSite=Strict cookie.
 */
export function webRoutes(app: FastifyInstance, ctx: ApiContext, token: string): void {
  const liquid = new Liquid({
    root: views,
    extname: '.liquid',
    outputEscape: 'escape',
    cache: true,
    strictFilters: true,
  });
  const css = readFileSync(`${views}style.css`);
  const mailboxes = ctx.config.mailboxes.map((m) => m.address);

  const render = async (
    reply: FastifyReply,
    view: string,
    data: Record<string, unknown>,
    code = 200,
  ): Promise<FastifyReply> =>
    reply
      .code(code)
      .headers(SECURITY_HEADERS)
      .type('text/html; charset=utf-8')
      .send(await liquid.renderFile(view, { signedIn: true, ...data }));
  const flash = (request: FastifyRequest): string | undefined => {
    const q = request.query as Record<string, string | undefined>;
    return q.done ? DONE[q.done]?.(Number(q.n ?? 0)) : undefined;
  };

  app.addHook('preHandler', async (request, reply) => {
    const route = request.routeOptions.url ?? '';
    if (!route.startsWith('/ui') || route === '/ui/login' || route === '/ui/style.css') return;
    if (!isSession(request.cookies[SESSION_COOKIE], token)) return reply.redirect('/ui/login', 303);
    // A form posted from another site: SameSite=Strict already keeps the cookie off; this is the belt.
    const origin = request.headers.origin;
    if (
      request.method === 'POST' &&
      origin !== undefined &&
      origin !== 'null' &&
      hostOf(origin) !== request.headers.host
    )
      return reply.code(403).type('text/plain').send('cross-site form refused');
  });

  app.get('/', async (_request, reply) => reply.redirect('/ui', 303));
  app.get('/ui/style.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'max-age=300').send(css),
  );

  app.get('/ui/login', async (request, reply) => {
    if (isSession(request.cookies[SESSION_COOKIE], token)) return reply.redirect('/ui', 303);
    return render(reply, 'login', {
      title: 'Sign in',
      signedIn: false,
      error:
        token === ''
          ? 'The UI is off: set http.token (at least 16 characters) in postroom.config.yaml or POSTROOM_HTTP_TOKEN.'
          : undefined,
    });
  });
  app.post('/ui/login', async (request, reply) => {
    const given = (request.body as Record<string, unknown> | undefined)?.['token'];
    if (typeof given !== 'string' || !isToken(given, token))
      return render(
        reply,
        'login',
        {
          title: 'Sign in',
          signedIn: false,
          error:
            token === '' ? 'The UI is off: set http.token first.' : 'That is not the token (http.token).',
        },
        401,
      );
    reply.setCookie(SESSION_COOKIE, sessionValue(token), {
      path: '/ui',
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
    });
    return reply.redirect('/ui', 303);
  });
  app.post('/ui/logout', async (_request, reply) =>
    reply.clearCookie(SESSION_COOKIE, { path: '/ui' }).redirect('/ui/login', 303),
  );

  app.get('/ui', async (request, reply) => {
    const status = await statusReport(ctx.store, ctx.config, ctx.now());
    const boxes = [...new Set([...mailboxes, ...Object.keys(status.byMailbox)])];
    const counts = (of: Partial<Record<string, number>> | undefined) =>
      messageStates.map((state) => ({ state, count: of?.[state] ?? 0 }));
    const summary = (byState: Record<string, number | undefined>): string =>
      Object.entries(byState)
        .map(([state, n]) => `${n ?? 0} ${state}`)
        .join(', ') || 'empty';
    return render(reply, 'dashboard', {
      title: 'Dashboard',
      flash: flash(request),
      status,
      check: checkHealth(status, 15 * 60),
      states: messageStates,
      byMailbox: boxes.map((mailbox) => ({ mailbox, counts: counts(status.byMailbox[mailbox]) })),
      totals: counts(status.byState),
      outbox: summary(status.outbox),
      webhooks: summary(status.webhooks),
    });
  });

  app.get('/ui/messages', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const query = {
      state: q.state || undefined,
      mailbox: q.mailbox || undefined,
      from: q.from || undefined,
      subject: q.subject || undefined,
      since: q.since || undefined,
      afterId: q.afterId || undefined,
    };
    let rows: Awaited<ReturnType<typeof ctx.store.listMessages>> = [];
    let error: string | undefined;
    try {
      rows = await ctx.store.listMessages(
        parseMessageQuery({ ...query, limit: String(PAGE_SIZE) }, ctx.now(), (name) => name),
      );
    } catch (err) {
      error = (err as Error).message;
    }
    const last = rows.at(-1);
    const next =
      last && rows.length === PAGE_SIZE
        ? `/ui/messages?${new URLSearchParams({ ...definedOnly(query), afterId: String(last.id) })}`
        : undefined;
    return render(reply, 'messages', {
      title: 'Messages',
      flash: flash(request),
      query,
      error,
      states: messageStates,
      mailboxes,
      messages: await messageList(ctx.store, rows),
      next,
    });
  });

  app.post('/ui/messages/reprocess', async (request, reply) => {
    const state = parseState(String((request.body as Record<string, unknown> | undefined)?.['state'] ?? ''));
    const n = await requeueMessages(ctx.store, ctx.spoolView, { state }, ctx.now());
    return reply.redirect(`/ui/messages?state=${state}&done=requeued&n=${n}`, 303);
  });

  const messageOf = async (idText: string) => {
    const id = Number(idText);
    return Number.isInteger(id) ? ctx.store.getMessage(id) : undefined;
  };
  const notFound = (reply: FastifyReply, what: string) =>
    render(reply, 'not-found', { title: 'Not found', what }, 404);

  app.get('/ui/messages/:id', async (request, reply) => {
    const m = await messageOf((request.params as { id: string }).id);
    if (!m) return notFound(reply, 'Message');
    return render(reply, 'message', {
      title: `Message ${m.id}`,
      flash: flash(request),
      m: await messageDetail(ctx.store, m),
    });
  });

  // As text, never as HTML: the browser shows the mail's source and runs nothing in it.
  app.get('/ui/messages/:id/raw', async (request, reply) => {
    const m = await messageOf((request.params as { id: string }).id);
    if (!m) return notFound(reply, 'Message');
    if (m.rawPurged || !(await ctx.blobs.exists(m.rawSha256)))
      return reply
        .code(410)
        .headers(SECURITY_HEADERS)
        .type('text/plain; charset=utf-8')
        .send('The raw bytes were deleted (deleteProcessed, or retention).');
    return reply
      .headers(SECURITY_HEADERS)
      .type('text/plain; charset=utf-8')
      .send(ctx.blobs.open(m.rawSha256));
  });

  app.post('/ui/messages/:id/reprocess', async (request, reply) => {
    const m = await messageOf((request.params as { id: string }).id);
    if (!m) return notFound(reply, 'Message');
    const n = await requeueMessages(ctx.store, ctx.spoolView, { ids: [m.id] }, ctx.now());
    return reply.redirect(`/ui/messages/${m.id}?done=${n > 0 ? 'requeued' : 'not-queued'}&n=${n}`, 303);
  });

  app.get('/ui/queues', async (request, reply) =>
    render(reply, 'queues', {
      title: 'Outbox and webhooks',
      flash: flash(request),
      outbox: (await ctx.store.outbox.list({ limit: PAGE_SIZE })).map(outboxJson),
      deliveries: (await ctx.store.webhooks.list({ limit: PAGE_SIZE })).map(deliveryJson),
    }),
  );
  app.post('/ui/webhooks/:id/replay', async (request, reply) => {
    const id = Number((request.params as { id: string }).id);
    const replayed = Number.isSafeInteger(id) && (await ctx.store.webhooks.replay(id, ctx.now()));
    return reply.redirect(`/ui/queues?done=${replayed ? 'replayed' : 'not-replayed'}`, 303);
  });
  app.get('/ui/directory', async (_request, reply) =>
    render(reply, 'directory', { title: 'Directory', d: await directoryListing(ctx.store.directory) }),
  );
  app.get('/ui/records', async (_request, reply) =>
    render(reply, 'records', {
      title: 'Records',
      records: (await ctx.store.listRecords(PAGE_SIZE * 5)).map(recordJson),
    }),
  );
  app.get('/ui/records/:number', async (request, reply) => {
    const r = await recordDetail(ctx.store, (request.params as { number: string }).number);
    if (!r) return notFound(reply, 'Record');
    return render(reply, 'record', { title: r.number, r, fields: Object.entries(r.fields) });
  });
}

function definedOnly(q: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}
