// The HTTP face's shape, by injected requests into the Fastify instance over a real SQLite store:
// the OpenAPI document and the routes agree, and the API stays shut without a token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildHttpFace } from '../../src/api/http-face.ts';
import { openApiDocument } from '../../src/api/openapi.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openTestStore, silentLog, type TestStore } from '../support/engine.ts';

describe('the HTTP face', () => {
  let t: TestStore;
  const faces: FastifyInstance[] = [];
  const face = (token: string): FastifyInstance => {
    const { config } = loadConfig({ env: {}, overrides: { dataDir: t.dataDir } });
    const ctx = {
      config,
      store: t.store,
      blobs: t.blobs,
      log: silentLog,
      now: Date.now,
      signing: { secret: 'x'.repeat(32), domain: 'postroom.test' },
    };
    const app = buildHttpFace(
      { host: '127.0.0.1', port: 1, token, maxUploadSize: 1024 },
      { ...ctx, spool: { store: t.store, blobs: t.blobs, maxMessageSize: 1024, now: Date.now } },
    );
    faces.push(app);
    return app;
  };

  before(async () => {
    t = await openTestStore('sqlite');
  });
  after(async () => {
    await Promise.all(faces.map((f) => f.close()));
    await t.cleanup();
  });

  it('every route is in the OpenAPI document, and every documented operation is a route', async () => {
    const app = face('a-token-of-sixteen-chars');
    const routes: string[] = [];
    await app.ready();
    for (const [path, ops] of Object.entries(openApiDocument.paths))
      for (const method of Object.keys(ops)) {
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        assert.ok(
          app.hasRoute({ method: method.toUpperCase() as 'GET' | 'POST', url }),
          `${method.toUpperCase()} ${path} is documented but not a route`,
        );
        routes.push(`${method.toUpperCase()} ${url}`);
      }
    // The other direction: Fastify's route tree (a child line is its parent's path plus a segment), minus HEAD.
    const printed = app.printRoutes({ commonPrefix: false });
    const stack: string[] = [];
    const served: string[] = [];
    for (const line of printed.split('\n')) {
      const m = /^(.*?)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
      if (!m) continue;
      const depth = (m[1] ?? '').length / 4;
      stack.length = depth;
      stack.push(m[2] ?? '');
      for (const method of m[3] ? m[3].split(', ') : [])
        if (method !== 'HEAD') served.push(`${method} ${stack.join('')}`);
    }
    assert.ok(served.length >= 10, printed);
    // The web UI's pages (/ui, and / that leads there) are for browsers, not in the API's document.
    for (const r of served.filter((r) => !/^[A-Z]+ \/(ui\b|$)/.test(r)))
      assert.ok(routes.includes(r), `${r} is a route but not in the OpenAPI document`);
  });

  it('without http.token the API answers 403 naming the key; the probes still answer', async () => {
    const app = face('');
    const res = await app.inject({
      url: '/api/v1/messages',
      headers: { authorization: 'Bearer anything-at-all-here' },
    });
    assert.equal(res.statusCode, 403);
    assert.match(res.json<{ error: { message: string } }>().error.message, /set http\.token/);
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/api/v1/openapi.json' })).statusCode, 200);
  });

  it('an escaped or slash-ended path to the API or the UI still needs the token', async () => {
    const app = face('a-token-of-sixteen-chars');
    for (const url of [
      '/%61pi/v1/messages',
      '/api/v1/messages/',
      '/%61pi/v1/status?x=1',
      '/api%2Fv1/messages',
    ]) {
      const res = await app.inject({ url });
      assert.ok(
        res.statusCode === 401 || res.statusCode === 404,
        `${url}: ${res.statusCode} ${res.body.slice(0, 100)}`,
      );
    }
    for (const url of ['/%75i/messages', '/ui/messages/', '/ui/%6Dessages']) {
      const res = await app.inject({ url });
      assert.ok(res.statusCode === 303 || res.statusCode === 404, `${url}: ${res.statusCode}`);
      if (res.statusCode === 303) assert.equal(res.headers.location, '/ui/login');
    }
  });

  it('an unknown route is 404 with a pointer to the document', async () => {
    const res = await face('a-token-of-sixteen-chars').inject({
      url: '/api/v2/whatever',
      headers: { authorization: 'Bearer a-token-of-sixteen-chars' },
    });
    assert.equal(res.statusCode, 404);
    assert.match(res.json<{ error: { message: string } }>().error.message, /see \/api\/v1\/openapi\.json/);
  });

  it('a store that does not answer makes /health 503 UNKNOWN and /metrics report postroom_store_up 0', async () => {
    const broken = await openTestStore('sqlite');
    const { config } = loadConfig({ env: {}, overrides: { dataDir: broken.dataDir } });
    await broken.store.close();
    const app = buildHttpFace(
      { host: '127.0.0.1', port: 1, token: '', maxUploadSize: 1024 },
      {
        config,
        store: broken.store,
        blobs: broken.blobs,
        log: silentLog,
        now: Date.now,
        signing: { secret: 'x'.repeat(32), domain: 'postroom.test' },
        spool: { store: broken.store, blobs: broken.blobs, maxMessageSize: 1024, now: Date.now },
      },
    );
    faces.push(app);
    const health = await app.inject({ url: '/health' });
    assert.equal(health.statusCode, 503);
    assert.equal(health.json<{ status: string }>().status, 'unknown');
    assert.match((await app.inject({ url: '/metrics' })).body, /^postroom_store_up 0$/m);
  });
});
