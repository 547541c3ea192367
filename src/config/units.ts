// Parsers for the human-friendly sizes ("50MB") and durations ("5m") used in postroom.config.yaml.
// They throw RangeError with a sentence fit to show a user; the schema turns that into a ConfigIssue.

/** Unit a duration is expressed in once parsed. */
export type DurationUnit = 'ms' | 's';

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)$/i;
const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;
// Bare digit strings are accepted because ${VAR} substitution always yields text, even for numbers.
const DIGITS_PATTERN = /^\d+$/;

const SIZE_FACTORS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
};

const DURATION_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Hint appended to size errors so the user sees the accepted notation. */
export const SIZE_HINT =
  'use a number of bytes or a number with B, KB, MB or GB (1KB = 1024 bytes), e.g. 512KB, 50MB, 1GB';

/** Hint appended to duration errors so the user sees the accepted notation. */
export function durationHint(unit: DurationUnit): string {
  const plain = unit === 'ms' ? 'milliseconds' : 'seconds';
  return `use a whole number of ${plain} or a number with ms, s, m, h or d, e.g. 500ms, 30s, 5m, 1h`;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Parse a size (bytes as a number, or "512KB"/"50MB"/"1GB" with 1K = 1024) into a whole number of bytes. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${show(value)} is not a valid size; ${SIZE_HINT}`);
    }
    return value;
  }
  const text = value.trim();
  if (DIGITS_PATTERN.test(text)) return parseSize(Number(text));
  const match = SIZE_PATTERN.exec(text);
  const amount = match?.[1];
  const unit = match?.[2];
  const factor = unit === undefined ? undefined : SIZE_FACTORS[unit.toUpperCase()];
  if (amount === undefined || factor === undefined) {
    throw new RangeError(`${show(value)} is not a valid size; ${SIZE_HINT}`);
  }
  // Fractions ("1.5MB") can land between bytes; a byte count must be whole.
  const bytes = Math.floor(Number(amount) * factor);
  if (!Number.isSafeInteger(bytes)) {
    throw new RangeError(`${show(value)} is too large a size`);
  }
  return bytes;
}

/** Parse a duration (a number already in `unit`, or "500ms"/"30s"/"5m"/"1h"/"1d") into a number of `unit`. */
export function parseDuration(value: string | number, unit: DurationUnit = 's'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${show(value)} is not a valid duration; ${durationHint(unit)}`);
    }
    return value;
  }
  const text = value.trim();
  if (DIGITS_PATTERN.test(text)) return Number(text);
  const match = DURATION_PATTERN.exec(text);
  const amount = match?.[1];
  const suffix = match?.[2];
  const factor = suffix === undefined ? undefined : DURATION_MS[suffix];
  if (amount === undefined || factor === undefined) {
    throw new RangeError(`${show(value)} is not a valid duration; ${durationHint(unit)}`);
  }
  const ms = Number(amount) * factor;
  return unit === 'ms' ? ms : ms / 1000;
}
