import { z } from 'zod';
import { durationHint, parseDuration, parseSize } from './units.ts';
import type { DurationUnit } from './units.ts';

// Value parsers shared by every part of the config schema. Every message produced here ends up
// after "<key>: " in a ConfigError line: lower-case fragments without a trailing period.

/** Short description of a received value for error messages (strings quoted and truncated). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  return String(value);
}

/** Error map for a wrong-typed or missing value, phrased as what was expected. */
export function expecting(what: string) {
  return (iss: { readonly input?: unknown }): string =>
    iss.input === undefined
      ? `is required: expected ${what}`
      : `expected ${what}, got ${describeValue(iss.input)}`;
}

/** A whole number within bounds; numeric strings are accepted because ${VAR} substitution yields text. */
export function wholeNumber(min: number, max?: number) {
  const want =
    max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  return z.union([z.number(), z.string()], { error: expecting(want) }).transform((value, ctx) => {
    const n = typeof value === 'number' ? value : /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${want}, got ${describeValue(value)}`,
        input: value,
      });
      return z.NEVER;
    }
    return n;
  });
}

/** true/false; the strings "true"/"false" are accepted for the same ${VAR} reason. */
export function flag() {
  return z.union([z.boolean(), z.string()], { error: expecting('true or false') }).transform((value, ctx) => {
    if (typeof value === 'boolean') return value;
    const lowered = value.trim().toLowerCase();
    if (lowered === 'true') return true;
    if (lowered === 'false') return false;
    ctx.addIssue({
      code: 'custom',
      message: `expected true or false, got ${describeValue(value)}`,
      input: value,
    });
    return z.NEVER;
  });
}

/** A size in bytes: a number, or "512KB"/"50MB"/"1GB"; `min` guards against zero-sized limits. */
export function size(min = 1) {
  return z
    .union([z.number(), z.string()], {
      error: expecting('a size such as 50MB or a number of bytes'),
    })
    .transform((value, ctx) => {
      try {
        const bytes = parseSize(value);
        if (bytes < min) {
          ctx.addIssue({
            code: 'custom',
            message: `must be at least ${min} byte${min === 1 ? '' : 's'}`,
            input: value,
          });
          return z.NEVER;
        }
        return bytes;
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message, input: value });
        return z.NEVER;
      }
    });
}

/** A duration converted to `unit`; `allowZero` only where "no wait" is meaningful. */
export function duration(unit: DurationUnit, allowZero = false) {
  return z
    .union([z.number(), z.string()], {
      error: expecting('a duration such as 30s or 5m'),
    })
    .transform((value, ctx) => durationValue(value, unit, allowZero, ctx));
}

/** A duration converted to `unit`, or `forever` (null): how long something is kept. */
export function durationOrForever(unit: DurationUnit) {
  return z
    // null too: `config print` shows forever as null, and its output loads back.
    .union([z.number(), z.string(), z.null()], {
      error: expecting('a duration such as 90d, or forever'),
    })
    .transform((value, ctx) =>
      value === 'forever' || value === null ? null : durationValue(value, unit, false, ctx, ', or forever to keep it'),
    );
}

function durationValue(value: string | number, unit: DurationUnit, allowZero: boolean, ctx: z.RefinementCtx, orElse = ''): number {
  try {
    const amount = parseDuration(value, unit);
    if (amount === 0 && !allowZero) {
      ctx.addIssue({
        code: 'custom',
        message: `must be longer than zero; ${durationHint(unit)}${orElse}`,
        input: value,
      });
      return z.NEVER;
    }
    return amount;
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `${(error as Error).message}${orElse}`, input: value });
    return z.NEVER;
  }
}

export function text(what: string) {
  return z.string({ error: expecting(what) }).min(1, { error: `must not be empty; expected ${what}` });
}

