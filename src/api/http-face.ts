import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { toPostroomError } from '../core/errors.ts';
import type { ApiContext } from './api-context.ts';
import { ApiError, errorBody } from './api-error.ts';
import { checkBearer } from './bearer-auth.ts';
import { decideRoute } from './decide-route.ts';
import { directoryRoute } from './directory-route.ts';
import { mailUploadRoute } from './mail-upload-route.ts';
import { messageRoutes } from './message-routes.ts';
import { monitoringRoutes } from './monitoring-routes.ts';
import { openApiDocument } from './openapi.ts';
import { queueRoutes } from './queue-routes.ts';
import { recordRoutes } from './record-routes.ts';
import { webRoutes } from '../web/web-routes.ts';

export interface HttpSettings {
  host: string;
  port: number;
  token: string;
  maxUploadSize: number;
}

export interface HttpFace {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Routes any caller may reach: probes and the API's own description. */
const OPEN_ROUTES = new Set(['/health', '/metrics', '/api/v1/openapi.json']);

/** The HTTP face (the API and the web UI) as a Fastify instance, not listening yet (tests inject requests into it). */
export function buildHttpFace(settings: HttpSettings, ctx: ApiContext): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: settings.maxUploadSize,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Mail is uploaded as it is: bytes, never decoded as text (charsets are the parser's business).
  app.addContentTypeParser(
    ['message/rfc822', 'application/octet-stream', 'text/plain'],
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  );

  void app.register(cookie);
  void app.register(formbody);

  // Judged by the route matched, not the raw URL: the router decodes %-escapes (/%61pi/… is /api/…).
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url ?? '';
    if (!OPEN_ROUTES.has(route) && route.startsWith('/api/'))
      checkBearer(request.headers.authorization, settings.token);
  });

  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send(errorBody(err.code, err.message));
    // Fastify's own refusals (body too large, unsupported content type, bad JSON) carry their status.
    if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      const code =
        err.statusCode === 413
          ? 'message_too_large'
          : err.statusCode === 415
            ? 'unsupported_media_type'
            : 'bad_request';
      const hint =
        err.statusCode === 415
          ? ' (send mail as Content-Type: message/rfc822)'
          : err.statusCode === 413
            ? ` (http.maxUploadSize is ${settings.maxUploadSize} bytes)`
            : '';
      return reply.code(err.statusCode).send(errorBody(code, `${err.message}${hint}`));
    }
    const e = toPostroomError(err);
    ctx.log.error({ err: e.message, code: e.code, url: request.url }, 'API request failed');
    return reply.code(500).send(errorBody(e.code, e.message));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        errorBody(
          'not_found',
          `no route ${request.method} ${request.url.split('?')[0] ?? ''}; see /api/v1/openapi.json`,
        ),
      ),
  );

  app.get('/api/v1/openapi.json', async () => openApiDocument);
  monitoringRoutes(app, ctx);
  messageRoutes(app, ctx);
  recordRoutes(app, ctx);
  directoryRoute(app, ctx);
  queueRoutes(app, ctx);
  mailUploadRoute(app, ctx);
  decideRoute(app, ctx);
  webRoutes(app, ctx, settings.token);
  return app;
}

/** Starts the HTTP face on host:port (`http.enabled`). */
export async function startHttpFace(settings: HttpSettings, ctx: ApiContext): Promise<HttpFace> {
  const app = buildHttpFace(settings, ctx);
  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  return { address: { host: settings.host, port }, close: () => app.close() };
}
