// Subjects and names come from mail: escape sequences, bidi overrides and line breaks in them
// must not reach an admin's terminal as control codes.
const unprintable = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text from mail made safe to print on a terminal. */
export function printable(text: string): string {
  return text.replace(unprintable, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A plain aligned table for terminals. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) =>
    Math.min(60, Math.max(h.length, ...rows.map((r) => printable(r[i] ?? '').length))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map(printable)
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return c.length > w ? `${c.slice(0, w - 1)}…` : c.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
