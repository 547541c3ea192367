/**
 * The lines mail clients write above quoted or forwarded history: "On … wrote:" attributions in
 * the languages clients localize them into, "----- Original Message -----" style separators and
 * the Outlook-style "From: / Sent: / To: / Subject:" header block. Reply trimming and forward
 * extraction both read these, so they live in one place.
 *
 * The phrase lists follow what the clients write (Gmail, Outlook, Apple Mail, Thunderbird, Yahoo,
 * K-9, mobile webmail) and the reply corpus of discourse/email_reply_trimmer (MIT), which this
 * module was checked against; the expressions themselves are written for this project.
 */

/** JavaScript's \b only knows ASCII letters; these see "é", "ł" and Cyrillic as word characters. */
const WORD = String.raw`[\p{L}\p{N}_]`;
const START = `(?<!${WORD})`;
const END = `(?!${WORD})`;

const rx = (source: string, flags = 'iu'): RegExp => new RegExp(source, flags);

/**
 * "<opener> … <verb>" attributions: "On Mon, 1 Feb 2016, Foo <foo@bar> wrote:" and its
 * translations. The middle may not contain the opener or verb again, so that on a joined
 * line "On this day … I wrote" the attribution starts at the last opener, not the first.
 * Every client writes a date there, so a digit is required: "On the other hand, she said" is
 * prose. Verbs followed by the sender ("schrieb Max <…>:") must end the line with a colon, else
 * "Am Montag schrieb ich ihm." would pass.
 */
const openerVerb: readonly (readonly [string, string, string?])[] = [
  // "On Wed, Sep 25, 2013, at 03:57 PM, Foo wrote:": "at" may recur in the middle, "On" not
  ['On|At', 'wrote|writes|says|said', 'On'],
  ['In message', 'writes'],
  ['Le', String.raw`a\s+écrit|nous\s+a\s+dit`],
  ['Am', String.raw`schrieben\s+Sie|geschrieben|schrieb${END}[^:]*:`],
  ['Il', String.raw`ha\s+scritto`],
  ['Dnia|Dňa', String.raw`napisał(?:\(a\)|a)?`],
  ['Em', 'escreveu'],
  ['El', 'escribió'],
  ['Op', String.raw`het\s+volgende\s+geschreven|schreef${END}[^:]*:`],
  ['Den', String.raw`skrev${END}[^:]*:`],
  ['在', '写道'],
];

const attributionPatterns: RegExp[] = openerVerb.map(([opener, verb, stop = opener]) =>
  rx(
    String.raw`^[ \t<>-]*(?:${opener})${END}(?=[^]*\d)\s(?:(?!${START}(?:${stop}|${verb})${END})[^])+?(?:${verb})[\s.:：>-]*$`,
  ),
);

/** "Max <max@example.org> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:" (Gmail, German) */
const wroteOnDatePatterns: RegExp[] = [
  rx(String.raw`^.+${START}wrote\s+on${END}[^:]+:.*$`),
  rx(String.raw`^.+${START}schrieb\s+am${END}[^:]+:.*$`),
];

/**
 * A date with a year, someone, then the verb: Russian and Ukrainian Gmail, Polish, Scandinavian
 * and Japanese clients. "30 серп. 2016 р. 20:45 "Arpit" <…> пише:",
 * "понедельник, 6 октября 2014 г. пользователь lidel написал:", "05.01.2016 23:39, Foo пишет:".
 */
const dateSomeoneWrotePatterns: RegExp[] = [
  rx(
    String.raw`\d{4}.{1,80}?\n?.{0,80}?(?:napisał(?:\(a\)|a)?|написал(?:\(а\)|а)?|пишет|пише|skrev${END}.{0,120}|schreef${END}.{0,120}|が書きました|のメッセージ|のメール)[:：]\s*$`,
  ),
];

/**
 * A date with a year and an address in angle brackets closing the line: Gmail in many languages.
 * "2016-10-24 15:36 GMT+02:00 Foo <foo@bar.com>:", "2013/7/20 sam <info@discourse.org>",
 * "вт, 5 янв. 2016 г. в 23:39, Foo <foo@bar.com>:", "2016年12月12日(月) 20:45 Foo <foo@bar.com>:".
 */
const dateSomeoneEmailPattern = rx(String.raw`\d{4}.{1,80}\s?<[^@<>]+@[^@<>.]+\.[^@<>]+>[:：]?\s*$`);

