import type { NoticeRecipient } from '../../../core/screening.ts';
import { isHard, reasonFor } from './reason.ts';
import { findReplyCode, findStatus } from './smtp-codes.ts';

/**
 * Plain-text bounces of MTAs that send no RFC 3464 part. Each MTA writes a fixed template: an
 * introduction, the failed addresses with the remote server's words, then a line after which
 * the returned mail follows. We find the template, cut off the returned mail and read the
 * address lines; the per-MTA sentences below name the format in the trace.
 */
const formats: [name: string, pattern: RegExp][] = [
  ['exim', /This message was created automatically by mail delivery software|following address(?:\(es\)|es)? failed:|could not be delivered to one or more of its\s+recipients|message has not yet been delivered to (?:one or more of )?(?:its|the following)/i],
  ['qmail', /This is the qmail-send program|I'm afraid I wasn't able to deliver your message|I'm not going to try again; this message has been in the queue|This is the .{1,60} program at .{1,100}\.\s+I'm afraid/i],
  ['postfix', /This is the mail system at host|This is the Postfix program|I'm sorry to have to inform you that your message could not\s+be delivered/i],
  ['sendmail', /-{3,} ?The following addresses had (?:permanent fatal|transient non-fatal) errors|-{3,} ?Transcript of session follows|while talking to .{1,100}:\s*\n\s*>>>|Cannot send message (?:within|for) \d+ days/i],
  ['exchange', /did not reach the following recipient|Your message did not reach some or all of the intended recipients|Delivery has failed to these recipients or groups|could not be delivered to (?:the following|some or all)|The following recipient\(s\) could not be reached|Your message couldn't be delivered|Delivery to these recipients or groups is complete/i],
  ['gmail', /Delivery to the following recipients? (?:failed|has been delayed)|Technical details of (?:permanent|temporary) failure|Google tried to deliver your message|Message not delivered|Your message wasn't delivered/i],
  ['yahoo', /Sorry, we were unable to deliver your message to the following address/i],
  ['domino', /was not delivered to:|not listed in (?:Domino|public Name & Address) Directory/i],
  ['notes', /-{3,} Failure Reasons\s+-{3,}/i],
  ['dragonfly', /This is the DragonFly Mail Agent|There was an error delivering your mail to/i],
  ['opensmtpd', /This is the MAILER-DAEMON, please DO NOT REPLY|An error has occurred while attempting to deliver a message for/i],
  ['x2', /Unable to deliver message to the following address/i],
  ['x3', /This is an automatically generated Delivery Status Notification/i],
  ['kddi', /Could not be delivered to:/i],
  ['novell', /The message that you sent was undeliverable to the following/i],
  ['aol', /Your mail to the following recipients could not be delivered/i],
  ['mailfoundry', /Unable to deliver message to:/i],
  ['imail', /Original message follows\.|Unknown user:|mailbox exceeds allowed size/i],
  ['generic', /could not be delivered|couldn'?t be delivered|undeliverable|undelivered|delivery (?:has )?failed|permanent(?:ly)? (?:error|failure|fatal)|was not delivered|unable to deliver|returned to (?:the )?sender|failed to deliver|delivery (?:to .{1,80} )?failed|(?:message|mail) (?:could not|cannot) be (?:sent|delivered)|mail delivery failed|rejected your message|have been rejected|error delivering|trouble delivering|(?:permanent|temporary) errors|(?:user|address|recipient) unknown|no such (?:user|mailbox)|not a valid (?:user|recipient|address|mailbox)|not delivered|not be delivered|delayed|delivery (?:is )?(?:delayed|deferred)/i],
];

/** Lines after which the returned mail (or its headers) follows. */
const returnedMarker =
  /^\s*(?:-{2,}|={2,}|\*{2,})?\s*(?:this is a copy of (?:the|your) message|below this line is a copy of the message|message headers follow|(?:the )?original message (?:follows|headers?|is below|(?:was|is) (?:attached|included|below))|original message\s*(?:-+|:)|(?:un)?sent message follows|returned message|message header follows|(?:a )?copy of (?:the|your) (?:original )?message|the (?:original )?message (?:headers? )?(?:follows|(?:was|were|is|are) (?:attached|included|below))|original headers?|header of (?:the )?original message|below is a copy of the original message|unsent message below|forwarded message|included is a copy|content-type: message\/rfc822)/i;

const addr = String.raw`[^\s<>"'(),;:@\[\]]{1,64}@[^\s<>"'(),;:@\[\]=?]{1,255}`;

/**
 * Lines that name a failed recipient, in the shapes the templates use. The first ones put
 * the address where only a failed recipient stands (so it counts even when it is also the
 * sender, as in a test to oneself); the later ones are phrases that may name anyone.
 */
const strongLines = 4;
const recipientLines: RegExp[] = [
  // the address alone on its line: Exim, Gmail, Domino, Exchange "addr on <date>"; qmail/Yahoo "<addr>:"
  new RegExp(String.raw`^\s*(?:[*-]\s*)?<?(${addr})>?\s*(?::|\.{3})?\s*(?:on .{1,60}|\(.{0,200}\))?$`),
  // "<addr>: diagnostic" (Postfix), "<addr>... User unknown" (Sendmail)
  new RegExp(String.raw`^\s*<(${addr})>\s*(?::|\.{3}|\s)`),
  // "addr: diagnostic" (OpenSMTPD, Exchange)
  new RegExp(String.raw`^\s*(${addr}):\s`),
  // "addr Invalid Address, ERROR_CODE :550" (Zoho), "addr [User unknown]"
  new RegExp(String.raw`^\s{0,8}<?(${addr})>?\s+(?:\[|\(|[A-Z][a-z]+ (?:address|user|mailbox)|invalid|unknown|user|mailbox|error|failed|not)`, 'i'),
  // "User's mailbox is full: <addr>", "Delivery failed 20 attempts: addr" (words, not a header name)
  new RegExp(String.raw`^(?!\s*(?:to|cc|bcc|from|sender|reply-to|return-path|mail from|envelope-from)\s*:)\s*[^<>@:\s][^<>@:]{0,60}\s[^<>@:]{0,60}:\s*<?(${addr})>?\.?\s*$`, 'i'),
  // "The following recipients returned permanent errors: addr."
  new RegExp(String.raw`recipients? (?:returned (?:permanent|temporary) errors|failed|could not be reached)\s*:\s*<?(${addr})>?`, 'i'),
  // "550 5.1.1 <addr>... User unknown" in a Sendmail transcript
  new RegExp(String.raw`^\s*(?:<<<\s*)?[45]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\s+)?<(${addr})>\.{3}`),
  // "RCPT TO:<addr>" in an SMTP transcript
  new RegExp(String.raw`^\s*>>>\s*RCPT TO:\s*<(${addr})>`, 'i'),
  // "delivering your mail to <addr>", "Could not be delivered to: <addr>", "message to addr could not"
  new RegExp(String.raw`(?:deliver(?:ing|ed|y)?|sent|send|message|mail) (?:your (?:mail|message) )?to:?\s*<(${addr})>`, 'i'),
  // "You sent mail to addr. That's not a valid user here." (an Exim filter's refusal)
  new RegExp(String.raw`\byou sent (?:a |an )?(?:mail|message|e-?mail) to <?(${addr})>?`, 'i'),
  new RegExp(String.raw`^\s*(?:failed recipient|recipient(?: address)?|original-recipient|final-recipient|rcpt to|unknown user|invalid recipient)s?\s*:\s*(?:rfc822;\s*)?<?(${addr})>?`, 'i'),
];

export interface TextBounce {
  format: string;
  recipients: NoticeRecipient[];
  /** the text after the returned-message line, where the original headers usually are */
  returned: string | null;
  delayed: boolean;
}

const maxText = 64 * 1024;
const maxLine = 1000;

/** The MTA template the body text follows; null when it reads like no bounce at all. */
export function textBounceFormat(text: string): string | null {
  const head = text.slice(0, 16 * 1024);
  for (const [name, pattern] of formats) if (pattern.test(head)) return name;
  return null;
}

/**
 * The failed recipients of a text bounce. `exclude` are addresses that cannot be failed
 * recipients (the bounce's own To: is the original sender); `fallback` is the returned mail's To:.
 */
export function readTextBounce(
  text: string,
  format: string,
  exclude: Set<string>,
  sender: string,
  failedHeader: string[],
  fallback: string | null,
): TextBounce {
  const lines = unquote(text.slice(0, maxText).split(/\r?\n/).map((l) => (l.length > maxLine ? l.slice(0, maxLine) : l)));
  const cut = returnedStart(lines);
  const notice = lines.slice(0, cut);
  const returned = cut < lines.length ? lines.slice(cut + 1).join('\n') : null;
  const noticeText = notice.join('\n');
  const delayed =
    /\b(?:delayed|delay|will (?:continue|keep) (?:trying|to try)|still being retried|has not yet been delivered|not yet been delivered|temporary failure|deferred|transient non-fatal)\b/i.test(
      noticeText.slice(0, 4000),
    ) && !/permanent|fatal error|given up|giving up|failed permanently/i.test(noticeText.slice(0, 4000));

  const found = new Map<string, string[]>();
  const order: string[] = [];
  let currentLines: string[] | null = null;
  for (const line of notice) {
    const hit = recipientIn(line);
    const address = hit && (hit.strong ? hit.address !== sender : !exclude.has(hit.address)) ? hit.address : null;
    if (address) {
      let diag = found.get(address);
      if (!diag) {
        diag = [];
        found.set(address, diag);
        order.push(address);
      }
      diag.push(line.trim());
      currentLines = diag;
      continue;
    }
    if (currentLines && currentLines.length < 16 && line.trim() !== '') currentLines.push(line.trim());
  }

  if (order.length === 0)
    for (const [address, line] of ownUsers(notice, sender)) {
      found.set(address, [line]);
      order.push(address);
    }

  let addresses = order;
  if (failedHeader.length > 0) addresses = failedHeader.filter((a) => !exclude.has(a) || order.includes(a));
  if (addresses.length === 0 && fallback && !exclude.has(fallback)) addresses = [fallback];

  // codes outside any recipient's lines belong to all of them only when there is just one
  const overall =
    addresses.length === 1 ? { status: findStatus(noticeText), reply: findReplyCode(noticeText) } : { status: '', reply: '' };
  const recipients = addresses.map((address): NoticeRecipient => {
    const diagnostic = (found.get(address) ?? []).join(' ').replace(/\s+/g, ' ').slice(0, 1000);
    const status = findStatus(diagnostic) || overall.status;
    const replyCode = findReplyCode(diagnostic) || overall.reply;
    const words = diagnostic || noticeText.slice(0, 2000);
    const action = delayed ? 'delayed' : 'failed';
    const reason = reasonFor(status, words, action);
    return {
      address,
      status,
      replyCode,
      hard: !delayed && isHard(reason, status, replyCode),
      reason,
      action,
      diagnostic: diagnostic.slice(0, 500),
    };
  });
  return { format, recipients, returned, delayed };
}

/**
 * AOL names its own users without a domain: "Your mail to the following recipients could not
 * be delivered …:" then one indented local part a line. They belong to the domain of the mail
 * system that sent the notice. Only indented bare words right under such a line count.
 */
function ownUsers(notice: string[], sender: string): [address: string, line: string][] {
  const domain = sender.split('@')[1] ?? '';
  if (!domain) return [];
  const start = notice.findIndex((l) => /\bthe following (?:recipients?|users?|addresses)\b[^:]{0,200}:\s*$/i.test(l));
  if (start < 0) return [];
  const out: [string, string][] = [];
  for (const line of notice.slice(start + 1, start + 51)) {
    const m = /^[ \t]+([a-z0-9][a-z0-9._+-]{0,63})\s*$/i.exec(line);
    if (!m?.[1]) break;
    out.push([`${m[1].toLowerCase()}@${domain}`, line.trim()]);
  }
  return out;
}

function recipientIn(line: string): { address: string; strong: boolean } | null {
  if (line.length > 400) return null;
  for (const [i, pattern] of recipientLines.entries()) {
    const m = pattern.exec(line);
    const address = m?.[1] ? cleanAddress(m[1]) : null;
    if (address) return { address, strong: i < strongLines };
  }
  return null;
}

/** A bounce forwarded by a person arrives quoted ("> "): read it without the quote marks. */
function unquote(lines: string[]): string[] {
  const sample = lines.slice(0, 80).filter((l) => l.trim() !== '');
  const quoted = sample.filter((l) => /^>/.test(l)).length;
  if (sample.length === 0 || quoted * 2 < sample.length) return lines;
  return lines.map((l) => l.replace(/^> ?/, ''));
}

function cleanAddress(value: string): string | null {
  const a = value.replace(/[.>]+$/, '').toLowerCase();
  const at = a.indexOf('@');
  if (at <= 0 || at === a.length - 1) return null;
  return a;
}

/** Where the returned mail starts: a marker line, else the first run of header lines. */
function returnedStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i += 1) if (returnedMarker.test(lines[i] ?? '')) return i;
  for (let i = 1; i < lines.length - 1; i += 1) {
    const line = lines[i] ?? '';
    if (
      /^(?:Return-Path|Received|Message-I[dD]|DKIM-Signature|MIME-Version|X-[A-Za-z0-9-]{1,60}):/.test(line) &&
      /^(?:[A-Za-z][A-Za-z0-9-]{0,60}:|[ \t]+\S)/.test(lines[i + 1] ?? '')
    )
      return i - 1;
  }
  return lines.length;
}
