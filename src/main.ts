#!/usr/bin/env node
import type { OpenApp } from './cli/app.ts';
import { buildProgram } from './cli/program.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import { errorCodes, PostroomError } from './core/errors.ts';
import { openAppFromConfig } from './open-app.ts';
import { guardRegExps } from './core/regexp-guard.ts';

// Before any rule compiles a regular expression (the flag is process-wide).
guardRegExps();

/** EX_CONFIG from sysexits.h: scripts and service managers know it means "fix the configuration". */
const exitConfig = 78;

/** The composition root: loads the configuration once and builds the app from it. */
const openApp: OpenApp = async ({ configFile, quiet }) => {
  const { config, file } = loadConfig({ file: configFile });
  return openAppFromConfig(config, file, quiet === undefined ? {} : { quiet });
};

/** Turns what went wrong into one paragraph an admin can act on, and an exit code. */
function reportFatal(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    return exitConfig;
  }
  if (err instanceof PostroomError) {
    process.stderr.write(`postroom: ${err.message}\n${errorCodes[err.code].help}\n`);
    return err.temporary ? 75 : 1;
  }
  const e = err as NodeJS.ErrnoException;
  process.stderr.write(`postroom: ${e.message ?? String(err)}\n`);
  if (process.env['POSTROOM_DEBUG']) process.stderr.write(`${e.stack ?? ''}\n`);
  return 1;
}

try {
  await buildProgram(openApp).parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportFatal(err);
}
