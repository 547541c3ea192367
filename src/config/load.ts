import { existsSync, readFileSync } from 'node:fs';
import { mergeRuleIncludes } from './rule-includes.ts';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { configSchema, describeValue } from './schema.ts';
import type { Config, ConfigInput } from './schema.ts';

/** One problem found in the configuration, phrased for the person editing the file. */
export type ConfigIssue = {
  /** Dotted path like `mailboxes[0].recordType`, or `line 3, column 5` for YAML syntax errors. */
  key: string;
  problem: string;
  /** A valid value for `exampleKey ?? key`; empty when no example makes sense. */
  example: string;
  /** Key the example is written for when it differs from `key` (the likely intended key for an unknown one). */
  exampleKey?: string;
};

/** Recursively optional version of T; arrays are replaced as a whole rather than merged. */
export type DeepPartial<T> = T extends readonly (infer U)[]
  ? readonly U[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | undefined }
    : T;

/** Values that take precedence over the file and the environment (e.g. from command-line flags). */
export type ConfigOverrides = DeepPartial<ConfigInput>;

export type LoadConfigOptions = {
  /** Config file to read; must exist. Defaults to $POSTROOM_CONFIG, then ./postroom.config.yaml if present. */
  file?: string | undefined;
  /** Environment for ${VAR} substitution and overrides; defaults to process.env. */
  env?: Record<string, string | undefined> | undefined;
  overrides?: ConfigOverrides | undefined;
  /** Folder that relative paths are resolved against when they did not come from a file; defaults to process.cwd(). */
  cwd?: string | undefined;
};

export type LoadedConfig = {
  config: Readonly<Config>;
  /** Absolute path of the file that was read, or undefined when running on defaults and environment only. */
  file: string | undefined;
};

/** Name of the config file picked up from the working directory when none is named. */
export const DEFAULT_CONFIG_FILE = 'postroom.config.yaml';

const NO_FILE_SOURCE = 'defaults/environment';

function renderIssue(issue: ConfigIssue): string {
  const problem = issue.problem.replace(/\.+$/, '');
  const stop = /[?!]$/.test(problem) ? '' : '.';
  const example = issue.example === '' ? '' : ` Example: ${issue.exampleKey ?? issue.key}: ${issue.example}`;
  return `  - ${issue.key}: ${problem}${stop}${example}`;
}

/** Thrown by loadConfig with every problem found, formatted as a message a user can act on. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  /** The config file involved, if any. */
  readonly file: string | undefined;

  constructor(file: string | undefined, issues: ConfigIssue[], hint?: string) {
    const fix =
      hint ??
      (file === undefined
        ? `To fix: correct the values above (they come from defaults, environment variables or options), or run \`postroom init\` to write a commented ${DEFAULT_CONFIG_FILE} to edit.`
        : `To fix: edit ${file}, or run \`postroom init\` to write a commented example config to compare with.`);
    const lines = [`Configuration error in ${file ?? NO_FILE_SOURCE}:`, ...issues.map(renderIssue), fix];
    super(lines.join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
    this.file = file;
  }
}

