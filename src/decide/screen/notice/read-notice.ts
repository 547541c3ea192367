import type { ParsedMessage, ReportPart } from '../../../core/plan.ts';
import type { MailClass, Notice, NoticeFinding, NoticeRecipient } from '../../../core/screening.ts';
import { bounceSignals, type BounceSignals } from './bounce-signals.ts';
import { readDeliveryStatus } from './dsn.ts';
import { bareId, complaintRecipient, readDisposition, readFeedbackReport } from './mdn-arf.ts';
import { readTextBounce, textBounceFormat } from './mta-text.ts';
import { firstAddress, originalHeaders } from './original-message.ts';
import { isHard, reasonFor } from './reason.ts';
import { readSesNotification } from './ses-json.ts';

/** Bounces (DSN and MTA text), delivery notices, read receipts (MDN) and complaints (ARF). */
export function readNotice(parsed: ParsedMessage): NoticeFinding | null {
  const found = readArf(parsed) ?? readMdn(parsed) ?? readDsn(parsed) ?? readSes(parsed) ?? readMtaText(parsed);
  if (found && found.class === 'bounce' && isChallenge(parsed, found.notice)) return null;
  return found;
}

/**
 * Challenge/response systems (Boxbe, whitelisting hosts) dress their request as a bounce; they
 * are someone else's to class. Their words ask the sender to confirm, which no MTA does.
 */
const challengeWords =
  /not pre-?approved|requires? confirmation|confirm (?:this|your) (?:mail server|e-?mail address|message|identity)|guest list|(?:has been|was) waitlisted|add yourself to|verify (?:that )?you are (?:a )?(?:human|real)|to be added to (?:my|the) (?:approved|allowed)|challenge[- ]response/i;

function isChallenge(parsed: ParsedMessage, notice: Notice): boolean {
  const said = notice.recipients.map((r) => r.diagnostic).join('\n');
  return challengeWords.test(said) || challengeWords.test(parsed.text.slice(0, 4000));
}

function readSes(parsed: ParsedMessage): NoticeFinding | null {
  const ses = readSesNotification(parsed.text);
  if (!ses || ses.notice.recipients.length === 0) return null;
  return finding(ses.cls, [`Amazon SES ${ses.notice.kind.replace('_', ' ')} notification (JSON) for ${ses.notice.recipients.length} recipient(s)`], ses.notice);
}

function report(parsed: ParsedMessage, ...types: string[]): ReportPart | undefined {
  return parsed.reports.find((r) => types.includes(r.contentType));
}

function readArf(parsed: ParsedMessage): NoticeFinding | null {
  const part = report(parsed, 'message/feedback-report');
  const original = originalHeaders(parsed.reports, null);
  if (part) {
    const fields = readFeedbackReport(part.text);
    const recipients =
      fields.recipients.length > 0
        ? fields.recipients
        : original?.to
          ? [complaintRecipient(original.to, '')]
          : [];
    return finding('complaint', [`message/feedback-report with Feedback-Type: ${fields.feedbackType ?? ''}`], {
      ...fields,
      kind: 'complaint',
      recipients,
      originalRecipient: fields.originalRecipient ?? original?.to ?? null,
      originalMessageId: original?.messageId ?? null,
      format: 'arf',
    });
  }
  // Microsoft's Junk Mail Reporting Program sends the reported mail with this header instead of an ARF part
  const jmrp = original?.get('x-hmxmroriginalrecipient');
  if (jmrp) {
    const address = firstAddress(jmrp) ?? jmrp.toLowerCase();
    return finding('complaint', ['returned mail carries X-HmXmrOriginalRecipient (Microsoft JMRP complaint)'], {
      kind: 'complaint',
      recipients: [complaintRecipient(address, '')],
      originalMessageId: original?.messageId ?? null,
      originalRecipient: address,
      reportingMta: null,
      disposition: null,
      feedbackType: 'abuse',
      format: 'arf',
    });
  }
  // Apple Mail's one-click unsubscribe: a mail from the subscriber flagged by this header
  if ((parsed.headers['x-apple-unsubscribe'] ?? []).some((v) => /^\s*true\s*$/i.test(v)) && parsed.from) {
    return finding('complaint', ['X-Apple-Unsubscribe: true (an unsubscribe request)'], {
      kind: 'complaint',
      recipients: [complaintRecipient(parsed.from.address, '')],
      originalMessageId: null,
      originalRecipient: parsed.from.address,
      reportingMta: null,
      disposition: null,
      feedbackType: 'opt-out',
      format: 'arf',
    });
  }
  return null;
}

