import { isIP } from 'node:net';
import { z } from 'zod';
import { loopLimitsSchema, outboundServerSchema, outboxSchema, webhooksSchema } from './act-schema.ts';
import { describeValue, duration, durationOrForever, expecting, flag, size, text, wholeNumber } from './fields.ts';
import { checkRuleReferences, rulesSchema } from './rules-schema.ts';
import type { RuleSet } from '../core/rules.ts';

export { describeValue };

// Every message produced here ends up after "<key>: " in a ConfigError line, so messages are
// lower-case fragments without a trailing period and never echo database.url (it may hold a password).

/** Log levels accepted by log.level (pino's levels plus "silent"). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Pattern a record type prefix must match (it starts every generated record number). */
export const RECORD_PREFIX_PATTERN = /^[A-Z][A-Z0-9_-]{0,15}$/;

const RECORD_TYPE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

// Deliberately looser than RFC 5322 and allowing dotless domains (support@localhost), but still
// catching the usual slips: missing @, spaces, empty parts, stray dots.
const LOCAL_PART_PATTERN = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const DOMAIN_PATTERN = new RegExp(`^${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*$`);

/** Whether `address` looks like local@domain (dotless domains such as localhost allowed). */
export function isEmailAddress(address: string): boolean {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1 || address.length > 254) return false;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  return local.length <= 64 && LOCAL_PART_PATTERN.test(local) && DOMAIN_PATTERN.test(domain);
}

/** Which database a database.url selects, or undefined when the URL is not one Postroom supports. */
export function databaseKind(url: string): 'sqlite' | 'postgres' | undefined {
  if (url === '') return 'sqlite';
  if (/^postgres(?:ql)?:\/\/./i.test(url)) return 'postgres';
  if (/^sqlite:./i.test(url)) return 'sqlite';
  return undefined;
}

const databaseUrl = z
  .string({ error: expecting('a database URL string') })
  .refine((url) => databaseKind(url) !== undefined, {
    // Only the scheme is echoed: the rest of the URL may carry a password.
    error: (iss) => {
      const input = typeof iss.input === 'string' ? iss.input : '';
      const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(input)?.[1];
      const what =
        scheme === undefined
          ? 'is not a URL Postroom understands'
          : /^(postgres|postgresql|sqlite)$/i.test(scheme)
            ? `is not a complete ${scheme}: URL`
            : `unsupported scheme "${scheme}:"`;
      return `${what}; use "" for the embedded SQLite database in dataDir, postgres://user:password@host:5432/dbname for PostgreSQL, or sqlite:/path/to/file.db`;
    },
  });

const recordTypeSchema = z.strictObject({
  prefix: z.string({ error: expecting('a prefix such as CASE') }).regex(RECORD_PREFIX_PATTERN, {
    error: (iss) =>
      `${describeValue(iss.input)} is not a valid prefix; use 1 to 16 upper-case letters, digits, _ or -, starting with a letter`,
  }),
  digits: wholeNumber(3, 12),
  // ServiceNow numbers start high (INC0010001); the first record of the type gets this number.
  start: wholeNumber(1).default(1),
});

/** An access token for XOAUTH2: literal, from an environment variable, or printed by a command. */
const accessTokenSchema = z.union(
  [
    text('a token'),
    z.strictObject({ env: text('an environment variable name') }),
    z.strictObject({ command: text('a command that prints a token') }),
  ],
  { error: expecting('a token, { env: VAR } or { command: "./get-token.sh" }') },
);

const serverSchema = z.strictObject({
  host: text('a host name'),
  /** default: 995/110 for POP3, 993/143 for IMAP, by tls */
  port: wholeNumber(1, 65535).optional(),
  // true = implicit TLS (993/995), starttls = upgrade after the greeting, false = plain (tests only)
  tls: z
    .union([z.boolean(), z.enum(['starttls'])], { error: expecting('true, false or starttls') })
    .default(true),
  // Verify the server certificate; turn off only for a self-signed test server.
  rejectUnauthorized: flag().default(true),
  user: text('a user name').optional(),
  password: z.string({ error: expecting('a password') }).optional(),
  auth: z
    .strictObject({
      user: text('a user name'),
      password: z.string({ error: expecting('a password') }).optional(),
      accessToken: accessTokenSchema.optional(),
    })
    .optional(),
  timeout: duration('s').prefault('60s'),
});