// Examples shown in error messages. Keys use [] for any list index and * for any record type name;
// keys not listed fall back to their default value.
const EXAMPLES: Readonly<Record<string, string>> = {
  dataDir: './data',
  database: '{ url: "" }',
  'database.url': 'postgres://postroom:${PGPASSWORD}@127.0.0.1:5432/postroom',
  log: '{ level: info }',
  'log.level': 'info',
  smtp: '{ enabled: true, host: 127.0.0.1, port: 2525 }',
  'smtp.enabled': 'true',
  'smtp.host': '127.0.0.1',
  'smtp.port': '2525',
  'smtp.maxMessageSize': '50MB',
  'smtp.banner': 'Postroom',
  http: '{ enabled: true, host: 127.0.0.1, port: 8025, token: ${POSTROOM_HTTP_TOKEN} }',
  'http.enabled': 'true',
  'http.host': '127.0.0.1',
  'http.port': '8025',
  'http.token': '${POSTROOM_HTTP_TOKEN}',
  'http.maxUploadSize': '50MB',
  runner: '{ workers: 2, concurrency: 4 }',
  'runner.workers': '2',
  'runner.concurrency': '4',
  'runner.leaseSeconds': '60',
  'runner.pollInterval': '500ms',
  'runner.maxAttempts': '5',
  'runner.backoff': '{ base: 5s, max: 10m }',
  'runner.backoff.base': '5s',
  'runner.backoff.max': '10m',
  retention: '{ rawMail: 90d, failedMail: forever }',
  'retention.rawMail': '90d',
  'retention.failedMail': 'forever',
  'retention.sweepInterval': '1h',
  limits: '{ messageSize: 300MB, attachments: 100 }',
  'limits.messageSize': '300MB',
  'limits.headerSize': '1MB',
  'limits.mimeDepth': '20',
  'limits.parts': '500',
  'limits.attachments': '100',
  'limits.attachmentsTotalSize': '250MB',
  recordTypes: '{ CASE: { prefix: CASE, digits: 7 } }',
  'recordTypes.*': '{ prefix: CASE, digits: 7 }',
  'recordTypes.*.prefix': 'CASE',
  'recordTypes.*.digits': '7',
  mailboxes: '[{ address: support@example.com, recordType: CASE }]',
  'mailboxes[]': '{ address: support@example.com, recordType: CASE }',
  'mailboxes[].address': 'support@example.com',
  'mailboxes[].recordType': 'CASE',
  'mailboxes[].deleteProcessed': 'false',
  'mailboxes[].profile': 'pop-default',
  'mailboxes[].connector': 'imap',
  'mailboxes[].server': '{ host: imap.example.com, user: support, password: ${SUPPORT_PW} }',
  'mailboxes[].server.host': 'imap.example.com',
  'mailboxes[].server.port': '993',
  'mailboxes[].server.tls': 'true',
  'mailboxes[].server.rejectUnauthorized': 'true',
  'mailboxes[].server.user': 'support',
  'mailboxes[].server.password': '${SUPPORT_PW}',
  'mailboxes[].server.auth': '{ user: projects, accessToken: { command: "./get-token.sh" } }',
  'mailboxes[].server.timeout': '60s',
  'mailboxes[].folder': 'INBOX',
  'mailboxes[].idle': 'true',
  'mailboxes[].afterProcessing': '{ move: Processed }',
  'mailboxes[].pollingInterval': '60s',
  'mailboxes[].batchSize': '50',
  'mailboxes[].loopbackDetectionInterval': '10m',
  'mailboxes[].loopbackMaxMessages': '40',
  'mailboxes[].loopbackKey': 'sender',
  'mailboxes[].processIfLoopbackDetected': 'false',
  'mailboxes[].fanOut': 'merge',
  'mailboxes[].whitelist': 'known-contacts-or-company',
  'mailboxes[].autoCreateUsersFrom': '[example.com]',
  'mailboxes[].autoCreateUsersFrom[]': 'example.com',
  'mailboxes[].trust.trustedAuthservIds[]': 'mx.example.com',
  'mailboxes[].trust.trustedRelays[]': '10.0.0.0/8',
  'mailboxes[].trust.unverifiedMay[]': 'create',
  'mailboxes[].trust': '{ mode: verify, unverifiedMay: [create] }',
  'mailboxes[].projectDocuments': 'true',
  projects: '{ docTypes: [{ name: Field Report, inbound: Yes }], catalogFolder: /srv/catalog }',
  'projects.docTypes': '[{ name: Field Report, inbound: Yes, catalog: { pdf: 1 } }]',
  'projects.docTypes[]': '{ name: Field Report, inbound: Yes, catalog: { pdf: 1 } }',
  'projects.docTypes[].name': 'Field Report',
  'projects.docTypes[].shortId': 'FR',
  'projects.docTypes[].inbound': 'Yes',
  'projects.docTypes[].requiresProject': 'true',
  'projects.docTypes[].active': 'true',
  'projects.docTypes[].subtypes': '[EM]',
  'projects.docTypes[].subtypes[]': 'EM',
  'projects.docTypes[].catalog': '{ pdf: 1, dwg: 2, exe: 0, eml: 1 }',
  'projects.docTypes[].catalog.*': '1',
  'projects.docTypes[].firstNumber': '1',
  'projects.docTypes[].digits': '4',
  'projects.catalogFolder': '/srv/catalog',
  'mailboxes[].trust.mode': 'verify',
  'mailboxes[].trust.trustedAuthservIds': '[mx.example.com]',
  'mailboxes[].trust.trustedRelays': '[10.0.0.0/8]',
  'mailboxes[].trust.unverifiedMay': '[create]',
  directory: '{ localPartCase: insensitive, subaddressSeparator: "+" }',
  'directory.localPartCase': 'insensitive',
  'directory.subaddressSeparator': '"+"',
  signing: '{ secret: ${POSTROOM_SECRET}, domain: support.example.com }',
  'signing.secret': '${POSTROOM_SECRET}',
  'signing.domain': 'support.example.com',
  'recordTypes.*.start': '10001',
  prefixes: '{ forward: [fw:, fwd:, wg:], reply: [re:, aw:, sv:] }',
  'prefixes.forward': '[fw:, fwd:, wg:, tr:]',
  'prefixes.reply': '[re:, aw:, sv:, antw:]',
  profiles:
    '{ pop-default: { connector: pop3, pollingInterval: 60s, batchSize: 50, afterProcessing: delete } }',
  'mailboxes[].outbound': '{ host: smtp.example.com, port: 587, tls: starttls, auth: { user: support, password: ${SMTP_PW} } }',
  'mailboxes[].outbound.host': 'smtp.example.com',
  'mailboxes[].outbound.port': '587',
  'mailboxes[].outbound.tls': 'starttls',
  'mailboxes[].outbound.rejectUnauthorized': 'true',
  'mailboxes[].outbound.auth': '{ user: support, password: ${SMTP_PW} }',
  'mailboxes[].outbound.auth.user': 'support',
  'mailboxes[].outbound.auth.password': '${SMTP_PW}',
  'mailboxes[].outbound.timeout': '60s',
  'mailboxes[].outbound.from': 'support@example.com',
  'mailboxes[].outbound.name': 'Example Support',
  'mailboxes[].sentFolder': 'Sent',
  'mailboxes[].webhooks': '[crm]',
  'mailboxes[].webhooks[]': 'crm',
  'mailboxes[].reopenResolved': 'true',
  'mailboxes[].forwardCredit': 'original-sender',
  outbox: '{ attempts: 8, base: 30s, max: 1h }',
  'outbox.attempts': '8',
  'outbox.base': '30s',
  'outbox.max': '1h',
  webhooks: '{ endpoints: { crm: { url: https://crm.example.com/postroom, secret: ${CRM_WEBHOOK_SECRET} } } }',
  'webhooks.endpoints': '{ crm: { url: https://crm.example.com/postroom, secret: ${CRM_WEBHOOK_SECRET} } }',
  'webhooks.endpoints.*': '{ url: https://crm.example.com/postroom, secret: ${CRM_WEBHOOK_SECRET} }',
  'webhooks.endpoints.*.url': 'https://crm.example.com/postroom',
  'webhooks.endpoints.*.secret': '${CRM_WEBHOOK_SECRET}',
  'webhooks.endpoints.*.inlineAttachmentsUpTo': '256KB',
  'webhooks.endpoints.*.attachmentLink': 'https://postroom.example.com/blobs/{sha256}',
  'webhooks.endpoints.*.timeout': '10s',
  'webhooks.schedule': '[0s, 30s, 2m, 10m, 30m, 1h, 2h, 2h, 2h, 3h]',
  'webhooks.schedule[]': '30s',
  loopLimits: '{ window: 1h, perSender: 3, perRecord: 5 }',
  'loopLimits.window': '1h',
  'loopLimits.perSender': '3',
  'loopLimits.perRecord': '5',
  rules: '{ filters: [{ name: spam, when: { subject: { contains: "[SPAM]" } }, do: [{ delete: true }] }] }',
  'rules.include': '[rules/support.yaml]',
  'rules.include[]': 'rules/support.yaml',
  'rules.plugins': '[{ name: vip, module: ./plugins/vip.ts, options: {} }]',
  'rules.plugins[]': '{ name: vip, module: ./plugins/vip.ts, options: {} }',
  'rules.preFilter': '[{ name: strip-tag, when: { subject: { starts: "[EXT]" } }, do: [{ alter: { subject: "{{ message.subject }}" } }] }]',
  'rules.preFilter[]': '{ name: strip-tag, when: { subject: { starts: "[EXT]" } }, do: [{ alter: { subject: "{{ message.subject }}" } }] }',
  'rules.contentControl': '[{ name: lottery, tests: [{ when: { body: { contains: lottery } }, weight: 5 }], threshold: 5, do: [{ kill: true }] }]',
  'rules.contentControl[]': '{ name: lottery, tests: [{ when: { body: { contains: lottery } }, weight: 5 }], threshold: 5, do: [{ kill: true }] }',
  'rules.filters': '[{ name: spam, when: { subject: { contains: "[SPAM]" } }, do: [{ delete: true }] }]',
  'rules.filters[]': '{ name: spam, when: { subject: { contains: "[SPAM]" } }, do: [{ delete: true }] }',
  'rules.postFilter': '[{ name: vip, when: { fromDomain: bigcustomer.example }, do: [{ tag: vip }] }]',
  'rules.postFilter[]': '{ name: vip, when: { fromDomain: bigcustomer.example }, do: [{ tag: vip }] }',
  'rules.inboundActions': '[{ name: create, type: new, order: 100, do: [{ createRecord: {} }] }]',
  'rules.inboundActions[]': '{ name: create, type: new, order: 100, stopProcessing: false, do: [{ createRecord: {} }] }',
};

