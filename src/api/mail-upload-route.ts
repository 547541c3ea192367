import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toPostroomError } from '../core/errors.ts';
import { looksLikeMail } from '../intake/header-peek.ts';
import { spoolRaw } from '../intake/spool-writer.ts';
import type { ApiContext } from './api-context.ts';
import { ApiError } from './api-error.ts';
import { parseInput } from './parse-input.ts';

const uploadQuery = z.strictObject({ mailbox: z.string().optional() });

/**
 * POST /api/v1/mail: intake by HTTP upload (a form, a script, another system's outbox). The body is
 * the raw message; 201 only after it is durably spooled, as the SMTP listener's 250. The same bytes
 * posted twice are one message (the dedupe key is their hash): a client that lost the answer may
 * simply post again.
 */
export function mailUploadRoute(app: FastifyInstance, ctx: ApiContext): void {
  const configured = ctx.config.mailboxes.map((m) => m.address);
  app.post('/api/v1/mail', async (request, reply) => {
    const { mailbox: wanted } = parseInput(uploadQuery, request.query, 'query');
    const mailbox =
      wanted === undefined ? configured[0] : configured.find((m) => m.toLowerCase() === wanted.toLowerCase());
    if (mailbox === undefined)
      throw new ApiError(
        400,
        'unknown_mailbox',
        `mailbox ${wanted ?? ''} is not configured (configured: ${configured.join(', ')})`,
      );
    const body = request.body;
    // Only the raw-bytes parsers give a Buffer: JSON or a form is not a message.
    if (!Buffer.isBuffer(body))
      throw new ApiError(
        415,
        'unsupported_media_type',
        `send the raw message as the body, with Content-Type: message/rfc822 (not ${request.headers['content-type'] ?? 'no type'})`,
      );
    if (body.length === 0) throw new ApiError(422, 'not_mail', 'the body is empty: send the raw message');
    if (!looksLikeMail(body.subarray(0, 64 * 1024)))
      throw new ApiError(
        422,
        'not_mail',
        'the body is not an email message (it does not start with a header line)',
      );
    let stored;
    try {
      stored = await spoolRaw(ctx.spool, Readable.from([body]), {
        mailboxes: [mailbox],
        source: 'http',
        origin: `http:${request.ip}`,
      });
    } catch (err) {
      const e = toPostroomError(err);
      if (e.code === 'message_too_large') throw new ApiError(413, 'message_too_large', e.message);
      // Not stored: the client keeps the mail and tries again, as an MTA would after a 451.
      ctx.log.warn({ err: e.message }, 'uploaded mail not stored');
      throw new ApiError(503, 'temporary_failure', `the mail was not stored, try again: ${e.message}`);
    }
    const row = stored.rows[0];
    if (!row) throw new ApiError(503, 'temporary_failure', 'the mail was not stored, try again');
    return reply
      .code(row.duplicate ? 200 : 201)
      .send({ id: row.id, mailbox, duplicate: row.duplicate, sha256: stored.sha256, size: stored.size });
  });
}
