/**
 * The OpenAPI 3.1 document of the HTTP face, served at /api/v1/openapi.json. Written by hand
 * beside the routes; a test checks that every route is in it and every path in it is a route.
 */
const bearer = [{ bearer: [] }];
/** Every error answer: { error: { code, message } }. */
const errorRef = { $ref: '#/components/responses/Error' };
const errors = {
  '400': errorRef,
  '401': errorRef,
  '403': errorRef,
};
const json = (description: string, schema: object = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
const stringQuery = (name: string, description: string) => ({
  name,
  in: 'query',
  schema: { type: 'string' },
  description,
});

const queueListing = (summary: string, states: string, failed: string, answer: string) => ({
  get: {
    summary,
    security: bearer,
    parameters: [
      stringQuery('state', states),
      { name: 'failed', in: 'query', schema: { type: 'boolean' }, description: failed },
      { name: 'limit', in: 'query', schema: { type: 'integer', default: 1000, maximum: 5000 } },
    ],
    responses: { '200': json(answer), ...errors },
  },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Postroom',
    version: '1',
    description:
      "Inbound email processing engine. The /api/v1 routes need Authorization: Bearer <http.token>. JSON field names are those of the CLI's --json output.",
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    responses: {
      Error: json('An error: { error: { code, message } }', {
        type: 'object',
        properties: {
          error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
        },
      }),
    },
  },
  paths: {
    '/health': {
      get: {
        summary: 'The status check: 200 when ok or warning, 503 when critical or the store does not answer',
        parameters: [stringQuery('maxQueueAge', 'mail waiting longer is critical (default 15m)')],
        responses: {
          '200': json('{ status: ok|warning, problems }'),
          '503': json('{ status: critical|unknown, problems }'),
        },
      },
    },
    '/metrics': {
      get: {
        summary:
          'Prometheus metrics: mail by state, mailbox polling, queues (read from the store), and this process',
        responses: {
          '200': {
            description: 'Prometheus text format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/api/v1/openapi.json': { get: { summary: 'This document', responses: { '200': json('OpenAPI 3.1') } } },
    '/api/v1/status': {
      get: {
        summary: 'What postroom status --json --check prints',
        security: bearer,
        parameters: [stringQuery('maxQueueAge', 'mail waiting longer is critical (default 15m)')],
        responses: {
          '200': json('status with check'),
          '503': errorRef,
          ...errors,
        },
      },
    },
    '/api/v1/messages': {
      get: {
        summary: 'Messages, oldest first (or newest first); the filters of postroom messages list',
        security: bearer,
        parameters: [
          stringQuery(
            'state',
            'queued, processing, deferred, processed, skipped, loopback, rejected, failed',
          ),
          stringQuery('mailbox', 'a configured mailbox address'),
          stringQuery('from', "the sender's address, any case"),
          stringQuery('subject', 'text the subject contains'),
          stringQuery('messageId', 'the Message-ID, with or without <>'),
          stringQuery('since', 'a duration back from now (7d, 2h) or a date'),
          {
            name: 'newest',
            in: 'query',
            schema: { type: 'boolean' },
            description: 'the last ones, newest first',
          },
          { name: 'limit', in: 'query', schema: { type: 'integer', default: 1000, maximum: 5000 } },
          {
            name: 'afterId',
            in: 'query',
            schema: { type: 'integer' },
            description: 'the next page: nextAfterId of the last answer',
          },
        ],
        responses: { '200': json('{ messages: [...], nextAfterId: number | null }'), ...errors },
      },
    },
    '/api/v1/messages/{id}': {
      get: {
        summary: 'A message with its attachments, notice and decision trace (postroom messages show --json)',
        security: bearer,
        parameters: [idParam],
        responses: { '200': json('the message'), '404': errorRef, ...errors },
      },
    },
    '/api/v1/messages/{id}/trace': {
      get: {
        summary: 'Why the message went where it went: each stage, what it looked at and what it concluded',
        security: bearer,
        parameters: [idParam],
        responses: {
          '200': json('{ trace: [...] }'),
          '404': errorRef,
          ...errors,
        },
      },
    },
    '/api/v1/messages/{id}/raw': {
      get: {
        summary: 'The exact bytes as received',
        security: bearer,
        parameters: [idParam],
        responses: {
          '200': {
            description: 'the raw message',
            content: { 'message/rfc822': { schema: { type: 'string', format: 'binary' } } },
          },
          '404': errorRef,
          '410': errorRef,
          ...errors,
        },
      },
    },
    '/api/v1/messages/{id}/reprocess': {
      post: {
        summary: 'Queue the message again (after a fix to the rules or the directory)',
        security: bearer,
        parameters: [idParam],
        responses: {
          '202': json('{ requeued: 1 }'),
          '404': errorRef,
          '409': errorRef,
          ...errors,
        },
      },
    },
    '/api/v1/messages/reprocess': {
      post: {
        summary: 'Queue every message in a state again',
        security: bearer,
        parameters: [{ ...stringQuery('state', 'e.g. failed'), required: true }],
        responses: { '202': json('{ requeued: n }'), ...errors },
      },
    },
    '/api/v1/mail': {
      post: {
        summary:
          'Intake by upload: the raw message as the body; 201 once durably stored, 200 when the same bytes were stored before',
        security: bearer,
        parameters: [stringQuery('mailbox', 'the configured mailbox it is for (default: the first)')],
        requestBody: {
          required: true,
          content: { 'message/rfc822': { schema: { type: 'string', format: 'binary' } } },
        },
        responses: {
          '200': json('{ id, mailbox, duplicate: true, sha256, size }'),
          '201': json('{ id, mailbox, duplicate: false, sha256, size }'),
          '413': errorRef,
          '415': errorRef,
          '422': errorRef,
          '503': errorRef,
          ...errors,
        },
      },
    },
    '/api/v1/decide': {
      post: {
        summary:
          'How the engine would treat this mail now, against the live store, writing nothing (the answer of postroom decide --json)',
        security: bearer,
        parameters: [
          stringQuery('mailbox', 'the configured mailbox it would arrive at (default: the first)'),
        ],
        requestBody: {
          required: true,
          content: { 'message/rfc822': { schema: { type: 'string', format: 'binary' } } },
        },
        responses: {
          '200': json('class, category, notice, reply text, record it would create or join, actions, trace'),
          '415': errorRef,
          ...errors,
        },
      },
    },
    '/api/v1/records': {
      get: {
        summary: 'Records mail opened, newest first',
        security: bearer,
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', default: 1000 } }],
        responses: { '200': json('{ records: [...] }'), ...errors },
      },
    },
    '/api/v1/records/{number}': {
      get: {
        summary: 'A record with its history (postroom records show --json)',
        security: bearer,
        parameters: [{ name: 'number', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json('the record'), '404': errorRef, ...errors },
      },
    },
    '/api/v1/directory': {
      get: {
        summary:
          'Users, contacts, companies and projects (postroom directory list --json; the answer imports back)',
        security: bearer,
        parameters: [stringQuery('kind', 'user, contact, company or project (default: all)')],
        responses: { '200': json('{ users, contacts, companies, projects }'), ...errors },
      },
    },
    '/api/v1/outbox': queueListing(
      'Mail Postroom sends, newest first (postroom outbox list --json)',
      'queued, sending, sent or failed',
      'only mail given up on',
      '{ outbox: [...] }',
    ),
    '/api/v1/webhooks': queueListing(
      'Webhook deliveries, newest first (postroom webhooks list --json)',
      'queued, delivering, delivered or dead',
      'only the dead letters',
      '{ deliveries: [...] }',
    ),
    '/api/v1/webhooks/{id}/replay': {
      post: {
        summary:
          'Queue a delivery again from its first try, with the same event id (postroom webhooks replay ID)',
        security: bearer,
        parameters: [idParam],
        responses: {
          '202': json('the delivery'),
          '404': errorRef,
          '409': errorRef,
          ...errors,
        },
      },
    },
    '/api/v1/blobs/{sha256}': {
      get: {
        summary:
          "A stored file by its SHA-256: an attachment (what a webhook's attachmentLink points at) or raw mail",
        security: bearer,
        parameters: [
          {
            name: 'sha256',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          },
        ],
        responses: {
          '200': {
            description: 'the bytes',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          '404': errorRef,
          ...errors,
        },
      },
    },
  },
} as const;