type PathSegment = string | number;

const DEFAULTS: Config = configSchema.parse({});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function keyOf(segments: readonly PathSegment[]): string {
  let key = '';
  for (const segment of segments) {
    key += typeof segment === 'number' ? `[${segment}]` : key === '' ? segment : `.${segment}`;
  }
  return key === '' ? '(top level)' : key;
}

function patternOf(segments: readonly PathSegment[]): string {
  let key = '';
  segments.forEach((segment, index) => {
    if (typeof segment === 'number') key += '[]';
    else if (index === 1 && segments[0] === 'recordTypes') key += '.*';
    else key += key === '' ? segment : `.${segment}`;
  });
  return key;
}

/** Walks the defaults along a path, treating any list index as the first item and any unknown map key as the first entry. */
function defaultAt(segments: readonly PathSegment[]): unknown {
  let current: unknown = DEFAULTS;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      current = current[0];
    } else if (isPlainObject(current)) {
      current = Object.hasOwn(current, String(segment))
        ? current[String(segment)]
        : Object.values(current)[0];
    } else {
      return undefined;
    }
  }
  return current;
}

function exampleAt(segments: readonly PathSegment[]): string {
  const known = EXAMPLES[patternOf(segments)];
  if (known !== undefined) return known;
  const fallback = defaultAt(segments);
  if (fallback === undefined) return '';
  return YAML.stringify(fallback, { collectionStyle: 'flow' }).trim();
}

