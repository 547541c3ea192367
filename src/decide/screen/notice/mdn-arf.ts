import type { Notice, NoticeRecipient } from '../../../core/screening.ts';
import { field, readFieldBlocks, typedAddress, typedValue } from './dsn-fields.ts';

/** RFC 8098 message/disposition-notification: who read (or deleted) which message, and how. */
export function readDisposition(text: string): Omit<Notice, 'kind' | 'format'> {
  const fields = new Map<string, string>();
  for (const block of readFieldBlocks(text))
    for (const [name, values] of block) if (!fields.has(name)) fields.set(name, values[0] ?? '');
  const get = (name: string): string => fields.get(name) ?? '';
  // "manual-action/MDN-sent-manually; displayed/error" (RFC 8098 section 3.2.6)
  const [modes = '', rest = ''] = get('disposition').split(';', 2);
  const [actionMode = '', sendingMode = ''] = modes.split('/').map((s) => s.trim().toLowerCase());
  const [type = '', ...modifiers] = rest.split('/').map((s) => s.trim().toLowerCase());
  const finalRecipient = typedAddress(get('final-recipient'));
  const originalRecipient = typedAddress(get('original-recipient'));
  const recipient: NoticeRecipient = {
    address: finalRecipient || originalRecipient,
    status: '',
    replyCode: '',
    hard: false,
    reason: type === 'displayed' ? 'delivered' : 'undefined',
    action: type,
    diagnostic: get('error') || get('failure') || get('warning'),
  };
  return {
    recipients: recipient.address ? [recipient] : [],
    originalMessageId: bareId(get('original-message-id')),
    originalRecipient: originalRecipient || null,
    reportingMta: typedValue(get('reporting-ua')) || null,
    disposition: {
      actionMode,
      sendingMode,
      type: type.split(/\s/)[0] ?? '',
      modifiers: modifiers.filter((m) => m !== ''),
    },
    feedbackType: null,
  };
}

/** RFC 5965 message/feedback-report: a recipient's complaint about one of our mails. */
export function readFeedbackReport(text: string): Omit<Notice, 'kind' | 'format' | 'originalMessageId'> {
  const blocks = readFieldBlocks(text);
  const all = (name: string): string[] => blocks.flatMap((b) => b.get(name) ?? []);
  const feedbackType = (all('feedback-type')[0] ?? '').toLowerCase().trim() || 'abuse';
  const addresses = [...new Set([...all('original-rcpt-to'), ...all('removal-recipient')].map(typedAddress).filter((a) => a !== ''))];
  const diagnostic = [field(blocks[0] ?? new Map(), 'user-agent'), all('source-ip')[0] ?? '']
    .filter((s) => s !== '')
    .join('; ');
  return {
    recipients: addresses.map((address) => complaintRecipient(address, diagnostic)),
    originalRecipient: addresses[0] ?? null,
    reportingMta: (all('reporting-mta')[0] ?? all('user-agent')[0] ?? '').trim() || null,
    disposition: null,
    feedbackType,
  };
}

export function complaintRecipient(address: string, diagnostic: string): NoticeRecipient {
  return { address, status: '', replyCode: '', hard: false, reason: 'feedback', action: '', diagnostic };
}

export function bareId(value: string): string | null {
  const m = /<([^<>\s]{1,500})>/.exec(value);
  const id = m?.[1] ?? value.trim();
  return id === '' ? null : id;
}
