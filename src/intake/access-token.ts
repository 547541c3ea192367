import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Config } from '../config/schema.ts';

type Server = NonNullable<Config['mailboxes'][number]['server']>;
type TokenSource = NonNullable<NonNullable<Server['auth']>['accessToken']>;

const run = promisify(execFile);

/**
 * XOAUTH2 access tokens from config, an environment variable, or a command that prints one
 * (e.g. a script around the provider's refresh flow). `refresh` asks again: a command is run
 * anew, so an expired token is replaced when the server refuses it.
 */
export class AccessToken {
  private readonly source: TokenSource;
  private readonly env: NodeJS.ProcessEnv;
  private cached: string | null = null;

  constructor(source: TokenSource, env: NodeJS.ProcessEnv) {
    this.source = source;
    this.env = env;
  }

  async get(): Promise<string> {
    this.cached ??= await this.fetch();
    return this.cached;
  }

  async refresh(): Promise<string> {
    this.cached = null;
    return this.get();
  }

  private async fetch(): Promise<string> {
    const s = this.source;
    if (typeof s === 'string') return s;
    if ('env' in s) {
      const value = this.env[s.env];
      if (!value) throw new Error(`the access token variable ${s.env} is not set`);
      return value.trim();
    }
    const { stdout } = await run('/bin/sh', ['-c', s.command], { timeout: 30_000, env: this.env });
    const token = stdout.trim();
    if (!token) throw new Error(`the token command printed nothing: ${s.command}`);
    return token;
  }
}

/** Which credentials a server entry gives: a password login or an XOAUTH2 token. */
export function credentialsOf(
  server: Server,
  env: NodeJS.ProcessEnv,
): { user: string; password?: string; token?: AccessToken } {
  if (server.auth) {
    const { user, password, accessToken } = server.auth;
    if (accessToken) return { user, token: new AccessToken(accessToken, env) };
    return password === undefined ? { user } : { user, password };
  }
  return server.password === undefined
    ? { user: server.user ?? '' }
    : { user: server.user ?? '', password: server.password };
}