/** Example value for a dotted config key such as `smtp.port` or `mailboxes[0].address` ('' if none). */
export function configExample(key: string): string {
  const segments: PathSegment[] = [];
  for (const match of key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else if (match[1] !== undefined) segments.push(match[1]);
  }
  return exampleAt(segments);
}

// Optimal string alignment distance: like Levenshtein but a swap ("smpt" → "smtp") costs 1.
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

function closestKey(unknown: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance =
      candidate.toLowerCase() === unknown.toLowerCase()
        ? 0
        : editDistance(unknown.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = unknown.length >= 5 ? 2 : 1;
  return bestDistance <= allowed ? best : undefined;
}

function unknownKeyIssue(parent: readonly PathSegment[], name: string): ConfigIssue {
  const siblings = defaultAt(parent);
  const known = isPlainObject(siblings) ? Object.keys(siblings) : [];
  const suggestion = closestKey(name, known);
  const key = keyOf([...parent, name]);
  if (suggestion !== undefined) {
    return {
      key,
      problem: `unknown key; did you mean "${suggestion}"?`,
      example: exampleAt([...parent, suggestion]),
      exampleKey: keyOf([...parent, suggestion]),
    };
  }
  return {
    key,
    problem: `unknown key; remove it${known.length > 0 ? ` (keys allowed here: ${known.join(', ')})` : ''}`,
    example: '',
  };
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping (key: value lines)',
  array: 'a list',
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
};

// Schema-level messages win over this map; it only rephrases zod's generic ones.
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
    return issue.input === undefined
      ? `is required: expected ${expected}`
      : `expected ${expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === 'unrecognized_keys') return 'unknown key';
  return undefined;
};

type LocatedIssue = { issue: ConfigIssue; segments: readonly PathSegment[] };

function toConfigIssues(issues: readonly z.core.$ZodIssue[]): LocatedIssue[] {
  const result: LocatedIssue[] = [];
  for (const issue of issues) {
    const segments = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const name of issue.keys)
        result.push({ issue: unknownKeyIssue(segments, name), segments: [...segments, name] });
      continue;
    }
    result.push({
      issue: { key: keyOf(segments), problem: issue.message, example: exampleAt(segments) },
      segments,
    });
  }
  return result;
}

/** Sort position of a path: keys in the order the template lists them, list items by index, unknown keys last. */
function rankOf(segments: readonly PathSegment[]): number[] {
  return segments.map((segment, index) => {
    if (typeof segment === 'number') return segment;
    const siblings = defaultAt(segments.slice(0, index));
    const position = isPlainObject(siblings) ? Object.keys(siblings).indexOf(segment) : -1;
    return position < 0 ? Number.MAX_SAFE_INTEGER : position;
  });
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

function yamlIssues(errors: readonly YAML.YAMLError[]): ConfigIssue[] {
  return errors.map((error) => {
    const position = error.linePos?.[0];
    const firstLine = error.message.split('\n')[0] ?? error.message;
    const problem = firstLine.replace(/ at line \d+, column \d+:?\s*$/, '').trim();
    return {
      key: position === undefined ? 'YAML syntax' : `line ${position.line}, column ${position.col}`,
      problem: `YAML syntax error: ${problem}`,
      example: '',
    };
  });
}

type EnvLookup = Record<string, string | undefined>;

// ${NAME} or ${NAME:-default}; $${ is a literal "${".
const REFERENCE_PATTERN = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

function substituteString(
  value: string,
  env: EnvLookup,
  segments: readonly PathSegment[],
  issues: LocatedIssue[],
): string {
  const key = keyOf(segments);
  let out = '';
  let index = 0;
  while (index < value.length) {
    const start = value.indexOf('$', index);
    if (start < 0) {
      out += value.slice(index);
      break;
    }
    out += value.slice(index, start);
    if (value.startsWith('$${', start)) {
      out += '${';
      index = start + 3;
      continue;
    }
    if (!value.startsWith('${', start)) {
      out += '$';
      index = start + 1;
      continue;
    }
    const end = value.indexOf('}', start + 2);
    const reference = REFERENCE_PATTERN.exec(end < 0 ? '' : value.slice(start + 2, end));
    const name = reference?.[1];
    if (end < 0 || reference === null || name === undefined) {
      issues.push({
        segments,
        issue: {
          key,
          problem: `malformed environment reference in ${describeValue(value.slice(start, end < 0 ? undefined : end + 1))}; write \${NAME} or \${NAME:-default} (and $\${ for a literal \${)`,
          example: configExample(key),
        },
      });
      return value;
    }
    const fallback = reference[2];
    const fromEnv = env[name];
    // Like the shell's ${NAME:-default}: an empty variable also takes the default.
    if (fromEnv !== undefined && (fromEnv !== '' || fallback === undefined)) {
      out += fromEnv;
    } else if (fallback !== undefined) {
      out += fallback;
    } else {
      issues.push({
        segments,
        issue: {
          key,
          problem: `refers to environment variable ${name} (\${${name}}), which is not set; set it, or write \${${name}:-default} to give a fallback`,
          example: configExample(key),
        },
      });
      return value;
    }
    index = end + 1;
  }
  return out;
}

function substituteEnv(
  value: unknown,
  env: EnvLookup,
  segments: PathSegment[],
  issues: LocatedIssue[],
): unknown {
  if (typeof value === 'string') return substituteString(value, env, segments, issues);
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, [...segments, i], issues));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      setOwn(out, k, substituteEnv(v, env, [...segments, k], issues));
    return out;
  }
  return value;
}

// defineProperty rather than assignment so a "__proto__" key from YAML stays an ordinary key.
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Merges `source` over `target` into a new object, noting in `sources` which leaf keys it supplied. */
function deepMerge(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
  origin: string,
  sources: Map<string, string>,
  segments: PathSegment[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined) continue;
    const here = [...segments, k];
    const existing = out[k];
    if (isPlainObject(v)) {
      // A non-mapping already there is left alone so validation still reports it.
      if (existing !== undefined && !isPlainObject(existing)) continue;
      setOwn(out, k, deepMerge(existing ?? {}, v, origin, sources, here));
    } else {
      setOwn(out, k, v);
      sources.set(keyOf(here), origin);
    }
  }
  return out;
}

const ENV_OVERRIDES: ReadonlyArray<readonly [variable: string, path: readonly string[]]> = [
  ['DATABASE_URL', ['database', 'url']],
  ['POSTROOM_DATA_DIR', ['dataDir']],
  ['POSTROOM_SMTP_PORT', ['smtp', 'port']],
  ['POSTROOM_LOG_LEVEL', ['log', 'level']],
  ['POSTROOM_HTTP_ENABLED', ['http', 'enabled']],
  ['POSTROOM_HTTP_PORT', ['http', 'port']],
  ['POSTROOM_HTTP_TOKEN', ['http', 'token']],
];

function nest(segments: readonly string[], value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (const segment of [...segments].reverse()) {
    const level: Record<string, unknown> = {};
    setOwn(level, segment, out);
    out = level;
  }
  return out as Record<string, unknown>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function findFile(
  opts: LoadConfigOptions,
  env: EnvLookup,
  cwd: string,
): { file: string; explicit: string | undefined } | undefined {
  if (opts.file !== undefined && opts.file !== '')
    return { file: path.resolve(cwd, opts.file), explicit: 'named explicitly' };
  const fromEnv = env['POSTROOM_CONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { file: path.resolve(cwd, fromEnv), explicit: 'named by POSTROOM_CONFIG' };
  }
  const local = path.resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(local) ? { file: local, explicit: undefined } : undefined;
}

function readConfigFile(file: string, explicit: string | undefined): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(
        file,
        [
          {
            key: 'config file',
            problem: `file not found: ${file}${explicit === undefined ? '' : ` (${explicit})`}`,
            example: '',
          },
        ],
        `To fix: check the path, or run \`postroom init\` to write a commented example config file there.`,
      );
    }
    throw new ConfigError(
      file,
      [{ key: 'config file', problem: `cannot read ${file}: ${(error as Error).message}`, example: '' }],
      'To fix: make sure the path names a readable file.',
    );
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      yamlIssues(doc.errors),
      `To fix: correct the YAML at the position shown in ${file} (indent with spaces, "key: value" with a space after the colon), or run \`postroom init\` to write a commented example config to compare with.`,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (error) {
    throw new ConfigError(file, [{ key: 'YAML', problem: (error as Error).message, example: '' }]);
  }
}