const afterProcessingSchema = z.union(
  [z.enum(['delete', 'keep', 'flag-seen']), z.strictObject({ move: text('a folder name') })],
  { error: expecting('delete, keep, flag-seen or { move: Processed }') },
);

const TRUST_ACTIONS = ['create', 'update', 'reopen', 'close'] as const;

function isIpOrCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.trim().split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** Whether a sender is who the From says (DKIM/SPF/DMARC), and what an unverified one may do. */
const trustSchema = z
  .strictObject({
    // verify: DKIM/SPF/DMARC here; trust-header: only a trusted MTA's Authentication-Results; off: no check
    mode: z.enum(['verify', 'trust-header', 'off'], { error: expecting('verify, trust-header or off') }).default('verify'),
    trustedAuthservIds: z
      .array(text('an authserv-id such as mx.example.com'), { error: expecting('a list of authserv-ids') })
      .default([]),
    trustedRelays: z
      .array(
        z.string().refine(isIpOrCidr, {
          error: (iss) => `${describeValue(iss.input)} is not an IP address or CIDR such as 10.0.0.0/8`,
        }),
        { error: expecting('a list of IP addresses or CIDRs') },
      )
      .default([]),
    // what a sender whose From fails DMARC may still do (see src/decide/identify/trust.ts)
    unverifiedMay: z
      .array(z.enum(TRUST_ACTIONS, { error: expecting('create, update, reopen or close') }), {
        error: expecting('a list such as [create]'),
      })
      .default(['create']),
  })
  .superRefine((t, ctx) => {
    if (t.mode === 'trust-header' && t.trustedAuthservIds.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['trustedAuthservIds'],
        message: 'trust-header needs at least one trusted authserv-id',
        input: t.trustedAuthservIds,
      });
  });

/** The keys a driver profile may set for the mailboxes that name it (Siebel's driver profiles). */
const connectorFields = {
  connector: z.enum(['smtp', 'pop3', 'imap'], { error: expecting('smtp, pop3 or imap') }),
  server: serverSchema,
  folder: text('a folder name'),
  idle: flag(),
  afterProcessing: afterProcessingSchema,
  pollingInterval: duration('s'),
  batchSize: wholeNumber(1, 10_000),
  recordType: z.string({ error: expecting('the name of a record type') }),
  deleteProcessed: flag(),
  // Siebel's Loopback Detection Interval: 0 turns the rate window off.
  loopbackDetectionInterval: duration('s', true),
  loopbackMaxMessages: wholeNumber(1, 1_000_000),
  loopbackKey: z.enum(['sender', 'sender+subject'], { error: expecting('sender or sender+subject') }),
  processIfLoopbackDetected: flag(),
  // The same mail to two monitored addresses: merge = one record; separate = one per mailbox.
  fanOut: z.enum(['merge', 'separate'], { error: expecting('merge or separate') }),
  // Seed 004's whitelist for general mail.
  whitelist: z.enum(['accept-all', 'reject-all', 'known-contacts', 'known-contacts-or-company'], {
    error: expecting('accept-all, reject-all, known-contacts or known-contacts-or-company'),
  }),
  // Seed 001: "automatically create users for incoming emails from trusted domains".
  autoCreateUsersFrom: z.array(text('a domain such as example.com'), { error: expecting('a list of domains') }),
  trust: trustSchema,
  // Seed 004: general mail creates and updates project documents instead of records.
  projectDocuments: flag(),
  // seed 002: answers leave through the mailbox's own SMTP server
  outbound: outboundServerSchema,
  // IMAP: where a copy of each answer goes (APPEND); "" = spool/sent in the data folder
  sentFolder: z.string({ error: expecting('a folder name such as Sent, or "" for none') }),
  webhooks: z.array(text('the name of an endpoint under webhooks.endpoints'), { error: expecting('a list of endpoint names') }),
  // a reply to a resolved record opens it again (the default inbound reply action)
  reopenResolved: flag(),
  // a forward credits its original sender (ServiceNow) or the one who forwarded it
  forwardCredit: z.enum(['original-sender', 'forwarder'], { error: expecting('original-sender or forwarder') }),
};

