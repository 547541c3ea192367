/** One `method=result` of an Authentication-Results header (RFC 8601 2.2). */
export interface AuthResultEntry {
  /** dkim, spf, dmarc, arc, … lower case */
  method: string;
  /** pass, fail, none, … lower case */
  result: string;
  /** `reason` and the `ptype.property` values: header.d, header.from, smtp.mailfrom, policy.dmarc, … (keys lower case) */
  props: Record<string, string>;
  /** the comments of this entry, joined: some MTAs put the DMARC policy there (`(p=reject dis=none)`) */
  comment: string;
}

export interface AuthenticationResults {
  authservId: string;
  entries: AuthResultEntry[];
}

/**
 * The Authentication-Results headers (topmost first) whose authserv-id is trusted, parsed.
 * Any other one is dropped unread: a sender can write whatever A-R header it likes, and only
 * the trusted MTA removes forged ones claiming its own id (RFC 8601 5).
 */
export function trustedAuthenticationResults(
  values: readonly string[],
  trustedIds: readonly string[],
): AuthenticationResults[] {
  const trusted = new Set(trustedIds.map((id) => id.trim().toLowerCase()));
  const out: AuthenticationResults[] = [];
  for (const value of values) {
    const parsed = parseAuthenticationResults(value);
    if (parsed !== null && trusted.has(parsed.authservId.toLowerCase())) out.push(parsed);
  }
  return out;
}

/** Parses one header value; null when it has no authserv-id. */
export function parseAuthenticationResults(value: string): AuthenticationResults | null {
  const [head, ...resinfos] = splitOutside(value, ';');
  const authservId = unquote(
    stripComments(head ?? '')
      .text.trim()
      .split(/\s+/)[0] ?? '',
  );
  if (authservId === '') return null;
  const entries: AuthResultEntry[] = [];
  for (const resinfo of resinfos) {
    const { text, comment } = stripComments(resinfo);
    // "method=result" may be written "method = result" (CFWS is allowed around "=")
    const joined = text.trim().replace(/\s*=\s*/g, '=');
    const [first, ...rest] = splitOutside(joined, ' ').filter((p) => p !== '');
    if (first === undefined || first.toLowerCase() === 'none') continue;
    const eq = first.indexOf('=');
    if (eq <= 0) continue;
    const props: Record<string, string> = {};
    for (const pair of rest) {
      const at = pair.indexOf('=');
      if (at > 0) props[pair.slice(0, at).toLowerCase()] = unquote(pair.slice(at + 1));
    }
    entries.push({
      // a method may carry a version: "dkim/1=pass"
      method: first.slice(0, eq).split('/')[0]!.toLowerCase(),
      result: unquote(first.slice(eq + 1)).toLowerCase(),
      props,
      comment,
    });
  }
  return { authservId, entries };
}

/** Splits on `sep` outside quoted strings and comments. */
function splitOutside(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      current += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"' && depth === 0) quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')' && depth > 0) depth--;
    if (c === sep && depth === 0 && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** The text without its (nested) comments, and the comments' text. */
function stripComments(text: string): { text: string; comment: string } {
  let out = '';
  const comments: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (depth === 0 && c === '"') quoted = !quoted;
    if (!quoted && c === '(') {
      if (depth > 0) current += c;
      depth++;
      continue;
    }
    if (!quoted && c === ')' && depth > 0) {
      depth--;
      if (depth === 0) {
        comments.push(current.trim());
        current = '';
        out += ' ';
      } else current += c;
      continue;
    }
    if (depth > 0) current += c;
    else out += c;
  }
  return { text: out, comment: comments.join(' ') };
}

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
}
