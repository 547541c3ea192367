import type { ParsedMessage } from '../../../core/plan.ts';

/**
 * Header evidence that a mail came from a mail system rather than a person. None of these
 * alone makes a text bounce; read-notice combines them with the MTA's own body text.
 */
export interface BounceSignals {
  /** From: MAILER-DAEMON, postmaster, "Mail Delivery System" … */
  daemonSender: boolean;
  /** Subject the way MTAs word it: "Undelivered Mail Returned to Sender", "failure notice" … */
  bounceSubject: boolean;
  /** Re:/AW:/SV: — a person answering; a forward (Fwd:) may carry a bounce on purpose */
  replySubject: boolean;
  /** Return-Path: <> — the null envelope sender RFC 5321 requires for notices */
  nullSender: boolean;
  /** Exim's X-Failed-Recipients, lower-cased */
  failedRecipients: string[];
  evidence: string[];
}

const daemonLocal =
  /^(?:mailer[-_.]?daemon|postmaster|post_master|poostmaster|mail[-_.]delivery[-_.]system|mdaemon|mail[-_.]?daemon|mail[-_.]?router|mailadmin|sysadmin|no-?reply|mail[-_.]?system|bounces?|nobody)$/i;
const daemonName = /mail(?:er)?[- ]?daemon|mail delivery (?:system|subsystem|service)|postmaster|mail (?:administrator|system)|system administrator/i;

const bounceSubjects =
  /undeliver(?:able|ed)|returned mail|return(?:ed|ing) (?:message )?to sender|mail delivery (?:failed|failure|problem|system)|delivery (?:status notification|failure|failed|has failed|problem|notification|error|report)|failure (?:notice|delivery)|failed (?:delivery|mail)|delivery (?:to .{1,80} )?failed|non[- ]?delivery|mail system error|could not be delivered|message status|error sending your mail|mail (?:failed|failure)|delayed mail|warning: message .{1,80} delayed|message delivery has failed|メールエラー|не доставлено|nicht zustellbar|unzustellbar|non remis|no entregado|non recapitabile/i;

export function bounceSignals(parsed: ParsedMessage): BounceSignals {
  const evidence: string[] = [];
  const fromRaw = (parsed.headers['from'] ?? [])[0] ?? '';
  const local = (parsed.from?.address ?? '').split('@')[0] ?? '';
  // "From: <>": the null address, which only a mail system writes into the header
  const nullFrom = parsed.from === null && (parsed.headers['from'] ?? []).some((v) => /^\s*<?\s*>?\s*$/.test(v));
  const daemonSender =
    daemonLocal.test(local) || daemonName.test(parsed.from?.name ?? '') || /mailer-daemon/i.test(fromRaw) || nullFrom;
  if (daemonSender) evidence.push(`From: ${parsed.from?.address ?? fromRaw} is a mail system`);
  const subject = parsed.subject.slice(0, 300);
  const bounceSubject = bounceSubjects.test(subject);
  if (bounceSubject) evidence.push(`Subject "${subject.slice(0, 80)}" is how mail systems word a bounce`);
  const replySubject = /^\s*(?:re|aw|sv|antw|odp|rif|r)\s*:/i.test(subject);
  const returnPath = parsed.headers['return-path'] ?? [];
  const nullSender = returnPath.some((v) => /^\s*<?\s*>?\s*$/.test(v));
  const failedRecipients = (parsed.headers['x-failed-recipients'] ?? [])
    .flatMap((v) => v.split(/[,\s]+/))
    .map((a) => a.replace(/^<|>$/g, '').toLowerCase())
    .filter((a) => a.includes('@'));
  if (failedRecipients.length > 0) evidence.push(`X-Failed-Recipients names ${failedRecipients.length} address(es)`);
  return { daemonSender, bounceSubject, replySubject, nullSender, failedRecipients, evidence };
}
