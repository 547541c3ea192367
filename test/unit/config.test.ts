import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, configExample, loadConfig, maskSecrets } from '../../src/config/load.ts';
import type { LoadConfigOptions } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { Config } from '../../src/config/schema.ts';
import { configTemplate } from '../../src/config/template.ts';
import { parseDuration, parseSize } from '../../src/config/units.ts';

let dir = '';
let counter = 0;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'postroom-config-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(yaml: string): string {
  counter += 1;
  const file = path.join(dir, `config-${counter}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

// env and cwd are always explicit so the developer's or CI's own DATABASE_URL etc. cannot leak in.
function load(opts: LoadConfigOptions = {}): ReturnType<typeof loadConfig> {
  return loadConfig({ env: {}, cwd: dir, ...opts });
}

function loadError(yaml: string, env: Record<string, string> = {}): ConfigError {
  const file = writeConfig(yaml);
  try {
    load({ file, env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.match(error.message, new RegExp(`^Configuration error in ${escape(file)}:\n`));
    assert.match(error.message, /postroom init/);
    return error;
  }
  assert.fail('expected loadConfig to throw');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The message line for `key`, which must exist. */
function lineFor(error: ConfigError, key: string): string {
  const line = error.message.split('\n').find((l) => l.startsWith(`  - ${key}: `));
  assert.ok(line !== undefined, `no line for ${key} in:\n${error.message}`);
  return line;
}

describe('defaults', () => {
  test('load without a file: one mailbox, SQLite, SMTP on 127.0.0.1:2525', () => {
    const { config, file } = load();
    assert.equal(file, undefined);
    assert.equal(config.dataDir, path.join(dir, 'data'));
    assert.ok(path.isAbsolute(config.dataDir));
    assert.equal(config.database.url, '');
    assert.equal(config.log.level, 'info');
    assert.deepEqual(config.smtp, {
      enabled: true,
      host: '127.0.0.1',
      port: 2525,
      maxMessageSize: 50 * 1024 * 1024,
      banner: 'Postroom',
    });
    assert.deepEqual(config.runner, {
      workers: 2,
      concurrency: 4,
      leaseSeconds: 60,
      pollInterval: 500,
      maxAttempts: 5,
      backoff: { base: 5, max: 600 },
    });
    assert.deepEqual(config.limits, {
      messageSize: 300 * 1024 ** 2,
      headerSize: 1024 ** 2,
      mimeDepth: 20,
      parts: 500,
      attachments: 100,
      attachmentsTotalSize: 250 * 1024 ** 2,
    });
    assert.deepEqual(config.recordTypes, { CASE: { prefix: 'CASE', digits: 7, start: 1 } });
    assert.deepEqual(config.mailboxes, [
      {
        address: 'support@localhost',
        recordType: 'CASE',
        deleteProcessed: false,
        connector: 'smtp',
        folder: 'INBOX',
        idle: true,
        afterProcessing: 'delete',
        pollingInterval: 60,
        batchSize: 50,
        loopbackDetectionInterval: 600,
        loopbackMaxMessages: 40,
        loopbackKey: 'sender',
        processIfLoopbackDetected: false,
        fanOut: 'merge',
        whitelist: 'accept-all',
        autoCreateUsersFrom: [],
        trust: { mode: 'verify', trustedAuthservIds: [], trustedRelays: [], unverifiedMay: ['create'] },
        projectDocuments: false,
        sentFolder: 'Sent',
        webhooks: [],
        reopenResolved: true,
        forwardCredit: 'original-sender',
      },
    ]);
    assert.ok(config.prefixes.forward.includes('fwd:') && config.prefixes.reply.includes('aw:'));
  });

  test('picks up ./postroom.config.yaml from the working directory', () => {
    const cwd = mkdtempSync(path.join(dir, 'cwd-'));
    writeFileSync(path.join(cwd, 'postroom.config.yaml'), 'smtp:\n  port: 2600\n');
    const { config, file } = loadConfig({ env: {}, cwd });
    assert.equal(file, path.join(cwd, 'postroom.config.yaml'));
    assert.equal(config.smtp.port, 2600);
  });

  test('POSTROOM_CONFIG names the file', () => {
    const file = writeConfig('smtp:\n  port: 2700\n');
    const { config, file: used } = load({ env: { POSTROOM_CONFIG: file } });
    assert.equal(used, file);
    assert.equal(config.smtp.port, 2700);
  });

  test('an empty file means all defaults', () => {
    const file = writeConfig('# nothing here\n');
    assert.deepEqual(load({ file }).config, load().config);
  });
});

describe('template', () => {
  test('loads cleanly and equals the defaults', () => {
    const file = writeConfig(configTemplate);
    const fromTemplate = load({ file });
    assert.equal(fromTemplate.file, file);
    assert.deepEqual(fromTemplate.config, load().config);
  });

  test('mentions every key and the PostgreSQL example', () => {
    const defaults = configSchema.parse({});
    const keys: string[] = [];
    const walk = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      for (const [k, v] of Object.entries(value)) {
        keys.push(k);
        walk(Array.isArray(v) ? v[0] : v);
      }
    };
    walk(defaults);
    for (const key of keys) assert.match(configTemplate, new RegExp(`^\\s*(- )?${key}:`, 'm'), key);
    assert.ok(configTemplate.includes('# url: postgres://postroom:${PGPASSWORD}@127.0.0.1:5432/postroom'));
  });
});

describe('wrong configs name the key and the problem', () => {
  test('unknown top-level key (typo) suggests the right one', () => {
    const error = loadError('smpt:\n  port: 2526\n');
    assert.deepEqual(
      error.issues.map((i) => i.key),
      ['smpt'],
    );
    const line = lineFor(error, 'smpt');
    assert.match(line, /unknown key/);
    assert.match(line, /did you mean "smtp"/);
  });

  test('unknown nested key', () => {
    const error = loadError('runner:\n  wokers: 3\n');
    assert.match(lineFor(error, 'runner.wokers'), /unknown key; did you mean "workers"/);
  });

  test('port out of range', () => {
    const error = loadError('smtp:\n  port: 70000\n');
    const line = lineFor(error, 'smtp.port');
    assert.match(line, /from 1 to 65535, got 70000/);
    assert.match(line, /Example: smtp\.port: 2525$/);
  });

  test('port that is not a number', () => {
    const error = loadError('smtp:\n  port: abc\n');
    assert.match(lineFor(error, 'smtp.port'), /expected a whole number from 1 to 65535, got "abc"/);
  });

  test('bad size', () => {
    const error = loadError('limits:\n  messageSize: 50 parsecs\n');
    const line = lineFor(error, 'limits.messageSize');
    assert.match(line, /"50 parsecs" is not a valid size/);
    assert.match(line, /Example: limits\.messageSize: 300MB$/);
  });

  test('bad duration', () => {
    const error = loadError('runner:\n  pollInterval: soon\n');
    assert.match(lineFor(error, 'runner.pollInterval'), /"soon" is not a valid duration/);
  });

  test('retention: a duration or forever, and the error says both', () => {
    const error = loadError('retention:\n  rawMail: 3 months\n');
    const line = lineFor(error, 'retention.rawMail');
    assert.match(line, /"3 months" is not a valid duration.*, or forever to keep it/);
    assert.match(line, /Example: retention\.rawMail: 90d$/);
    const config = load({ file: writeConfig('retention:\n  rawMail: 90d\n') }).config;
    assert.deepEqual(config.retention, { rawMail: 90 * 86_400, failedMail: null, sweepInterval: 3_600_000 });
  });

  test('http: a short token names the key and the fix; the token comes from POSTROOM_HTTP_TOKEN and is masked', () => {
    const line = lineFor(loadError('http:\n  enabled: true\n  token: short\n'), 'http.token');
    assert.match(line, /must be empty \(API off\) or at least 16 characters/);
    assert.match(line, /Example: http\.token: \$\{POSTROOM_HTTP_TOKEN\}$/);
    const { config } = load({ file: writeConfig('log: { level: info }\n'), env: { POSTROOM_HTTP_ENABLED: 'true', POSTROOM_HTTP_TOKEN: 'from-the-environment-0123', POSTROOM_HTTP_PORT: '9025' } });
    assert.deepEqual(config.http, { enabled: true, host: '127.0.0.1', port: 9025, token: 'from-the-environment-0123', maxUploadSize: 50 * 1024 * 1024 });
    assert.equal((maskSecrets(config) as Config).http.token, '***');
  });

  test('mailbox recordType naming an undefined type', () => {
    const error = loadError('mailboxes:\n  - address: sales@example.com\n    recordType: TICKET\n');
    const line = lineFor(error, 'mailboxes[0].recordType');
    assert.match(line, /record type "TICKET" is not defined under recordTypes \(defined: CASE\)/);
    assert.match(line, /Example: mailboxes\[0\]\.recordType: CASE$/);
  });

  test('duplicate mailbox addresses (case-insensitive)', () => {
    const error = loadError(
      'mailboxes:\n  - address: support@example.com\n    recordType: CASE\n  - address: Support@Example.com\n    recordType: CASE\n',
    );
    assert.match(lineFor(error, 'mailboxes[1].address'), /already configured as mailboxes\[0\]/);
  });

  test('bad email address', () => {
    const error = loadError('mailboxes:\n  - address: support.example.com\n    recordType: CASE\n');
    assert.match(lineFor(error, 'mailboxes[0].address'), /"support\.example\.com" is not an email address/);
  });

  test('no mailboxes', () => {
    const error = loadError('mailboxes: []\n');
    assert.match(lineFor(error, 'mailboxes'), /at least one mailbox is required/);
  });

  test('bad record type prefix and digits', () => {
    const error = loadError('recordTypes:\n  CASE:\n    prefix: case\n    digits: 2\n');
    assert.match(lineFor(error, 'recordTypes.CASE.prefix'), /"case" is not a valid prefix/);
    assert.match(lineFor(error, 'recordTypes.CASE.digits'), /from 3 to 12, got 2/);
  });

  test('unsupported database.url scheme, without echoing the password', () => {
    const error = loadError('database:\n  url: mysql://root:hunter2@db.example.com/postroom\n');
    const line = lineFor(error, 'database.url');
    assert.match(line, /unsupported scheme "mysql:"/);
    assert.match(line, /Example: database\.url: postgres:\/\//);
    assert.doesNotMatch(error.message, /hunter2/);
  });

  test('bad log level', () => {
    const error = loadError('log:\n  level: loud\n');
    assert.match(
      lineFor(error, 'log.level'),
      /expected one of fatal, error, warn, info, debug, trace, silent/,
    );
  });

  test('wrong type for a section', () => {
    const error = loadError('smtp: 25\n');
    assert.match(lineFor(error, 'smtp'), /expected a mapping .*, got 25/);
  });

  test('missing environment variable', () => {
    const error = loadError('database:\n  url: postgres://postroom:${NOPE}@db/postroom\n');
    assert.equal(error.issues.length, 1, error.message);
    const line = lineFor(error, 'database.url');
    assert.match(line, /environment variable NOPE/);
    assert.match(line, /not set/);
  });

  test('YAML syntax error reports line and column', () => {
    const error = loadError('smtp:\n  port: 2525\n host: 0.0.0.0\n');
    assert.equal(error.issues.length, 1);
    assert.match(error.message, /line 3, column \d+: YAML syntax error/);
  });

  test('duplicate YAML keys are a syntax error', () => {
    const error = loadError('smtp:\n  port: 1\nsmtp:\n  port: 2\n');
    assert.match(error.message, /line 3, column 1: YAML syntax error: Map keys must be unique/);
  });

  test('a top level that is not a mapping', () => {
    const error = loadError('- support@localhost\n');
    assert.match(error.message, /\(top level\): expected a mapping/);
  });

  test('several problems are reported together, in template order', () => {
    const error = loadError(
      [
        'dataDir: ""',
        'smpt: {}',
        'smtp:',
        '  port: 0',
        'limits:',
        '  messageSize: huge',
        'mailboxes:',
        '  - address: nope',
        '    recordType: NOPE',
        'database:',
        '  url: ${MISSING}',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      error.issues.map((i) => i.key),
      [
        'dataDir',
        'database.url',
        'smtp.port',
        'limits.messageSize',
        'mailboxes[0].address',
        'mailboxes[0].recordType',
        'smpt',
      ],
    );
    assert.equal(error.message.split('\n').length, 1 + error.issues.length + 1);
    for (const issue of error.issues) assert.ok(issue.problem.length > 0);
  });

  test('an explicitly named file that does not exist', () => {
    const missing = path.join(dir, 'nowhere.yaml');
    assert.throws(
      () => load({ file: missing }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.ok(error.message.includes(missing));
        assert.match(error.message, /not found/);
        assert.match(error.message, /postroom init/);
        return true;
      },
    );
  });

  test('a bad environment override is blamed on the variable', () => {
    assert.throws(
      () => load({ env: { POSTROOM_SMTP_PORT: 'twenty' } }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^Configuration error in defaults\/environment:/);
        assert.match(lineFor(error, 'smtp.port'), /set by environment variable POSTROOM_SMTP_PORT/);
        return true;
      },
    );
  });

  test('every key has an example', () => {
    const defaults = configSchema.parse({});
    const walk = (value: unknown, key: string): void => {
      assert.notEqual(configExample(key), '', key);
      if (typeof value !== 'object' || value === null) return;
      if (Array.isArray(value)) walk(value[0], `${key}[0]`);
      else for (const [k, v] of Object.entries(value)) walk(v, key === '' ? k : `${key}.${k}`);
    };
    for (const [k, v] of Object.entries(defaults)) walk(v, k);
  });
});

describe('environment and overrides', () => {
  test('DATABASE_URL and the other variables override the file', () => {
    const file = writeConfig('database:\n  url: ""\nsmtp:\n  port: 2525\nlog:\n  level: info\n');
    const { config } = load({
      file,
      env: {
        DATABASE_URL: 'postgres://u:p@db:5432/postroom',
        POSTROOM_DATA_DIR: 'var/postroom',
        POSTROOM_SMTP_PORT: '2626',
        POSTROOM_LOG_LEVEL: 'debug',
      },
    });
    assert.equal(config.database.url, 'postgres://u:p@db:5432/postroom');
    // A dataDir from the environment is relative to the working directory, not the file.
    assert.equal(config.dataDir, path.join(dir, 'var/postroom'));
    assert.equal(config.smtp.port, 2626);
    assert.equal(config.log.level, 'debug');
  });

  test('overrides win over the environment and merge deeply', () => {
    const { config } = load({
      env: { POSTROOM_SMTP_PORT: '2626' },
      overrides: { smtp: { port: 2727 }, runner: { backoff: { max: '1h' } } },
    });
    assert.equal(config.smtp.port, 2727);
    assert.equal(config.smtp.host, '127.0.0.1');
    assert.equal(config.runner.backoff.max, 3600);
    assert.equal(config.runner.backoff.base, 5);
  });

  test('${VAR} and ${VAR:-default} substitution', () => {
    const file = writeConfig(
      'dataDir: ${PR_DIR:-/srv/postroom}\ndatabase:\n  url: postgres://postroom:${PGPASSWORD}@127.0.0.1:5432/postroom\nsmtp:\n  port: ${PR_PORT:-2828}\n  banner: literal $${PR_NONE:-5} and $5\n',
    );
    const { config } = load({ file, env: { PGPASSWORD: 's3cret' } });
    assert.equal(config.dataDir, '/srv/postroom');
    assert.equal(config.database.url, 'postgres://postroom:s3cret@127.0.0.1:5432/postroom');
    assert.equal(config.smtp.port, 2828);
    assert.equal(config.smtp.banner, 'literal ${PR_NONE:-5} and $5');
  });

  test('dataDir in a file is relative to the file', () => {
    const sub = mkdtempSync(path.join(dir, 'sub-'));
    const file = path.join(sub, 'postroom.config.yaml');
    writeFileSync(file, 'dataDir: store\n');
    assert.equal(load({ file }).config.dataDir, path.join(sub, 'store'));
  });
});

describe('result', () => {
  test('is deeply frozen', () => {
    const { config } = load();
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.smtp));
    assert.ok(Object.isFrozen(config.mailboxes));
    assert.ok(Object.isFrozen(config.mailboxes[0]));
    assert.throws(() => {
      (config.smtp as { port: number }).port = 1;
    }, TypeError);
  });

  test('maskSecrets hides the database password and secret-named keys', () => {
    const { config } = load({ env: { DATABASE_URL: 'postgres://u:secret@h/db' } });
    const masked = maskSecrets(config) as Config;
    assert.equal(masked.database.url, 'postgres://u:***@h/db');
    assert.ok(!JSON.stringify(masked).includes('secret@'));
    assert.equal(config.database.url, 'postgres://u:secret@h/db');
    const other = maskSecrets({
      ...config,
      extra: { password: 'x', accessToken: 'y', secret: 'z' },
    } as Config);
    assert.deepEqual((other as { extra: unknown }).extra, {
      password: '***',
      accessToken: '***',
      secret: '***',
    });
  });
});

describe('units', () => {
  test('parseSize', () => {
    assert.equal(parseSize(1234), 1234);
    assert.equal(parseSize('512KB'), 512 * 1024);
    assert.equal(parseSize('50mb'), 50 * 1024 ** 2);
    assert.equal(parseSize('1.5 GB'), 1.5 * 1024 ** 3);
    assert.equal(parseSize('10B'), 10);
    assert.throws(() => parseSize('50 parsecs'), RangeError);
    assert.throws(() => parseSize(-1), RangeError);
  });

  test('parseDuration', () => {
    assert.equal(parseDuration('5m'), 300);
    assert.equal(parseDuration('1h'), 3600);
    assert.equal(parseDuration('1d'), 86400);
    assert.equal(parseDuration(60), 60);
    assert.equal(parseDuration('500ms', 'ms'), 500);
    assert.equal(parseDuration('2s', 'ms'), 2000);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.throws(() => parseDuration('5 minutes'), RangeError);
    assert.throws(() => parseDuration('1.5h'), RangeError);
  });
});

describe('driver profiles and connectors', () => {
  test('a mailbox takes the settings of its profile, and overrides them', () => {
    const { config } = loadConfig({
      file: writeConfig(
        [
          'profiles:',
          '  pop-default: { connector: pop3, pollingInterval: 30s, batchSize: 50, afterProcessing: keep }',
          'mailboxes:',
          '  - address: support@example.com',
          '    profile: pop-default',
          '    server: { host: pop.example.com, port: 995, tls: true, user: support, password: "${SUPPORT_PW}" }',
          '    batchSize: 100',
        ].join('\n'),
      ),
      env: { SUPPORT_PW: 's3cret' },
    });
    const [box] = config.mailboxes;
    assert.equal(box?.connector, 'pop3');
    assert.equal(box?.pollingInterval, 30);
    assert.equal(box?.afterProcessing, 'keep');
    assert.equal(box?.batchSize, 100, 'the mailbox overrides its profile');
    assert.equal(box?.server?.password, 's3cret');
    assert.equal(box?.server?.rejectUnauthorized, true, 'TLS verification is on by default');
  });

  test('an unknown profile and a fetching mailbox without a server are named', () => {
    const error = loadError(
      ['mailboxes:', '  - address: a@example.com', '    profile: nope', '  - address: b@example.com', '    connector: imap'].join('\n'),
    );
    assert.match(lineFor(error, 'mailboxes[0].profile'), /profile "nope" is not defined under profiles/);
    assert.match(lineFor(error, 'mailboxes[1].server'), /needs server: \{ host, user, password \}/);
  });

  test('afterProcessing accepts delete, keep, flag-seen and { move: Folder } only', () => {
    const error = loadError(['mailboxes:', '  - address: a@example.com', '    afterProcessing: shred'].join('\n'));
    assert.match(lineFor(error, 'mailboxes[0].afterProcessing'), /delete, keep, flag-seen or \{ move: Processed \}/);
  });
});