const profileSchema = z.strictObject({
  connector: connectorFields.connector.optional(),
  server: connectorFields.server.optional(),
  folder: connectorFields.folder.optional(),
  idle: connectorFields.idle.optional(),
  afterProcessing: connectorFields.afterProcessing.optional(),
  pollingInterval: connectorFields.pollingInterval.optional(),
  batchSize: connectorFields.batchSize.optional(),
  recordType: connectorFields.recordType.optional(),
  deleteProcessed: connectorFields.deleteProcessed.optional(),
  loopbackDetectionInterval: connectorFields.loopbackDetectionInterval.optional(),
  loopbackMaxMessages: connectorFields.loopbackMaxMessages.optional(),
  loopbackKey: connectorFields.loopbackKey.optional(),
  processIfLoopbackDetected: connectorFields.processIfLoopbackDetected.optional(),
  fanOut: connectorFields.fanOut.optional(),
  whitelist: connectorFields.whitelist.optional(),
  autoCreateUsersFrom: connectorFields.autoCreateUsersFrom.optional(),
  trust: connectorFields.trust.optional(),
  projectDocuments: connectorFields.projectDocuments.optional(),
  outbound: connectorFields.outbound.optional(),
  sentFolder: connectorFields.sentFolder.optional(),
  webhooks: connectorFields.webhooks.optional(),
  reopenResolved: connectorFields.reopenResolved.optional(),
  forwardCredit: connectorFields.forwardCredit.optional(),
});

const mailboxSchema = z.strictObject({
  address: z.string({ error: expecting('an email address') }).refine(isEmailAddress, {
    error: (iss) => `${describeValue(iss.input)} is not an email address; write it as local@domain`,
  }),
  /** a key of profiles; its settings apply where the mailbox sets none */
  profile: z.string({ error: expecting('the name of a profile') }).optional(),
  // smtp: mail arrives by the SMTP listener or `postroom ingest`; pop3/imap: Postroom fetches it.
  connector: connectorFields.connector.default('smtp'),
  server: connectorFields.server.optional(),
  folder: connectorFields.folder.default('INBOX'),
  idle: connectorFields.idle.default(true),
  afterProcessing: connectorFields.afterProcessing.default('delete'),
  pollingInterval: connectorFields.pollingInterval.prefault('60s'),
  batchSize: connectorFields.batchSize.default(50),
  recordType: connectorFields.recordType.default('CASE'),
  // Siebel's "Delete Processed Messages": drop the raw .eml once the records hold what matters.
  deleteProcessed: connectorFields.deleteProcessed.default(false),
  // A sender sending more than loopbackMaxMessages within the interval is held as a loop.
  loopbackDetectionInterval: connectorFields.loopbackDetectionInterval.prefault('10m'),
  loopbackMaxMessages: connectorFields.loopbackMaxMessages.default(40),
  loopbackKey: connectorFields.loopbackKey.default('sender'),
  processIfLoopbackDetected: connectorFields.processIfLoopbackDetected.default(false),
  fanOut: connectorFields.fanOut.default('merge'),
  whitelist: connectorFields.whitelist.default('accept-all'),
  autoCreateUsersFrom: connectorFields.autoCreateUsersFrom.default([]),
  trust: connectorFields.trust.prefault({}),
  projectDocuments: connectorFields.projectDocuments.default(false),
  outbound: connectorFields.outbound.optional(),
  sentFolder: connectorFields.sentFolder.default('Sent'),
  webhooks: connectorFields.webhooks.default([]),
  reopenResolved: connectorFields.reopenResolved.default(true),
  forwardCredit: connectorFields.forwardCredit.default('original-sender'),
});

/** Subject prefixes that mark a forward or a reply (seed 001); compared case-insensitively. */
const prefixesSchema = z.strictObject({
  forward: z
    .array(text('a prefix such as fwd:'), { error: expecting('a list of prefixes such as [fw:, fwd:]') })
    .default(['fw:', 'fwd:', 'wg:', 'tr:', 'rv:', 'i:', 'vs:', 'vl:', 'doorst:', 'fs:', 'enc:', 'pd:', 'rif:', 'пересл:', '转发:', '轉寄:', 'fw：', '转发：']),
  reply: z
    .array(text('a prefix such as re:'), { error: expecting('a list of prefixes such as [re:, aw:]') })
    .default(['re:', 'aw:', 'r:', 'sv:', 'antw:', 'réf:', 'ref:', 'odp:', 'vá:', 'ynt:', 'atb:', 'res:', 'отв:', 'ответ:', '回复:', '答复:', '回覆:', 're：', '回复：', 'accepted:', 'tentative:', 'declined:']),
});

