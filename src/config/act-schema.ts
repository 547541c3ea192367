import { z } from 'zod';
import { duration, expecting, flag, size, text, wholeNumber } from './fields.ts';

/** A mailbox's outgoing SMTP server (seed 002: outbound through the same driver profile). */
export const outboundServerSchema = z.strictObject({
  host: text('a host name'),
  port: wholeNumber(1, 65535).default(587),
  // true = implicit TLS (465), starttls = upgrade when offered (587), false = plain (tests only)
  tls: z
    .union([z.boolean(), z.enum(['starttls'])], { error: expecting('true, false or starttls') })
    .default('starttls'),
  // Verify the server certificate; turn off only for a self-signed test server.
  rejectUnauthorized: flag().default(true),
  auth: z
    .strictObject({
      user: text('a user name'),
      password: z.string({ error: expecting('a password') }),
    })
    .optional(),
  timeout: duration('s').prefault('60s'),
  /** the From of our answers; default: the mailbox address */
  from: text('an address such as support@example.com').optional(),
  /** the display name of our answers */
  name: z.string({ error: expecting('a display name such as Example Support') }).default(''),
});
export type OutboundServer = z.infer<typeof outboundServerSchema>;

/** Outbox retries: capped exponential, then `failed` with the server's last answer. */
export const outboxSchema = z
  .strictObject({
    attempts: wholeNumber(1, 100).default(8),
    base: duration('s').prefault('30s'),
    max: duration('s').prefault('1h'),
  })
  .prefault({});

/** Delays before each try of a webhook; the default gives 10 tries over about 10.7 hours. */
export const DEFAULT_WEBHOOK_SCHEDULE = ['0s', '30s', '2m', '10m', '30m', '1h', '2h', '2h', '2h', '3h'];

export const webhookEndpointSchema = z.strictObject({
  url: text('an http(s) URL').refine((u) => /^https?:\/\/./i.test(u), { error: 'must be an http:// or https:// URL' }),
  // HMAC-SHA256 key of the Postroom-Signature header; the receiver keeps the same.
  secret: z
    .string({ error: expecting('a secret of at least 16 characters, e.g. ${CRM_WEBHOOK_SECRET}') })
    .min(16, { error: 'must be at least 16 characters' }),
  // Attachments up to this size travel inline (base64); larger ones as metadata (and a link).
  inlineAttachmentsUpTo: size(0).prefault('256KB'),
  // Where a receiver fetches an attachment: {sha256} and {messageId} are filled in; "" = no links.
  attachmentLink: z.string({ error: expecting('a URL such as https://postroom.example.com/blobs/{sha256}') }).default(''),
  timeout: duration('ms').prefault('10s'),
});
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

export const webhooksSchema = z
  .strictObject({
    endpoints: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, { error: 'endpoint names are letters, digits, _ or -' }), webhookEndpointSchema, {
        error: expecting('a mapping of endpoint names, e.g. { crm: { url: https://crm.example.com/hook, secret: ... } }'),
      })
      .default({}),
    schedule: z
      .array(duration('ms', true), { error: expecting('a list of delays such as [0s, 30s, 2m]') })
      .min(1, { error: 'needs at least one entry (the delay before the first try)' })
      .prefault(DEFAULT_WEBHOOK_SCHEDULE),
  })
  .prefault({});

/** At most so many automatic answers per sender and per record within the window (loop limits). */
export const loopLimitsSchema = z
  .strictObject({
    window: duration('s').prefault('1h'),
    perSender: wholeNumber(0).default(3),
    perRecord: wholeNumber(0).default(5),
  })
  .prefault({});
