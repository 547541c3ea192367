import type { ParsedMessage } from '../../core/plan.ts';
import { evidence, headerValues } from './header-values.ts';

/**
 * Challenge/response systems (Bluebottle, Boxbe, Spam Arrest, Mailblocks, ChoiceMail, TMDA …)
 * hold a sender's mail until the sender proves to be a person: they answer with a link to click
 * or ask for a reply. They are read from their own headers and the sentences their templates
 * use, never from "confirm" alone: a bounce saying "your server requires confirmation" is a bounce.
 */
const challengeHeaders = [
  ['x-challenge', 'X-Challenge'],
  ['x-challenge-response', 'X-Challenge-Response'],
  ['x-bluebottle-request', 'X-Bluebottle-Request'],
  ['x-boxbe-notice', 'X-Boxbe-Notice'],
] as const;

const products = String.raw`Bluebottle|Boxbe|Spam ?Arrest|Mailblocks|ChoiceMail|TMDA|Sendio|SpamCop|Mail ?Washer|Qurb|Spamex|Total ?Block|Permit ?Mail|Earthlink Spam ?Blocker|Blockbox`;

const textPatterns: readonly RegExp[] = [
  // "This account is protected by Bluebottle", "I'm protected by Spam Arrest"
  new RegExp(
    String.raw`\b(?:I am|I'm|(?:account|address|mailbox|inbox) is) protected by (?:${products})\b`,
    'i',
  ),
  // Boxbe: "Please add yourself to my Boxbe Guest List", "has been waitlisted"
  /\bBoxbe Guest List\b/i,
  /\bhas been waitlisted\b/i,
  // "click on the following link to have your address added to the recipient's allowed list"
  /\b(?:click|follow|visit|open) (?:on )?(?:the|this) (?:following |link below|below )?link\b[^]{0,200}?\b(?:allowed|approved|white|guest|accepted|trusted|safe) ?(?:senders? )?list\b/i,
  /\b(?:add|added) (?:yourself |your (?:e-?mail )?address )?to (?:my|the recipient'?s|their) (?:allowed|approved|white|guest|accepted|trusted|safe) ?(?:senders? )?list\b/i,
  // Spam Arrest / Mailblocks / TMDA: prove you are a person
  /\b(?:verify|confirm|prove) (?:that )?(?:you are|you're) (?:a )?(?:human|real person|person|not a (?:robot|spammer|machine|computer))\b/i,
  /\bplease (?:confirm|verify) (?:that )?you (?:sent|are the sender of) (?:this|the|your) (?:message|e-?mail)\b/i,
  /\byour (?:message|e-?mail) (?:is|has been|was) (?:being )?held (?:until|pending) (?:you|your|the sender)/i,
];

const challengeSubject =
  /^\s*(?:please )?(?:confirm|verify) your (?:message|e-?mail|mail)\b|^\s*(?:sender|e-?mail) verification (?:required|request)/i;

export function challengeEvidence(parsed: ParsedMessage): string[] {
  const found: string[] = [];
  for (const [key, name] of challengeHeaders)
    for (const value of headerValues(parsed, key)) found.push(evidence(name, value));

  // Boxbe sends its notice as a DSN whose Diagnostic-Code names it.
  for (const report of parsed.reports)
    if (report.contentType.includes('delivery-status')) {
      const boxbe = /X-Boxbe-Notice;[^\r\n]*/i.exec(report.text);
      if (boxbe) found.push(`Diagnostic-Code: ${boxbe[0].trim()}`);
    }

  const text = parsed.text.slice(0, 8000);
  for (const pattern of textPatterns) {
    const m = pattern.exec(text);
    if (m) found.push(`text: "${m[0].replace(/\s+/g, ' ').slice(0, 100)}"`);
  }
  // A subject alone could be a person's; the template also sends the link to click.
  if (challengeSubject.test(parsed.subject) && /https?:\/\//i.test(text))
    found.push(evidence('Subject', parsed.subject));
  return found;
}