function readMdn(parsed: ParsedMessage): NoticeFinding | null {
  const part = report(parsed, 'message/disposition-notification', 'message/global-disposition-notification');
  if (!part) return null;
  const fields = readDisposition(part.text);
  const original = originalHeaders(parsed.reports, null);
  const d = fields.disposition;
  return finding(
    'read_receipt',
    [`message/disposition-notification with Disposition: ${d ? `${d.actionMode}/${d.sendingMode}; ${d.type}` : ''}`],
    {
      ...fields,
      kind: 'read_receipt',
      originalMessageId: fields.originalMessageId ?? original?.messageId ?? null,
      format: 'mdn',
    },
  );
}

/** RFC 3464 actions that mean success; 'deliverable' is Postfix's address verification. */
const deliveredActions = new Set(['delivered', 'relayed', 'expanded', 'deliverable']);

function readDsn(parsed: ParsedMessage): NoticeFinding | null {
  const part = report(parsed, 'message/delivery-status', 'message/global-delivery-status') ?? dsnInText(parsed);
  if (!part) return null;
  const dsn = readDeliveryStatus(part.text);
  if (dsn.recipients.length === 0) return null;
  fillFromText(dsn.recipients, parsed);
  const failing = dsn.recipients.filter((r) => !deliveredActions.has(r.action));
  const delivered = dsn.recipients.filter((r) => deliveredActions.has(r.action));
  const original = originalHeaders(parsed.reports, null);
  const cls: MailClass = failing.length > 0 ? 'bounce' : 'delivery_notice';
  const recipients = failing.length > 0 ? failing : delivered;
  const actions = [...new Set(recipients.map((r) => r.action))].join('/');
  return finding(
    cls,
    [
      `multipart/report; report-type=delivery-status with Action: ${actions} for ${recipients.length} recipient${recipients.length === 1 ? '' : 's'}`,
    ],
    {
      kind: cls === 'bounce' ? 'bounce' : 'delivery_notice',
      recipients,
      originalMessageId: original?.messageId ?? (dsn.originalEnvelopeId && dsn.originalEnvelopeId.includes('@') ? bareId(dsn.originalEnvelopeId) : null),
      originalRecipient: dsn.originalRecipients.find((a) => a !== '') || original?.to || null,
      reportingMta: dsn.reportingMta,
      disposition: null,
      feedbackType: null,
      format: 'dsn',
    },
  );
}

/**
 * Some DSNs carry only "Status: 5.0.0" and keep the remote server's words in the human-readable
 * part (OpenSMTPD, Sendmail's local mailers). Those words fill in what the fields leave out.
 */
function fillFromText(recipients: NoticeRecipient[], parsed: ParsedMessage): void {
  if (recipients.every((r) => r.diagnostic !== '' && !r.status.endsWith('.0.0'))) return;
  const format = textBounceFormat(parsed.text) ?? 'generic';
  const text = readTextBounce(parsed.text, format, new Set(), '', [], null);
  for (const r of recipients) {
    const t = text.recipients.find((x) => x.address === r.address);
    if (!t || t.diagnostic === '') continue;
    if (r.diagnostic === '') r.diagnostic = t.diagnostic;
    if ((r.status === '' || r.status.endsWith('.0.0')) && t.status && t.status[0] === (r.status[0] ?? t.status[0]))
      r.status = t.status;
    if (r.replyCode === '') r.replyCode = t.replyCode;
    r.reason = reasonFor(r.status, r.diagnostic, r.action);
    r.hard = r.action === 'failed' && isHard(r.reason, r.status, r.replyCode);
  }
}

