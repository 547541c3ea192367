/** A control character (NUL above all: PostgreSQL cannot even compare it) makes a string no Message-ID. */
const control = /[\u0000-\u001f\u007f]/;

/** `<abc@host>` → `abc@host`: the canonical form we store and match Message-IDs on. */
export function normalizeMessageId(value: string | undefined | null): string | null {
  if (!value) return null;
  const match = /<([^<>\s]+)>/.exec(value);
  const id = (match ? match[1] : value.trim().split(/\s+/)[0]) ?? '';
  return id.length > 0 && id.length <= 998 && !control.test(id) ? id : null;
}

/** Every Message-ID in a References / In-Reply-To value, in order. */
export function messageIdList(value: string | readonly string[] | undefined | null): string[] {
  if (!value) return [];
  const text = typeof value === 'string' ? value : value.join(' ');
  const ids: string[] = [];
  for (const match of text.matchAll(/<([^<>\s]+)>/g))
    if (match[1] && !control.test(match[1])) ids.push(match[1]);
  if (ids.length === 0) {
    const bare = normalizeMessageId(text);
    if (bare) ids.push(bare);
  }
  return ids;
}