/**
 * Attributions that clients wrap over several lines; the trimmer re-joins them before reading.
 * They are tested on the wrapped lines joined by "\n": where "." stops at a line end, that part
 * of the attribution must stand on one line ("schrieb am" on the first, not anywhere below).
 * In order of preference: "Le …, "Neil" <neil@…> a écrit :" wrapped after the address must join
 * through "a écrit", not stop at the address as a Gmail-style "date name <address>" would.
 */
export const wrappableAttributionGroups: readonly (readonly RegExp[])[] = [
  attributionPatterns,
  wroteOnDatePatterns,
  dateSomeoneWrotePatterns,
  [dateSomeoneEmailPattern],
];
export const wrappableAttributions: readonly RegExp[] = wrappableAttributionGroups.flat();

/**
 * Names of forwarded/original-message separators, as "----- X -----" (Outlook, Thunderbird,
 * Gmail, Yahoo) in each client language. A Gmail forward reads "---------- Forwarded message
 * ---------", Outlook's reply header "-----Original Message-----".
 */
export const forwardedSeparatorNames = [
  'Forwarded message',
  'Forwarded e-?mail',
  'Weitergeleitete Nachricht',
  'Message transféré',
  'Mensaje reenviado',
  'Messaggio inoltrato',
  'Doorgestuurd bericht',
  'Doorgestuurd e-?mailbericht',
  'Mensagem encaminhada',
  'Mensagem reencaminhada',
  'Wiadomość przekazana',
  'Przekazana wiadomość',
  'Vidarebefordrat meddelande',
  'Videresendt melding',
  'Videresendt meddelelse',
  'Välitetty viesti',
  'Пересылаемое сообщение',
  'Пересланное сообщение',
  'Переслане повідомлення',
  '转发的邮件',
  '轉寄的郵件',
  '転送されたメッセージ',
];

/** "----- Original Message -----" and its translations: reply history, or a forward when the subject says so. */
export const originalSeparatorNames = [
  'Original Message',
  'Reply Message',
  'Ursprüngliche Nachricht',
  "Message d'origine",
  'Mensaje original',
  'Messaggio originale',
  'Oorspronkelijk bericht',
  'Mensagem original',
  'Wiadomość oryginalna',
  'Ursprungligt meddelande',
  'Opprinnelig melding',
  'Oprindelig meddelelse',
  'Alkuperäinen viesti',
  'Исходное сообщение',
  'Исходное письмо',
  'Оригінальне повідомлення',
  '原始邮件',
  '原始郵件',
  '元のメッセージ',
];

const dashed = (names: readonly string[]): RegExp =>
  rx(String.raw`^[\s>*]*-{2,}\s*(?:${names.join('|')})\s*-{2,}`);

export const forwardedSeparator = dashed(forwardedSeparatorNames);
export const originalSeparator = dashed(originalSeparatorNames);

/** Apple Mail and iOS put this line above a forwarded message, each in the user's language. */
export const beginForwardedPattern = rx(
  String.raw`^[\s>]*(?:Begin forwarded message|Début du message (?:transféré|réexpédié)|Anfang der weitergeleiteten (?:Nachricht|E-Mail)|Inicio del mensaje reenviado|Comienzo del mensaje reenviado|Inizio messaggio inoltrato|Begin doorgestuurd bericht|Início da mensagem (?:reencaminhada|encaminhada)|Początek przekazywanej wiadomości|Vidarebefordrat (?:brev|mejl|meddelande)|Videresendt (?:besked|melding)|Начало переадресованного (?:сообщения|письма)|以下是转发的邮件|转发的邮件|転送されたメッセージ)\s*[:：]`,
);

const otherMarkers: RegExp[] = [
  /** "2016-03-03 17:21 GMT+01:00 Some One" (older Gmail) */
  rx(String.raw`^[\s>]*20\d\d-\d\d-\d\d \d\d:\d\d GMT\+\d\d:\d\d [\p{L}\p{N}_\s]+$`),
  /** "codinghorror via Discourse Meta wrote:" (list and forum relays) */
  rx(String.raw`^.+ via .+ (?:wrote|schrieb):?\s*$`),
  /** "Some One <info@discourse.org> wrote:", "Gavin (g@example.com) wrote:" */
  rx(String.raw`^.+${START}[\w.+-]+@[\w.-]+\.\w{2,}${END}.+wrote:?\s*$`),
  /** "Posted by mpalmer on 01/21/2016" (webmail notification quoting) */
  rx(String.raw`^[\s>]*Posted by .+ on \d{2}/\d{2}/\d{4}\s*$`),
  forwardedSeparator,
  originalSeparator,
  beginForwardedPattern,
  /** Outlook/Yahoo "---- On …, X wrote ----" is covered above; "Reply message" too. */
];