const catalogRule = z.union([z.literal(0), z.literal(1), z.literal(2)], {
  error: expecting('0 (skip), 1 (catalogue) or 2 (catalogue and link)'),
});

/** A project document type (seed 004); names and short IDs are recognised in subjects. */
const docTypeSchema = z.strictObject({
  name: text('a doc type name such as Field Report'),
  shortId: z
    .string({ error: expecting('a short ID such as Inv2Bid') })
    .regex(/^[\p{L}\p{N}]+$/u, { error: 'letters and digits only, such as Inv2Bid' })
    .optional(),
  inbound: z.enum(['Yes', 'Smart', 'No'], { error: expecting('Yes, Smart or No') }).default('No'),
  requiresProject: flag().default(true),
  active: flag().default(true),
  subtypes: z.array(text('a subtype such as EM'), { error: expecting('a list of subtypes such as [EM]') }).default([]),
  // by file extension without the dot ('*' for any other): 0 skip, 1 catalogue, 2 catalogue and link
  catalog: z.record(z.string(), catalogRule, { error: expecting('a mapping such as { pdf: 1, exe: 0 }') }).default({}),
  // the first number Postroom gives a new document of this type, and its digits
  firstNumber: wholeNumber(1).default(1),
  digits: wholeNumber(1, 12).default(4),
});

const backoffSchema = z
  .strictObject({
    base: duration('s', true).prefault('5s'),
    max: duration('s', true).prefault('10m'),
  })
  .superRefine((backoff, ctx) => {
    if (typeof backoff.base === 'number' && typeof backoff.max === 'number' && backoff.max < backoff.base) {
      ctx.addIssue({
        code: 'custom',
        path: ['max'],
        message: `must not be shorter than runner.backoff.base (${backoff.base}s)`,
        input: backoff.max,
      });
    }
  });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The whole postroom.config.yaml: unknown keys rejected, every key defaulted, sizes in bytes, durations converted. */
