/**
 * Subjects that autoresponders write, in the languages Exchange/Outlook, Gmail, Lotus Notes,
 * Zimbra and webmail providers localise them into. Phrases count only in the place a responder
 * puts them: at the start followed by a separator ("Automatic reply: …", "[Autoreply] …"), as the
 * whole subject, or as a bracketed tag at the end ("Re: hi (Automatic Response)"). A person
 * writing "I'll be out of office next week, can we meet?" matches none of these forms.
 */

/** Phrases that only an autoresponder puts there. Regex sources, matched case-insensitively. */
const replyPhrases = [
  // en
  'out[- ]of[- ](?:the[- ])?office(?: (?:auto[- ]?reply|reply|notification|message|notice|alert))?',
  'automatic(?:ally)? (?:reply|response|answer|generated reply)',
  'automated (?:reply|response)',
  'auto[- ]?(?:reply|response|responder|answer)',
  'vacation (?:auto[- ]?)?(?:reply|response|message|notice)',
  'away from (?:the )?office',
  'absence (?:notice|message|notification|reply)',
  // de
  'abwesenheits(?:notiz|nachricht|meldung|benachrichtigung)',
  'automatische (?:antwort|rückantwort|abwesenheitsnotiz)',
  'nicht im büro',
  'außer haus',
  // fr
  'r[ée]ponse automatique',
  "message d'absence",
  'absente? du bureau',
  // es
  'respuesta autom[áa]tica',
  'fuera de (?:la )?oficina',
  'mensaje de ausencia',
  // it
  'risposta automatica',
  'fuori (?:sede|ufficio)',
  'messaggio di assenza',
  // nl
  'automatisch antwoord',
  'afwezigheidsbericht',
  'niet op kantoor',
  // pt
  'resposta autom[áa]tica',
  'fora do escrit[óo]rio',
  'mensagem de aus[êe]ncia',
  // pl
  'automatyczna odpowied[źz]',
  'autoodpowied[źz]',
  'poza biurem',
  // sv, da, no
  'automatiskt svar',
  'automatisk svar',
  'autosvar',
  'fr[åa]nvaromeddelande',
  'inte p[åa] kontoret',
  // fi, cs, tr, hu
  'automaattinen vastaus',
  'automatick[áa] odpov[ěe][ďd]',
  'otomatik (?:yan[ıi]t|cevap)',
  'automatikus v[áa]lasz',
  // ja
  '自動(?:応答|返信|返答|回答)',
  '不在(?:通知|のお知らせ|連絡)',
  // zh
  '自动(?:回复|答复|应答)',
  '自動(?:回覆|答覆|回復)',
  // ko
  '자동\\s?(?:회신|응답)',
  '부재\\s?중',
  // ru
  'автоответ(?:чик)?',
  'автоматический ответ',
  'вне офиса',
];

/**
 * Single words that mean "away": a responder's subject in some languages ("Absence : …",
 * "Afwezig: …", "不在: …"), but also what a person writes to say they will be off. They count
 * only at the start with a separator, and only when something else says the mail is automatic.
 */
const absenceWords = [
  'absence',
  'absent',
  'absente',
  'abwesend',
  'abwesenheit',
  'urlaub',
  'ausente',
  'ausencia',
  'aus[êe]ncia',
  'assente',
  'assenza',
  'afwezig',
  'afwezigheid',
  'nieobecno[śs][ćc]',
  'nieobecny',
  'fr[åa]nvaro',
  'fr[åa]nvarande',
  'frav[æe]r(?:ende)?',
  'poissa',
  'vacation',
  'on vacation',
  'on leave',
  '不在',
  '休假',
  'отпуск',
  'нет на месте',
];

const open = String.raw`[\[(【〔]`;
const close = String.raw`[\])】〕]`;
// a colon (ASCII or fullwidth, French puts a space before it), a dash, a bar, or the end
const separator = String.raw`\s*(?::|：|\s[-–—|]\s|$)`;

function prefixForm(phrases: string[]): RegExp {
  const alt = phrases.join('|');
  return new RegExp(String.raw`^\s*(?:${open}\s*(${alt})\s*${close}|(${alt})${separator})`, 'iu');
}
function suffixForm(phrases: string[]): RegExp {
  return new RegExp(String.raw`${open}\s*(${phrases.join('|')})\s*${close}\s*$`, 'iu');
}

const replyPrefix = prefixForm(replyPhrases);
const replySuffix = suffixForm(replyPhrases);
const absencePrefix = prefixForm(absenceWords);
// Lotus Notes: "AUTO: Jane Doe is out of the office (returning 05/01/2010)". Upper case only:
// "Auto:" is also the word for car in several languages.
const notesPrefix = /^\s*AUTO:\s*(.*)$/u;
const absenceAnywhere = new RegExp(
  String.raw`(?:${[...replyPhrases, ...absenceWords].join('|')}|is out of (?:the )?office|ist au(?:ß|ss)er haus|est absente?)`,
  'iu',
);

export interface SubjectMatch {
  /** the words that matched, as written in the subject */
  phrase: string;
  /** 'reply': decides alone; 'absence': needs another sign that the mail is automatic */
  strength: 'reply' | 'absence';
}

export function outOfOfficeSubject(subject: string): SubjectMatch | null {
  const s = subject.normalize('NFKC').replace(/\s+/g, ' ');
  const reply = replyPrefix.exec(s) ?? replySuffix.exec(s);
  if (reply) return { phrase: (reply[1] ?? reply[2] ?? reply[0]).trim(), strength: 'reply' };
  const notes = notesPrefix.exec(s);
  if (notes) {
    const rest = notes[1] ?? '';
    const what = absenceAnywhere.exec(rest);
    return what
      ? { phrase: `AUTO: … ${what[0]}`, strength: 'reply' }
      : { phrase: 'AUTO:', strength: 'absence' };
  }
  const absence = absencePrefix.exec(s);
  if (absence) return { phrase: (absence[1] ?? absence[2] ?? absence[0]).trim(), strength: 'absence' };
  return null;
}
