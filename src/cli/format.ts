import type { MessageRow } from '../core/message.ts';

/** The JSON shape of a message in every listing; field names are a contract for scripts. */
export function messageJson(m: MessageRow, recordNumber: string | null): Record<string, unknown> {
  return {
    id: m.id,
    mailbox: m.mailbox,
    messageId: m.messageId,
    subject: m.subject,
    from: m.from,
    state: m.state,
    outcome: m.outcome,
    receivedAt: new Date(m.receivedAt).toISOString(),
    finishedAt: m.finishedAt === null ? null : new Date(m.finishedAt).toISOString(),
    record: recordNumber,
    source: m.source,
    size: m.rawSize,
    attempts: m.attempts,
    duplicates: m.duplicates,
    errorCode: m.errorCode,
    error: m.error,
  };
}

/** A plain aligned table for terminals. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const line = (cells: readonly string[]): string =>
    cells
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