/** Load, merge (file < environment < overrides), validate and freeze the configuration; throws ConfigError listing every problem. */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const env: EnvLookup = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const found = findFile(opts, env, cwd);
  const file = found?.file;

  let raw: Record<string, unknown> = {};
  const issues: LocatedIssue[] = [];
  if (found !== undefined) {
    const parsed = readConfigFile(found.file, found.explicit);
    if (parsed !== null && parsed !== undefined) {
      if (!isPlainObject(parsed)) {
        throw new ConfigError(file, [
          {
            key: '(top level)',
            problem: `expected a mapping of settings (key: value lines), got ${describeValue(parsed)}`,
            example: '',
          },
        ]);
      }
      raw = substituteEnv(parsed, env, [], issues) as Record<string, unknown>;
    }
  }

  const sources = new Map<string, string>();
  for (const [variable, segments] of ENV_OVERRIDES) {
    const value = env[variable];
    // An empty variable is treated as unset, as shells and container runtimes often export blanks.
    if (value === undefined || value === '') continue;
    raw = deepMerge(raw, nest(segments, value), `environment variable ${variable}`, sources);
  }
  if (opts.overrides !== undefined) {
    raw = deepMerge(raw, opts.overrides as Record<string, unknown>, 'overrides', sources);
  }

  raw = applyProfiles(raw);
  const included = mergeRuleIncludes(raw, file !== undefined ? path.dirname(file) : cwd);
  raw = included.raw;
  for (const { key, problem } of included.problems)
    issues.push({ issue: { key, problem, example: 'rules/support.yaml' }, segments: ['rules', 'include'] });
  const result = configSchema.safeParse(raw, { error: errorMap });
  if (!result.success) {
    // A value whose ${VAR} could not be resolved already has an issue; its validation error would only be noise.
    const unresolved = new Set(issues.map(({ issue }) => issue.key));
    for (const located of toConfigIssues(result.error.issues)) {
      const { issue } = located;
      if (unresolved.has(issue.key)) continue;
      const origin = sources.get(issue.key);
      issues.push(
        origin === undefined
          ? located
          : { ...located, issue: { ...issue, problem: `${issue.problem} (set by ${origin})` } },
      );
    }
  }
  if (issues.length > 0 || !result.success) {
    // Listed in template order so the message reads top to bottom like the file.
    const ranked = issues.map((located) => ({ located, rank: rankOf(located.segments) }));
    ranked.sort((a, b) => compareRanks(a.rank, b.rank));
    throw new ConfigError(
      file,
      ranked.map(({ located }) => located.issue),
    );
  }

  const config = result.data;
  // Relative dataDir in a file means "next to that file"; from the environment or options it means the working directory.
  const base = file !== undefined && !sources.has('dataDir') ? path.dirname(file) : cwd;
  config.dataDir = path.resolve(base, config.dataDir);
  // Plugin modules, like dataDir, are found next to the file that names them.
  const moduleBase = file !== undefined ? path.dirname(file) : cwd;
  for (const plugin of config.rules.plugins) plugin.module = path.resolve(moduleBase, plugin.module);
  return { config: deepFreeze(config), file };
}

