import type { RecordTypeSettings } from '../../decide/context.ts';

/** The n-th record of a type (n from 1, gap-free) → its number: prefix + zero-padded (start − 1 + n). */
export function formatRecordNumber(type: RecordTypeSettings, n: number): string {
  return `${type.prefix}${String((type.start ?? 1) - 1 + n).padStart(type.digits, '0')}`;
}

/** Record numbers of the configured types that appear in a subject, in order. */
export function recordNumbersIn(subject: string, types: Readonly<Record<string, RecordTypeSettings>>): string[] {
  const out: string[] = [];
  for (const type of Object.values(types)) {
    const prefix = type.prefix.replace(/[-_]/g, (c) => `\\${c}`);
    const re = new RegExp(`(?<![A-Za-z0-9])${prefix}(\\d{${type.digits},12})(?![0-9])`, 'gi');
    for (const m of subject.matchAll(re)) out.push(`${type.prefix}${m[1] ?? ''}`);
  }
  return [...new Set(out)];
}