/**
 * Some MTAs send the DSN fields without a working MIME structure (a missing MIME-Version, a
 * wrong boundary), so they land in the text. They count only from a mail system.
 */
function dsnInText(parsed: ParsedMessage): ReportPart | undefined {
  const text = parsed.text.slice(0, 64 * 1024);
  const at = text.search(/^(?:Reporting-MTA|Final-Recipient):/im);
  if (at < 0 || !/^Action:/im.test(text.slice(at)) || !/^Final-Recipient:/im.test(text.slice(at))) return undefined;
  const s = bounceSignals(parsed);
  if (s.replySubject || !(s.daemonSender || s.bounceSubject || s.nullSender)) return undefined;
  return { contentType: 'message/delivery-status', text: text.slice(at) };
}

function readMtaText(parsed: ParsedMessage): NoticeFinding | null {
  const signals = bounceSignals(parsed);
  const text = parsed.text || '';
  const format = textBounceFormat(text);
  if (!isTextBounce(signals, format)) return null;
  const exclude = new Set<string>();
  for (const a of [...parsed.to, ...parsed.cc]) exclude.add(a.address);
  if (parsed.from) exclude.add(parsed.from.address);
  const inlineOriginal = originalHeaders(parsed.reports, null);
  const sender = parsed.from?.address ?? '';
  const bounce = readTextBounce(text, format ?? 'generic', exclude, sender, signals.failedRecipients, null);
  const original = inlineOriginal ?? originalHeaders([], bounce.returned);
  let recipients = bounce.recipients;
  if (recipients.length === 0 && original?.to && !exclude.has(original.to))
    recipients = readTextBounce(text, format ?? 'generic', exclude, sender, [], original.to).recipients;
  // A mail system's notice by all three header signs is a bounce even when its body names no
  // one (Sendmail's "<<< No Message Collected >>>"); anything less needs a named recipient.
  const unmistakable = signals.daemonSender && signals.bounceSubject && signals.nullSender && !signals.replySubject;
  if (recipients.length === 0 && !unmistakable) return null;
  const evidence = [
    ...signals.evidence,
    recipients.length === 0
      ? 'null sender, mail-system From and bounce Subject, but the text names no failed recipient'
      : `${format ?? 'mail system'} bounce text names ${recipients.length} failed recipient${recipients.length === 1 ? '' : 's'}${bounce.delayed ? ' (delayed)' : ''}`,
  ];
  return finding('bounce', evidence, {
    kind: 'bounce',
    recipients,
    originalMessageId: original?.messageId ?? null,
    originalRecipient: original?.to ?? null,
    reportingMta: null,
    disposition: null,
    feedbackType: null,
    format: format ?? 'generic',
  });
}

/**
 * A text bounce needs the MTA's own template words and a sign that a mail system sent it; a
 * person quoting "undeliverable" in a reply has neither the sender nor the template.
 */
function isTextBounce(s: BounceSignals, format: string | null): boolean {
  if (s.failedRecipients.length > 0) return true;
  if (!format) return s.daemonSender && s.bounceSubject;
  if (s.replySubject && !s.daemonSender && !s.nullSender) return false;
  if (format === 'generic') return s.daemonSender || (s.bounceSubject && s.nullSender);
  return s.daemonSender || s.bounceSubject || s.nullSender;
}

function finding(cls: MailClass, evidence: string[], notice: Notice): NoticeFinding {
  return { class: cls, evidence, notice: { ...notice, recipients: notice.recipients.map(trimRecipient) } };
}

function trimRecipient(r: NoticeRecipient): NoticeRecipient {
  return { ...r, diagnostic: r.diagnostic.slice(0, 500) };
}