/** A line that introduces quoted or forwarded history. */
export function isAttribution(line: string): boolean {
  for (const pattern of wrappableAttributions) if (pattern.test(line)) return true;
  for (const pattern of otherMarkers) if (pattern.test(line)) return true;
  return false;
}

/** Header names that carry a date in a quoted header block, per client language. */
export const dateFieldNames = [
  'Sent',
  'Date',
  'Le',
  'Sendt',
  'Gesendet',
  'Datum',
  'Envoyé',
  'Enviada em',
  'Enviado',
  'Enviado el',
  'Fecha',
  'Data',
  'Skickat',
  'Lähetetty',
  'Päivämäärä',
  'Wysłano',
  'Дата',
  'Отправлено',
  'Надіслано',
  '发送时间',
  '日期',
  '時間',
  '送信日時',
  '日付',
];
/** Header names for sender, recipients and subject in a quoted header block. */
export const fromFieldNames = [
  'From',
  'Fra',
  'De',
  'Expéditeur',
  'Von',
  'Da',
  'Van',
  'Från',
  'Lähettäjä',
  'Od',
  'От',
  'Від',
  '发件人',
  '寄件者',
  '差出人',
  '送信者',
];
export const subjectFieldNames = [
  'Subject',
  'Emne',
  'Objet',
  'Betreff',
  'Assunto',
  'Asunto',
  'Oggetto',
  'Onderwerp',
  'Ämne',
  'Aihe',
  'Temat',
  'Тема',
  '主题',
  '主旨',
  '件名',
];
const recipientFieldNames = [
  'To',
  'Cc',
  'Reply-To',
  'Til',
  'À',
  'Destinataire',
  'Répondre à',
  'Cc ',
  'An',
  'Kopie',
  'Para',
  'Risposta',
  'A',
  'Aan',
  'Beantwoorden - Aan',
  'Till',
  'Kopia',
  'Vastaanottaja',
  'Do',
  'DW',
  'Кому',
  'Копия',
  'Копія',
  '收件人',
  '抄送',
  '宛先',
];

const fieldPrefix = String.raw`^[ \t>]*[ \t*]*`;
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fieldAlternation = (names: readonly string[]): string => names.map(escape).join('|');

const dateFieldLine = rx(String.raw`^[ \t*]*(?:${fieldAlternation(dateFieldNames)})[ \t*]*:.*\d`);
const textFieldLine = rx(
  String.raw`^[ \t*]*(?:${fieldAlternation([...fromFieldNames, ...subjectFieldNames, ...recipientFieldNames])})[ \t*]*[:：].*${WORD}`,
);

/** A "Name: value" line of a quoted header block (Outlook's reply header, a forwarded header). */
export function isHeaderField(line: string): boolean {
  return dateFieldLine.test(line) || textFieldLine.test(line);
}

export type FieldKind = 'from' | 'date' | 'subject' | 'other';

const headerFieldSplit = rx(
  String.raw`${fieldPrefix}(${fieldAlternation([...dateFieldNames, ...fromFieldNames, ...subjectFieldNames, ...recipientFieldNames])})[ \t*]*[:：][ \t*]*(.*)$`,
);
const lowerSet = (names: readonly string[]): Set<string> => new Set(names.map((n) => n.toLowerCase()));
const fromNames = lowerSet(fromFieldNames);
const dateNames = lowerSet(dateFieldNames);
const subjectNames = lowerSet(subjectFieldNames);

/** Splits a quoted header line ("*From:* Foo <foo@bar>", "> Objet: Ça va ?") into its kind and value. */
export function readHeaderField(line: string): { kind: FieldKind; value: string } | null {
  const m = headerFieldSplit.exec(line);
  if (!m) return null;
  const name = (m[1] ?? '').trim().toLowerCase();
  const value = (m[2] ?? '').replace(/\*+\s*$/, '').trim();
  // French "Le" and Italian "Da"/"A" double as ordinary words; a field needs a value.
  if (value === '') return null;
  const kind: FieldKind = fromNames.has(name)
    ? 'from'
    : dateNames.has(name)
      ? 'date'
      : subjectNames.has(name)
        ? 'subject'
        : 'other';
  return { kind, value };
}
