import type { CatalogRules } from './catalog.ts';
import { escapeRegExp, nameWords, wholeWords } from './subject-words.ts';

/** Seed 004's "EMailText DirectInbound" setting of a doc type. */
export const INBOUND_MODES = ['Yes', 'Smart', 'No'] as const;
export type InboundMode = (typeof INBOUND_MODES)[number];

/** A project document type, as configured (projects.docTypes). */
export interface DocType {
  readonly name: string;
  /** once set, only this ID recognises the doc type in a subject (seed 004, EmailShortID) */
  readonly shortId?: string | undefined;
  /** Yes: recognised, may create and attach; Smart: recognised, may only attach; No: ignored */
  readonly inbound: InboundMode;
  readonly requiresProject: boolean;
  readonly active: boolean;
  readonly subtypes?: readonly string[] | undefined;
  /** attachment cataloguing rules by extension (FileCatalogConfig|InboundEmail:ext) */
  readonly catalog?: CatalogRules | undefined;
}

/** How a doc type was found in the subject. */
export type DocTypeMatchKind = 'short-id' | 'full-name' | 'partial-name';

/** A doc type found in the subject, and the document number written after it, if any. */
export interface DocTypeMatch {
  readonly docType: DocType;
  readonly how: DocTypeMatchKind;
  /** the subject text that named it */
  readonly text: string;
  readonly index: number;
  /** `0146` in `Field Report # 0146`: the numeric word after a `#` that ends the doc type */
  readonly number: string | null;
}

/** The outcome of looking for a doc type in a subject, with the trace of why. */
export interface DocTypeRecognition {
  readonly match: DocTypeMatch | null;
  readonly evidence: readonly string[];
}

/** Where the project ID stood in the subject, so its letters cannot also name a doc type. */
export interface SubjectSpan {
  readonly index: number;
  readonly length: number;
}

// Seed 004: "If the pound/hash mark is used to end the Doc type, and the immediately following
// word is numeric". A numeric word is digits, optionally in dotted/dashed groups (`0150.0006`).
const DOCUMENT_NUMBER = /^\s*#\s*(\p{Nd}+(?:[.\-/]\p{Nd}+)*)(?![\p{L}\p{N}])/u;

interface Candidate {
  readonly docType: DocType;
  readonly how: DocTypeMatchKind;
  readonly text: string;
  readonly index: number;
}

/**
 * Seed 004: "Only Doc Types that have … DirectInbound Yes or Smart are considered. If no project
 * is resolved, then document types that require a project are not considered." Inactive doc
 * types are never considered either.
 */
export function consideredDocTypes(
  docTypes: readonly DocType[],
  projectResolved: boolean,
  evidence: string[],
): DocType[] {
  const considered: DocType[] = [];
  for (const docType of docTypes) {
    if (!docType.active) evidence.push(`doc type "${docType.name}" not considered: inactive`);
    else if (docType.inbound === 'No') evidence.push(`doc type "${docType.name}" not considered: inbound mode No`);
    else if (docType.requiresProject && !projectResolved) {
      evidence.push(`doc type "${docType.name}" not considered: it requires a project and none was resolved`);
    } else considered.push(docType);
  }
  return considered;
}

/** The leftmost whole-word occurrence of `body` (a RegExp source) in `subject`. */
function firstOccurrence(subject: string, body: string): { text: string; index: number } | null {
  const found = wholeWords(body).exec(subject);
  return found === null ? null : { text: found[0], index: found.index };
}

const wordsPattern = (words: readonly string[]): string => words.map(escapeRegExp).join(String.raw`\s+`);
const sameWord = (a: string, b: string): boolean => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

/** Whether `other`'s name starts with the same `count` words as `words`. */
function sharesLeadingWords(other: DocType, words: readonly string[], count: number): boolean {
  const otherWords = nameWords(other.name);
  if (otherWords.length < count) return false;
  return words.slice(0, count).every((word, i) => sameWord(word, otherWords[i] ?? ''));
}

