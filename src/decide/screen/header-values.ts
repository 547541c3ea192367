import type { ParsedMessage } from '../../core/plan.ts';

/** Every value of one header (name in any case), trimmed; [] when absent. */
export function headerValues(parsed: ParsedMessage, name: string): string[] {
  return (parsed.headers[name.toLowerCase()] ?? []).map((v) => v.trim());
}

export function hasHeader(parsed: ParsedMessage, name: string): boolean {
  return (parsed.headers[name.toLowerCase()] ?? []).length > 0;
}

/** The value as evidence reads it: `Name: value`, cut short so a trace line stays a line. */
export function evidence(name: string, value: string): string {
  const v = value.replace(/\s+/g, ' ').trim();
  return `${name}: ${v.length > 80 ? `${v.slice(0, 77)}...` : v}`;
}
