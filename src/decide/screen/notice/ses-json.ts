import type { MailClass, Notice, NoticeRecipient } from '../../../core/screening.ts';
import { typedValue } from './dsn-fields.ts';
import { isHard, reasonFor } from './reason.ts';
import { findReplyCode, findStatus } from './smtp-codes.ts';

/**
 * Amazon SES bounce, complaint and delivery notifications as SNS mails them: a JSON body whose
 * "Message" holds the SES event (or the event itself when SES mails it directly).
 */
export function readSesNotification(text: string): { cls: MailClass; notice: Notice } | null {
  const head = text.slice(0, 128 * 1024);
  if (!/"(?:notificationType|eventType)\\?"\s*:\s*\\?"(?:Bounce|Complaint|Delivery)/.test(head)) return null;
  // SNS mail wraps long lines as "!\n " (RFC 5322 line length); the JSON needs them joined
  const joined = head.replace(/!\r?\n /g, '');
  const start = joined.indexOf('{');
  const end = joined.lastIndexOf('}');
  if (start < 0 || end < start) return null;
  const outer = parseObject(firstJson(joined.slice(start, end + 1)));
  if (!outer) return null;
  const event = typeof outer['Message'] === 'string' ? parseObject(outer['Message']) : outer;
  if (!event) return null;
  const type = str(event['notificationType']) || str(event['eventType']);
  const mail = obj(event['mail']);
  const base = {
    originalMessageId: messageIdOf(mail),
    originalRecipient: null,
    disposition: null,
    format: 'amazonses',
  };
  if (type === 'Bounce') {
    const bounce = obj(event['bounce']);
    const transient = str(bounce['bounceType']) === 'Transient';
    const recipients = list(bounce['bouncedRecipients']).map((r): NoticeRecipient => {
      const diagnostic = typedValue(str(r['diagnosticCode'])).slice(0, 500);
      const status = findStatus(str(r['status'])) || findStatus(diagnostic);
      const replyCode = findReplyCode(diagnostic);
      const action = str(r['action']).toLowerCase() || (transient ? 'delayed' : 'failed');
      const reason = reasonFor(status, diagnostic || str(bounce['bounceSubType']), action);
      return { address: str(r['emailAddress']).toLowerCase(), status, replyCode, hard: !transient && isHard(reason, status, replyCode), reason, action, diagnostic };
    });
    return { cls: 'bounce', notice: { ...base, kind: 'bounce', recipients, reportingMta: typedValue(str(bounce['reportingMTA'])) || null, feedbackType: null } };
  }
  if (type === 'Complaint') {
    const complaint = obj(event['complaint']);
    const recipients = list(complaint['complainedRecipients']).map(
      (r): NoticeRecipient => ({ address: str(r['emailAddress']).toLowerCase(), status: '', replyCode: '', hard: false, reason: 'feedback', action: '', diagnostic: str(complaint['userAgent']) }),
    );
    return { cls: 'complaint', notice: { ...base, kind: 'complaint', recipients, reportingMta: null, feedbackType: str(complaint['complaintFeedbackType']) || 'abuse' } };
  }
  if (type === 'Delivery') {
    const delivery = obj(event['delivery']);
    const response = str(delivery['smtpResponse']);
    const recipients = (Array.isArray(delivery['recipients']) ? delivery['recipients'] : []).map(
      (a): NoticeRecipient => ({ address: String(a).toLowerCase(), status: findStatus(response), replyCode: findReplyCode(response), hard: false, reason: 'delivered', action: 'delivered', diagnostic: response.slice(0, 500) }),
    );
    return { cls: 'delivery_notice', notice: { ...base, kind: 'delivery_notice', recipients, reportingMta: str(delivery['reportingMTA']) || null, feedbackType: null } };
  }
  return null;
}

type Json = Record<string, unknown>;

/** The first complete JSON value: SNS appends an unsubscribe footer after it. */
function firstJson(text: string): string {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth += 1;
    else if (c === '}' && --depth === 0) return text.slice(0, i + 1);
  }
  return text;
}

function parseObject(text: string): Json | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
  } catch {
    return null;
  }
}

function obj(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}
function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(obj) : [];
}
function str(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

function messageIdOf(mail: Json): string | null {
  const common = obj(mail['commonHeaders']);
  const id = str(common['messageId']);
  const m = /<([^<>\s]{1,500})>/.exec(id);
  return m?.[1] ?? null;
}
