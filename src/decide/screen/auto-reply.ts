import type { ParsedMessage } from '../../core/plan.ts';
import type { Finding } from '../../core/screening.ts';
import { autoReplyHeaderSignals, nullReturnPath } from './auto-reply-headers.ts';
import { challengeEvidence } from './challenge.ts';
import { evidence } from './header-values.ts';
import { listEvidence } from './mailing-list.ts';
import { outOfOfficeSubject } from './out-of-office-subjects.ts';

/**
 * Auto-replies: RFC 3834 and vendor headers, multilingual out-of-office subjects.
 * Screening asks readNotice first; this still refuses delivery reports on its own, because
 * MTAs stamp `Auto-Submitted: auto-replied` on their bounces and a missed bounce must not turn
 * into an auto-reply here.
 */
export function detectAutoReply(parsed: ParsedMessage): Finding | null {
  if (isDeliveryReport(parsed)) return null;
  const headers = autoReplyHeaderSignals(parsed, listEvidence(parsed).length > 0);
  const subject = outOfOfficeSubject(parsed.subject);
  const subjectEvidence = subject ? [evidence('Subject', parsed.subject)] : [];

  if (headers.decisive.length > 0)
    return { class: 'auto_reply', evidence: [...headers.decisive, ...subjectEvidence] };
  if (subject?.strength === 'reply') return { class: 'auto_reply', evidence: subjectEvidence };
  if (subject) {
    // "Absence: …" could be a person's; it takes one more sign of a responder.
    const support = [...headers.supporting];
    if (nullReturnPath(parsed)) support.push('Return-Path: <> (null sender)');
    const text = responderSentence(parsed.text);
    if (text) support.push(`text: "${text}"`);
    if (support.length > 0) return { class: 'auto_reply', evidence: [...subjectEvidence, ...support] };
  }
  return null;
}

/** Challenge/response systems asking the sender to confirm. */
export function detectChallenge(parsed: ParsedMessage): Finding | null {
  const found = challengeEvidence(parsed);
  return found.length > 0 ? { class: 'challenge', evidence: found } : null;
}

/** Mailing-list mail: flagged, never an auto-reply by itself. */
export function detectList(parsed: ParsedMessage): { evidence: string[] } | null {
  const found = listEvidence(parsed);
  return found.length > 0 ? { evidence: found } : null;
}

const reportTypes =
  /^message\/(?:global-)?(?:delivery-status|disposition-notification)$|^message\/feedback-report$/;
const systemSenders = /^(?:mailer-daemon|mailerdaemon|mail-daemon|postmaster)$/i;

/** DSNs, MDNs and ARF reports, and what the mail system itself sends (RFC 5321 §4.5.1 postmaster). */
function isDeliveryReport(parsed: ParsedMessage): boolean {
  if (parsed.reports.some((r) => reportTypes.test(r.contentType))) return true;
  if ((parsed.headers['content-type'] ?? []).some((v) => /^\s*multipart\/report\b/i.test(v))) return true;
  const local = parsed.from?.address.split('@')[0] ?? '';
  return systemSenders.test(local);
}

/** Sentences responder templates open with, in the first lines of the text. */
// \b only knows ASCII letters; the lookbehind lets the Japanese and Cyrillic phrases match too
const responderSentences =
  /(?<!\p{L})(?:this is an? (?:automatic|automated|auto-generated)[^.\n]{0,40}|I am (?:currently )?(?:out of (?:the )?office|away from (?:the )?office|on (?:annual )?leave|on vacation|on holiday)|automatische (?:Antwort|Nachricht|Abwesenheitsnotiz)|ich bin (?:derzeit |zurzeit )?(?:nicht im Büro|abwesend|außer Haus|im Urlaub)|r[ée]ponse automatique|je suis (?:actuellement )?absente?|respuesta autom[áa]tica|estoy (?:fuera de la oficina|ausente|de vacaciones)|risposta automatica|sono (?:attualmente )?(?:assente|fuori (?:sede|ufficio))|automatisch (?:antwoord|bericht)|ik ben (?:momenteel )?afwezig|resposta autom[áa]tica|estou (?:ausente|fora do escrit[óo]rio)|automatyczna odpowied[źz]|automatiskt svar|自動(?:応答|返信)|自动回复|автоматический ответ)/iu;

function responderSentence(text: string): string | null {
  const m = responderSentences.exec(text.slice(0, 1500));
  return m ? m[0].replace(/\s+/g, ' ').slice(0, 80) : null;
}