/**
 * Where one doc type is named in the subject. "All or part of its name" (seed 004) is read as
 * the name's leading words: the whole name, else its first k words for the largest k present.
 * A part counts only when no other considered doc type (recognisable by name) starts with the
 * same words: with `Customer Bid` and `Customer Complaint` enabled, `Customer` names neither.
 * That is the seed's warning that similar names "may need unnaturally long email subjects just
 * to specify the type", and it keeps trailing words (`Bid`, `Report`) from naming a type alone.
 */
function locate(subject: string, docType: DocType, nameMatchable: readonly DocType[]): Candidate | null {
  const shortId = docType.shortId?.trim();
  if (shortId !== undefined && shortId !== '') {
    // "once a Doc type has a short ID, the short ID must be used on all emails for that Doc type"
    const found = firstOccurrence(subject, escapeRegExp(shortId));
    return found === null ? null : { docType, how: 'short-id', ...found };
  }
  const words = nameWords(docType.name);
  for (let count = words.length; count >= 1; count--) {
    if (count < words.length && nameMatchable.some((o) => o !== docType && sharesLeadingWords(o, words, count))) {
      return null; // this and every shorter part is shared with another doc type
    }
    const found = firstOccurrence(subject, wordsPattern(words.slice(0, count)));
    if (found !== null) return { docType, how: count === words.length ? 'full-name' : 'partial-name', ...found };
  }
  return null;
}

const isComplete = (c: Candidate): boolean => c.how !== 'partial-name';
const contains = (outer: Candidate, inner: Candidate): boolean =>
  outer !== inner &&
  outer.index <= inner.index &&
  outer.index + outer.text.length >= inner.index + inner.text.length &&
  outer.text.length > inner.text.length;

/**
 * Picks one candidate: a whole name or short ID beats a part of a name; a match lying inside a
 * longer one gives way (`Bid Request` inside `Vendor Bid Request`); then the leftmost, the same
 * left-to-right reading the seed uses for project IDs.
 */
function pick(candidates: readonly Candidate[]): Candidate | null {
  const complete = candidates.filter(isComplete);
  const pool = complete.length > 0 ? complete : candidates;
  const outermost = pool.filter((c) => !pool.some((other) => contains(other, c)));
  return outermost.reduce<Candidate | null>((best, c) => (best === null || c.index < best.index ? c : best), null);
}

/** Replaces a span with spaces so indices stay valid and the span's letters match nothing. */
function blank(subject: string, span: SubjectSpan | null): string {
  if (span === null) return subject;
  return subject.slice(0, span.index) + ' '.repeat(span.length) + subject.slice(span.index + span.length);
}

/**
 * Finds the doc type named in `subject` among `docTypes` (already filtered by
 * consideredDocTypes), and the `# number` that may end it. `projectSpan` is stepped over.
 */
export function recognizeDocType(
  subject: string,
  docTypes: readonly DocType[],
  projectSpan: SubjectSpan | null,
): DocTypeRecognition {
  const scanned = blank(subject, projectSpan);
  const nameMatchable = docTypes.filter((d) => (d.shortId?.trim() ?? '') === '');
  const candidates = docTypes.flatMap((d) => locate(scanned, d, nameMatchable) ?? []);
  const chosen = pick(candidates);
  if (chosen === null) return { match: null, evidence: ['no doc type named in the subject'] };
  const evidence = candidates
    .filter((c) => c !== chosen)
    .map((c) => `doc type "${c.docType.name}" also matched "${c.text}" (${c.how}) but "${chosen.text}" wins`);
  const numbered = DOCUMENT_NUMBER.exec(scanned.slice(chosen.index + chosen.text.length));
  const number = numbered?.[1] ?? null;
  evidence.unshift(
    `doc type "${chosen.docType.name}" recognised by ${chosen.how} "${chosen.text}"` +
      (number === null ? '' : `, followed by "# ${number}"`),
  );
  return { match: { ...chosen, number }, evidence };
}
