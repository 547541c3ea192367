/**
 * SMTP reply codes (RFC 5321, "550") and enhanced status codes (RFC 3463, "5.1.1") as MTAs
 * write them into diagnostics. Only bounded, anchored patterns: the text is untrusted.
 */

/** An enhanced status code not glued to an IP address or a version number. */
const statusPattern = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)/g;

/** The first enhanced status code in the text; '' when none. 2.x.x only counts when nothing else is there. */
export function findStatus(text: string): string {
  let success = '';
  for (const m of text.slice(0, 8000).matchAll(statusPattern)) {
    const code = `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
    if (Number(m[2]) > 7) continue;
    if (m[1] === '2') {
      success ||= code;
      continue;
    }
    return code;
  }
  return success;
}

/** The enhanced code right after a reply code ("550-5.7.1", "550 5.1.1"): the remote server's own. */
export function statusAfterReply(text: string): string {
  const m = /(?<!\d)[45]\d\d[ -]'?([45])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)/.exec(text.slice(0, 8000));
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : '';
}

/**
 * A reply code where MTAs put it: at the start of a line or sentence, after "said:", after
 * "<<<", after a colon, or right before an enhanced status code.
 */
const replyPatterns = [
  /(?:^|\n)[ \t>]*(?:<<<\s*)?([45]\d\d)(?:[ -]|$)/,
  /(?:said|error|reply|response|returned|answered|code|was)[:=]?\s*\(?([45]\d\d)(?:[ -]|\)|$)/i,
  /(?:^|[:;(]\s{0,3})([45]\d\d)[ -][245]\.\d{1,3}\.\d{1,3}/m,
  /[:;]\s{0,3}([45]\d\d)\s/,
];

export function findReplyCode(text: string): string {
  const head = text.slice(0, 8000);
  let best: { code: string; at: number } | null = null;
  for (const p of replyPatterns) {
    const m = p.exec(head);
    if (m?.[1] && (best === null || m.index < best.at)) best = { code: m[1], at: m.index };
  }
  return best?.code ?? '';
}

/** A status class that fits the reply code, when the MTA gave a code but no status. */
export function statusMatchesReply(status: string, reply: string): boolean {
  return status === '' || reply === '' || status[0] === reply[0];
}