export const configSchema = z
  .strictObject({
    dataDir: text('a folder path').default('./data'),
    database: z
      .strictObject({
        url: databaseUrl.default(''),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z
          .enum(LOG_LEVELS, {
            error: expecting(`one of ${LOG_LEVELS.join(', ')}`),
          })
          .default('info'),
      })
      .prefault({}),
    smtp: z
      .strictObject({
        enabled: flag().default(true),
        host: text('a host name or IP address to listen on').default('127.0.0.1'),
        port: wholeNumber(1, 65535).default(2525),
        maxMessageSize: size().prefault('50MB'),
        banner: z
          .string({ error: expecting('text') })
          // A line break would end the SMTP greeting early and confuse clients.
          .regex(/^[^\r\n]*$/, { error: 'must be a single line' })
          .default('Postroom'),
      })
      .prefault({}),
    // The HTTP face (REST API, /metrics, /health), off unless enabled; the API needs the token.
    http: z
      .strictObject({
        enabled: flag().default(false),
        host: text('a host name or IP address to listen on').default('127.0.0.1'),
        port: wholeNumber(1, 65535).default(8025),
        token: z
          .string({ error: expecting('a token of at least 16 characters, e.g. ${POSTROOM_HTTP_TOKEN}') })
          .refine((s) => s === '' || s.length >= 16, { error: 'must be empty (API off) or at least 16 characters' })
          .default(''),
        maxUploadSize: size().prefault('50MB'),
      })
      .prefault({}),
    runner: z
      .strictObject({
        workers: wholeNumber(1, 64).default(2),
        concurrency: wholeNumber(1, 256).default(4),
        leaseSeconds: duration('s').prefault(60),
        pollInterval: duration('ms').prefault('500ms'),
        maxAttempts: wholeNumber(1).default(5),
        backoff: backoffSchema.prefault({}),
      })
      .prefault({}),
    limits: z
      .strictObject({
        messageSize: size().prefault('300MB'),
        headerSize: size().prefault('1MB'),
        mimeDepth: wholeNumber(1).default(20),
        parts: wholeNumber(1).default(500),
        attachments: wholeNumber(0).default(100),
        attachmentsTotalSize: size(0).prefault('250MB'),
      })
      .prefault({}),
    recordTypes: z
      .record(
        z.string().regex(RECORD_TYPE_NAME_PATTERN, {
          error: (iss) =>
            `${describeValue(iss.input)} is not a valid record type name; use letters, digits, _ or -, starting with a letter`,
        }),
        recordTypeSchema,
        {
          error: (iss) =>
            iss.code === 'invalid_key'
              ? iss.issues[0]?.message
              : `expected a mapping of record type names, got ${describeValue(iss.input)}`,
        },
      )
      .prefault({ CASE: { prefix: 'CASE', digits: 7 } }),
    prefixes: prefixesSchema.prefault({}),
    projects: z
      .strictObject({
        docTypes: z
          .array(docTypeSchema, { error: expecting('a list of doc types') })
          .default([
            {
              name: 'Correspondence',
              inbound: 'Yes',
              requiresProject: false,
              active: true,
              subtypes: ['EM'],
              catalog: {},
              firstNumber: 1,
              digits: 4,
            },
          ]),
        // where catalogued files go; without it the inbound mail itself (.eml) is never catalogued
        catalogFolder: z.string({ error: expecting('a folder path') }).default(''),
      })
      .prefault({}),
    // How sender addresses match directory entries: the domain never minds case; the local part
    // does not by default (RFC 5321 says it may, no mail system does); `+tag` subaddresses match.
    directory: z
      .strictObject({
        localPartCase: z.enum(['insensitive', 'sensitive'], { error: expecting('insensitive or sensitive') }).default('insensitive'),
        subaddressSeparator: z.string({ error: expecting('one character such as +, or "" for none') }).max(1, { error: 'one character such as +, or "" for none' }).default('+'),
      })
      .prefault({}),
    signing: z
      .strictObject({
        // HMAC key for the Message-IDs we send; "" = one generated at first start and kept in the
        // database, so every node of a cluster uses the same. Set it to rotate or to share across installs.
        secret: z
          .string({ error: expecting('a secret of at least 16 characters, e.g. ${POSTROOM_SECRET}') })
          .refine((s) => s === '' || s.length >= 16, { error: 'must be empty (generated) or at least 16 characters' })
          .default(''),
        domain: text('a domain name for Message-IDs, e.g. support.example.com').default('postroom.localhost'),
      })
      .prefault({}),
    outbox: outboxSchema,
    // How long raw mail is kept once a message is final; its row, trace and record stay.
    retention: z
      .strictObject({
        rawMail: durationOrForever('s').prefault('forever'),
        failedMail: durationOrForever('s').prefault('forever'),
        sweepInterval: duration('ms').prefault('1h'),
      })
      .prefault({}),
    webhooks: webhooksSchema,
    loopLimits: loopLimitsSchema,
    rules: rulesSchema,
    profiles: z
      .record(z.string(), profileSchema, { error: expecting('a mapping of profile names') })
      .default({}),
    mailboxes: z
      .array(mailboxSchema, { error: expecting('a list of mailboxes') })
      .min(1, { error: 'at least one mailbox is required' })
      .prefault([{ address: 'support@localhost', recordType: 'CASE' }]),
  })
  .superRefine(
    (config, ctx) => {
      // Runs even when other fields failed so every problem is reported at once; the value may be
      // partly unparsed here (or not even a mapping), hence the defensive checks.
      const root: unknown = config;
      if (!isRecord(root)) return;
      const recordTypes = isRecord(root['recordTypes']) ? root['recordTypes'] : undefined;
      if (recordTypes !== undefined) {
        const prefixOwners = new Map<string, string>();
        for (const [name, type] of Object.entries(recordTypes)) {
          const prefix = isRecord(type) ? type['prefix'] : undefined;
          if (typeof prefix !== 'string') continue;
          const owner = prefixOwners.get(prefix);
          if (owner === undefined) {
            prefixOwners.set(prefix, name);
          } else {
            ctx.addIssue({
              code: 'custom',
              path: ['recordTypes', name, 'prefix'],
              message: `prefix ${JSON.stringify(prefix)} is already used by record type ${owner}; record numbers would collide`,
              input: prefix,
            });
          }
        }
      }
      const mailboxes = root['mailboxes'];
      if (!Array.isArray(mailboxes)) return;
      const endpoints = isRecord(root['webhooks']) && isRecord(root['webhooks']['endpoints']) ? Object.keys(root['webhooks']['endpoints']) : [];
      const rules = root['rules'];
      if (isRecord(rules) && Array.isArray(rules['inboundActions']))
        checkRuleReferences(
          rules as unknown as RuleSet,
          {
            endpoints,
            mailboxes: mailboxes.map((m: unknown) => (isRecord(m) && typeof m['address'] === 'string' ? m['address'].toLowerCase() : '')),
            recordTypes: recordTypes ? Object.keys(recordTypes) : [],
          },
          (path, message) => ctx.addIssue({ code: 'custom', path, message, input: undefined }),
        );
      const seen = new Map<string, number>();
      mailboxes.forEach((mailbox: unknown, index) => {
        if (!isRecord(mailbox)) return;
        const address = mailbox['address'];
        if (typeof address === 'string') {
          const normalized = address.toLowerCase();
          const first = seen.get(normalized);
          if (first === undefined) {
            seen.set(normalized, index);
          } else {
            ctx.addIssue({
              code: 'custom',
              path: ['mailboxes', index, 'address'],
              message: `${JSON.stringify(address)} is already configured as mailboxes[${first}]; each address may appear only once (case-insensitive)`,
              input: address,
            });
          }
        }
        const profiles = isRecord(root['profiles']) ? root['profiles'] : {};
        const profile = mailbox['profile'];
        if (typeof profile === 'string' && !Object.hasOwn(profiles, profile)) {
          ctx.addIssue({
            code: 'custom',
            path: ['mailboxes', index, 'profile'],
            message: `profile ${JSON.stringify(profile)} is not defined under profiles (defined: ${Object.keys(profiles).join(', ') || 'none'})`,
            input: profile,
          });
        }
        const connector = mailbox['connector'];
        if ((connector === 'pop3' || connector === 'imap') && !isRecord(mailbox['server'])) {
          ctx.addIssue({
            code: 'custom',
            path: ['mailboxes', index, 'server'],
            message: `a ${connector} mailbox needs server: { host, user, password } (or server.auth for XOAUTH2)`,
            input: mailbox['server'],
          });
        }
        const server = mailbox['server'];
        if (isRecord(server) && server['user'] === undefined && !isRecord(server['auth'])) {
          ctx.addIssue({
            code: 'custom',
            path: ['mailboxes', index, 'server', 'user'],
            message: 'is required: the login name (or set server.auth for XOAUTH2)',
            input: undefined,
          });
        }
        const hooks = mailbox['webhooks'];
        if (Array.isArray(hooks))
          hooks.forEach((name: unknown, j) => {
            if (typeof name === 'string' && !endpoints.includes(name))
              ctx.addIssue({
                code: 'custom',
                path: ['mailboxes', index, 'webhooks', j],
                message: `endpoint ${JSON.stringify(name)} is not defined under webhooks.endpoints (defined: ${endpoints.join(', ') || 'none'})`,
                input: name,
              });
          });
        const recordType = mailbox['recordType'];
        if (
          typeof recordType === 'string' &&
          recordTypes !== undefined &&
          !Object.hasOwn(recordTypes, recordType)
        ) {
          const defined = Object.keys(recordTypes);
          ctx.addIssue({
            code: 'custom',
            path: ['mailboxes', index, 'recordType'],
            message: `record type ${JSON.stringify(recordType)} is not defined under recordTypes (${
              defined.length === 0 ? 'none are defined' : `defined: ${defined.join(', ')}`
            })`,
            input: recordType,
          });
        }
      });
    },
    { when: () => true },
  );

/** Validated configuration with all defaults applied (sizes in bytes, durations in the unit the key names). */
export type Config = z.infer<typeof configSchema>;

/** What a config file (or overrides) may contain before defaults and unit conversion. */
export type ConfigInput = z.input<typeof configSchema>;