/**
 * Siebel's driver profiles: a mailbox that names a profile takes each setting it does not set
 * itself from that profile. An unknown profile name is left for the schema check to report.
 */
function applyProfiles(raw: Record<string, unknown>): Record<string, unknown> {
  const profiles = raw['profiles'];
  const mailboxes = raw['mailboxes'];
  if (!isPlainObject(profiles) || !Array.isArray(mailboxes)) return raw;
  return {
    ...raw,
    mailboxes: mailboxes.map((mailbox: unknown) => {
      if (!isPlainObject(mailbox) || typeof mailbox['profile'] !== 'string') return mailbox;
      const profile = profiles[mailbox['profile']];
      return isPlainObject(profile) ? { ...profile, ...mailbox } : mailbox;
    }),
  };
}

const SECRET_KEY = /^(password|accessToken|secret)$|(Password|Secret|Token|ApiKey)$/i;

function maskUrl(value: string): string {
  const schemeEnd = value.indexOf('://');
  if (schemeEnd < 0) return value;
  const rest = value.slice(schemeEnd + 3);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  let masked = value;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      masked = `${value.slice(0, schemeEnd + 3)}${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
    }
  }
  // libpq-style URLs may also carry the password as a query parameter.
  return masked.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

function mask(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && SECRET_KEY.test(key) && value !== undefined && value !== null && value !== '')
    return '***';
  if (typeof value === 'string') return maskUrl(value);
  if (Array.isArray(value)) return value.map((item: unknown) => mask(item, undefined));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, mask(v, k));
    return out;
  }
  return value;
}

/** Copy of the config safe to print: URL passwords and password/accessToken/secret-like keys replaced by "***". */
export function maskSecrets(config: Config): unknown {
  return mask(config, undefined);
}
